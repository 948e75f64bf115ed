"""Report data, built from one snapshot of the store and an as-of date (pure: no I/O).

Everything is computed as of `as_of`: evidence observed later and changes that took effect
later are ignored, so a report for a past date can be reproduced byte for byte.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from tracker import rules
from tracker.model import Evidence, HistoryEntry, Pledge, PledgeFilter, Stance, Status, by_id


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
    # Every read runs this over every pledge: lookups are bound once, and an empty filter is skipped.
    matches = None if pledge_filter is None or pledge_filter == PledgeFilter() else pledge_filter.matches
    state_as_of = rules.state_as_of
    history_of, evidence_of = records.history_by_pledge.get, records.evidence_by_pledge.get
    states = []
    for pledge in sorted(records.pledges, key=by_id):
        pledge_id = pledge.id
        state = state_as_of(pledge, history_of(pledge_id, ()), evidence_of(pledge_id, ()), as_of)
        if state is not None and (matches is None or matches(state.pledge)):
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


_pledge_id_of: Callable[[rules.PledgeState], int] = operator.attrgetter("pledge.id")

# The sections that list pledges, each a `Report` attribute of that name.
ITEM_SECTIONS = ("overdue", "due", "fulfilled", "stale")


class Report:
    """A report on the pledges as of a date. Each section is worked out when it is first asked
    for: a report of one kind shows one section, and the others would be work for nothing."""

    def __init__(self, kind: ReportKind, options: ReportOptions, records: Records) -> None:
        self.kind = kind
        self.options = options
        self.records = records

    @functools.cached_property
    def states(self) -> list[rules.PledgeState]:
        # Given in id order, the pledges are not sorted again (a sorted list is checked in one pass).
        in_order = dataclasses.replace(self.records, pledges=self.pledges_in_id_order)
        return states_as_of(in_order, self.options.as_of, self.options.pledge_filter)

    @functools.cached_property
    def pledges_in_id_order(self) -> list[Pledge]:
        return sorted(self.records.pledges, key=by_id)

    def part(self, start: int, stop: int) -> Report:
        """This report over its pledges `start` to `stop` - 1 (in id order) alone.

        Its states are this report's, when they have been worked out, and otherwise are worked out
        for those pledges alone: a process that renders part of a large report needs no others.
        """
        pledges = self.pledges_in_id_order[start:stop]
        part = Report(self.kind, self.options, dataclasses.replace(self.records, pledges=pledges))
        if pledges and "states" in self.__dict__:  # a cached_property, worked out already
            low = bisect.bisect_left(self.states, pledges[0].id, key=_pledge_id_of)
            high = bisect.bisect_right(self.states, pledges[-1].id, lo=low, key=_pledge_id_of)
            part.states = self.states[low:high]
        return part

    @functools.cached_property
    def counts(self) -> dict[Status, int]:
        counts = dict.fromkeys(Status, 0)
        for state in self.states:
            counts[state.pledge.status] += 1
        return counts

    @functools.cached_property
    def status_since(self) -> StatusSince:
        return StatusSince(self.states, self.records.history_by_pledge)

    @functools.cached_property
    def overdue(self) -> list[rules.PledgeState]:
        # Most days late first: the earliest deadline first (an overdue pledge has a dated one).
        overdue = [state for state in self.states if state.overdue]
        overdue.sort(key=lambda state: (state.pledge.deadline.date, state.pledge.id))  # type: ignore[union-attr]
        return overdue

    @functools.cached_property
    def due(self) -> list[rules.PledgeState]:
        as_of, window = self.as_of, self.options.window
        return sorted(
            (state for state in self.states if rules.is_due_soon(state.pledge, as_of, window)),
            key=lambda state: (state.pledge.deadline.date if state.pledge.deadline else as_of, state.pledge.id),
        )

    @functools.cached_property
    def fulfilled(self) -> list[rules.PledgeState]:
        since, status_since = self.options.since, self.status_since
        fulfilled = [
            state
            for state in self.states
            if state.pledge.status is Status.FULFILLED and (since is None or status_since[state.pledge.id] >= since)
        ]
        fulfilled.sort(key=lambda state: (status_since[state.pledge.id], state.pledge.id))
        return fulfilled

    @functools.cached_property
    def stale(self) -> list[rules.PledgeState]:
        quiet_before = rules.stale_before(self.as_of, self.options.stale_days)
        stale = [state for state in self.states if rules.is_quiet(state, quiet_before)]
        stale.sort(key=lambda state: (state.last_activity, state.pledge.id))
        return stale

    @functools.cached_property
    def compliance(self) -> list[ComplianceRow]:
        return compliance(self.states)

    @functools.cached_property
    def changes(self) -> list[Change]:
        since = self.options.since
        return changes_since(self.records, self.states, since, self.as_of) if since else []

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
        if section in ITEM_SECTIONS:
            items: list[rules.PledgeState] = getattr(self, section)
            return items
        return []


class StatusSince(Mapping[int, date]):
    """The day each pledge took its status as of the report's date, by pledge id, worked out when
    first asked for: a summary asks only for its fulfilled pledges'."""

    def __init__(self, states: Sequence[rules.PledgeState], history_by_pledge: Mapping[int, Sequence[HistoryEntry]]):
        self._states = {state.pledge.id: state for state in states}
        self._history = history_by_pledge
        self._found: dict[int, date] = {}

    def __getitem__(self, pledge_id: int) -> date:
        found = self._found.get(pledge_id)
        if found is None:
            state = self._states[pledge_id]
            found = self._found[pledge_id] = status_changed_on(state, self._history.get(pledge_id, ()))
        return found

    def __iter__(self) -> Iterator[int]:
        return iter(self._states)

    def __len__(self) -> int:
        return len(self._states)


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
    # Scored once per pledge, then counted once per set of actors: a store has far fewer sets of
    # actors than pledges. Sets are taken in the order first met, so each actor's name is still
    # spelled as in the first pledge that names it.
    by_actors: dict[tuple[str, ...], list[int | None]] = defaultdict(list)
    for state in states:
        by_actors[state.pledge.actors].append(rules.compliance_score(state.pledge, state.as_of))
    scores: dict[str, list[int]] = defaultdict(list)
    totals: dict[str, int] = defaultdict(int)
    names: dict[str, str] = {}
    for actors, pledge_scores in by_actors.items():
        scored = [score for score in pledge_scores if score is not None]
        for actor in actors:
            key = actor.casefold()
            names.setdefault(key, actor)
            totals[key] += len(pledge_scores)
            scores[key] += scored
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
    return Report(kind, options, records)


def has_items(report: Report, section: str) -> bool:
    return bool(report.items(section))
