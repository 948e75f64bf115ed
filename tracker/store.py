"""The pledge store: one TinyDB JSON file, locked, written atomically, versioned.

This is the only module that touches the file. A command that changes the store runs inside
`Store.transaction()`: it takes an exclusive lock on a sidecar lock file, reads the file once,
works on the tables in memory through TinyDB, and on success writes the whole file once, to a
temp file in the same folder that is fsynced and then renamed over the store, after the
previous version has been kept as a backup. A crash at any instant leaves the old or the new
file, never a mix; a command that fails writes nothing.

Read-only commands take no lock: the rename is atomic, so a reader sees a whole file.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, NamedTuple

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from tracker import journal, layout
from tracker.errors import NotFoundError, StoreDamagedError, StoreError, StoreLockedError, StoreVersionError
from tracker.migrations import JOURNAL, SCHEMA_VERSION, migrate
from tracker.model import Evidence, HistoryEntry, JSONDict, Pledge

if TYPE_CHECKING:
    from tracker.cache import Stamp

DEFAULT_LOCK_TIMEOUT = 5.0
KEPT_BACKUPS = 5
TABLES = ("pledges", "evidence", "history")
META = "_meta"
META_ID = "1"
# Every table of a store file, in the order `serialize` writes them (sorted by name).
FILE_TABLES = tuple(sorted((META, JOURNAL, *TABLES)))
UUID_PREFIX_MIN = 4


def default_store_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("tracker", appauthor=False) / "pledges.json"


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


class SnapshotStorage(Storage):
    """TinyDB storage over tables already read from disk; writes only mark them changed.

    TinyDB's own JSONStorage rewrites the file in place on every insert, without a lock;
    here the whole command's changes are written once, atomically, by `Store`.
    """

    def __init__(self, tables: dict[str, Any]) -> None:
        self.tables = tables
        self.changed = False

    def read(self) -> dict[str, Any]:
        return self.tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.tables = data
        self.changed = True


class _IntKeys(MutableMapping[int, Any]):
    """A table's stored records (keyed by decimal text) seen with int keys, as TinyDB's updaters
    expect, converting only the keys they touch."""

    __slots__ = ("stored",)

    def __init__(self, stored: MutableMapping[str, Any]) -> None:
        self.stored = stored

    def __getitem__(self, key: int) -> Any:
        return self.stored[str(key)]

    def __setitem__(self, key: int, value: Any) -> None:
        self.stored[str(key)] = value

    def __delitem__(self, key: int) -> None:
        del self.stored[str(key)]

    def __contains__(self, key: object) -> bool:
        return str(key) in self.stored

    def __iter__(self) -> Iterator[int]:
        return (int(key) for key in self.stored)

    def __len__(self) -> int:
        return len(self.stored)


class IncrementalTable(Table):
    """TinyDB's Table, with writes that cost what they change rather than the table's size.

    TinyDB's own `_update_table` rebuilds the whole table twice on every insert, update or
    remove (every key to int and back to text), which is most of the cost of a write to a large
    store. Here the updater works on a copy of the stored dict (one C-level copy) through int
    keys, and the copy replaces the table, as TinyDB's rebuilt table did: the order of records,
    the in-place changes of updated records, and a new table object after every write (which
    drops the typed records kept with the old one, see `TypedTable`) are all as before.
    """

    def _update_table(self, updater: Callable[[dict[int, Mapping[str, Any]]], None]) -> None:
        tables = self._storage.read()
        if tables is None:
            tables = {}
        current = tables.get(self.name, {})
        if isinstance(current, layout.PartialTable):
            # Changed in place: it keeps what was changed, to write only that (it drops its
            # typed records itself). An update that fails halfway leaves it as it was, as the
            # copy below would.
            checkpoint = current.checkpoint()
            try:
                updater(_IntKeys(current))  # type: ignore[arg-type]
            except BaseException:
                current.restore(checkpoint)
                raise
            self._storage.write(tables)
            self.clear_cache()
            return
        stored = dict(current)
        updater(_IntKeys(stored))  # type: ignore[arg-type]
        tables[self.name] = stored
        self._storage.write(tables)
        self.clear_cache()

    def insert_stored(self, records: Mapping[int, Any]) -> None:
        """Insert stored-form records under their ids (none of which may be taken), in one update.

        For an import of thousands of records: TinyDB's `insert_multiple` would wrap, check and
        copy each one. The records are taken as they are, not copied.
        """
        self._next_id = None  # as after an insert of TinyDB Documents: found again when next needed

        def updater(table: _IntKeys) -> None:
            keyed = {str(record_id): record for record_id, record in records.items()}
            taken = [int(key) for key in keyed if key in table.stored]
            if taken:
                raise ValueError(f"records {taken} of the {self.name} table already exist")
            table.stored.update(keyed)

        self._update_table(updater)  # type: ignore[arg-type]


class SnapshotDatabase(TinyDB):
    """TinyDB over a `SnapshotStorage`, with tables that write incrementally."""

    table_class = IncrementalTable


def empty_tables() -> dict[str, Any]:
    meta = {"schema_version": SCHEMA_VERSION, "next_ids": dict.fromkeys(TABLES, 1), "changes": 0}
    tables: dict[str, Any] = {META: {META_ID: meta}, JOURNAL: {}}
    for name in TABLES:
        tables[name] = {}
    return tables


# A record's key: a canonical decimal id (no sign, no leading zero, ASCII digits only).
_RECORD_KEY = re.compile(r"0|[1-9][0-9]{0,17}")


def check_shape(tables: Any) -> str | None:
    """Why the parsed file is not a store we can use, or None when its shape is sound."""
    if not isinstance(tables, dict):
        return "the top level is not an object"
    problem = _meta_problem(tables)
    if problem:
        return problem
    next_ids = tables[META][META_ID]["next_ids"]
    # One pass per table: each record is checked and built as a typed record, and the records
    # built are kept with their table (see `TypedTable`) so that the command's reads use them
    # instead of building them again.
    for name in TABLES:
        table = tables.get(name, {})
        if not isinstance(table, dict):
            return f"the {name} table is not an object"
        typed: dict[int, Any] = {}
        problem = _records_problem(name, table, next_ids[name], typed)
        if problem:
            return problem
        if name in tables:
            tables[name] = TypedTable(table, typed)
    return None


def _meta_problem(tables: dict[str, Any]) -> str | None:
    """Why the file's _meta table is not one we can use, or None."""
    meta_table = tables.get(META)
    if not isinstance(meta_table, dict) or not isinstance(meta_table.get(META_ID), dict):
        return "the _meta table is missing"
    meta = meta_table[META_ID]
    version = meta.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        return "_meta.schema_version is missing or not a number"
    next_ids = meta.get("next_ids")
    if not isinstance(next_ids, dict) or not all(isinstance(next_ids.get(name), int) for name in TABLES):
        return "_meta.next_ids is missing or incomplete"
    return None


