"""Pledges, evidence and history: the records the store keeps, and the rules for valid values.

Records are stored as plain JSON dicts (see `to_dict`); these classes validate values on the
way in and give the rest of the library typed access on the way out.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlsplit

from tracker.dates import Deadline
from tracker.errors import BadInputError
from tracker.numbers import parse_number

JSONDict = dict[str, Any]
E = TypeVar("E", bound=StrEnum)


class Status(StrEnum):
    PENDING = "pending"
    CONDITIONAL = "conditional"
    IN_PROGRESS = "in_progress"
    STALLED = "stalled"
    PARTIAL = "partial"
    FULFILLED = "fulfilled"
    BROKEN = "broken"
    WITHDRAWN = "withdrawn"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({Status.PENDING, Status.CONDITIONAL, Status.IN_PROGRESS, Status.STALLED})


def _stored(kind: type[E]) -> Any:
    """A fast reader of a stored enum value: a dict lookup instead of `kind(value)`, which costs
    about 1 us per call through EnumType.__call__; a store holds hundreds of thousands of them.
    An unknown value raises ValueError, as `kind(value)` does."""
    members: dict[Any, E] = {member.value: member for member in kind}

    def read(value: Any) -> E:
        try:
            return members[value]
        except (KeyError, TypeError):
            raise ValueError(f"{value!r} is not a valid {kind.__name__}") from None

    return read


class Category(StrEnum):
    DEFENCE = "defence"
    SECURITY = "security"
    TRADE = "trade"
    ENERGY = "energy"
    HEALTH = "health"
    DIPLOMACY = "diplomacy"
    OTHER = "other"


class Stance(StrEnum):
    SUPPORTS = "supports"
    CONTRADICTS = "contradicts"
    CONTEXT = "context"


_stored_status = _stored(Status)
_stored_category = _stored(Category)
_stored_stance = _stored(Stance)


# Stored values are checked for their JSON type as they are read: a hand-edited store holding,
# say, a text where a list of actors belongs is refused when read, not shown as letters or
# crashed on later. Exact type tests (`type(x) is str`), inline where they can be: a store is
# JSON, so no subclass can turn up, bool is no int, and a store holds hundreds of thousands.
def _texts(value: Any, *, required: bool = False) -> tuple[str, ...]:
    """A list of texts (None or missing: none), at least one when `required`."""
    if type(value) is not list:
        if value is None and not required:
            return ()
        raise TypeError(f"{value!r} is not a list of texts")
    if required and not value:
        raise TypeError("the list is empty")
    "".join(value)  # raises TypeError unless every item is a text: the test, run in C
    return tuple(value)


# Records read from the store are built as the tuples they are, with every field in order:
# `cls(...)` with keywords costs 0.6 us more a record, and a read builds hundreds of thousands.
_new = tuple.__new__


def _wrong(what: str, data: JSONDict) -> TypeError:
    return TypeError(f"a {what} field has the wrong type: {data!r}")


def _choice(kind: type[E], value: str, what: str) -> E:
    cleaned = value.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return kind(cleaned)
    except ValueError:
        accepted = ", ".join(member.value for member in kind)
        raise BadInputError(f"unknown {what} '{' '.join(value.split())}'; accepted: {accepted}") from None


def parse_status(value: str) -> Status:
    return _choice(Status, value, "status")


def parse_category(value: str) -> Category:
    return _choice(Category, value, "category")


def parse_stance(value: str) -> Stance:
    return _choice(Stance, value, "stance")


def required_text(value: str | None, what: str) -> str:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        raise BadInputError(f"the {what} is empty; give some text")
    return cleaned


def optional_text(value: str | None) -> str | None:
    cleaned = (value or "").strip()
    return cleaned or None


def names(values: list[str] | tuple[str, ...] | None, what: str, *, required: bool = False) -> list[str]:
    """Actors, recipients or tags: trimmed, blanks dropped, duplicates (any case) removed."""
    seen: dict[str, str] = {}
    for value in values or ():
        cleaned = " ".join(value.split())
        if cleaned and cleaned.casefold() not in seen:
            seen[cleaned.casefold()] = cleaned
    if required and not seen:
        raise BadInputError(f"a pledge needs at least one {what} (who is bound by it)")
    return list(seen.values())


# "m" and "k" are also units (metres, kilos): only unambiguous scale words stand for no unit.
SCALE_WORDS = frozenset({"mn", "bn", "thousand", "million", "billion", "trillion"})


@functools.lru_cache(maxsize=1024)
def unit_key(unit: str) -> str:
    """Units compare by what they name: "Doses", "dose" and "jabs" add up, as do "EUR" and
    "euros"; a unit we have no name for compares without case or a plural 's'."""
    from tracker.datafiles import unit_names

    folded = " ".join(unit.split()).casefold()
    known = unit_names().get(folded) or unit_names().get(folded.removesuffix("s"))
    if known is not None:
        folded = known.casefold()
    return folded[:-1] if folded.endswith("s") and len(folded) > 1 else folded


class Quantity(NamedTuple):
    value: float
    unit: str

    @classmethod
    def parse(cls, text: str) -> Quantity:
        """Read "150000 doses", "150,000 doses", "1.2 billion USD"; refuse anything else."""
        accepted = "a positive number followed by a unit, like '150000 doses' or '2.5 billion USD'"
        match = re.fullmatch(
            r"\s*([$€£]?[\d.,]+(?:\s*(?:k|m|mn|bn|thousand|million|billion|trillion))?)\s+(\S.*?)\s*", text, re.I
        )
        if not match:
            raise BadInputError(f"'{' '.join(text.split())}' is not a quantity; give {accepted}")
        value = parse_number(match.group(1))
        unit = " ".join(match.group(2).split())
        # "2 billion" has a scale but no unit: two billion of what?
        if value is None or not value > 0 or value == float("inf") or unit.casefold() in SCALE_WORDS:
            raise BadInputError(f"'{' '.join(text.split())}' is not a quantity; give {accepted}")
        return cls(_tidy_number(value), unit)

    @classmethod
    def from_dict(cls, data: JSONDict) -> Quantity:
        value, unit = data["value"], data["unit"]
        if type(value) not in (int, float) or not 0 < value < float("inf") or type(unit) is not str:
            raise _wrong("quantity", data)
        return _new(cls, (value, unit))

    def to_dict(self) -> JSONDict:
        return {"unit": self.unit, "value": self.value}

    def __str__(self) -> str:
        return f"{format_number(self.value)} {self.unit}"


def _tidy_number(value: float) -> float:
    """Whole numbers are stored as integers so the JSON reads 150000, not 150000.0."""
    return int(value) if value == int(value) and abs(value) < 2**53 else value


def format_number(value: float) -> str:
    # 2.999 rounds to "3.00": strip the zeros and then a bare trailing point ("3", not "3.").
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}".rstrip("0").rstrip(".")


def field_text(value: Any, empty: str = "—") -> str:
    """A pledge field's stored value in words, for logs and undo: a deadline, a target, a
    condition, a list or a plain value."""
    if value is None:
        return empty
    if isinstance(value, dict):
        if "text" in value and "precision" in value:
            return f"{value.get('date') or 'undated'} ({value['text']})"
        if "unit" in value and "value" in value:
            return f"{format_number(value['value'])} {value['unit']}"
        if "met_on" in value:
            return f"{value['text']} (met on {value['met_on']})" if value["met_on"] else str(value["text"])
        if "pledge" in value:
            return "the whole pledge"
        return ", ".join(f"{key}={item}" for key, item in sorted(value.items()) if item is not None)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or empty
    return str(value)


_WHITESPACE = re.compile(r"\s").search
# The common web address: http(s), a plain ASCII host (no brackets, no user) with an optional
# port, then printable ASCII. `urlsplit` accepts every such address with that scheme and a
# non-empty host, so a match needs no `urlsplit` (several times slower); anything else is split.
PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]*)?(?:[/?#][!-~]*)?").fullmatch


class Source(NamedTuple):
    url: str | None
    title: str | None = None
    publisher: str | None = None

    @classmethod
    def parse(cls, url: str | None, title: str | None = None, publisher: str | None = None) -> Source | None:
        url, title, publisher = optional_text(url), optional_text(title), optional_text(publisher)
        if url is None and title is None and publisher is None:
            return None
        if url is not None and PLAIN_URL(url) is None:
            try:
                parts = urlsplit(url)
            except ValueError:  # "http://[::1" (an unclosed IPv6 host) is refused by urlsplit itself
                parts = None
            # urlsplit silently drops tabs and newlines, so any whitespace is checked on the text itself
            # (`\s` is exactly `str.isspace`, searched in C rather than a character at a time).
            has_space = _WHITESPACE(url) is not None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or has_space:
                shown = " ".join(url.split())
                raise BadInputError(f"'{shown}' is not a web address; give a full http:// or https:// URL")
        return cls(url, title, publisher)

    @classmethod
    def from_dict(cls, data: JSONDict | None) -> Source | None:
        if not data:
            return None
        url, title, publisher = data.get("url"), data.get("title"), data.get("publisher")
        if not (
            (url is None or type(url) is str)
            and (title is None or type(title) is str)
            and (publisher is None or type(publisher) is str)
        ):
            raise _wrong("source", data)
        return _new(cls, (url, title, publisher))

    def to_dict(self) -> JSONDict:
        return {"publisher": self.publisher, "title": self.title, "url": self.url}

    @property
    def label(self) -> str:
        """A short name for the source: its publisher, title, or the web site's host."""
        if self.publisher:
            return self.publisher
        if self.url:
            return urlsplit(self.url).netloc.removeprefix("www.")
        return self.title or ""


