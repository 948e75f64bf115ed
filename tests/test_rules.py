"""Derived facts as of a date: pure functions over records, no store, no clock."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tracker import rules
from tracker.dates import Deadline
from tracker.model import Category, Condition, Evidence, HistoryEntry, Pledge, Quantity, Stance, Status

MADE_ON = date(2021, 4, 7)
DUE = date(2021, 10, 7)


def pledge(**changes: Any) -> Pledge:
    base = Pledge(
        id=1,
        uuid="00000000-0000-4000-8000-000000000001",
        title="Provide 150,000 more vaccine doses",
        actors=("Russia",),
        made_on=MADE_ON,
        status=Status.PENDING,
        category=Category.HEALTH,
        deadline=Deadline("within six months", DUE, "month", "made_on"),
    )
    return base.with_changes(**changes)


def evidence(
    item_id: int,
    observed_on: date,
    quantity: str | None = None,
    stance: Stance = Stance.SUPPORTS,
    supersedes: int | None = None,
) -> Evidence:
    return Evidence(
        id=item_id,
        pledge_id=1,
        observed_on=observed_on,
        recorded_at="2026-11-29T12:00:00Z",
        summary=f"evidence {item_id}",
        stance=stance,
        quantity=Quantity.parse(quantity) if quantity else None,
        supersedes=supersedes,
    )


def entry(entry_id: int, field: str, old: Any, new: Any, effective_on: date) -> HistoryEntry:
    return HistoryEntry(
        id=entry_id,
        pledge_id=1,
        field=field,
        old=old,
        new=new,
        reason="test",
        effective_on=effective_on,
        recorded_at="2026-11-29T12:00:00Z",
        change=entry_id,
    )


# overdue --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "overdue"),
    [
        (date(2021, 10, 6), False),
        (DUE, False),  # the deadline is the last day that still counts as on time
        (date(2021, 10, 8), True),
        (date(2026, 11, 29), True),
    ],
)
def test_overdue_after_the_deadline_day(as_of: date, overdue: bool) -> None:
    assert rules.is_overdue(pledge(), as_of) is overdue


@pytest.mark.parametrize("status", list(Status))
def test_only_open_unconditional_pledges_can_be_overdue(status: Status) -> None:
    expected = status in (Status.PENDING, Status.IN_PROGRESS, Status.STALLED)
    assert rules.is_overdue(pledge(status=status), date(2026, 1, 1)) is expected


def test_no_deadline_or_undated_deadline_is_never_overdue() -> None:
    assert not rules.is_overdue(pledge(deadline=None), date(2030, 1, 1))
    waiting = Deadline("6 months after condition", None, "month", "condition")
    assert not rules.is_overdue(pledge(deadline=waiting, condition=Condition("signed")), date(2030, 1, 1))


def test_days_late() -> None:
    assert rules.days_late(pledge(), date(2021, 10, 17)) == 10
    assert rules.days_late(pledge(), DUE) is None
    assert rules.days_late(pledge(status=Status.FULFILLED), date(2022, 1, 1)) is None


# due soon -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "window", "due"),
    [
        (date(2021, 9, 7), 30, True),
        (date(2021, 9, 6), 30, False),
        (DUE, 30, True),
        (date(2021, 10, 8), 30, False),  # overdue is not due soon
        (date(2021, 9, 30), 7, True),
        (date(2021, 9, 29), 7, False),
        (DUE, 0, True),
    ],
)
def test_due_soon(as_of: date, window: int, due: bool) -> None:
    assert rules.is_due_soon(pledge(), as_of, window) is due


def test_default_due_window_is_30_days() -> None:
    assert rules.DEFAULT_DUE_WINDOW == 30
    assert rules.is_due_soon(pledge(), date(2021, 9, 7))
    assert not rules.is_due_soon(pledge(), date(2021, 9, 6))


@pytest.mark.parametrize(
    "status", [Status.CONDITIONAL, Status.FULFILLED, Status.BROKEN, Status.WITHDRAWN, Status.PARTIAL]
)
def test_closed_or_conditional_pledges_are_not_due_soon(status: Status) -> None:
    assert not rules.is_due_soon(pledge(status=status), date(2021, 10, 1))


def test_no_deadline_is_not_due_soon() -> None:
    assert not rules.is_due_soon(pledge(deadline=None), date(2021, 10, 1))


# stale ----------------------------------------------------------------------------------------


def state(the_pledge: Pledge, items: list[Evidence], as_of: date) -> rules.PledgeState:
    found = rules.state_as_of(the_pledge, [], items, as_of)
    assert found is not None
    return found


def test_last_activity_is_the_latest_evidence_known_or_made_on() -> None:
    assert state(pledge(), [], date(2030, 1, 1)).last_activity == MADE_ON
    items = [evidence(1, date(2021, 6, 1)), evidence(2, date(2022, 1, 1)), evidence(3, date(2021, 9, 1))]
    assert state(pledge(), items, date(2030, 1, 1)).last_activity == date(2022, 1, 1)
    assert state(pledge(), items, date(2021, 12, 31)).last_activity == date(2021, 9, 1)


@pytest.mark.parametrize(
    ("items", "as_of", "stale"),
    [
        ([], date(2021, 10, 4), False),  # 180 days after made_on
        ([], date(2021, 10, 5), True),  # 181 days
        ([evidence(1, date(2022, 1, 1))], date(2022, 6, 30), False),
        ([evidence(1, date(2022, 1, 1))], date(2022, 7, 1), True),
    ],
)
def test_stale_after_180_days_without_evidence(items: list[Evidence], as_of: date, stale: bool) -> None:
    assert rules.DEFAULT_STALE_DAYS == 180
    assert rules.is_stale(state(pledge(), items, as_of)) is stale


def test_stale_days_can_be_chosen_and_closed_pledges_are_never_stale() -> None:
    assert rules.is_stale(state(pledge(), [], date(2021, 4, 18)), stale_days=10)
    assert not rules.is_stale(state(pledge(), [], date(2021, 4, 17)), stale_days=10)
    assert not rules.is_stale(state(pledge(status=Status.FULFILLED), [], date(2030, 1, 1)))
    assert rules.is_stale(state(pledge(status=Status.CONDITIONAL), [], date(2030, 1, 1)))


# progress -------------------------------------------------------------------------------------

TARGET = Quantity(150_000, "doses")


def test_progress_without_a_target_is_none() -> None:
    assert rules.progress(None, [evidence(1, MADE_ON, "5 doses")]) is None


def test_progress_counts_supporting_quantities_in_the_target_unit() -> None:
    items = [
        evidence(1, date(2021, 5, 1), "50,000 doses"),
        evidence(2, date(2021, 6, 1), "25000 Dose"),  # unit without case or plural
        evidence(3, date(2021, 7, 1), "100000 doses", stance=Stance.CONTRADICTS),
        evidence(4, date(2021, 7, 1), "100000 doses", stance=Stance.CONTEXT),
        evidence(5, date(2021, 7, 1), "100000 vials"),
        evidence(6, date(2021, 7, 1)),
    ]
    assert rules.supporting_total(TARGET, items) == 75_000
    assert rules.progress(TARGET, items) == pytest.approx(0.5)
    assert rules.progress(TARGET, []) == 0


def test_progress_may_pass_one() -> None:
    assert rules.progress(TARGET, [evidence(1, MADE_ON, "300000 doses")]) == pytest.approx(2.0)


# target reached -------------------------------------------------------------------------------


def test_date_target_reached_is_the_day_the_running_total_reaches_it() -> None:
    items = [
        evidence(3, date(2021, 9, 1), "50000 doses"),
        evidence(1, date(2021, 5, 1), "60000 doses"),
        evidence(2, date(2021, 7, 1), "40000 doses"),
        evidence(4, date(2021, 12, 1), "50000 doses"),
    ]
    assert rules.date_target_reached(TARGET, items) == date(2021, 9, 1)


def test_date_target_reached_ignores_other_units_and_stances() -> None:
    items = [
        evidence(1, date(2021, 5, 1), "100000 doses"),
        evidence(2, date(2021, 6, 1), "100000 vials"),
        evidence(3, date(2021, 7, 1), "100000 doses", stance=Stance.CONTRADICTS),
        evidence(4, date(2021, 8, 1), "50000 doses"),
    ]
    assert rules.date_target_reached(TARGET, items) == date(2021, 8, 1)


def test_target_not_reached() -> None:
    assert rules.date_target_reached(TARGET, [evidence(1, MADE_ON, "149999 doses")]) is None
    assert rules.date_target_reached(TARGET, []) is None


def test_exactly_the_target_counts_as_reached() -> None:
    assert rules.date_target_reached(TARGET, [evidence(1, date(2021, 5, 1), "150000 doses")]) == date(2021, 5, 1)


# current evidence -----------------------------------------------------------------------------


def test_current_evidence_drops_later_and_superseded_items() -> None:
    first = evidence(1, date(2021, 5, 1), "60000 doses")
    correction = evidence(2, date(2021, 5, 2), "6000 doses", supersedes=1)
    later = evidence(3, date(2021, 12, 1), "1 dose")
    assert rules.current_evidence([first, correction, later], date(2021, 6, 1)) == [correction]
    # Before the correction was observed, the original still counts.
    assert rules.current_evidence([first, correction, later], date(2021, 5, 1)) == [first]


# replay ---------------------------------------------------------------------------------------


def test_replay_undoes_changes_that_took_effect_after_the_as_of_date() -> None:
    now = pledge(status=Status.BROKEN, title="New title")
    history = [
        entry(1, "pledge", None, "pending", MADE_ON),
        entry(2, "status", "pending", "in_progress", date(2022, 1, 1)),
        entry(3, "status", "in_progress", "broken", date(2024, 5, 30)),
        entry(4, "title", "Old title", "New title", date(2023, 1, 1)),
    ]
    assert rules.replay(now, history, date(2026, 1, 1)) == now
    assert rules.replay(now, history, date(2024, 5, 30)).status is Status.BROKEN  # type: ignore[union-attr]
    at_2023 = rules.replay(now, history, date(2023, 6, 1))
    assert at_2023 is not None
    assert (at_2023.status, at_2023.title) == (Status.IN_PROGRESS, "New title")
    at_2022 = rules.replay(now, history, date(2022, 6, 1))
    assert at_2022 is not None
    assert (at_2022.status, at_2022.title) == (Status.IN_PROGRESS, "Old title")
    at_2021 = rules.replay(now, history, date(2021, 12, 31))
    assert at_2021 is not None
    assert (at_2021.status, at_2021.title) == (Status.PENDING, "Old title")


def test_replay_orders_by_effective_date_not_by_recording() -> None:
    # Recorded first (id 1): fulfilled from 2021-09-01. Recorded later (id 2): in progress from 2021-06-01.
    now = pledge(status=Status.FULFILLED)
    history = [
        entry(2, "status", "pending", "in_progress", date(2021, 6, 1)),
        entry(1, "status", "in_progress", "fulfilled", date(2021, 9, 1)),
    ]
    assert rules.replay(now, history, date(2021, 5, 31)).status is Status.PENDING  # type: ignore[union-attr]
    assert rules.replay(now, history, date(2021, 6, 1)).status is Status.IN_PROGRESS  # type: ignore[union-attr]
    assert rules.replay(now, history, date(2021, 9, 1)).status is Status.FULFILLED  # type: ignore[union-attr]


def test_replay_restores_structured_fields() -> None:
    met = pledge(
        status=Status.PENDING,
        condition=Condition("protocol signed", date(2022, 1, 15)),
        deadline=Deadline("6 months after condition", date(2022, 7, 15), "month", "condition"),
    )
    history = [
        entry(2, "condition", {"met_on": None, "text": "protocol signed"}, met.condition.to_dict(), date(2022, 1, 15)),  # type: ignore[union-attr]
        entry(3, "deadline", {**met.deadline.to_dict(), "date": None}, met.deadline.to_dict(), date(2022, 1, 15)),  # type: ignore[union-attr]
        entry(4, "status", "conditional", "pending", date(2022, 1, 15)),
    ]
    before = rules.replay(met, history, date(2022, 1, 14))
    assert before is not None
    assert before.status is Status.CONDITIONAL
    assert before.condition == Condition("protocol signed", None)
    assert before.deadline is not None and before.deadline.date is None


def test_replay_before_the_pledge_was_made_is_none() -> None:
    assert rules.replay(pledge(), [], date(2021, 4, 6)) is None
    assert rules.replay(pledge(), [], MADE_ON) == pledge()


def test_replay_ignores_whole_record_entries() -> None:
    history = [entry(1, "pledge", None, "pending", date(2030, 1, 1))]
    assert rules.replay(pledge(), history, date(2022, 1, 1)) == pledge()


def test_state_as_of_combines_replay_evidence_and_derived_facts() -> None:
    now = pledge(status=Status.FULFILLED, target=TARGET)
    history = [entry(1, "status", "pending", "fulfilled", date(2021, 9, 1))]
    items = [evidence(2, date(2021, 9, 1), "100000 doses"), evidence(1, date(2021, 5, 1), "50000 doses")]
    early = rules.state_as_of(now, history, items, date(2021, 6, 1))
    assert early is not None
    assert early.pledge.status is Status.PENDING
    assert [item.id for item in early.evidence] == [1]
    assert early.progress == pytest.approx(1 / 3)
    assert not early.overdue
    assert early.last_evidence is not None and early.last_evidence.id == 1
    late = rules.state_as_of(now, history, items, date(2026, 11, 29))
    assert late is not None
    assert late.pledge.status is Status.FULFILLED
    assert [item.id for item in late.evidence] == [1, 2]
    assert late.progress == pytest.approx(1.0)
    assert not late.overdue
    assert rules.state_as_of(now, history, items, date(2020, 1, 1)) is None


def test_state_is_overdue_when_still_pending_after_the_deadline() -> None:
    state = rules.state_as_of(pledge(), [], [], date(2022, 1, 1))
    assert state is not None and state.overdue and state.last_evidence is None


# compliance score -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "as_of", "score"),
    [
        (Status.FULFILLED, date(2022, 1, 1), 1),
        (Status.PARTIAL, date(2022, 1, 1), 0),
        (Status.IN_PROGRESS, date(2022, 1, 1), 0),
        (Status.STALLED, date(2022, 1, 1), 0),
        (Status.BROKEN, date(2022, 1, 1), -1),
        (Status.PENDING, date(2022, 1, 1), -1),  # overdue
        (Status.PENDING, DUE, None),  # not yet due: not scored
        (Status.CONDITIONAL, date(2022, 1, 1), None),
        (Status.WITHDRAWN, date(2022, 1, 1), None),
    ],
)
def test_compliance_score(status: Status, as_of: date, score: int | None) -> None:
    assert rules.compliance_score(pledge(status=status), as_of) == score


def test_pending_without_deadline_is_not_scored() -> None:
    assert rules.compliance_score(pledge(deadline=None), date(2030, 1, 1)) is None