def _records_problem(name: str, records: dict[str, Any], limit: int, typed: dict[int, Any]) -> str | None:
    """Why a stored record of the table `name` is not sound, or None; each sound record is built
    as a typed record into `typed`, building it being the check that its fields are sound.
    `limit` is the table's next id."""
    load = RECORD_TYPES[name].from_dict
    for key, record in records.items():
        # The same test as _RECORD_KEY, without a regular expression per record.
        if not (key.isascii() and key.isdigit() and len(key) <= 18 and (key[0] != "0" or key == "0")) or not isinstance(
            record, dict
        ):
            return f"record {key!r} of the {name} table is malformed"
        record_id = int(key)
        if record_id >= limit:
            return f"record {key} of the {name} table is beyond _meta.next_ids"
        try:
            typed[record_id] = load(record_id, record)
        # RecursionError: a value nested so deeply that even saying what is wrong with it fails.
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
            return f"record {key} of the {name} table is missing fields or has invalid values"
    return None


# Each table's record type; its `from_dict` is the check that a stored record is sound.
RECORD_TYPES: dict[str, type[Pledge] | type[Evidence] | type[HistoryEntry]] = {
    "pledges": Pledge,
    "evidence": Evidence,
    "history": HistoryEntry,
}


class TypedTable(dict[str, Any]):
    """A table's stored records (a plain dict to TinyDB and to the JSON encoder) that also keeps
    them as typed records, built once when the file was read, and grouped by pledge on demand.

    Any write through TinyDB replaces the table with a new plain dict, so typed records can never
    be stale: a table that is not a `TypedTable` (any more) is built again from its stored form.
    """

    __slots__ = ("by_pledge", "typed")

    def __init__(self, stored: dict[str, Any], typed: dict[int, Any]) -> None:
        super().__init__(stored)
        self.typed = typed
        self.by_pledge: dict[int, list[Any]] | None = None