class Condition(NamedTuple):
    text: str
    met_on: date | None = None

    @classmethod
    def from_dict(cls, data: JSONDict | None) -> Condition | None:
        if not data:
            return None
        text, met_on = data["text"], data.get("met_on")
        if type(text) is not str:
            raise _wrong("condition", data)
        return _new(cls, (text, date.fromisoformat(met_on) if met_on else None))

    def to_dict(self) -> JSONDict:
        return {"met_on": self.met_on.isoformat() if self.met_on else None, "text": self.text}


class Pledge(NamedTuple):
    id: int
    uuid: str
    title: str
    actors: tuple[str, ...]
    made_on: date
    status: Status
    category: Category
    recipients: tuple[str, ...] = ()
    text: str | None = None
    venue: str | None = None
    source: Source | None = None
    tags: tuple[str, ...] = ()
    target: Quantity | None = None
    deadline: Deadline | None = None
    condition: Condition | None = None
    notes: str | None = None
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def from_dict(cls, pledge_id: int, data: JSONDict) -> Pledge:
        deadline = data.get("deadline")
        target = data.get("target")
        get = data.get
        uuid, title, text, venue, notes = data["uuid"], data["title"], get("text"), get("venue"), get("notes")
        created_at, updated_at = get("created_at", ""), get("updated_at", "")
        if not (
            type(uuid) is str
            and type(title) is str
            and type(created_at) is str
            and type(updated_at) is str
            and (text is None or type(text) is str)
            and (venue is None or type(venue) is str)
            and (notes is None or type(notes) is str)
        ):
            raise _wrong("pledge", data)
        return _new(
            cls,
            (
                pledge_id,
                uuid,
                title,
                _texts(data["actors"], required=True),
                date.fromisoformat(data["made_on"]),
                _stored_status(data["status"]),
                _stored_category(data["category"]),
                _texts(get("recipients")),
                text,
                venue,
                Source.from_dict(get("source")),
                _texts(get("tags")),
                Quantity.from_dict(target) if target else None,
                Deadline.from_dict(deadline) if deadline else None,
                Condition.from_dict(get("condition")),
                notes,
                created_at,
                updated_at,
            ),
        )

    def to_dict(self) -> JSONDict:
        """The stored form (without `id`, which is the record's key in the store)."""
        return {
            "actors": list(self.actors),
            "category": self.category.value,
            "condition": self.condition.to_dict() if self.condition else None,
            "created_at": self.created_at,
            "deadline": self.deadline.to_dict() if self.deadline else None,
            "made_on": self.made_on.isoformat(),
            "notes": self.notes,
            "recipients": list(self.recipients),
            "source": self.source.to_dict() if self.source else None,
            "status": self.status.value,
            "tags": list(self.tags),
            "target": self.target.to_dict() if self.target else None,
            "text": self.text,
            "title": self.title,
            "updated_at": self.updated_at,
            "uuid": self.uuid,
            "venue": self.venue,
        }

    def with_changes(self, **changes: Any) -> Pledge:
        return self._replace(**changes)


