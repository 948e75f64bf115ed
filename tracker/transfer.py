"""Export and import: the lossless JSON document, spreadsheets (CSV) and calendars (ICS).

Pure functions over a store `Session`: nothing here prints, exits or touches a file. The caller
runs an import inside `Store.transaction()`, so an import that raises writes nothing.

The JSON export is the whole store, lossless: every pledge, evidence item and history entry with
its id and stored fields, sorted by id. Importing it into an empty store keeps every id, so
`import` then `export` gives the same bytes. Into a store that already has pledges, pledges are
matched by `uuid`:

- an identical pledge is skipped, and only its missing evidence (matched by content) is added;
- a new pledge keeps its id when that id was never used here, otherwise it gets a fresh one, and
  its evidence and history follow it (ids remapped);
- a pledge whose fields differ (created_at and updated_at aside) is a conflict: the import is
  refused as a whole, or with `force` the file's version wins and each overwritten field is
  written to history with the reason "imported", effective when the file's history says the
  value took effect (today if it does not say);
- the history of a pledge removed in the file (kept in its "pledge removed" entry) is added unless
  this store already knows the pledge; a pledge removed in the file but present here is kept and
  reported in `ImportResult.removed_in_file`.

History entries of a pledge that exists on both sides are not merged: the store keeps its own.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import chain, repeat
from typing import Any, NamedTuple

import orjson

from tracker.dates import ANCHORS, PRECISIONS, Deadline, parse_date
from tracker.errors import BadInputError
from tracker.layout import parse_in_runs
from tracker.ledger import Clock, Recorder, SourceInput, add_pledge
from tracker.migrations import SCHEMA_VERSION
from tracker.model import (
    PLAIN_URL,
    Category,
    Condition,
    Evidence,
    HistoryEntry,
    JSONDict,
    Pledge,
    Quantity,
    Source,
    Stance,
    Status,
    build_records,
    by_id,
    parse_category,
    parse_status,
)
from tracker.rules import PledgeState
from tracker.store import Session

FORMAT = "tracker-export"
IMPORTED = "imported"
# Problems listed in one error before the rest are only counted.
MAX_PROBLEMS = 50
# Record ids and change numbers in a file: far below what the store's format accepts (18 digits),
# so that fresh ids and change numbers handed out after them still fit.
MAX_ID = 10**12 - 1

CSV_COLUMNS = (
    "title", "actors", "recipients", "made_on", "deadline", "target", "category", "tags", "source_url", "status",
    "condition",
)  # fmt: skip
# Written by export_csv, accepted and ignored by import_csv, so an export imports back.
CSV_DERIVED_COLUMNS = ("id", "uuid", "overdue", "progress")
CSV_EXPORT_COLUMNS = ("id", "uuid", *CSV_COLUMNS, "overdue", "progress")
CSV_REQUIRED_COLUMNS = ("title", "actors")
LIST_SEPARATOR = ";"

ICS_PRODID = "-//tracker//pledges//EN"


# Results and errors ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Conflict:
    """A pledge whose uuid is already in the store with different fields."""

    pledge_id: int  # its id in this store
    uuid: str
    fields: tuple[str, ...]
    file_id: int  # its id in the imported file

    def describe(self) -> str:
        return f"pledge {self.pledge_id} (uuid {self.uuid}) differs in: {', '.join(self.fields)}"


class ImportConflictError(BadInputError):
    """The file changes pledges the store already has; nothing was imported (exit 1)."""

    def __init__(self, conflicts: Sequence[Conflict]) -> None:
        self.conflicts = tuple(conflicts)
        count = len(self.conflicts)
        lines = [
            f"the file conflicts with {count} pledge{'s' if count != 1 else ''} already in the store; "
            "nothing was imported (use --force to let the file's version win):",
            *(f"  {conflict.describe()}" for conflict in self.conflicts),
        ]
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did. Ids are this store's ids."""

    added: tuple[int, ...] = ()  # new pledges
    matched: tuple[int, ...] = ()  # pledges already here with the same fields (skipped)
    overwritten: tuple[int, ...] = ()  # conflicting pledges replaced by the file's version (force)
    evidence_added: int = 0
    history_added: int = 0
    conflicts: tuple[Conflict, ...] = ()  # with force: the conflicts that were overwritten
    renumbered: tuple[tuple[int, int], ...] = ()  # (id in the file, id here) of new pledges whose id was taken
    removed_in_file: tuple[int, ...] = ()  # pledges removed in the file but kept here

    @property
    def changed(self) -> bool:
        return bool(self.added or self.overwritten or self.evidence_added or self.history_added)

    def summary(self) -> str:
        """One line for the user: what was added, overwritten, renumbered or left alone."""
        parts = []
        if self.added:
            parts.append(f"added {_counted(len(self.added), 'pledge')} ({_id_list(self.added)})")
        if self.overwritten:
            overwritten = _counted(len(self.overwritten), "pledge")
            parts.append(f"overwrote {overwritten} with the file's version ({_id_list(self.overwritten)})")
        if self.evidence_added:
            parts.append(f"added {_counted(self.evidence_added, 'evidence item')}")
        if self.changed and not parts:
            parts.append(f"added {_counted(self.history_added, 'history entry', 'history entries')}")
        if not self.changed:
            parts.append("nothing to import")
        if self.matched:
            parts.append(f"{_counted(len(self.matched), 'pledge')} already here")
        if self.renumbered:
            parts.append("new ids: " + ", ".join(f"{old} → {new}" for old, new in self.renumbered))
        if self.removed_in_file:
            parts.append(f"removed in the file but kept here: {_id_list(self.removed_in_file)}")
        return "; ".join(parts)


def _counted(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _id_list(ids: Sequence[int]) -> str:
    """Ids with runs shortened: "ids 1-3, 5", or "id 4" for one."""
    runs: list[list[int]] = []
    for each in sorted(ids):
        if runs and each == runs[-1][-1] + 1:
            runs[-1].append(each)
        else:
            runs.append([each])
    text = ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 2 else ", ".join(map(str, run)) for run in runs)
    return f"id{'s' if len(ids) > 1 else ''} {text}"


# Export ----------------------------------------------------------------------------------------
def export_document(session: Session) -> JSONDict:
    """The whole store as one document; `tracker.render.json.dumps` renders it byte-stable."""
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "pledges": [{"id": pledge.id, **pledge.to_dict()} for pledge in sorted(session.pledges(), key=by_id)],
        "evidence": [{"id": item.id, **item.to_dict()} for item in sorted(session.evidence(), key=by_id)],
        "history": [{"id": entry.id, **entry.to_dict()} for entry in sorted(session.history(), key=by_id)],
    }


