"""The undo journal: what each writing command changed, so that it can be reverted.

Every command that writes records, for each record it touched, the record before and after
(None where there was none). `undo` puts the before-images back; that is itself a change,
so `redo` can put the after-images back. Ids are never reverted: a removed id stays used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracker.errors import BadInputError
from tracker.migrations import JOURNAL
from tracker.model import field_text

# Past this many records a change (a large import) is not kept: `tracker restore` covers it.
MAX_RECORDS = 5_000
KEPT_CHANGES = 100

KIND_CHANGE, KIND_UNDO, KIND_REDO = "change", "undo", "redo"


@dataclass(frozen=True, slots=True)
class Touched:
    table: str
    record_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Change:
    number: int
    kind: str
    recorded_at: str
    records: tuple[Touched, ...] | None
    reverts: tuple[int, ...]
    reverted_by: int | None

    @classmethod
    def from_dict(cls, number: int, data: dict[str, Any]) -> Change:
        records = data.get("records")
        return cls(
            number=number,
            kind=data.get("kind", KIND_CHANGE),
            recorded_at=data.get("recorded_at", ""),
            records=tuple(Touched(*item) for item in records) if records is not None else None,
            reverts=tuple(data.get("reverts") or ()),
            reverted_by=data.get("reverted_by"),
        )


def entry(
    kind: str,
    recorded_at: str,
    touched: list[Touched] | None,
    reverts: tuple[int, ...] = (),
    *,
    record_count: int | None = None,
) -> dict[str, Any]:
    """The stored form of a change; too large a change keeps only its size.

    `touched` may be None when `record_count` (more than MAX_RECORDS) says how many there were.
    """
    count = len(touched) if touched is not None else record_count or 0
    records = (
        [[item.table, item.record_id, item.before, item.after] for item in touched]
        if touched is not None and count <= MAX_RECORDS
        else None
    )
    return {
        "kind": kind,
        "recorded_at": recorded_at,
        "records": records,
        "record_count": count,
        "reverted_by": None,
        "reverts": list(reverts),
    }


def changes(tables: dict[str, Any]) -> list[Change]:
    """The journal, newest first."""
    journal = tables.get(JOURNAL, {})
    return sorted((Change.from_dict(int(key), data) for key, data in journal.items()), key=lambda c: -c.number)


def to_undo(tables: dict[str, Any], count: int) -> list[Change]:
    """The last `count` commands not undone yet, newest first."""
    if count < 1:
        raise BadInputError("give a number of changes to undo, 1 or more")
    candidates = [c for c in changes(tables) if c.kind == KIND_CHANGE and c.reverted_by is None]
    return _usable(candidates[:count], count, "undo")


def to_redo(tables: dict[str, Any]) -> list[Change]:
    """The last undo not redone yet (one undo may have reverted several commands), as long as
    no new command came after it: a new change ends what can be redone, as in any editor."""
    for change in changes(tables):
        if change.kind == KIND_CHANGE:
            break
        if change.kind == KIND_UNDO and change.reverted_by is None:
            return _usable([change], 1, "redo")
    return _usable([], 1, "redo")


def _usable(found: list[Change], wanted: int, verb: str) -> list[Change]:
    if not found:
        if verb == "redo":
            raise BadInputError("nothing to redo: no undo is waiting to be redone")
        raise BadInputError(f"nothing to undo: the journal keeps the last {KEPT_CHANGES} changes, and none is left")
    if len(found) < wanted:
        what = "1 change" if len(found) == 1 else f"{len(found)} changes"
        raise BadInputError(f"only {what} can be undone; the journal keeps the last {KEPT_CHANGES}")
    for change in found:
        if change.records is None:
            raise BadInputError(
                f"change {change.number} touched too many records to be kept in the journal; "
                "`tracker restore` puts the store back as it was before the last write"
            )
    return found


def _title(record: dict[str, Any] | None) -> str:
    return f"'{' '.join(str(record.get('title', '')).split())}'" if record else ""


def describe(change: Change) -> list[str]:
    """What putting back the before-images of `change` does, in plain words: which pledge,
    which fields, from what to what."""
    name = "change" if change.kind == KIND_CHANGE else change.kind
    lines = [f"{name} {change.number}, recorded {change.recorded_at or 'at an unknown time'}:"]
    log_removed = log_restored = 0
    for item in change.records or ():
        now, then = item.after, item.before
        if item.table == "history":
            log_removed += then is None
            log_restored += now is None
        elif item.table == "pledges":
            if then is None:
                lines.append(f"  remove pledge {item.record_id} {_title(now)}")
            elif now is None:
                lines.append(f"  put back pledge {item.record_id} {_title(then)}")
            else:
                fields = [key for key in sorted(then) if key != "updated_at" and then.get(key) != now.get(key)]
                for key in fields:
                    change_text = f"{field_text(now.get(key), 'none')} → {field_text(then.get(key), 'none')}"
                    lines.append(f"  pledge {item.record_id} {_title(then)}: {key} {change_text}")
        elif item.table == "evidence":
            record = now or then or {}
            verb = "remove" if then is None else "put back" if now is None else "restore"
            summary = " ".join(str(record.get("summary", "")).split())
            lines.append(f"  {verb} evidence {item.record_id} of pledge {record.get('pledge_id')}: '{summary}'")
    for verb, count in (("remove", log_removed), ("put back", log_restored)):
        if count:
            lines.append(f"  {verb} {count} log {'entry' if count == 1 else 'entries'}")
    return lines


def check_current(tables: dict[str, Any], change: Change, expected: str) -> None:
    """Refuse to revert a change whose records were changed since by something not undone."""
    for item in change.records or ():
        wanted = item.after if expected == "after" else item.before
        current = tables.get(item.table, {}).get(str(item.record_id))
        if current != wanted:
            raise BadInputError(
                f"{item.table} record {item.record_id} has changed since change {change.number}; "
                "undo the later changes first"
            )


def trim(journal: dict[str, Any]) -> None:
    for key in sorted(journal, key=int)[:-KEPT_CHANGES]:
        del journal[key]