class Evidence(NamedTuple):
    id: int
    pledge_id: int
    observed_on: date
    recorded_at: str
    summary: str
    stance: Stance
    source: Source | None = None
    quantity: Quantity | None = None
    meets_condition: bool = False
    supersedes: int | None = None

    @classmethod
    def from_dict(cls, evidence_id: int, data: JSONDict) -> Evidence:
        quantity = data.get("quantity")
        pledge_id, recorded_at, summary = data["pledge_id"], data["recorded_at"], data["summary"]
        meets_condition, supersedes = data.get("meets_condition", False), data.get("supersedes")
        if not (
            type(pledge_id) is int
            and type(recorded_at) is str
            and type(summary) is str
            and type(meets_condition) is bool
            and (supersedes is None or type(supersedes) is int)
        ):
            raise _wrong("evidence", data)
        return _new(
            cls,
            (
                evidence_id,
                pledge_id,
                date.fromisoformat(data["observed_on"]),
                recorded_at,
                summary,
                _stored_stance(data["stance"]),
                Source.from_dict(data.get("source")),
                Quantity.from_dict(quantity) if quantity else None,
                meets_condition,
                supersedes,
            ),
        )

    def to_dict(self) -> JSONDict:
        return {
            "meets_condition": self.meets_condition,
            "observed_on": self.observed_on.isoformat(),
            "pledge_id": self.pledge_id,
            "quantity": self.quantity.to_dict() if self.quantity else None,
            "recorded_at": self.recorded_at,
            "source": self.source.to_dict() if self.source else None,
            "stance": self.stance.value,
            "summary": self.summary,
            "supersedes": self.supersedes,
        }


