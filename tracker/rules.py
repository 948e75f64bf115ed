"""Derived facts about pledges as of a date: never stored, always recomputed.

Pure functions over records read from the store. History is replayed by `effective_on`, so
the same store and the same as-of date always give the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from operator import attrgetter
from typing import NamedTuple

from tracker.model import OPEN_STATUSES, Evidence, HistoryEntry, JSONDict, Pledge, Quantity, Stance, Status, unit_key

DEFAULT_DUE_WINDOW = 30
DEFAULT_STALE_DAYS = 180
# Fields whose history entries hold a whole-record snapshot rather than a field's value.
RECORD_FIELDS = frozenset({"pledge"})
_by_day_then_id = attrgetter("observed_on", "id")


def current_evidence(evidence: Iterable[Evidence], as_of: date) -> list[Evidence]:
    """Evidence observed by `as_of`, without items that a later correction superseded."""
    seen = [item for item in evidence if item.observed_on <= as_of]
    superseded = {item.supersedes for item in seen if item.supersedes is not None}
    return [item for item in seen if item.id not in superseded] if superseded else seen


def supporting_total(target: Quantity, evidence: Iterable[Evidence]) -> float:
    key = unit_key(target.unit)
    return sum(
        item.quantity.value
        for item in evidence
        if item.stance is Stance.SUPPORTS and item.quantity is not None and unit_key(item.quantity.unit) == key
    )


def progress(target: Quantity | None, evidence: Iterable[Evidence]) -> float | None:
    """Supporting quantities in the target's unit over the target (1.0 = reached); None without a target."""
    if target is None:
        return None
    return supporting_total(target, evidence) / target.value


def date_target_reached(target: Quantity, evidence: Sequence[Evidence]) -> date | None:
    """The day the running total of supporting quantities first reached the target."""
    key = unit_key(target.unit)
    total = 0.0
    for item in sorted(evidence, key=_by_day_then_id):
        if item.stance is Stance.SUPPORTS and item.quantity is not None and unit_key(item.quantity.unit) == key:
            total += item.quantity.value
            if total >= target.value:
                return item.observed_on
    return None


def replay(pledge: Pledge, history: Sequence[HistoryEntry], as_of: date) -> Pledge | None:
    """The pledge as it stood on `as_of`, undoing changes that took effect after it.

    None when the pledge had not been made yet on that date.
    """
    if pledge.made_on > as_of:
        return None
    if not history:
        return pledge
    later = [entry for entry in history if entry.effective_on > as_of and entry.field not in RECORD_FIELDS]
    if not later:
        return pledge
    record: JSONDict = pledge.to_dict()
    for entry in sorted(later, key=attrgetter("effective_on", "id"), reverse=True):
        if entry.field in record:
            record[entry.field] = entry.old
    return Pledge.from_dict(pledge.id, record)


# Open pledges whose deadline counts: a conditional pledge's clock does not run until its condition is met.
_CLOCK_RUNNING = OPEN_STATUSES - {Status.CONDITIONAL}


def is_overdue(pledge: Pledge, as_of: date) -> bool:
    """Open, past its deadline (see `_CLOCK_RUNNING`)."""
    deadline = pledge.deadline
    return (
        pledge.status in _CLOCK_RUNNING and deadline is not None and deadline.date is not None and deadline.date < as_of
    )


def days_late(pledge: Pledge, as_of: date) -> int | None:
    if not is_overdue(pledge, as_of) or pledge.deadline is None or pledge.deadline.date is None:
        return None
    return (as_of - pledge.deadline.date).days


def is_due_soon(pledge: Pledge, as_of: date, window: int = DEFAULT_DUE_WINDOW) -> bool:
    deadline = pledge.deadline.date if pledge.deadline else None
    return pledge.status in _CLOCK_RUNNING and deadline is not None and as_of <= deadline <= due_by(as_of, window)


def due_by(as_of: date, window: int = DEFAULT_DUE_WINDOW) -> date:
    """The last day of the window (0 or more days) that counts as due soon on `as_of`."""
    try:
        return as_of + timedelta(days=window)
    except OverflowError:  # a window past either end of the calendar
        return date.max if window > 0 else date.min


def stale_before(as_of: date, stale_days: int = DEFAULT_STALE_DAYS) -> date:
    """An open pledge whose last activity is before this day is stale on `as_of` (`stale_days` is
    0 or more)."""
    try:
        return as_of - timedelta(days=stale_days)
    except OverflowError:  # more days than the calendar holds before `as_of`: nothing is that quiet
        return date.min


def is_stale(state: PledgeState, stale_days: int = DEFAULT_STALE_DAYS) -> bool:
    return is_quiet(state, stale_before(state.as_of, stale_days))


def is_quiet(state: PledgeState, quiet_before: date) -> bool:
    """Open, with no activity on or after `quiet_before` (stale, when that is `stale_before`'s day;
    a report works that day out once for all its pledges)."""
    return state.pledge.status in OPEN_STATUSES and state.last_activity < quiet_before


_SCORES = {Status.FULFILLED: 1, Status.PARTIAL: 0, Status.IN_PROGRESS: 0, Status.STALLED: 0, Status.BROKEN: -1}


def compliance_score(pledge: Pledge, as_of: date) -> int | None:
    """G7/G20 Research Group scale: +1 kept, 0 under way, -1 broken or overdue, None when not scored."""
    status = pledge.status
    if status is Status.PENDING:
        return -1 if is_overdue(pledge, as_of) else None
    return _SCORES.get(status)


class PledgeState(NamedTuple):
    """A pledge as it stood on `as_of`, with the evidence known by then (oldest first) and its
    derived facts."""

    pledge: Pledge
    evidence: tuple[Evidence, ...]
    as_of: date
    progress: float | None
    overdue: bool

    @property
    def last_evidence(self) -> Evidence | None:
        return self.evidence[-1] if self.evidence else None

    @property
    def last_activity(self) -> date:
        """The day of the latest evidence known, or the day the pledge was made when there is none."""
        return self.evidence[-1].observed_on if self.evidence else self.pledge.made_on


def state_as_of(
    pledge: Pledge, history: Sequence[HistoryEntry], evidence: Sequence[Evidence], as_of: date
) -> PledgeState | None:
    replayed = replay(pledge, history, as_of)
    if replayed is None:
        return None
    # Run for every pledge of every report: the common cases (no evidence, no target) are cut short.
    known = tuple(sorted(current_evidence(evidence, as_of), key=_by_day_then_id)) if evidence else ()
    target = replayed.target
    return PledgeState(
        replayed,
        known,
        as_of,
        None if target is None else progress(target, known),
        is_overdue(replayed, as_of),
    )
