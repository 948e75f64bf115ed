"""What an analyst does to the store: add, edit and remove pledges, record evidence, set status.

Each operation works inside one store session, validates everything before it changes
anything, applies the automatic rules of the design, and writes every change to history.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tracker import journal, rules
from tracker.dates import Deadline, parse_deadline
from tracker.errors import BadInputError
from tracker.migrations import JOURNAL
from tracker.model import (
    Category,
    Condition,
    Evidence,
    HistoryEntry,
    Pledge,
    Quantity,
    Source,
    Stance,
    Status,
    names,
    optional_text,
    required_text,
    unit_key,
)
from tracker.store import Session


@dataclass(frozen=True, slots=True)
class Clock:
    """The moment a command runs: `today` for defaults, `now` for recording times."""

    today: date
    now: str

    @classmethod
    def at(cls, moment: datetime) -> Clock:
        """`moment` must carry its time zone: today is the date where the analyst is,
        recording times are UTC so that stores written in different zones sort together."""
        return cls(today=moment.date(), now=moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


@dataclass(frozen=True, slots=True)
class SourceInput:
    url: str | None = None
    title: str | None = None
    publisher: str | None = None

    def parse(self) -> Source | None:
        return Source.parse(self.url, self.title, self.publisher)


def _deadline(text: str | None, made_on: date, condition: Condition | None) -> Deadline | None:
    if text is None:
        return None
    deadline = parse_deadline(text, made_on, condition.met_on if condition else None)
    if deadline is not None and deadline.date is not None and deadline.date < made_on:
        raise BadInputError(
            f"the deadline {deadline.date.isoformat()} is before the pledge was made ({made_on.isoformat()})"
        )
    if deadline is not None and deadline.anchor == "condition" and condition is None:
        raise BadInputError(f"the deadline '{text}' counts from a condition; give the condition with --condition")
    return deadline


def _not_in_future(day: date, clock: Clock, what: str) -> None:
    if day > clock.today:
        raise BadInputError(f"the {what} {day.isoformat()} is in the future (today is {clock.today.isoformat()})")


def _change_date(pledge: Pledge, day: date, clock: Clock) -> date:
    """A change takes effect between the day the pledge was made and today."""
    _not_in_future(day, clock, "date of the change")
    if day < pledge.made_on:
        raise BadInputError(
            f"the change cannot take effect on {day.isoformat()}, "
            f"before the pledge was made ({pledge.made_on.isoformat()})"
        )
    return day


def _last_status_change(session: Session, pledge: Pledge) -> date | None:
    dates = [entry.effective_on for entry in session.history_for(pledge.id) if entry.field == "status"]
    return max(dates, default=None)


class Recorder:
    """Writes a command's changes to history, all under the command's change number."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def record(
        self,
        pledge_id: int,
        field: str,
        old: Any,
        new: Any,
        reason: str,
        effective_on: date,
        evidence_id: int | None = None,
    ) -> None:
        self.session.insert_history(
            HistoryEntry(
                id=0,
                pledge_id=pledge_id,
                field=field,
                old=old,
                new=new,
                reason=reason,
                effective_on=effective_on,
                recorded_at=self.clock.now,
                change=self.session.change,
                evidence_id=evidence_id,
            )
        )

    def save(
        self, before: Pledge, after: Pledge, reason: str, effective_on: date, evidence_id: int | None = None
    ) -> Pledge:
        """Store `after` and write one history entry per field that differs from `before`."""
        old_record, new_record = before.to_dict(), after.to_dict()
        changed = [
            key
            for key in sorted(new_record)
            if key not in ("updated_at", "created_at") and old_record[key] != new_record[key]
        ]
        if not changed:
            return before
        after = after.with_changes(updated_at=self.clock.now)
        self.session.update_pledge(after)
        for key in changed:
            self.record(after.id, key, old_record[key], new_record[key], reason, effective_on, evidence_id)
        return after


def add_pledge(
    session: Session,
    clock: Clock,
    *,
    title: str,
    actors: Sequence[str],
    recipients: Sequence[str] = (),
    made_on: date | None = None,
    deadline: str | None = None,
    target: str | None = None,
    condition: str | None = None,
    category: Category = Category.OTHER,
    tags: Sequence[str] = (),
    source: SourceInput = SourceInput(),
    text: str | None = None,
    venue: str | None = None,
    notes: str | None = None,
    status: Status | None = None,
) -> Pledge:
    made_on = made_on or clock.today
    _not_in_future(made_on, clock, "date the pledge was made")
    condition_text = optional_text(condition)
    the_condition = Condition(" ".join(condition_text.split())) if condition_text else None
    pledge = Pledge(
        id=0,
        uuid=str(uuid_module.uuid4()),
        title=required_text(title, "title"),
        actors=tuple(names(list(actors), "actor", required=True)),
        recipients=tuple(names(list(recipients), "recipient")),
        made_on=made_on,
        status=status or (Status.CONDITIONAL if the_condition else Status.PENDING),
        category=category,
        text=optional_text(text),
        venue=optional_text(venue),
        source=source.parse(),
        tags=tuple(names(list(tags), "tag")),
        target=Quantity.parse(target) if target is not None else None,
        deadline=_deadline(deadline, made_on, the_condition),
        condition=the_condition,
        notes=optional_text(notes),
        created_at=clock.now,
        updated_at=clock.now,
    )
    stored = session.insert_pledge(pledge)
    Recorder(session, clock).record(stored.id, "pledge", None, stored.status.value, "pledge recorded", made_on)
    return stored