class HistoryEntry(NamedTuple):
    """One change to one field of a pledge. `old` and `new` hold the field's stored form."""

    id: int
    pledge_id: int
    field: str
    old: Any
    new: Any
    reason: str
    effective_on: date
    recorded_at: str
    change: int
    evidence_id: int | None = None

    @classmethod
    def from_dict(cls, entry_id: int, data: JSONDict) -> HistoryEntry:
        get = data.get
        pledge_id, field, reason, recorded_at = data["pledge_id"], data["field"], get("reason", ""), data["recorded_at"]
        change, evidence_id = get("change", 0), get("evidence_id")
        if not (
            type(pledge_id) is int
            and type(field) is str
            and type(reason) is str
            and type(recorded_at) is str
            and type(change) is int
            and (evidence_id is None or type(evidence_id) is int)
        ):
            raise _wrong("history", data)
        return _new(
            cls,
            (
                entry_id,
                pledge_id,
                field,
                get("old"),
                get("new"),
                reason,
                date.fromisoformat(data["effective_on"]),
                recorded_at,
                change,
                evidence_id,
            ),
        )

    def to_dict(self) -> JSONDict:
        return {
            "change": self.change,
            "effective_on": self.effective_on.isoformat(),
            "evidence_id": self.evidence_id,
            "field": self.field,
            "new": self.new,
            "old": self.old,
            "pledge_id": self.pledge_id,
            "reason": self.reason,
            "recorded_at": self.recorded_at,
        }


