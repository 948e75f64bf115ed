"""Report data, built from one snapshot of the store and an as-of date (pure: no I/O).

Everything is computed as of `as_of`: evidence observed later and changes that took effect
later are ignored, so a report for a past date can be reproduced byte for byte.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from tracker import rules
from tracker.model import Evidence, HistoryEntry, Pledge, PledgeFilter, Stance, Status


class ReportKind(StrEnum):
    SUMMARY = "summary"
    OVERDUE = "overdue"
    FULFILLED = "fulfilled"
    DUE = "due"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class Records:
    """Everything a report reads, grouped by pledge once so no step searches per pledge."""

    pledges: list[Pledge]
    evidence_by_pledge: dict[int, list[Evidence]]
    history_by_pledge: dict[int, list[HistoryEntry]]

    @classmethod
    def group(cls, pledges: list[Pledge], evidence: Iterable[Evidence], history: Iterable[HistoryEntry]) -> Records:
        evidence_by_pledge: dict[int, list[Evidence]] = defaultdict(list)
        for item in evidence:
            evidence_by_pledge[item.pledge_id].append(item)
        history_by_pledge: dict[int, list[HistoryEntry]] = defaultdict(list)
        for entry in history:
            history_by_pledge[entry.pledge_id].append(entry)
        return cls(pledges, evidence_by_pledge, history_by_pledge)


def states_as_of(records: Records, as_of: date, pledge_filter: PledgeFilter | None = None) -> list[rules.PledgeState]:
    """Each pledge as it stood on `as_of` (made by then, matching the filter), by id."""
    states = []
    for pledge in sorted(records.pledges, key=lambda each: each.id):
        state = rules.state_as_of(
            pledge, records.history_by_pledge.get(pledge.id, ()), records.evidence_by_pledge.get(pledge.id, ()), as_of
        )
        if state is not None and (pledge_filter is None or pledge_filter.matches(state.pledge)):
            states.append(state)
    return states


@dataclass(frozen=True, slots=True)
class ReportOptions:
    as_of: date
    since: date | None = None
    window: int = rules.DEFAULT_DUE_WINDOW
    stale_days: int = rules.DEFAULT_STALE_DAYS
    pledge_filter: PledgeFilter = field(default_factory=PledgeFilter)


@dataclass(frozen=True, slots=True)
class ComplianceRow:
    """An actor's record: mean of its scored pledges on the -1..+1 scale, and n."""

    actor: str
    score: float
    scored: int
    fulfilled: int
    broken_or_overdue: int
    pledges: int

    @property
    def percent(self) -> float:
        return 50 * (self.score + 1)


@dataclass(frozen=True, slots=True)
class Change:
    """Something that happened in the `--since` window: new evidence or a status change."""

    on: date
    pledge_id: int
    title: str
    kind: str
    description: str


@dataclass(frozen=True, slots=True)
class Report:
    kind: ReportKind
    options: ReportOptions
    states: list[rules.PledgeState]
    counts: dict[Status, int]
    overdue: list[rules.PledgeState]
    due: list[rules.PledgeState]
    fulfilled: list[rules.PledgeState]
    stale: list[rules.PledgeState]
    compliance: list[ComplianceRow]
    changes: list[Change]
    status_since: dict[int, date]

    @property
    def as_of(self) -> date:
        return self.options.as_of

    def sections(self) -> tuple[str, ...]:
        """The sections this kind of report shows, in order."""
        if self.kind is ReportKind.SUMMARY:
            parts = ("counts", "overdue", "due", "fulfilled", "stale", "compliance")
            return (*parts, "changes") if self.options.since else parts
        return (self.kind.value,)

    def items(self, section: str) -> list[rules.PledgeState]:
        return {"overdue": self.overdue, "due": self.due, "fulfilled": self.fulfilled, "stale": self.stale}.get(
            section, []
        )