@dataclass(frozen=True, slots=True)
class PledgeEdit:
    """Fields to change; None leaves a field as it is. Empty text clears an optional field."""

    title: str | None = None
    actors: Sequence[str] | None = None
    recipients: Sequence[str] | None = None
    made_on: date | None = None
    deadline: str | None = None
    target: str | None = None
    condition: str | None = None
    category: Category | None = None
    tags: Sequence[str] | None = None
    source: SourceInput | None = None
    text: str | None = None
    venue: str | None = None
    notes: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__slots__)


def edit_pledge(
    session: Session,
    clock: Clock,
    reference: str,
    edit: PledgeEdit,
    effective_on: date | None = None,
    reason: str | None = None,
) -> Pledge:
    if edit.is_empty():
        raise BadInputError("nothing to change; give at least one option such as --title or --deadline")
    pledge = session.resolve(reference)
    changes: dict[str, Any] = {}
    if edit.title is not None:
        changes["title"] = required_text(edit.title, "title")
    if edit.actors is not None:
        changes["actors"] = tuple(names(list(edit.actors), "actor", required=True))
    if edit.recipients is not None:
        changes["recipients"] = tuple(names(list(edit.recipients), "recipient"))
    if edit.tags is not None:
        changes["tags"] = tuple(names(list(edit.tags), "tag"))
    if edit.made_on is not None:
        _not_in_future(edit.made_on, clock, "date the pledge was made")
        changes["made_on"] = edit.made_on
    if edit.category is not None:
        changes["category"] = edit.category
    if edit.target is not None:
        changes["target"] = Quantity.parse(edit.target) if edit.target.strip() else None
    for name in ("text", "venue", "notes"):
        value = getattr(edit, name)
        if value is not None:
            changes[name] = optional_text(value)
    if edit.source is not None:
        changes["source"] = edit.source.parse()
    condition = pledge.condition
    if edit.condition is not None:
        text = optional_text(edit.condition)
        condition = Condition(" ".join(text.split()), condition.met_on if condition else None) if text else None
        changes["condition"] = condition
    deadline_text = edit.deadline if edit.deadline is not None else (pledge.deadline.text if pledge.deadline else None)
    # A new made_on or condition moves a relative deadline, so it is resolved again.
    if deadline_text is not None:
        changes["deadline"] = _deadline(deadline_text, changes.get("made_on", pledge.made_on), condition)
    after = pledge.with_changes(**changes)
    day = _change_date(after, effective_on or clock.today, clock)
    return Recorder(session, clock).save(pledge, after, reason or "edited", day)


def set_status(
    session: Session,
    clock: Clock,
    reference: str,
    status: Status,
    note: str | None = None,
    effective_on: date | None = None,
) -> Pledge:
    pledge = session.resolve(reference)
    effective_on = _change_date(pledge, effective_on or clock.today, clock)
    latest = _last_status_change(session, pledge)
    if latest is not None and effective_on < latest:
        # Replaying history by date would let the later change win, contradicting the stored status.
        raise BadInputError(
            f"pledge {pledge.id} last changed status on {latest.isoformat()}; a status change must take effect "
            f"on or after that date"
        )
    if status is pledge.status:
        raise BadInputError(f"pledge {pledge.id} is already {status.value}")
    reason = optional_text(note) or f"status set to {status.value}"
    return Recorder(session, clock).save(pledge, pledge.with_changes(status=status), reason, effective_on)


@dataclass(frozen=True, slots=True)
class EvidenceResult:
    evidence: Evidence
    pledge: Pledge
    changes: tuple[str, ...]