# A record's id, as a sort or lookup key (a getter in C: reads and imports take it of hundreds of
# thousands of records).
by_id: Callable[[Pledge | Evidence | HistoryEntry], int] = operator.attrgetter("id")


# Building many records at once ------------------------------------------------------------------
# `from_dict` a field at a time across a block of records, in loops that run in C (`map`, `zip`)
# where it can: an import of 100,000 pledges builds half a million records, and one `from_dict`
# call a record is most of its time. Tests hold the two to the same result.
Column = list[Any]
_SOURCE_FIELDS = operator.itemgetter(*Source._fields)
_QUANTITY_FIELDS = operator.itemgetter(*Quantity._fields)


def _each(convert: Callable[[Any], Any]) -> Callable[[Column], Column]:
    return lambda values: list(map(convert, values))


def _sources(values: Column) -> Column:
    return [None if value is None else _new(Source, _SOURCE_FIELDS(value)) for value in values]


def _quantities(values: Column) -> Column:
    return [None if value is None else _new(Quantity, _QUANTITY_FIELDS(value)) for value in values]


def _deadlines(values: Column) -> Column:
    return [
        None
        if value is None
        else _new(
            Deadline,
            (
                value["text"],
                date.fromisoformat(value["date"]) if value["date"] else None,
                value["precision"],
                value["anchor"],
            ),
        )
        for value in values
    ]


def _conditions(values: Column) -> Column:
    return [
        None
        if value is None
        else _new(Condition, (value["text"], date.fromisoformat(value["met_on"]) if value["met_on"] else None))
        for value in values
    ]


# How a column of stored values becomes the typed records' values; a field not named here is
# stored as it is read.
_COLUMN_READERS: dict[str, Callable[[Column], Column]] = {
    "actors": _each(tuple),
    "recipients": _each(tuple),
    "tags": _each(tuple),
    "made_on": _each(date.fromisoformat),
    "observed_on": _each(date.fromisoformat),
    "effective_on": _each(date.fromisoformat),
    "status": _each(_stored_status),
    "category": _each(_stored_category),
    "stance": _each(_stored_stance),
    "source": _sources,
    "target": _quantities,
    "quantity": _quantities,
    "deadline": _deadlines,
    "condition": _conditions,
}


def build_records(
    kind: type[Pledge] | type[Evidence] | type[HistoryEntry], ids: Column, columns: dict[str, Column]
) -> list[Any]:
    """The records `kind.from_dict` builds from stored forms, built from the stored forms'
    values a field at a time: `columns` maps each stored field to its values, record by record
    as `ids` lists them.

    Only for values already checked to be exactly of their stored form (every field present,
    each object with exactly its own fields, dates in ISO form, known names), as an import checks
    them: this checks nothing, where `from_dict` checks each value's JSON type.
    """
    values = [ids]
    for name in kind._fields[1:]:
        read = _COLUMN_READERS.get(name)
        values.append(columns[name] if read is None else read(columns[name]))
    return list(map(_new, itertools.repeat(kind), zip(*values, strict=True)))


@dataclass(slots=True)
class PledgeFilter:
    """Which pledges a listing or report covers; every criterion is optional."""

    statuses: frozenset[Status] = field(default_factory=frozenset)
    actors: tuple[str, ...] = ()
    categories: frozenset[Category] = field(default_factory=frozenset)
    tags: tuple[str, ...] = ()

    def matches(self, pledge: Pledge) -> bool:
        if self.statuses and pledge.status not in self.statuses:
            return False
        if self.categories and pledge.category not in self.categories:
            return False
        if self.actors:
            bound = {actor.casefold() for actor in pledge.actors}
            if not any(actor.casefold() in bound for actor in self.actors):
                return False
        if self.tags:
            tagged = {tag.casefold() for tag in pledge.tags}
            if not any(tag.casefold() in tagged for tag in self.tags):
                return False
        return True