def status_changed_on(state: rules.PledgeState, history: Sequence[HistoryEntry]) -> date:
    """The day the pledge took its status as of the state's date (its made_on if it never changed)."""
    status, as_of = state.pledge.status, state.as_of  # a status is a str, equal to its stored value
    changed = [
        entry.effective_on
        for entry in history
        if entry.field == "status" and entry.effective_on <= as_of and entry.new == status
    ]
    return max(changed, default=state.pledge.made_on)


def compliance(states: Iterable[rules.PledgeState]) -> list[ComplianceRow]:
    scores: dict[str, list[int]] = defaultdict(list)
    totals: dict[str, int] = defaultdict(int)
    names: dict[str, str] = {}
    for state in states:
        score = rules.compliance_score(state.pledge, state.as_of)
        for actor in state.pledge.actors:
            key = actor.casefold()
            names.setdefault(key, actor)
            totals[key] += 1
            if score is not None:
                scores[key].append(score)
    rows = [
        ComplianceRow(
            actor=names[key],
            score=sum(scores[key]) / len(scores[key]) if scores[key] else 0.0,
            scored=len(scores[key]),
            fulfilled=scores[key].count(1),
            broken_or_overdue=scores[key].count(-1),
            pledges=totals[key],
        )
        for key in names
    ]
    # Actors with no scored pledge have no record yet: listed last, not as a 50% middle.
    return sorted(rows, key=lambda row: (row.scored == 0, -row.score, -row.scored, row.actor.casefold()))


def changes_since(records: Records, states: Sequence[rules.PledgeState], since: date, as_of: date) -> list[Change]:
    changes: list[Change] = []
    for state in states:
        pledge = state.pledge
        for item in state.evidence:
            if item.observed_on >= since:
                stance = "" if item.stance is Stance.SUPPORTS else f" ({item.stance.value})"
                changes.append(Change(item.observed_on, pledge.id, pledge.title, "evidence", item.summary + stance))
        for entry in records.history_by_pledge.get(pledge.id, ()):
            if entry.field == "status" and since <= entry.effective_on <= as_of:
                description = f"{entry.old} → {entry.new}: {entry.reason}"
                changes.append(Change(entry.effective_on, pledge.id, pledge.title, "status", description))
    return sorted(changes, key=lambda change: (change.on, change.pledge_id, change.kind, change.description))


def build_report(records: Records, kind: ReportKind, options: ReportOptions) -> Report:
    as_of = options.as_of
    states = states_as_of(records, as_of, options.pledge_filter)
    counts = dict.fromkeys(Status, 0)
    for state in states:
        counts[state.pledge.status] += 1
    status_since = {
        state.pledge.id: status_changed_on(state, records.history_by_pledge.get(state.pledge.id, ()))
        for state in states
    }
    overdue = sorted(
        (state for state in states if state.overdue),
        key=lambda state: (-(rules.days_late(state.pledge, as_of) or 0), state.pledge.id),
    )
    due = sorted(
        (state for state in states if rules.is_due_soon(state.pledge, as_of, options.window)),
        key=lambda state: (state.pledge.deadline.date if state.pledge.deadline else as_of, state.pledge.id),
    )
    fulfilled = [
        state
        for state in states
        if state.pledge.status is Status.FULFILLED
        and (options.since is None or status_since[state.pledge.id] >= options.since)
    ]
    fulfilled.sort(key=lambda state: (status_since[state.pledge.id], state.pledge.id))
    stale = sorted(
        (state for state in states if rules.is_stale(state, options.stale_days)),
        key=lambda state: (state.last_activity, state.pledge.id),
    )
    return Report(
        kind=kind,
        options=options,
        states=states,
        counts=counts,
        overdue=overdue,
        due=due,
        fulfilled=fulfilled,
        stale=stale,
        compliance=compliance(states),
        changes=changes_since(records, states, options.since, as_of) if options.since else [],
        status_since=status_since,
    )


def has_items(report: Report, section: str) -> bool:
    return bool(report.items(section))