def read_document(data: str | bytes | memoryview) -> object:
    """Parse the text of an export file; refuse anything that is not JSON."""
    if not isinstance(data, str):
        document = _parse_in_chunks(data if isinstance(data, bytes) else bytes(data))
        if document is not None:
            return document
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise BadInputError(f"the file is not JSON ({error}); give a file written by `tracker export json`") from None


# How much of an export `_parse_in_chunks` parses at a time (see `tracker.store._CHUNK_BYTES`).
_CHUNK_BYTES = 1 << 18
_MEMBER_LINE = b'\n  "'
_NEXT_MEMBER = b"," + _MEMBER_LINE
_LIST_OF_OBJECTS = b"[\n    {"
_NEXT_ELEMENT = b",\n    {"
_LIST_END = b"\n  ]"


def _parse_in_chunks(raw: bytes, size: int = _CHUNK_BYTES) -> dict[str, Any] | None:
    """The document in `raw` parsed about `size` bytes at a time, if it is laid out as `export
    json` writes it (an object, two-space indent, its large values lists of objects); None
    otherwise, and the caller parses it whole, which also tells what is wrong with a file that is
    not JSON.

    The parser builds its own tree of the whole input before it makes Python objects of it, so
    parsing a large export whole needs several times the file in memory at its peak; parsed a
    list's elements at a time (`layout.parse_in_runs`), it needs little more than the objects
    made. A member's value that is not such a list is parsed alone, in brackets to be as deep as
    in the file; a split that is not between members leaves brackets that do not match.
    """
    data = memoryview(raw)
    end = len(raw)
    while end and raw[end - 1] in b" \t\r\n":
        end -= 1
    end -= 2  # at the newline before the closing brace
    if not raw.startswith(b"{") or end < 1 or not raw.startswith(b"\n}", end):
        return None
    document: dict[str, Any] = {}
    position = 1
    try:
        while True:
            colon = raw.find(b'": ', position)
            if not raw.startswith(_MEMBER_LINE, position) or colon == -1:
                return None
            key = orjson.loads(data[position + len(_MEMBER_LINE) - 1 : colon + 1])
            value_at = colon + 3
            if raw.startswith(_LIST_OF_OBJECTS, value_at):
                document[key], position = _list_in_chunks(raw, value_at, size)
            else:
                member_end = raw.find(_NEXT_MEMBER, value_at, end)
                position = end if member_end == -1 else member_end
                document[key] = _one(orjson.loads(b"".join((b"[", data[value_at:position], b"]"))))
            if position == end:
                return document
            if not raw.startswith(b",", position):
                return None
            position += 1
    except (orjson.JSONDecodeError, _NotLaidOutError):
        return None


class _NotLaidOutError(Exception):
    """A list is not where `export json` puts it: the file is parsed whole instead."""


def _one(wrapped: list[Any]) -> Any:
    """What was put in a list to be parsed as deep as in the file: it must be one value (a piece
    that closes the list and opens another, or is empty, is no value of the file)."""
    if len(wrapped) != 1:
        raise _NotLaidOutError
    return wrapped[0]


def _list_in_chunks(raw: bytes, start: int, size: int) -> tuple[list[Any], int]:
    """The list of objects whose value starts at `start`, and where it ends, parsed about `size`
    bytes at a time (`layout.parse_in_runs`)."""
    items: list[Any] = []

    def take(elements: list[Any], begin: int, end: int) -> bool:
        items.extend(elements)
        return True

    close = parse_in_runs(raw, start + 1, size, _NEXT_ELEMENT, _LIST_END, (b"[[", b"]]"), take)
    if close is None:
        raise _NotLaidOutError
    return items, close + len(_LIST_END)


# Validation of a document ----------------------------------------------------------------------
Check = Callable[[Any], "str | None"]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _record_id(value: Any) -> str | None:
    if type(value) is int and 1 <= value <= MAX_ID:  # the usual case, without the isinstance pair
        return None
    return None if _is_int(value) and 1 <= value <= MAX_ID else "must be a whole number from 1"


def _optional_record_id(value: Any) -> str | None:
    return None if value is None else _record_id(value)


def _change_number(value: Any) -> str | None:
    return None if _is_int(value) and 0 <= value <= MAX_ID else "must be a whole number from 0"