def add_evidence(
    session: Session,
    clock: Clock,
    reference: str,
    summary: str,
    *,
    observed_on: date | None = None,
    source: SourceInput = SourceInput(),
    quantity: str | None = None,
    stance: Stance = Stance.SUPPORTS,
    status: Status | None = None,
    meets_condition: bool = False,
    supersedes: int | None = None,
    note: str | None = None,
) -> EvidenceResult:
    pledge = session.resolve(reference)
    observed_on = observed_on or clock.today
    _not_in_future(observed_on, clock, "evidence date")
    existing = session.evidence_for(pledge.id)
    if supersedes is not None and supersedes not in {item.id for item in existing}:
        raise BadInputError(f"pledge {pledge.id} has no evidence {supersedes} to supersede")
    if meets_condition:
        if pledge.condition is None:
            raise BadInputError(
                f"pledge {pledge.id} has no condition to meet; give it one with `tracker edit --condition`"
            )
        if pledge.condition.met_on is not None:
            raise BadInputError(
                f"the condition of pledge {pledge.id} was already met on {pledge.condition.met_on.isoformat()}"
            )
    evidence = session.insert_evidence(
        Evidence(
            id=0,
            pledge_id=pledge.id,
            observed_on=observed_on,
            recorded_at=clock.now,
            summary=required_text(summary, "evidence summary"),
            stance=stance,
            source=source.parse(),
            quantity=Quantity.parse(quantity) if quantity is not None else None,
            meets_condition=meets_condition,
            supersedes=supersedes,
        )
    )
    recorder = Recorder(session, clock)
    changes: list[str] = []
    target, delivered = pledge.target, evidence.quantity
    if target is not None and delivered is not None and unit_key(delivered.unit) != unit_key(target.unit):
        changes.append(
            f"note: '{delivered.unit}' is not the target's unit ('{target.unit}'), so it does not count toward progress"
        )
    # A change cannot take effect before the pledge existed, even if the evidence is older.
    effective_on = max(observed_on, pledge.made_on)
    current = pledge
    if meets_condition and current.condition is not None:
        condition = Condition(current.condition.text, observed_on)
        deadline = current.deadline
        if deadline is not None and deadline.anchor == "condition":
            deadline = parse_deadline(deadline.text, current.made_on, observed_on)
        new_status = Status.PENDING if current.status is Status.CONDITIONAL else current.status
        after = current.with_changes(condition=condition, deadline=deadline, status=new_status)
        current = recorder.save(current, after, f"condition met: {evidence.summary}", effective_on, evidence.id)
        changes.append("condition met" + (", now pending" if new_status is not pledge.status else ""))
    if status is not None and status is not current.status:
        latest = _last_status_change(session, current)
        if latest is not None and effective_on < latest:
            raise BadInputError(
                f"pledge {pledge.id} last changed status on {latest.isoformat()}; evidence dated earlier cannot set "
                "its status (record it without --status)"
            )
        reason = optional_text(note) or evidence.summary
        current = recorder.save(current, current.with_changes(status=status), reason, effective_on, evidence.id)
        changes.append(f"status set to {status.value}")
    elif status is None and current.target is not None and current.status.is_open:
        known = rules.current_evidence([*existing, evidence], clock.today)
        reached_on = rules.date_target_reached(current.target, known)
        if reached_on is not None:
            total = rules.supporting_total(current.target, known)
            reason = (
                f"supporting quantities reached the target ({Quantity(total, current.target.unit)} of {current.target})"
            )
            after = current.with_changes(status=Status.FULFILLED)
            current = recorder.save(current, after, reason, max(reached_on, pledge.made_on), evidence.id)
            changes.append("target reached, now fulfilled")
    return EvidenceResult(evidence=evidence, pledge=current, changes=tuple(changes))


def remove_pledge(session: Session, clock: Clock, reference: str) -> Pledge:
    """Remove a pledge and its evidence; history keeps the whole record so nothing is lost."""
    pledge = session.resolve(reference)
    evidence = session.evidence_for(pledge.id)
    snapshot = {
        "pledge": pledge.to_dict(),
        "evidence": {str(item.id): item.to_dict() for item in evidence},
    }
    session.remove_pledge(pledge.id)
    Recorder(session, clock).record(pledge.id, "pledge", snapshot, None, "pledge removed", clock.today)
    return pledge


@dataclass(frozen=True, slots=True)
class Reversal:
    """What an undo or redo reverted, in plain words, one block per change."""

    verb: str
    descriptions: tuple[tuple[str, ...], ...]


def plan_undo(session: Session, count: int) -> Reversal:
    """What `undo count` would revert, checked, without changing anything."""
    found = journal.to_undo(session.tables, count)
    return Reversal("undo", tuple(tuple(journal.describe(change)) for change in found))


def plan_redo(session: Session) -> Reversal:
    found = journal.to_redo(session.tables)
    return Reversal("redo", tuple(tuple(journal.describe(change)) for change in found))


def _revert(session: Session, changes: list[journal.Change]) -> None:
    """Put back the before-images of each change, newest first, refusing if a record moved on."""
    for change in changes:
        journal.check_current(session.tables, change, "after")
        for item in reversed(change.records or ()):
            session.put_record(item.table, item.record_id, item.before)
        session.tables[JOURNAL][str(change.number)]["reverted_by"] = session.change


def undo(session: Session, count: int) -> Reversal:
    """Revert the last `count` commands; the undo is itself a change that `redo` reverts."""
    plan = plan_undo(session, count)
    found = journal.to_undo(session.tables, count)
    _revert(session, found)
    session.journal_kind = journal.KIND_UNDO
    session.journal_reverts = tuple(change.number for change in found)
    return plan


def redo(session: Session) -> Reversal:
    """Revert the last undo, so the commands it reverted take effect again (and can be undone again)."""
    plan = plan_redo(session)
    found = journal.to_redo(session.tables)
    _revert(session, found)
    for number in found[0].reverts:
        entry = session.tables[JOURNAL].get(str(number))
        if entry is not None:
            entry["reverted_by"] = None
    session.journal_kind = journal.KIND_REDO
    session.journal_reverts = (found[0].number,)
    return plan