class Session:
    """Typed access to the tables of one snapshot of the store, inside or outside a transaction.

    A session starts from the parsed file (`tables`), or, for a read whose store file the cache
    holds, from its typed records alone (`known`): the file is then parsed only if the command
    asks for its stored form (`read_tables`). In a write whose file the cache holds, `known`
    gives the typed records of the tables as read, and only the records the command touched are
    built again.
    """

    def __init__(
        self,
        tables: dict[str, Any] | None,
        *,
        known: Callable[[], dict[str, dict[int, Any]] | None] | None = None,
        read_tables: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self._storage: SnapshotStorage | None = None
        self._read_tables = read_tables
        self._known = known
        self._known_records: dict[str, dict[int, Any]] | None = None
        self._groups: dict[str, dict[int, list[Any]]] = {}
        if tables is not None:
            self._attach(tables)
        self._change: int | None = None
        # Each touched record as it was before this command, for the undo journal.
        self._before: dict[tuple[str, int], JSONDict | None] = {}
        self.journal_kind = journal.KIND_CHANGE
        self.journal_reverts: tuple[int, ...] = ()
        from tracker import cache

        cache.hold(self)

    def _attach(self, tables: dict[str, Any]) -> None:
        for name in TABLES:
            tables.setdefault(name, {})
        self._storage = SnapshotStorage(tables)
        self.db = SnapshotDatabase(storage=lambda: self.storage)
        self.pledge_table = self._table("pledges")
        self.evidence_table = self._table("evidence")
        self.history_table = self._table("history")
        self.meta_table = self._table(META)

    def _table(self, name: str) -> IncrementalTable:
        table = self.db.table(name, cache_size=0)
        assert isinstance(table, IncrementalTable)  # the database's table_class
        return table

    @property
    def storage(self) -> SnapshotStorage:
        if self._storage is None:
            if self._read_tables is None:
                raise StoreError("this snapshot of the store has no stored form to read")
            self._attach(self._read_tables())
            # The file's own typed records replace the cache's from now on (they are equal).
            self._known = None
            self._groups = {}
        assert self._storage is not None
        return self._storage

    @property
    def tables(self) -> dict[str, Any]:
        return self.storage.tables

    @property
    def meta(self) -> JSONDict:
        meta: JSONDict = self.tables[META][META_ID]
        return meta

    @property
    def changed(self) -> bool:
        return self.storage.changed

    # the undo journal ----------------------------------------------------------------------
    def _touch(self, table: str, record_id: int) -> None:
        key = (table, record_id)
        if key not in self._before:
            current = self.tables[table].get(str(record_id))
            self._before[key] = copy.deepcopy(current) if current is not None else None

    def touched(self) -> list[journal.Touched]:
        return [
            journal.Touched(table, record_id, before, self.tables[table].get(str(record_id)))
            for (table, record_id), before in sorted(self._before.items())
        ]

    def put_record(self, table: str, record_id: int, record: JSONDict | None) -> None:
        """Set a record to a stored form, or remove it (None): how undo puts things back."""
        self._touch(table, record_id)
        target = self.db.table(table, cache_size=0)
        if record is None:
            if str(record_id) in self.tables[table]:
                target.remove(doc_ids=[record_id])
        elif str(record_id) in self.tables[table]:
            target.remove(doc_ids=[record_id])
            target.insert(Document(copy.deepcopy(record), doc_id=record_id))
        else:
            target.insert(Document(copy.deepcopy(record), doc_id=record_id))

    def journal_change(self, recorded_at: str) -> None:
        """Keep what this command changed, so that `tracker undo` can revert it."""
        if not self._before:
            return
        # Too large a change keeps only its size: its records are not even listed (an import).
        count = len(self._before)
        touched = self.touched() if count <= journal.MAX_RECORDS else None
        number = self.change
        journal_table = self.tables.setdefault(JOURNAL, {})
        journal_table[str(number)] = journal.entry(
            self.journal_kind, recorded_at, touched, self.journal_reverts, record_count=count
        )
        journal.trim(journal_table)
        self.storage.changed = True

    # ids ---------------------------------------------------------------------------------
    def _take_id(self, table: str) -> int:
        """The next id of a table. Kept in _meta, so a removed record's id is never reused."""
        meta = self.meta
        taken: int = meta["next_ids"][table]
        next_ids = dict(meta["next_ids"], **{table: taken + 1})
        self.meta_table.update({"next_ids": next_ids}, doc_ids=[int(META_ID)])
        return taken

    @property
    def change(self) -> int:
        """The number of the change this command makes, shared by all its history entries."""
        if self._change is None:
            self._change = int(self.meta.get("changes", 0)) + 1
            self.meta_table.update({"changes": self._change}, doc_ids=[int(META_ID)])
        return self._change

    # typed records (the read path) -------------------------------------------------------
    def _known_tables(self) -> dict[str, dict[int, Any]] | None:
        """The cache's typed records of the file as read (loaded once), or None."""
        if self._known_records is None and self._known is not None:
            self._known_records = self._known()
            if self._known_records is None:
                self._known = None
        return self._known_records

    def _typed(self, name: str) -> dict[int, Any]:
        """The table's records as typed records by id, built once per snapshot of the table.

        A table read from the file comes typed (`check_shape` built it); a table the cache holds
        comes from the cache, with the records this command touched built again from their
        stored form; any other table (one that a write replaced) is built again here, once, and
        kept until the next write replaces it.
        """
        if self._storage is None:
            known = self._known_tables()
            if known is not None:
                return known[name]
        table = self.tables[name]
        if isinstance(table, layout.PartialTable):
            if table.typed is None:
                table.typed = self._typed_partial(name, table)
            return table.typed
        if not isinstance(table, TypedTable):
            known = self._known_tables()
            if known is not None:
                touched = (str(record_id) for touched_table, record_id in self._before if touched_table == name)
                typed = self._known_with(name, known[name], ((key, table.get(key)) for key in touched))
            else:
                load = RECORD_TYPES[name].from_dict
                typed = {int(key): load(int(key), record) for key, record in table.items()}
            table = TypedTable(table, typed)
            self.tables[name] = table
        return table.typed

    def _typed_partial(self, name: str, table: layout.PartialTable) -> dict[int, Any]:
        """A table read from the file's bytes as typed records: those built when the file was
        read and checked, or else the cache's, with the records this command read or changed
        built again; or, when neither is at hand (the cache is saved after the command that wrote
        the file), every record, parsed from the bytes."""
        base = table.typed_as_read
        if base is None:
            known = self._known_tables()
            base = known[name] if known is not None else None
        if base is None or table.is_whole():
            load = RECORD_TYPES[name].from_dict
            return {int(key): load(int(key), record) for key, record in table.items()}
        return self._known_with(name, base, table.edited())

    @staticmethod
    def _known_with(name: str, known: dict[int, Any], changes: Iterable[tuple[str, Any]]) -> dict[int, Any]:
        """A table's typed records as known (cached, or built when the file was read), with each
        changed record (by key; None: removed) built again from its stored form."""
        load = RECORD_TYPES[name].from_dict
        typed = dict(known)
        for key, record in changes:
            if record is None:
                typed.pop(int(key), None)
            else:
                typed[int(key)] = load(int(key), record)
        return typed

    def typed_tables(self) -> dict[str, dict[int, Any]]:
        """Every table's typed records, as the cache keeps them."""
        return {name: self._typed(name) for name in TABLES}

    def _by_pledge(self, name: str) -> dict[int, list[Any]]:
        """Evidence or history grouped by pledge id, in one pass per snapshot of the table."""
        typed = self._typed(name)
        table = self.tables[name] if self._storage is not None else None
        keeper = table if isinstance(table, (TypedTable, layout.PartialTable)) else None
        groups = keeper.by_pledge if keeper is not None else self._groups.get(name)
        if groups is None:
            groups = {}
            for record in typed.values():
                groups.setdefault(record.pledge_id, []).append(record)
            if keeper is not None:
                keeper.by_pledge = groups
            else:
                self._groups[name] = groups
        return groups

    def _typed_at_hand(self, name: str) -> bool:
        """Whether the table's typed records are built and current. Otherwise a command that
        needs a few records reads their stored form: building them all may cost more."""
        if self._storage is None:
            return True
        table = self.tables[name]
        return isinstance(table, TypedTable) or (isinstance(table, layout.PartialTable) and table.typed is not None)

    # pledges -----------------------------------------------------------------------------
    def pledges(self) -> list[Pledge]:
        return list(self._typed("pledges").values())

    def pledge(self, pledge_id: int) -> Pledge:
        found: Pledge | None
        if self._typed_at_hand("pledges"):
            pledges: dict[int, Pledge] = self._typed("pledges")
            found = pledges.get(pledge_id)
        else:
            record = self.tables["pledges"].get(str(pledge_id))
            found = Pledge.from_dict(pledge_id, record) if record is not None else None
        if found is None:
            raise NotFoundError(f"no pledge with id {pledge_id}; `tracker list` shows the ids")
        return found

    def _uuids(self) -> Iterator[tuple[int, str]]:
        """Each pledge's id and uuid, from whichever form of the pledges this session holds."""
        if self._typed_at_hand("pledges"):
            return ((pledge_id, pledge.uuid) for pledge_id, pledge in self._typed("pledges").items())
        return ((int(key), record.get("uuid", "")) for key, record in self.tables["pledges"].items())

    def _has_pledge(self, id_text: str) -> bool:
        if self._storage is None:
            return len(id_text) <= 18 and int(id_text) in self._typed("pledges")
        return id_text in self.tables["pledges"]

    def resolve(self, reference: str) -> Pledge:
        """Find a pledge by its integer id or by a unique prefix (4+ characters) of its uuid."""
        cleaned = reference.strip().lower()
        # Only ASCII digits are an id: "²".isdigit() is true but int("²") fails, and int() of a
        # very long digit string raises; compare the canonical text instead of converting first.
        numeric = cleaned.isascii() and cleaned.isdigit()
        id_text = cleaned.lstrip("0") or "0"
        if numeric and self._has_pledge(id_text):
            return self.pledge(int(id_text))
        if len(cleaned) >= UUID_PREFIX_MIN:
            matches = [pledge_id for pledge_id, uuid in self._uuids() if uuid.startswith(cleaned)]
            if len(matches) == 1:
                return self.pledge(matches[0])
            if len(matches) > 1:
                raise NotFoundError(f"'{reference}' matches {len(matches)} pledges; give more of the uuid")
        if numeric:
            raise NotFoundError(f"no pledge with id {reference}; `tracker list` shows the ids")
        raise NotFoundError(
            f"no pledge matches '{' '.join(reference.split())}'; give an id or at least {UUID_PREFIX_MIN} characters "
            "of a uuid"
        )

    def logged_pledge(self, reference: str) -> tuple[int, str]:
        """Id and title of a pledge whose log can be shown: a current one, or a removed one
        by its id (its log keeps the removed record)."""
        try:
            found = self.resolve(reference)
            return found.id, found.title
        except NotFoundError:
            cleaned = reference.strip()
            if not (cleaned.isascii() and cleaned.isdigit()):
                raise
            for entry in self._typed("history").values():
                if entry.pledge_id == int(cleaned) and entry.field == "pledge" and isinstance(entry.old, dict):
                    title = entry.old.get("pledge", {}).get("title", "")
                    return int(cleaned), f"{title} (removed)"
            raise

    def insert_pledge(self, pledge: Pledge) -> Pledge:
        pledge_id = self._take_id("pledges")
        self._touch("pledges", pledge_id)
        self.pledge_table.insert(Document(pledge.to_dict(), doc_id=pledge_id))
        return pledge.with_changes(id=pledge_id)

    def update_pledge(self, pledge: Pledge) -> None:
        self._touch("pledges", pledge.id)
        self.pledge_table.update(pledge.to_dict(), doc_ids=[pledge.id])

    def remove_pledge(self, pledge_id: int) -> None:
        self._touch("pledges", pledge_id)
        self.pledge_table.remove(doc_ids=[pledge_id])
        evidence_ids = [int(key) for key, _ in self._stored_of("evidence", pledge_id)]
        for evidence_id in evidence_ids:
            self._touch("evidence", evidence_id)
        if evidence_ids:
            self.evidence_table.remove(doc_ids=evidence_ids)

    # evidence ----------------------------------------------------------------------------
    def evidence(self) -> list[Evidence]:
        return list(self._typed("evidence").values())

    def evidence_by_pledge(self) -> dict[int, list[Evidence]]:
        """Every pledge's evidence, in store order; grouped once per snapshot of the table."""
        return self._by_pledge("evidence")

    def _records_of(self, name: str, pledge_id: int) -> list[Any]:
        """One pledge's evidence or history entries, in store order.

        In a write whose records the cache holds, the table's records have not been built: the
        stored ones are searched instead (in the file's bytes, or a dict lookup each) and only the
        pledge's are built, rather than loading every typed record of the store for one pledge's few.
        """
        if self._storage is not None and self._known is not None:
            table = self.tables[name]
            if not isinstance(table, (TypedTable, layout.PartialTable)) or table.typed is None:
                load = RECORD_TYPES[name].from_dict
                return [load(int(key), record) for key, record in self._stored_of(name, pledge_id)]
        return list(self._by_pledge(name).get(pledge_id, ()))

    def _stored_of(self, name: str, pledge_id: int) -> list[tuple[str, Any]]:
        """One pledge's evidence or history entries in their stored form, by key."""
        table = self.tables[name]
        if isinstance(table, layout.PartialTable):
            return table.with_field("pledge_id", pledge_id)
        return [(key, record) for key, record in table.items() if record["pledge_id"] == pledge_id]

    def evidence_for(self, pledge_id: int) -> list[Evidence]:
        return sorted(self._records_of("evidence", pledge_id), key=lambda item: (item.observed_on, item.id))

    def insert_evidence(self, evidence: Evidence) -> Evidence:
        evidence_id = self._take_id("evidence")
        self._touch("evidence", evidence_id)
        self.evidence_table.insert(Document(evidence.to_dict(), doc_id=evidence_id))
        return Evidence.from_dict(evidence_id, evidence.to_dict())

    # history -----------------------------------------------------------------------------
    def history(self) -> list[HistoryEntry]:
        return list(self._typed("history").values())

    def history_by_pledge(self) -> dict[int, list[HistoryEntry]]:
        """Every pledge's history, in store order; grouped once per snapshot of the table."""
        return self._by_pledge("history")

    def history_for(self, pledge_id: int) -> list[HistoryEntry]:
        return sorted(self._records_of("history", pledge_id), key=lambda entry: (entry.effective_on, entry.id))

    def insert_history(self, entry: HistoryEntry) -> None:
        entry_id = self._take_id("history")
        self._touch("history", entry_id)
        self.history_table.insert(Document(entry.to_dict(), doc_id=entry_id))

    # import ------------------------------------------------------------------------------
    def reserve_id(self, table: str, record_id: int) -> None:
        """Make sure `record_id` is never handed out by `_take_id` (next_ids moves past it)."""
        next_ids = self.meta["next_ids"]
        if record_id >= next_ids[table]:
            self.meta_table.update({"next_ids": dict(next_ids, **{table: record_id + 1})}, doc_ids=[int(META_ID)])

    def insert_with_ids(self, table: str, records: dict[int, JSONDict]) -> None:
        """Insert stored-form records under chosen ids, in one table update (import keeps free ids).

        The caller picks ids never used here (at or past next_ids); next_ids moves past them, and
        for history `_meta.changes` moves up to the entries' change numbers, so ids and change
        numbers handed out later never collide with imported ones. The records become the store's
        own: the caller does not change them afterwards.
        """
        if not records:
            return
        tables = {"pledges": self.pledge_table, "evidence": self.evidence_table, "history": self.history_table}
        tables[table].insert_stored(records)  # refused, changing nothing, if an id is taken
        self.reserve_id(table, max(records))
        # Each id is new here (checked by the insert): what `_touch` would keep of it is None.
        before = self._before
        for record_id in records:
            before.setdefault((table, record_id), None)
        if table == "history":
            changes = max(int(record.get("change", 0)) for record in records.values())
            if changes > int(self.meta.get("changes", 0)):
                self.meta_table.update({"changes": changes}, doc_ids=[int(META_ID)])


# How much of a store file `_read_in_chunks` parses at a time: small enough to stay in the
# processor's caches, which makes parsing several times faster than parsing a large file whole.
_CHUNK_BYTES = 1 << 18


class _ChunkProblemError(Exception):
    """A chunk of the file has a problem: the file is parsed whole to say which."""


class _Bytes(NamedTuple):
    """A store file in `serialize`'s layout, as read, and where each of its tables is."""

    raw: bytes
    spans: layout.Spans


class _Read(NamedTuple):
    tables: dict[str, Any]
    migrations: list[str]
    stamp: Stamp | None  # None: no file, or one that changed while it was read
    cached: bool  # tracker wrote or checked this very file (the cache says so): not checked again
    seen_at: int  # when it was read (time.time_ns)
    source: _Bytes | None = None  # the file's bytes, when `tables` are read from them as needed
    # A read checked a chunk at a time: its typed records, which are all it keeps (no `tables`).
    typed: dict[str, dict[int, Any]] | None = None


class Store:
    """The store file at `path`, with its lock file and backup beside it."""

    def __init__(self, path: Path, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        # A store that is a symbolic link is the file it points to: a write renames a new file
        # over the store, which would otherwise replace the link and leave its target behind,
        # and two names for one store would take two different locks.
        self.path = Path(os.path.realpath(path)) if os.path.islink(path) else path
        self.lock_timeout = lock_timeout

    @property
    def backup(self) -> Path:
        return backup_path(self.path)

    def _backup_note(self) -> str:
        if self.backup.exists():
            return f"the previous version is {self.backup} (copy it over the store to go back to it)"
        return f"no backup exists ({self.backup} is missing)"

    def _damaged(self, why: str) -> StoreDamagedError:
        return StoreDamagedError(
            f"store {self.path} is damaged ({why}); it was left as it is; {self._backup_note()}", why
        )

    def read_tables(self) -> dict[str, Any]:
        """Parse and check the store file; a missing file is a new, empty store."""
        return self._read().tables

    def _read(self, trust_cache: bool = False, session: Literal["read", "write"] | None = None) -> _Read:
        """The tables, brought up to the current schema, with what identifies the file read.

        With `trust_cache`, a file that the cache holds is not checked again: it was checked when
        its records were cached, and a command builds only the records it reads. If tracker wrote
        that file, it is not even parsed: its records are read from its bytes as the command needs
        them, and the write edits those bytes (see `tracker.layout`).

        For a `session` that reads or writes (other callers get plain dicts), a file checked here
        that is in `serialize`'s layout, which is most files another program changed (a copy, a
        checkout), is checked a chunk of records at a time, so that its parsed form is never all
        in memory at once (`_read_in_chunks`). A read keeps only the typed records, and reads the
        file a window at a time as it goes (`_read_streamed`); a write keeps the typed records
        and the bytes, and reads its tables from them as needed.
        """
        from tracker import cache

        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return _Read(empty_tables(), [], None, False, 0)
        except IsADirectoryError:
            raise StoreError(f"store {self.path} is a folder, not a file") from None
        except OSError as error:
            raise StoreError(f"cannot read store {self.path}: {error.strerror}") from None
        with handle:
            try:
                seen_at = time.time_ns()
                info = os.fstat(handle.fileno())
                stamp: Stamp | None = cache.stamp_of_stat(info)
                # A read walks the file as it reads it; one the walk refuses is read whole below,
                # and parsed whole to say why. Only a regular file has a size to read up to and
                # can be read again (not a pipe).
                walked = session == "read" and not trust_cache and stat.S_ISREG(info.st_mode)
                streamed = self._read_streamed(handle, info.st_size, stamp, seen_at) if walked else None
                if streamed is None:
                    if walked:
                        handle.seek(0)
                    raw = handle.read()
                if cache.stamp_of_open(handle.fileno()) != stamp:
                    stamp = None  # changed while it was read: these bytes are no known file's
            except OSError as error:
                raise StoreError(f"cannot read store {self.path}: {error.strerror}") from None
        if streamed is not None:
            return streamed._replace(stamp=stamp)
        if not raw or raw.isspace():  # isspace stops at the first other byte; strip copies the file
            raise self._damaged("the file is empty")
        known_spans = cache.layout_of(self.path, stamp) if trust_cache and stamp is not None else None
        if known_spans is not None:
            spans = layout.sections(raw, FILE_TABLES, known_spans)
            if spans is not None:
                tables = layout.partial_tables(raw, spans, (META, JOURNAL), self._damaged)
                if tables[META].get(META_ID, {}).get("schema_version") == SCHEMA_VERSION:
                    return _Read(tables, [], stamp, True, seen_at, _Bytes(raw, spans))
        if session and not walked and not (trust_cache and stamp is not None and cache.has_records(self.path, stamp)):
            read = self._read_in_chunks(raw, stamp, seen_at, session == "write")
            if read is not None:
                return read
        try:
            tables = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise self._damaged(f"not valid JSON: {error}") from None
        del raw  # the parsed tables replace the file's bytes; both at once are the peak of a read
        cached = trust_cache and stamp is not None and cache.has_records(self.path, stamp)
        if cached:
            # A store that needs migrating is checked in full, as it would be without a cache.
            try:
                cached = tables[META][META_ID]["schema_version"] == SCHEMA_VERSION
            except (KeyError, TypeError):
                cached = False
        problem = None if cached else check_shape(tables)
        if problem:
            raise self._damaged(problem)
        version = tables[META][META_ID]["schema_version"]
        if version > SCHEMA_VERSION:
            raise StoreVersionError(
                f"store {self.path} has schema version {version}, newer than this tracker understands "
                f"({SCHEMA_VERSION}); upgrade tracker. The file was left as it is; {self._backup_note()}"
            )
        # Older stores are brought up to date in memory; the file changes only on the next write.
        applied = migrate(tables)
        return _Read(dict(tables), applied, stamp, cached, seen_at)

    def _read_streamed(self, handle: BinaryIO, size: int, stamp: Stamp | None, seen_at: int) -> _Read | None:
        """A read's records, checked a chunk at a time as `_read_in_chunks` checks them, from the
        file (of `size` bytes) read a window at a time rather than whole; None when it must be
        read whole (see there). `_read` then checks that the file did not change meanwhile."""
        try:
            read = self._read_in_chunks(layout.Stream(handle, size), stamp, seen_at, False)
        except layout.ReleasedBytesError:
            # Never expected (`walk` reads nothing before where it let go, and its tests hold it to
            # that); should it happen, the file is read whole rather than the command failing.
            return None
        return read

    def _read_in_chunks(self, raw: layout.Source, stamp: Stamp | None, seen_at: int, writing: bool) -> _Read | None:
        """The file's tables, checked a chunk of records at a time, and read from its bytes as
        needed (see `_read`); None when the file must be parsed whole: it is not in
        `serialize`'s layout at the current schema, or it has a problem, which that parse names
        as it always has.

        A read keeps the typed records alone, as a read from the cache does: nothing it does then
        depends on how the file's bytes are laid out. A write reads and edits records in the
        bytes, so each chunk must be byte for byte what `serialize` writes (a record given twice,
        or one on a line of its own, would be edited in the wrong place).
        """
        small: dict[str, dict[str, Any]] = {META: {}, JOURNAL: {}}
        typed: dict[str, dict[int, Any]] = {name: {} for name in TABLES}

        def usable_meta() -> bool:
            return not _meta_problem(small) and small[META][META_ID]["schema_version"] == SCHEMA_VERSION

        def take(name: str, records: dict[str, Any]) -> None:
            if name in small:
                small[name].update(records)
                return
            # _meta comes before the record tables in the file, which are checked against it.
            if not usable_meta():
                raise _ChunkProblemError
            if _records_problem(name, records, small[META][META_ID]["next_ids"][name], typed[name]):
                raise _ChunkProblemError

        try:
            spans = layout.walk(raw, FILE_TABLES, _CHUNK_BYTES, take, exact=writing)
        except _ChunkProblemError:
            return None
        if spans is None or not usable_meta():
            return None
        if not writing:
            return _Read({}, [], stamp, False, seen_at, typed=typed)
        assert isinstance(raw, bytes)  # a write edits the bytes, read whole
        tables: dict[str, Any] = dict(small)
        for name in TABLES:
            table = layout.PartialTable(raw, *spans[name], self._damaged)
            table.typed = table.typed_as_read = typed[name]
            tables[name] = table
        return _Read(tables, [], stamp, False, seen_at, _Bytes(raw, spans))

    def snapshot(self, use_cache: bool = True) -> Session:
        """The store as it is now, for reading only.

        When the cache holds this very file's records, they are used and the file is parsed only
        if the command needs its stored form. Otherwise the file is read and checked, and its
        records are kept in the cache for the next command. `use_cache=False` is for a command
        that needs the stored form anyway (the undo journal).
        """
        from tracker import cache

        if use_cache:
            seen = cache.stamp_of(self.path)
            records = cache.load(self.path, seen) if seen is not None else None
            if records is not None:
                return Session(None, known=lambda: records, read_tables=functools.partial(self._read_same, seen))
        read = self._read(session="read" if use_cache else None)
        if read.typed is not None:
            typed = read.typed
            session = Session(None, known=lambda: typed, read_tables=functools.partial(self._read_same, read.stamp))
        else:
            session = Session(read.tables)
        if use_cache and read.stamp is not None and cache.settled(read.stamp, read.seen_at):
            cache.save(self.path, read.stamp, session.typed_tables)
        return session

    def _read_same(self, seen: Stamp | None) -> dict[str, Any]:
        """The tables of the file whose records a session took from the cache, if it is still that file."""
        read = self._read()
        if read.stamp != seen:
            raise StoreError(f"store {self.path} was replaced while this command read it; run the command again")
        return read.tables

    def migration_backup(self) -> Path:
        """Where the file is kept, as it was, before the first write that migrates it."""
        return self.path.with_name(f"{self.path.name}.before-migration.bak")

    def _keep_before_migration(self) -> None:
        """Copy the file aside, as it is, before a write changes its schema version."""
        import shutil

        if self.path.exists():
            try:
                shutil.copy2(self.path, self.migration_backup())
            except OSError as error:
                raise StoreError(
                    f"cannot keep a copy of store {self.path} before migrating it: {error.strerror or error}; "
                    "nothing was written"
                ) from None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the exclusive lock on the sidecar lock file, waiting at most `lock_timeout`."""
        from filelock import FileLock, Timeout

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create the folder of store {self.path}: {error.strerror}") from None
        lock = FileLock(str(lock_path(self.path)), timeout=self.lock_timeout)
        try:
            lock.acquire()
        except Timeout:
            raise StoreLockedError(
                f"store {self.path} is locked by another tracker process (waited {self.lock_timeout:g} s); "
                "try again, or set TRACKER_LOCK_TIMEOUT to wait longer"
            ) from None
        except OSError as error:
            raise StoreError(f"cannot lock store {self.path}: {error.strerror}") from None
        try:
            yield
        finally:
            lock.release()

    @contextmanager
    def transaction(self, recorded_at: str = "") -> Iterator[Session]:
        """Lock the store, yield its tables, and write them back once if the block succeeds."""
        from tracker import cache

        with self._locked():
            self._remove_stale_temp_files()
            read = self._read(trust_cache=True, session="write")
            # The file as it was read (None: no file, or one that changed while it was read).
            seen = read.stamp
            known = functools.partial(cache.load, self.path, read.stamp) if read.cached and read.stamp else None
            session = Session(read.tables, known=known)
            migrations = read.migrations
            yield session
            if session.changed:
                session.journal_change(recorded_at)
                if self._identity() != seen:
                    raise StoreError(
                        f"store {self.path} was deleted or replaced by something else while this command ran; "
                        "nothing was written; run the command again"
                    )
                if migrations:
                    self._keep_before_migration()
                payload, spans = serialize(session.tables, read.source)
                written = self._write_payload(payload)
                # The file was written here, so its records are known: it is cached at once,
                # without waiting for its times to settle as a file read is; and so is its layout,
                # for the next write.
                if written is not None:
                    cache.save_layout(self.path, written, spans)
                    cache.save(self.path, written, session.typed_tables)

    def _remove_stale_temp_files(self) -> None:
        """Temp files of a writer that was killed; only a lock holder writes, so under the lock
        any temp file beside the store is stale."""
        for temp in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            temp.unlink(missing_ok=True)

    def _identity(self) -> Stamp | None:
        """What tells this store file from another one put in its place, or from itself changed
        (None: no file)."""
        from tracker import cache

        try:
            return cache.stamp_of_stat(self.path.stat())
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StoreError(f"cannot read store {self.path}: {error.strerror}") from None

    def backups(self) -> list[Path]:
        """The backups of the store that exist: the rotated ones newest first, then the copy
        kept before a migration."""
        rotated = [self.backup] + [self.backup.with_name(f"{self.backup.name}.{n}") for n in range(1, KEPT_BACKUPS)]
        return [path for path in (*rotated, self.migration_backup()) if path.exists()]

    def restore(self, backup: Path, moment: str) -> Path:
        """Put `backup` back as the store, after checking it is a sound store; the current file
        is kept aside as `<store>.replaced-<moment>`, which is returned (holds the lock)."""
        with self._locked():
            candidate = Store(backup)
            if not backup.is_file():
                raise NotFoundError(f"no backup {backup}; `tracker restore` lists the backups")
            try:
                tables = candidate.read_tables()
            except StoreDamagedError as error:
                # Without the damaged file's note on its own backups: a backup's would name a
                # '.bak.bak' that nobody made.
                raise StoreError(f"backup {backup} is not a sound store ({error.why}); nothing was restored") from None
            except StoreError as error:
                raise StoreError(f"backup {backup} is not a sound store, nothing was restored: {error}") from None
            from tracker.doctor import diagnose

            problems = diagnose(tables)
            if problems:
                raise StoreError(f"backup {backup} is not a sound store ({problems[0]}); nothing was restored")
            aside = self.path.with_name(f"{self.path.name}.replaced-{moment}")
            payload, _ = serialize(tables)
            try:
                if self.path.exists():
                    import shutil

                    shutil.copy2(self.path, aside)
                self._write_payload(payload, keep_backup=False)
            except OSError as error:
                raise StoreError(f"cannot restore store {self.path}: {error.strerror or error}") from None
            return aside

    def _write_payload(self, payload: Iterable[bytes | memoryview], keep_backup: bool = True) -> Stamp | None:
        """Write the store file; the stamp of the file written, if it is certainly the one the
        store's name now gives and nothing has changed it since it was written (else None)."""
        from tracker import cache

        directory = self.path.parent
        try:
            descriptor, temp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        except OSError as error:
            raise StoreError(
                f"cannot write store {self.path}: {error.strerror or error}; the store was left as it was"
            ) from None
        temp = Path(temp_name)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                # Each part is let go as soon as it is written (see `layout.assemble`).
                handle.writelines(payload)
                handle.flush()
                os.fsync(handle.fileno())
                written = os.fstat(handle.fileno())
                if self.path.exists():
                    os.chmod(temp, stat.S_IMODE(self.path.stat().st_mode))
                    if keep_backup:
                        self._keep_backup()
                else:
                    os.chmod(temp, 0o666 & ~_umask())
                os.replace(temp, self.path)
                _fsync_folder(directory)
                # The file as renamed, through the descriptor that wrote it: other programs take no
                # lock, and one that rewrote it meanwhile would have changed its size or its
                # modification time (the rename and the mode change only its change time).
                now = os.fstat(handle.fileno())
            unchanged = (now.st_size, now.st_mtime_ns) == (written.st_size, written.st_mtime_ns)
            stamp = cache.stamp_of_stat(now) if unchanged else None
            return stamp if stamp is not None and cache.stamp_of(self.path) == stamp else None
        except BaseException as error:
            temp.unlink(missing_ok=True)
            if isinstance(error, OSError):
                why = error.strerror or str(error)
            elif isinstance(error, orjson.JSONEncodeError):
                # The payload is encoded as it is written. A value that JSON reads but the encoder
                # cannot write (a hand edit nesting one deeper than it goes) stops the write here.
                why = f"a value in it cannot be written as JSON ({error})"
            else:
                raise
            raise StoreError(f"cannot write store {self.path}: {why}; the store was left as it was") from None

    def _keep_backup(self) -> None:
        """Keep the current file as the newest backup, shifting older ones (`.bak.1` ... `.bak.4`).

        A hard link costs no copy, and the store's replacement by rename leaves the backup
        holding the old content. Renames are atomic, so a crash mid-rotation loses at most the
        oldest backup, never the store.
        """
        for number in range(KEPT_BACKUPS - 1, 0, -1):
            older = self.backup.with_name(f"{self.backup.name}.{number - 1}") if number > 1 else self.backup
            if older.exists():
                os.replace(older, self.backup.with_name(f"{self.backup.name}.{number}"))
        staged = self.backup.with_name(self.backup.name + ".tmp")
        staged.unlink(missing_ok=True)
        try:
            os.link(self.path, staged)
        except OSError:
            import shutil

            shutil.copy2(self.path, staged)
        os.replace(staged, self.backup)


def serialize(
    tables: dict[str, Any], source: _Bytes | None = None
) -> tuple[Iterator[bytes | memoryview], layout.Spans]:
    """The store file's bytes, sorted keys and a two-space indent so it diffs well, in the parts
    it is written in, each table encoded as it is reached (see `layout.assemble`), and where
    each table is in them, known once every part has been taken.

    Tables read from `source`'s bytes as needed are written as those bytes with the changed
    records encoded again in their places: the same file, without encoding it all.
    """
    edited = source is not None and tables.keys() == source.spans.keys()

    def value(name: str) -> list[bytes | memoryview]:
        table = tables[name]
        if isinstance(table, layout.PartialTable):
            return table.encoded() if edited else [layout.table_value(name, dict(table))]
        return [layout.table_value(name, table)]

    return layout.assemble((name, value(name)) for name in sorted(tables))


def _umask() -> int:
    """The process umask (readable only by setting it), so a new store gets the usual mode."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_folder(directory: Path) -> None:
    """Make the rename itself durable; some systems cannot open a folder, which is harmless."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