def _nonblank(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be non-empty text"


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be text"


def _optional_text(value: Any) -> str | None:
    return None if value is None or isinstance(value, str) else "must be text or null"


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _names(required: bool) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            return "must be a list of non-empty texts"
        if required and not value:
            return "must name at least one"
        return None

    return check


def _iso_date(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            if date.fromisoformat(value).isoformat() == value:
                return None
        except ValueError:
            pass
    return "must be a date like 2021-04-07"


def _optional_iso_date(value: Any) -> str | None:
    return None if value is None else _iso_date(value)


def _timestamp(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        try:
            datetime.fromisoformat(value)
            return None
        except ValueError:
            pass
    return "must be a time like 2026-11-29T12:00:00Z"


# The one form `str(uuid.UUID(...))` writes: a text in it is a uuid exactly when it matches.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch


def _uuid(value: Any) -> str | None:
    if isinstance(value, str) and _CANONICAL_UUID(value):
        return None
    return "must be a uuid in lower case, like 0c6f2c7e-5b1a-4c43-9f55-4d7c1c1b2f10"


def _member(kind: type[Status] | type[Category] | type[Stance]) -> Check:
    accepted = [member.value for member in kind]

    def check(value: Any) -> str | None:
        return None if value in accepted else f"must be one of {', '.join(accepted)}"

    return check


def _source(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        return "must be null or {url, title, publisher} with text or null values"
    url, title, publisher = value.get("url"), value.get("title"), value.get("publisher")
    if (
        (url is None or (type(url) is str and PLAIN_URL(url)))
        and (title is None or type(title) is str)
        and (publisher is None or type(publisher) is str)
    ):
        return None  # what Source.parse accepts at once (nearly every source): nothing to build
    if _optional_text(url) or _optional_text(title) or _optional_text(publisher):
        return "must be null or {url, title, publisher} with text or null values"
    try:
        Source.parse(url, title, publisher)
    except BadInputError as error:
        return str(error)
    return None


def _quantity(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        number, unit = value.get("value"), value.get("unit")
        if (
            isinstance(number, int | float)
            and not isinstance(number, bool)
            # An integer beyond what JSON stores; before isfinite, which cannot take one beyond a float.
            and _json_problem(number) is None
            and math.isfinite(number)
            and number > 0
            and isinstance(unit, str)
            and unit.strip()
        ):
            return None
    return "must be null or {value, unit} with a positive number and a unit"


def _deadline(value: Any) -> str | None:
    if value is None:
        return None
    if (
        not isinstance(value, dict)
        or _nonblank(value.get("text"))
        or value.get("precision") not in PRECISIONS
        or value.get("anchor") not in ANCHORS
        or _optional_iso_date(value.get("date"))
    ):
        return (
            "must be null or {text, date, precision, anchor}: precision one of "
            f"{', '.join(PRECISIONS)}, anchor one of {', '.join(ANCHORS)}"
        )
    if value.get("date") is None and value.get("anchor") != "condition":
        return "has no date, which only a deadline counted from a condition may lack"
    return None


def _condition(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict) or _nonblank(value.get("text")) or _optional_iso_date(value.get("met_on")):
        return "must be null or {text, met_on} with a non-empty text and a date or null"
    return None


# Deeper than any value tracker stores (a removed pledge's record is four levels), and well within
# what the JSON writer takes (it refuses more than 254 levels in all, the store's own included).
MAX_NESTING = 100


def _json_problem(value: Any, depth: int = 0) -> str | None:
    """Why a value cannot be stored as JSON unchanged (orjson refuses big integers and deep
    nesting, turns NaN into null)."""
    if value is None or type(value) is str:  # nearly every value: answered before any isinstance
        return None
    if isinstance(value, str | bool):
        return None
    if isinstance(value, int):
        return None if -(2**63) <= value < 2**64 else f"holds a number too large to store ({value})"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"holds a number that JSON cannot store ({value})"
    if isinstance(value, list | dict) and depth >= MAX_NESTING:
        return f"holds lists or objects nested more than {MAX_NESTING} deep"
    if isinstance(value, list):
        for item in value:
            if item is not None and type(item) is not str and (problem := _json_problem(item, depth + 1)):
                return problem
        return None
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                return "holds an object with a key that is not text"
        for item in value.values():
            if item is not None and type(item) is not str and (problem := _json_problem(item, depth + 1)):
                return problem
        return None
    return f"holds a value that is not JSON ({type(value).__name__})"


# Each check above, asked of a whole column (one field's values across a table's records): does
# every value pass? Answered in loops that run in C (`map`, `set`, `min`) where it can be, for an
# import of a large export, whose half a million records are nearly always sound. A column
# that fails is checked again value by value, which says where and why.
ColumnCheck = Callable[[list[Any]], bool]
_NoneType = type(None)
# The values that are not None, filtered in C.
_present = functools.partial(filter, functools.partial(operator.is_not, None))


def _only(values: Iterable[Any], *types: type) -> bool:
    return set(map(type, values)) <= set(types)


def _all_within(low: int, high: int) -> ColumnCheck:
    return lambda values: _only(values, int) and (not values or (min(values) >= low and max(values) <= high))


_all_record_ids = _all_within(1, MAX_ID)


def _all_optional_record_ids(values: list[Any]) -> bool:
    return _all_record_ids(list(_present(values)))


def _all_nonblank(values: list[Any]) -> bool:
    return _only(values, str) and all(map(str.strip, values))


def _all_texts(values: list[Any]) -> bool:
    return _only(values, str)


def _all_optional_texts(values: list[Any]) -> bool:
    return _only(values, str, _NoneType)


def _all_flags(values: list[Any]) -> bool:
    return _only(values, bool)


def _all_json(values: list[Any]) -> bool:
    return not any(map(_json_problem, values))


def _all_names(required: bool) -> ColumnCheck:
    def check(values: list[Any]) -> bool:
        if not _only(values, list):
            return False
        return _all_nonblank(list(chain.from_iterable(values))) and (not required or all(values))

    return check


def _all_iso_dates(values: list[Any]) -> bool:
    if not _only(values, str):
        return False
    try:
        return list(map(date.isoformat, map(date.fromisoformat, values))) == values
    except ValueError:
        return False


def _all_optional_iso_dates(values: list[Any]) -> bool:
    return _all_iso_dates(list(_present(values)))


def _all_timestamps(values: list[Any]) -> bool:
    if not _only(values, str):
        return False
    try:
        for value in values:
            datetime.fromisoformat(value)
    except ValueError:
        return False
    return True  # a text that reads as a time is not blank


def _all_uuids(values: list[Any]) -> bool:
    return _only(values, str) and all(map(_CANONICAL_UUID, values))


def _all_members(kind: type[Status] | type[Category] | type[Stance]) -> ColumnCheck:
    accepted = {member.value for member in kind}
    return lambda values: _only(values, str) and set(values) <= accepted


def _objects_with(fields: Iterable[str], values: list[Any]) -> list[dict[str, Any]] | None:
    """The values that are not null, if each is an object with exactly `fields`; else None."""
    objects = list(_present(values))
    if not _only(objects, dict) or not all(map(operator.eq, map(dict.keys, objects), repeat(set(fields)))):
        return None
    return objects


def _values_of(objects: list[dict[str, Any]], name: str) -> list[Any]:
    return list(map(operator.itemgetter(name), objects))


def _all_sources(values: list[Any]) -> bool:
    sources = _objects_with(Source._fields, values)
    if sources is None:
        return False
    urls = list(_present(_values_of(sources, "url")))
    return (
        _only(urls, str)
        and all(map(PLAIN_URL, urls))
        and _all_optional_texts(_values_of(sources, "title"))
        and _all_optional_texts(_values_of(sources, "publisher"))
    )


def _all_quantities(values: list[Any]) -> bool:
    quantities = _objects_with(Quantity._fields, values)
    if quantities is None:
        return False
    numbers = _values_of(quantities, "value")
    return (
        _only(numbers, int, float)
        and _all_json(numbers)  # as in `_quantity`, before isfinite
        and all(map(math.isfinite, numbers))
        and (not numbers or min(numbers) > 0)
        and _all_nonblank(_values_of(quantities, "unit"))
    )


def _all_deadlines(values: list[Any]) -> bool:
    deadlines = _objects_with(Deadline._fields, values)
    if deadlines is None:
        return False
    days, anchors = _values_of(deadlines, "date"), _values_of(deadlines, "anchor")
    precisions = _values_of(deadlines, "precision")
    return (
        _all_nonblank(_values_of(deadlines, "text"))
        and _only(precisions, str)
        and set(precisions) <= set(PRECISIONS)
        and _only(anchors, str)
        and set(anchors) <= set(ANCHORS)
        and _all_optional_iso_dates(days)
        and {anchor for day, anchor in zip(days, anchors, strict=True) if day is None} <= {"condition"}
    )


def _all_conditions(values: list[Any]) -> bool:
    conditions = _objects_with(Condition._fields, values)
    return (
        conditions is not None
        and _all_nonblank(_values_of(conditions, "text"))
        and _all_optional_iso_dates(_values_of(conditions, "met_on"))
    )


class _Field(NamedTuple):
    required: bool
    check: Check  # one value: why it fails, or None
    check_all: ColumnCheck  # a column: does every value pass `check`?


PLEDGE_FIELDS: dict[str, _Field] = {
    "uuid": _Field(True, _uuid, _all_uuids),
    "title": _Field(True, _nonblank, _all_nonblank),
    "actors": _Field(True, _names(required=True), _all_names(required=True)),
    "made_on": _Field(True, _iso_date, _all_iso_dates),
    "status": _Field(True, _member(Status), _all_members(Status)),
    "category": _Field(True, _member(Category), _all_members(Category)),
    "created_at": _Field(True, _timestamp, _all_timestamps),
    "updated_at": _Field(True, _timestamp, _all_timestamps),
    "recipients": _Field(False, _names(required=False), _all_names(required=False)),
    "tags": _Field(False, _names(required=False), _all_names(required=False)),
    "text": _Field(False, _optional_text, _all_optional_texts),
    "venue": _Field(False, _optional_text, _all_optional_texts),
    "notes": _Field(False, _optional_text, _all_optional_texts),
    "source": _Field(False, _source, _all_sources),
    "target": _Field(False, _quantity, _all_quantities),
    "deadline": _Field(False, _deadline, _all_deadlines),
    "condition": _Field(False, _condition, _all_conditions),
}
EVIDENCE_FIELDS: dict[str, _Field] = {
    "pledge_id": _Field(True, _record_id, _all_record_ids),
    "observed_on": _Field(True, _iso_date, _all_iso_dates),
    "recorded_at": _Field(True, _timestamp, _all_timestamps),
    "summary": _Field(True, _nonblank, _all_nonblank),
    "stance": _Field(True, _member(Stance), _all_members(Stance)),
    "source": _Field(False, _source, _all_sources),
    "quantity": _Field(False, _quantity, _all_quantities),
    "meets_condition": _Field(False, _flag, _all_flags),
    "supersedes": _Field(False, _optional_record_id, _all_optional_record_ids),
}
HISTORY_FIELDS: dict[str, _Field] = {
    "pledge_id": _Field(True, _record_id, _all_record_ids),
    "field": _Field(True, _nonblank, _all_nonblank),
    "effective_on": _Field(True, _iso_date, _all_iso_dates),
    "recorded_at": _Field(True, _timestamp, _all_timestamps),
    # Any value: the one check is that JSON stores it as it is. Every other check admits only
    # values that JSON stores.
    "old": _Field(False, _json_problem, _all_json),
    "new": _Field(False, _json_problem, _all_json),
    "reason": _Field(False, _text, _all_texts),
    "change": _Field(False, _change_number, _all_within(0, MAX_ID)),
    "evidence_id": _Field(False, _optional_record_id, _all_optional_record_ids),
}


@dataclass(frozen=True, slots=True)
class _Removed:
    """A pledge removed in the file: what its "pledge removed" history entry kept of it."""

    uuid: str
    evidence_ids: frozenset[int]


@dataclass(slots=True)
class _Document:
    pledges: list[Pledge] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    removed: dict[int, _Removed] = field(default_factory=dict)  # by the removed pledge's id in the file
    # The stored form of each record, by table and id, as validation built it (ids are unique
    # once the document is valid): the writes use these instead of building them again.
    stored: dict[str, dict[int, JSONDict]] = field(default_factory=dict)


class _Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, where: str, why: str) -> None:
        self.lines.append(f"{where}: {why}")

    def raise_any(self, heading: str) -> None:
        if not self.lines:
            return
        shown = self.lines[:MAX_PROBLEMS]
        more = len(self.lines) - len(shown)
        tail = [f"  ... and {more} more"] if more else []
        raise BadInputError("\n".join([heading, *(f"  {line}" for line in shown), *tail]))


class _Table(NamedTuple):
    """A table of the document, and what its records must be."""

    name: str
    kind: str  # what the table holds, in messages
    fields: Mapping[str, _Field]
    record_type: type[Pledge] | type[Evidence] | type[HistoryEntry]


_PLEDGES = _Table("pledges", "pledge", PLEDGE_FIELDS, Pledge)
_EVIDENCE = _Table("evidence", "evidence", EVIDENCE_FIELDS, Evidence)
_HISTORY = _Table("history", "history entry", HISTORY_FIELDS, HistoryEntry)

# Records checked and built together by `_load_block`: enough that each field's loop runs long
# in C, few enough that they stay in the processor's cache from one field's loop to the next
# (a field at a time across a whole large table is no faster than a record at a time, each loop
# fetching every record from memory again).
_BLOCK = 1024


def _load_records(
    raw: Any,
    table: _Table,
    problems: _Problems,
    stored_forms: dict[int, JSONDict],
    reuse_records: bool,
    block: int = _BLOCK,
) -> list[Any]:
    """Check every record of one table of the document and load the sound ones (their stored
    forms go to `stored_forms`, by id). With `reuse_records`, each record of a block checked
    at once (`_load_block`) is kept as its stored form, its id taken out, instead of being
    copied."""
    if not isinstance(raw, list):
        problems.add(f'"{table.name}"', "must be a list of records")
        return []
    # A record given twice (only a caller in Python can) would lose its id the second time.
    reuse_records = reuse_records and len(set(map(id, raw))) == len(raw)
    loaded: list[Any] = []
    for start in range(0, len(raw), block):
        records = raw[start : start + block]
        at_once = _load_block(records, table, stored_forms, reuse_records)
        loaded += at_once if at_once is not None else _load_each(records, start, table, problems, stored_forms)
    return loaded


def _load_block(
    records: list[Any], table: _Table, stored_forms: dict[int, JSONDict], reuse_records: bool
) -> list[Any] | None:
    """The usual records, each an object with exactly the fields of its stored form and every
    value sound, checked and built a field at a time across them all: about twice as fast as a
    record at a time. None if any record is otherwise, before anything is changed, for
    `_load_each` to check each and say what is wrong."""
    names = ("id", *table.fields)
    # Objects with as many fields as `names`, and each of those (or a KeyError below): exactly those.
    if not _only(records, dict) or set(map(len, records)) != {len(names)}:
        return None
    try:
        columns = {name: _values_of(records, name) for name in names}
    except KeyError:
        return None
    ids = columns["id"]
    if not _all_record_ids(ids) or not all(rule.check_all(columns[name]) for name, rule in table.fields.items()):
        return None
    loaded = build_records(table.record_type, ids, columns)
    forms = records if reuse_records else list(map(dict, records))
    for form in forms:
        del form["id"]
    stored_forms.update(zip(ids, forms, strict=True))
    return loaded


def _load_each(
    records: list[Any], first_index: int, table: _Table, problems: _Problems, stored_forms: dict[int, JSONDict]
) -> list[Any]:
    """The records checked one at a time, naming each problem: those of a block with any record
    that is not the usual stored form (an optional field left out, say) or not sound. A sound
    record is read, and kept only if it reads back to what the file says."""
    loaded = []
    spec = table.fields
    for index, record in enumerate(records, start=first_index):
        if not isinstance(record, dict):
            problems.add(f"{table.name}[{index}]", "is not an object")
            continue
        if _record_id(record.get("id")):
            problems.add(f"{table.name}[{index}]", "has no id (a whole number from 1)")
            continue
        record_id: int = record["id"]
        where = f"{table.kind} {record_id} ({table.name}[{index}])"
        fields = {key: value for key, value in record.items() if key != "id"}
        found = [f"unknown field '{key}'" for key in fields if key not in spec]
        for key, (required, check, _) in spec.items():
            if key not in fields:
                if required:
                    found.append(f"missing field '{key}'")
            elif why := check(fields[key]):
                found.append(f"{key} {why}")
        if found:
            problems.add(where, "; ".join(found))
            continue
        try:
            item = table.record_type.from_dict(record_id, fields)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            problems.add(where, f"cannot be read ({error})")
            continue
        # Whatever survives the checks must read back to exactly what the file says.
        stored = item.to_dict()
        for key, value in fields.items():
            if stored.get(key) != value:
                expected = orjson.dumps(stored.get(key)).decode()
                problems.add(where, f"{key} is not in the stored form (expected {expected})")
                break
        else:
            loaded.append(item)
            stored_forms[record_id] = stored
    return loaded


def _duplicates(ids: Iterable[int]) -> list[int]:
    return sorted(each for each, count in Counter(ids).items() if count > 1)


def _removal(entry: HistoryEntry) -> tuple[str, frozenset[int]] | str | None:
    """The uuid and evidence ids kept by a "pledge removed" entry; None if it is no removal; a problem text."""
    if entry.field != "pledge" or not isinstance(entry.old, dict) or "pledge" not in entry.old:
        return None
    kept = entry.old
    pledge = kept.get("pledge")
    evidence = kept.get("evidence", {})
    if not isinstance(pledge, dict) or _uuid(pledge.get("uuid")):
        return "the removed pledge it keeps has no valid uuid"
    if not isinstance(evidence, dict) or any(_record_id(_int_key(key)) for key in evidence):
        return "the evidence it keeps is not an object keyed by evidence ids"
    return str(pledge["uuid"]), frozenset(int(key) for key in evidence)


def _int_key(key: str) -> int | None:
    return int(key) if key.isascii() and key.isdigit() and len(key) <= 18 and str(int(key)) == key else None


def _validate(document: object, reuse_records: bool = False) -> _Document:
    heading = "the file is not a valid tracker export; nothing was imported:"
    if not isinstance(document, dict):
        raise BadInputError("the file is not a tracker export (its top level is not an object); nothing was imported")
    if document.get("format") != FORMAT:
        raise BadInputError(
            f'the file is not a tracker export ("format" is not "{FORMAT}"); '
            "give a file written by `tracker export json`"
        )
    version = document.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BadInputError('the file\'s "schema_version" is missing or not a whole number; nothing was imported')
    if version > SCHEMA_VERSION:
        raise BadInputError(
            f"the file has schema version {version}, newer than this tracker understands ({SCHEMA_VERSION}); "
            "upgrade tracker; nothing was imported"
        )
    unknown = sorted(set(document) - {"format", "schema_version", "pledges", "evidence", "history"})
    if unknown:
        raise BadInputError(f"the file has unknown top-level fields: {', '.join(unknown)}; nothing was imported")

    problems = _Problems()
    stored: dict[str, dict[int, JSONDict]] = {"pledges": {}, "evidence": {}, "history": {}}
    result = _Document(
        pledges=_load_records(document.get("pledges"), _PLEDGES, problems, stored["pledges"], reuse_records),
        evidence=_load_records(document.get("evidence", []), _EVIDENCE, problems, stored["evidence"], reuse_records),
        history=_load_records(document.get("history", []), _HISTORY, problems, stored["history"], reuse_records),
        stored=stored,
    )
    problems.raise_any(heading)

    # Across records: unique ids and uuids, and every reference pointing at something in the file.
    for table, records in (("pledges", result.pledges), ("evidence", result.evidence), ("history", result.history)):
        for duplicate in _duplicates(record.id for record in records):
            problems.add(table, f"id {duplicate} is used by more than one record")
    uuids: dict[str, int] = {}
    for pledge in result.pledges:
        if pledge.uuid in uuids:
            problems.add(f"pledge {pledge.id}", f"has the same uuid as pledge {uuids[pledge.uuid]}")
        uuids.setdefault(pledge.uuid, pledge.id)
        if pledge.deadline is not None and pledge.deadline.anchor == "condition" and pledge.condition is None:
            problems.add(f"pledge {pledge.id}", "has a deadline counted from a condition, but no condition")
    pledge_ids = {pledge.id for pledge in result.pledges}
    evidence_pledge = {item.id: item.pledge_id for item in result.evidence}
    for item in result.evidence:
        if item.pledge_id not in pledge_ids:
            problems.add(f"evidence {item.id}", f"belongs to pledge {item.pledge_id}, which is not in the file")
        if item.supersedes is not None and evidence_pledge.get(item.supersedes) != item.pledge_id:
            problems.add(
                f"evidence {item.id}", f"supersedes evidence {item.supersedes}, not in the file for its pledge"
            )

    removals: dict[int, set[tuple[str, frozenset[int]]]] = defaultdict(set)
    for entry in result.history:
        removal = _removal(entry)
        if isinstance(removal, str):
            problems.add(f"history entry {entry.id}", removal)
        elif removal is not None and entry.pledge_id not in pledge_ids:
            removals[entry.pledge_id].add(removal)
    for pledge_id, kept in removals.items():
        if len({uuid for uuid, _ in kept}) > 1:
            problems.add(f"pledge {pledge_id}", "was removed under more than one uuid")
        else:
            uuid = next(iter(kept))[0]
            result.removed[pledge_id] = _Removed(uuid, frozenset().union(*(ids for _, ids in kept)))
    for entry in result.history:
        where = f"history entry {entry.id}"
        if entry.pledge_id not in pledge_ids and entry.pledge_id not in result.removed:
            problems.add(where, f"belongs to pledge {entry.pledge_id}, neither in the file nor recorded as removed")
        elif entry.evidence_id is not None:
            own = evidence_pledge.get(entry.evidence_id) == entry.pledge_id
            removed = result.removed.get(entry.pledge_id)
            kept_ids = removed.evidence_ids if removed is not None else frozenset()
            if not own and entry.evidence_id not in kept_ids:
                problems.add(where, f"cites evidence {entry.evidence_id}, not in the file for the same pledge")
    problems.raise_any(heading)
    return result


# Import of a document --------------------------------------------------------------------------
COMPARED_EXCLUDED = frozenset({"created_at", "updated_at"})


def _differences(here: Pledge, there: Pledge) -> tuple[str, ...]:
    """The stored fields that differ (times of creation and update are not the pledge's content)."""
    ours, theirs = here.to_dict(), there.to_dict()
    return tuple(key for key in sorted(ours) if key not in COMPARED_EXCLUDED and ours[key] != theirs[key])


def _evidence_key(item: Evidence) -> tuple[object, ...]:
    """What makes two evidence items the same observation, whatever their ids and recording times."""
    return (item.observed_on, item.summary, item.stance, item.quantity, item.source)


def _allocate(wanted: Iterable[int], next_id: int) -> dict[int, int]:
    """Keep each id that was never used here (at or past next_id); give the others fresh ids after them."""
    ids = sorted(set(wanted))
    kept = {each: each for each in ids if each >= next_id}
    fresh = max([next_id, *(each + 1 for each in kept)])
    mapping = dict(kept)
    for each in ids:
        if each not in kept:
            mapping[each] = fresh
            fresh += 1
    return mapping


def _allocate_in_order(wanted: Iterable[int], next_id: int) -> dict[int, int]:
    """Keep the ids if all are unused here (at or past next_id), else move all of them by the same
    amount past next_id: the order of history entries decides which change of a day came last."""
    ids = sorted(set(wanted))
    offset = max(0, next_id - ids[0]) if ids else 0
    return {each: each + offset for each in ids}


def _removed_uuids(history: Iterable[HistoryEntry]) -> set[str]:
    found = set()
    for entry in history:
        removal = _removal(entry)
        if isinstance(removal, tuple):
            found.add(removal[0])
    return found


def _remap_removal(old: Any, pledge_id: int, evidence_map: Mapping[int, int]) -> Any:
    """A "pledge removed" snapshot with its evidence renumbered like the rest of the import."""
    if not isinstance(old, dict) or not isinstance(old.get("evidence"), dict):
        return old
    evidence: JSONDict = {}
    for key, record in old["evidence"].items():
        copy = dict(record) if isinstance(record, dict) else record
        if isinstance(copy, dict):
            if "pledge_id" in copy:
                copy["pledge_id"] = pledge_id
            if _is_int(copy.get("supersedes")) and copy["supersedes"] in evidence_map:
                copy["supersedes"] = evidence_map[copy["supersedes"]]
        evidence[str(evidence_map[int(key)])] = copy
    return {**old, "evidence": evidence}


def _effective_on(name: str, value: Any, history: Iterable[HistoryEntry], today: date) -> date:
    """When the file's value of a field took effect, by the file's own history; today if it does not say."""
    dates = [entry.effective_on for entry in history if entry.field == name and entry.new == value]
    return max(dates, default=today)


def import_document(
    session: Session, clock: Clock, document: object, *, force: bool = False, reuse_records: bool = False
) -> ImportResult:
    """Merge an export document (as parsed from JSON) into the store; see the module's docstring.

    Everything is checked before anything is written: a bad document raises BadInputError naming
    each bad record, conflicts without `force` raise ImportConflictError.

    With `reuse_records`, the caller gives the document up: its records become the stored forms
    (their ids taken out) instead of being copied, which at a large import is a third of the
    memory the records take.
    """
    doc = _validate(document, reuse_records)
    live = {pledge.uuid: pledge for pledge in session.pledges()}
    store_evidence: dict[int, list[Evidence]] = defaultdict(list)
    for item in session.evidence():
        store_evidence[item.pledge_id].append(item)
    file_evidence: dict[int, list[Evidence]] = defaultdict(list)
    for item in sorted(doc.evidence, key=by_id):
        file_evidence[item.pledge_id].append(item)
    file_history: dict[int, list[HistoryEntry]] = defaultdict(list)
    for entry in sorted(doc.history, key=by_id):
        file_history[entry.pledge_id].append(entry)

    # Plan: which pledges are new, the same, or in conflict.
    pledge_map: dict[int, int] = {}
    new_pledges: list[Pledge] = []
    matched: list[int] = []
    overwrites: list[tuple[Pledge, Pledge, Conflict]] = []
    for pledge in sorted(doc.pledges, key=by_id):
        here = live.get(pledge.uuid)
        if here is None:
            new_pledges.append(pledge)
            continue
        pledge_map[pledge.id] = here.id
        fields = _differences(here, pledge)
        if fields:
            overwrites.append((pledge, here, Conflict(here.id, here.uuid, fields, pledge.id)))
        else:
            matched.append(here.id)
    conflicts = tuple(conflict for _, _, conflict in overwrites)
    if conflicts and not force:
        raise ImportConflictError(conflicts)

    known_removed = _removed_uuids(session.history())
    removed_here: list[int] = []
    new_removed: list[int] = []
    for pledge_id, removed in sorted(doc.removed.items()):
        if removed.uuid in live:
            removed_here.append(live[removed.uuid].id)
        elif removed.uuid not in known_removed:
            new_removed.append(pledge_id)

    evidence_map: dict[int, int] = {}
    new_evidence: list[Evidence] = [item for pledge in new_pledges for item in file_evidence[pledge.id]]
    for file_id, store_id in pledge_map.items():
        unclaimed: dict[tuple[object, ...], list[int]] = defaultdict(list)
        for item in sorted(store_evidence[store_id], key=by_id):
            unclaimed[_evidence_key(item)].append(item.id)
        for item in file_evidence[file_id]:
            same = unclaimed[_evidence_key(item)]
            if same:
                evidence_map[item.id] = same.pop(0)
            else:
                new_evidence.append(item)
    new_history = [entry for pledge in new_pledges for entry in file_history[pledge.id]]
    new_history += [entry for pledge_id in new_removed for entry in file_history[pledge_id]]

    next_ids = session.meta["next_ids"]
    pledge_map.update(_allocate([pledge.id for pledge in new_pledges] + new_removed, next_ids["pledges"]))
    # Evidence kept in "pledge removed" entries keeps its ids out of use here too.
    removals = {entry.id: removal for entry in new_history if isinstance(removal := _removal(entry), tuple)}
    removed_evidence = sorted({each for _, ids in removals.values() for each in ids} - set(evidence_map))
    evidence_map.update(_allocate([item.id for item in new_evidence] + removed_evidence, next_ids["evidence"]))
    history_map = _allocate_in_order([entry.id for entry in new_history], next_ids["history"])
    # The file's change numbers follow this store's, keeping the file's grouping and order.
    change_offset = int(session.meta.get("changes", 0))

    # Write: new records first (they move _meta.changes), then overwrites logged under a new change.
    stored = doc.stored
    session.insert_with_ids("pledges", {pledge_map[pledge.id]: stored["pledges"][pledge.id] for pledge in new_pledges})
    for pledge_id in new_removed:
        session.reserve_id("pledges", pledge_map[pledge_id])
    evidence_records: dict[int, JSONDict] = {}
    for item in sorted(new_evidence, key=lambda each: evidence_map[each.id]):
        record = stored["evidence"][item.id]
        record["pledge_id"] = pledge_map[item.pledge_id]
        record["supersedes"] = evidence_map[item.supersedes] if item.supersedes is not None else None
        evidence_records[evidence_map[item.id]] = record
    session.insert_with_ids("evidence", evidence_records)
    for each in removed_evidence:
        session.reserve_id("evidence", evidence_map[each])
    history_records: dict[int, JSONDict] = {}
    for entry in sorted(new_history, key=lambda each: history_map[each.id]):
        record = stored["history"][entry.id]
        record["pledge_id"] = pledge_map[entry.pledge_id]
        record["evidence_id"] = evidence_map[entry.evidence_id] if entry.evidence_id is not None else None
        record["change"] = entry.change + change_offset
        if entry.id in removals:
            record["old"] = _remap_removal(entry.old, record["pledge_id"], evidence_map)
        history_records[history_map[entry.id]] = record
    session.insert_with_ids("history", history_records)

    recorder = Recorder(session, clock)
    logged = 0
    for pledge, here, conflict in overwrites:
        after = pledge.with_changes(id=here.id, created_at=here.created_at, updated_at=clock.now)
        session.update_pledge(after)
        old, new = here.to_dict(), after.to_dict()
        for name in conflict.fields:
            effective_on = _effective_on(name, new[name], file_history[pledge.id], clock.today)
            recorder.record(here.id, name, old[name], new[name], IMPORTED, effective_on)
            logged += 1

    return ImportResult(
        added=tuple(sorted(pledge_map[pledge.id] for pledge in new_pledges)),
        matched=tuple(sorted(matched)),
        overwritten=tuple(sorted(conflict.pledge_id for conflict in conflicts)),
        evidence_added=len(new_evidence),
        history_added=len(new_history) + logged,
        conflicts=conflicts,
        renumbered=tuple(
            (pledge.id, pledge_map[pledge.id]) for pledge in new_pledges if pledge_map[pledge.id] != pledge.id
        ),
        removed_in_file=tuple(sorted(removed_here)),
    )


# CSV -------------------------------------------------------------------------------------------
def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """Every row with the physical line it starts on (the header is line 1)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    last = 0
    try:
        for cells in reader:
            rows.append((last + 1, cells))
            last = reader.line_num
    except csv.Error as error:
        raise BadInputError(f"line {last + 1}: the CSV cannot be read ({error}); nothing was imported") from None
    return rows


def count_csv_rows(text: str) -> int:
    """How many rows after the header `import_csv` will report through `on_row` (for a progress bar)."""
    try:
        return max(len(_csv_rows(text)) - 1, 0)
    except BadInputError:
        return 0


def _csv_header(cells: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    accepted = f"accepted columns: {', '.join(CSV_COLUMNS)} (and {', '.join(CSV_DERIVED_COLUMNS)}, which are ignored)"
    if not any(names):
        raise BadInputError(f"line 1: the first line must be a header naming the columns; {accepted}")
    if "" in names:
        raise BadInputError(f"line 1: column {names.index('') + 1} has no name; {accepted}")
    unknown = [name for name in names if name not in CSV_COLUMNS and name not in CSV_DERIVED_COLUMNS]
    if unknown:
        listed = ", ".join(f"'{name}'" for name in unknown)
        raise BadInputError(f"line 1: unknown column{'s' if len(unknown) > 1 else ''} {listed}; {accepted}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise BadInputError(f"line 1: column{'s' if len(repeated) > 1 else ''} {', '.join(repeated)} given twice")
    missing = [name for name in CSV_REQUIRED_COLUMNS if name not in names]
    if missing:
        raise BadInputError(f"line 1: the header lacks the required column{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(missing)}; {accepted}")  # fmt: skip
    return names


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]


def _column(name: str, read: Callable[[str], Any], cell: str) -> Any:
    try:
        return read(cell)
    except BadInputError as error:
        raise BadInputError(f"{name}: {error}") from None


def _add_row(session: Session, clock: Clock, values: Mapping[str, str]) -> Pledge:
    """One row through the same path as `tracker add`."""

    def cell(name: str) -> str:
        return values.get(name, "")

    made_on = cell("made_on")
    return add_pledge(
        session,
        clock,
        title=cell("title"),
        actors=_split(cell("actors")),
        recipients=_split(cell("recipients")),
        made_on=_column("made_on", lambda text: parse_date(text, clock.today), made_on) if made_on else None,
        deadline=cell("deadline") or None,
        target=cell("target") or None,
        category=_column("category", parse_category, cell("category")) if cell("category") else Category.OTHER,
        tags=_split(cell("tags")),
        source=SourceInput(url=cell("source_url") or None),
        status=_column("status", parse_status, cell("status")) if cell("status") else None,
        condition=cell("condition") or None,
    )


def import_csv(
    session: Session, clock: Clock, text: str, *, on_row: Callable[[int], None] | None = None
) -> ImportResult:
    """Add one pledge per row, each through `ledger.add_pledge`.

    Lists (actors, recipients, tags) are separated by ';'. Blank rows are skipped. Every bad row
    is reported with the line it starts on; if any row is bad, BadInputError lists them all and the
    caller's transaction writes nothing. `on_row(n)` is called after each of the n rows after the
    header (see `count_csv_rows` for the total).
    """
    rows = _csv_rows(text)
    if not rows:
        raise BadInputError(f"the file is empty; its first line must be a header, like {','.join(CSV_COLUMNS)}")
    header = _csv_header(rows[0][1])
    problems: list[str] = []
    added: list[int] = []
    matched: list[int] = []
    # A file from `tracker export csv` names each pledge's uuid: rows already here are skipped and
    # new rows keep their uuid, so importing the same file twice adds nothing the second time.
    here = {record["uuid"]: int(key) for key, record in session.tables["pledges"].items()}
    for done, (line, cells) in enumerate(rows[1:], start=1):
        if any(cell.strip() for cell in cells):
            if len(cells) != len(header):
                problems.append(f"line {line}: {len(cells)} cells, but the header has {len(header)} columns")
            else:
                values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
                row_uuid = values.get("uuid", "")
                if row_uuid in here:
                    matched.append(here[row_uuid])
                    continue
                if row_uuid and _uuid(row_uuid) is not None:
                    problems.append(f"line {line}: uuid {_uuid(row_uuid)}")
                    continue
                try:
                    pledge = _add_row(session, clock, values)
                except BadInputError as error:
                    problems.append(f"line {line}: {error}")
                    continue
                if row_uuid:
                    session.update_pledge(pledge.with_changes(uuid=row_uuid))
                    here[row_uuid] = pledge.id
                added.append(pledge.id)
        if on_row is not None:
            on_row(done)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        more = [f"  ... and {len(problems) - len(shown)} more"] if len(problems) > len(shown) else []
        count = len(problems)
        heading = f"{count} row{'s' if count != 1 else ''} cannot be imported; nothing was imported:"
        raise BadInputError("\n".join([heading, *(f"  {problem}" for problem in shown), *more]))
    return ImportResult(added=tuple(added), matched=tuple(matched), history_added=len(added))


def _plain_number(value: float) -> str:
    """A number as digits that Quantity.parse reads back exactly: no exponent, no rounding."""
    if isinstance(value, int):
        return str(value)
    return format(Decimal(repr(value)), "f")


def _quantity_text(quantity: Quantity | None) -> str:
    return f"{_plain_number(quantity.value)} {quantity.unit}" if quantity else ""


def export_csv(states: Sequence[PledgeState]) -> str:
    """One row per pledge; `import_csv` reads it back (matching rows by uuid; id, overdue and progress
    are ignored there).

    Not kept by CSV: text, venue, notes, source title and publisher, the date a condition was met,
    evidence and history, and ';' inside a name. `tracker export json` keeps everything.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_EXPORT_COLUMNS)
    for state in states:
        pledge = state.pledge
        writer.writerow(
            [
                pledge.id,
                pledge.uuid,
                pledge.title,
                LIST_SEPARATOR.join(pledge.actors),
                LIST_SEPARATOR.join(pledge.recipients),
                pledge.made_on.isoformat(),
                pledge.deadline.text if pledge.deadline else "",
                _quantity_text(pledge.target),
                pledge.category.value,
                LIST_SEPARATOR.join(pledge.tags),
                pledge.source.url or "" if pledge.source else "",
                pledge.status.value,
                pledge.condition.text if pledge.condition else "",
                "true" if state.overdue else "false",
                f"{state.progress:.4f}" if state.progress is not None else "",
            ]
        )
    return buffer.getvalue()


# ICS -------------------------------------------------------------------------------------------
def _stamp(pledge: Pledge) -> datetime:
    """DTSTAMP from the pledge's last update, so the same store always gives the same calendar."""
    for text in (pledge.updated_at, pledge.created_at):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            continue
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return datetime.combine(pledge.made_on, time(), UTC)


def _description(state: PledgeState) -> str:
    pledge = state.pledge
    status = pledge.status.value.replace("_", " ")
    lines = [f"Actors: {', '.join(pledge.actors)}"]
    if pledge.recipients:
        lines.append(f"Recipients: {', '.join(pledge.recipients)}")
    lines.append(f"Status: {status}" + (f", overdue as of {state.as_of.isoformat()}" if state.overdue else ""))
    if state.progress is not None and pledge.target is not None:
        lines.append(f"Progress: {state.progress:.0%} of {pledge.target}")
    if pledge.deadline is not None:
        lines.append(f"Deadline: {pledge.deadline.text}")
    if pledge.source is not None and pledge.source.url:
        lines.append(f"Source: {pledge.source.url}")
    return "\n".join(lines)


def export_ics(states: Sequence[PledgeState]) -> bytes:
    """An iCalendar file (RFC 5545): one all-day event on the deadline of each pledge that has a dated one."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", ICS_PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    for state in states:
        pledge = state.pledge
        if pledge.deadline is None or pledge.deadline.date is None:
            continue
        event = Event()
        event.add("uid", f"{pledge.uuid}@tracker")
        event.add("dtstamp", _stamp(pledge))
        event.add("dtstart", pledge.deadline.date)
        event.add("dtend", pledge.deadline.date + timedelta(days=1))
        event.add("summary", pledge.title)
        event.add("description", _description(state))
        if pledge.source is not None and pledge.source.url:
            event.add("url", pledge.source.url)
        event.add("categories", [pledge.category.value])
        calendar.add_component(event)
    result: bytes = calendar.to_ical()
    return result
