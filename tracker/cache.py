"""The checked store's typed records, kept between commands so a read need not parse the file.

Reading a store means parsing the whole JSON file and checking every record by building its
typed form, and on a large store that is most of what any command costs. Once a command has
done it, the typed records are kept in a binary file in the user's cache folder, stamped with
what identifies the exact store file they came from: its device, inode, size, and modification
and change times in nanoseconds. A later command whose store file still has that stamp takes the
records from the cache (unpickling them costs a third of parsing and checking the file) and
need not check them again: they were checked when the cache was made.

Any other stamp means the cache says nothing about the file. Every write of the store replaces
the file (a new inode and times), an edit in place changes its times, and a copied or restored
file is a new inode, so none of them can be mistaken for the file that was cached. The cache is
never needed for correctness: one that is missing, stale, damaged, of another tracker version, or
that cannot be written is ignored, and the store is read as before. `TRACKER_CACHE=off` turns it
off; `TRACKER_CACHE_DIR` moves it.

Beside the records, a small note (`<name>.layout`) says that tracker wrote the store file with
a given stamp, and where each table is in it. A write whose file has that stamp edits the file's
bytes instead of parsing it (see `tracker.layout`). The note is written as soon as the store is,
so the very next write can use it; a file written any other way has no note and is read whole.

Saving the records costs about as much as reading the store once, so a command does not make its
user wait for it: the console entry point defers saves (`defer_saves`) and runs them in a forked
child after the command has finished (`run_deferred`). Library callers save at once.
"""

from __future__ import annotations

import functools
import os
import re
import zlib
from collections.abc import Callable
from datetime import date
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from tracker import __version__

if TYPE_CHECKING:
    from tracker.layout import Spans

Stamp = tuple[int, int, int, int, int]
Records = dict[str, dict[int, Any]]
_FORMAT = 5


@functools.cache
def _classes() -> dict[tuple[str, str], Any]:
    """The record types and the types of their parts, by module and name."""
    from tracker.dates import Deadline
    from tracker.model import Category, Condition, Evidence, HistoryEntry, Pledge, Quantity, Source, Stance, Status

    kinds = (Pledge, Evidence, HistoryEntry, Source, Quantity, Condition, Deadline, Status, Category, Stance, date)
    return {(kind.__module__, kind.__qualname__): kind for kind in kinds}


@functools.cache
def _buildable() -> dict[tuple[str, str], Any]:
    """What a cache file may build when loaded, and nothing else: a damaged or planted file
    cannot make unpickling call anything beyond these constructors. The records themselves are
    kept as plain tuples (see `_rows`); only their parts are built by unpickling."""
    from tracker.store import RECORD_TYPES

    return {key: kind for key, kind in _classes().items() if kind not in RECORD_TYPES.values()}


@functools.cache
def _header(stamp: Stamp) -> tuple[Any, ...]:
    # The fields of every record type are part of the header: a cache written by a tracker whose
    # records had other fields is ignored, whatever its version says.
    layout = tuple((name, kind._fields) for (_, name), kind in sorted(_classes().items()) if hasattr(kind, "_fields"))
    return (_FORMAT, __version__, layout, stamp)


_deferred: list[Callable[[], None]] | None = None


def stamp_of(path: Path) -> Stamp | None:
    """What identifies this very file (None: no such file, or it cannot be looked at).

    The file is opened and its open descriptor looked at: on a network file system, opening
    is what makes the attributes current.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return stamp_of_open(descriptor)
    finally:
        os.close(descriptor)


def stamp_of_open(descriptor: int) -> Stamp:
    return stamp_of_stat(os.fstat(descriptor))


def stamp_of_stat(info: os.stat_result) -> Stamp:
    # The change time is set by every change, even one that puts the modification time back.
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _owned(info: os.stat_result) -> bool:
    """Whether this user owns the file (where the system has owners)."""
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


# File times come from a clock that ticks every few milliseconds (two seconds on FAT): a file
# changed again within the tick of the change we saw, keeping its size, would keep its stamp.
# A file is cached only once its last change is older than this, so any later change shows.
SETTLED_AFTER_NS = 3 * 10**9


def settled(stamp: Stamp, seen_at_ns: int) -> bool:
    """Whether the file with `stamp`, as read at `seen_at_ns`, can be told from any later change."""
    return seen_at_ns - max(stamp[3], stamp[4]) > SETTLED_AFTER_NS


def cache_file(store: Path) -> Path | None:
    """Where the cache of the store at `store` lives (None: caching is off)."""
    setting = os.environ.get("TRACKER_CACHE", "").strip().lower()
    if setting in ("0", "off", "no", "false"):
        return None
    if setting not in ("", "1", "on", "yes", "true"):
        from tracker.errors import BadInputError

        raise BadInputError(f"TRACKER_CACHE='{os.environ['TRACKER_CACHE']}' is neither on nor off")
    folder = os.environ.get("TRACKER_CACHE_DIR")
    if folder:
        base = Path(folder)
    else:
        from platformdirs import user_cache_path

        base = user_cache_path("tracker", appauthor=False)
    import hashlib

    name = hashlib.sha256(os.fsencode(os.path.abspath(store))).hexdigest()[:32]
    return base / f"{name}.records"


@functools.cache
def _unpickler() -> Any:
    """An unpickler that builds only the record types (pickle is imported when a cache is used)."""
    import pickle

    class RecordUnpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            try:
                return _buildable()[(module, name)]
            except KeyError:
                raise pickle.UnpicklingError(f"{module}.{name} is not a record type") from None

    return RecordUnpickler


def _open_matching(store: Path, stamp: Stamp) -> BinaryIO | None:
    """The cache file, positioned after its header, if the header is for this very store file."""
    where = cache_file(store)
    if where is None:
        return None
    handle = _open_own(where)
    if handle is None:
        return None
    try:
        if _unpickler()(handle).load() == _header(stamp):
            return handle
    except Exception:  # any damage to the file means only that there is no cache
        pass
    handle.close()
    return None


def _open_own(where: Path) -> BinaryIO | None:
    """A file of the cache folder, if this user owns it and only this user can write it: what it
    says decides what a command builds, or which bytes of the store it keeps, and nobody else
    should be able to choose that."""
    try:
        handle = open(where, "rb")  # noqa: SIM115 (closed by the caller, or here when refused)
    except OSError:
        return None
    try:
        info = os.fstat(handle.fileno())
        if _owned(info) and not info.st_mode & 0o022:
            return handle
    except OSError:
        pass
    handle.close()
    return None


def has_records(store: Path, stamp: Stamp) -> bool:
    """Whether the cache holds the records of this very store file (its header only is read)."""
    handle = _open_matching(store, stamp)
    if handle is None:
        return False
    handle.close()
    return True


def load(store: Path, stamp: Stamp) -> Records | None:
    """The typed records of this very store file, or None when the cache does not hold them.

    Header and records are read through one open file: a save that replaces the cache file
    meanwhile cannot pair this header with another file's records.
    """
    handle = _open_matching(store, stamp)
    if handle is None:
        return None
    import io

    with handle:
        try:
            # The body's checksum comes first: a damaged body must not be unpickled into records
            # that look sound but are not those of the file.
            expected = _unpickler()(handle).load()
            body = handle.read()
            if type(expected) is not int or zlib.crc32(body) != expected:
                return None
            return _records(_unpickler()(io.BytesIO(body)).load())
        except Exception:  # a damaged body is a missing cache, never an error
            return None


def _layout_file(store: Path) -> Path | None:
    where = cache_file(store)
    return where.with_suffix(".layout") if where is not None else None


def save_layout(store: Path, stamp: Stamp, spans: Spans) -> None:
    """Note that tracker wrote the store file with `stamp`, and where each of its tables is: a
    later write may then edit the file's bytes (see `tracker.layout`). A few bytes, written at
    once (not deferred like the records), so the very next write can use them."""
    import orjson

    where = _layout_file(store)
    if where is None:
        return
    body = orjson.dumps({"header": [_FORMAT, __version__, list(stamp)], "spans": spans})
    _replace(where, lambda handle: handle.write(body))


def layout_of(store: Path, stamp: Stamp) -> Spans | None:
    """Where each table is in the store file with `stamp`, if tracker wrote that very file;
    otherwise None (the file may have been written by hand, in another layout)."""
    import orjson

    where = _layout_file(store)
    handle = _open_own(where) if where is not None else None
    if handle is None:
        return None
    with handle:
        try:
            found = orjson.loads(handle.read())
            if found["header"] != [_FORMAT, __version__, list(stamp)]:
                return None
            spans = {name: (start, end) for name, (start, end) in found["spans"].items()}
        except Exception:  # any damage means only that the layout is not known
            return None
    if all(type(name) is str and type(start) is int and type(end) is int for name, (start, end) in spans.items()):
        return spans
    return None


def _rows(records: Records) -> dict[str, tuple[list[int], list[tuple[Any, ...]]]]:
    """The records as the cache keeps them: each table as its ids and its records as plain
    tuples. A plain tuple unpickles in about half the time of a named tuple, and `_records`
    makes the named tuples again in one C-level pass (the parts inside a record, such as its
    source, stay named tuples)."""
    return {name: (list(table), list(map(tuple, table.values()))) for name, table in records.items()}


def _records(rows: object) -> Records | None:
    """The typed records kept as `_rows` keeps them; None for anything else (no cache): exactly
    the tables of a store, each a list of ids and a list of as many tuples of a record's size,
    whose ids are the records' own."""
    from tracker.model import by_id
    from tracker.store import RECORD_TYPES

    if not isinstance(rows, dict) or rows.keys() != RECORD_TYPES.keys():
        return None
    records: Records = {}
    for name, kind in RECORD_TYPES.items():
        kept = rows[name]
        if type(kept) is not tuple or len(kept) != 2:
            return None
        ids, values = kept
        if type(ids) is not list or type(values) is not list or len(ids) != len(values):
            return None
        # Whole-table checks that run in C: this is on the path of every cached read.
        if not set(map(type, ids)) <= {int} or not set(map(type, values)) <= {tuple}:
            return None
        if not set(map(len, values)) <= {len(kind._fields)}:
            return None
        table = dict(zip(ids, map(tuple.__new__, repeat(kind), values), strict=True))
        own_ids = list(map(by_id, table.values()))
        # Compared as lists and by type: True and 1.0 equal 1, but are no id.
        if len(table) != len(ids) or own_ids != ids or not set(map(type, own_ids)) <= {int}:
            return None
        records[name] = table
    return records


def save(store: Path, stamp: Stamp, records: Callable[[], Records]) -> None:
    """Keep `records()` as the records of the store file with `stamp`; now, or after the command
    when saves are deferred. Failing to save is not an error: the next command reads the file."""
    if cache_file(store) is None:
        return
    if _deferred is not None:
        _deferred.append(lambda: _write_if_current(store, stamp, records))
    else:
        _write_if_current(store, stamp, records)


def _write_if_current(store: Path, stamp: Stamp, records: Callable[[], Records]) -> None:
    """Save unless the store file has changed since: a cache of a file that is gone is work for
    nothing (a script writing many times in a row would pile up such saves)."""
    if stamp_of(store) != stamp:
        return
    built = records()
    if stamp_of(store) == stamp:
        _write(store, stamp, built)


def _shared(value: Any, canonical: dict[Any, Any]) -> Any:
    """`value` rebuilt with one object for each distinct string and date in it.

    A store repeats the same few thousand strings and dates (statuses, actors, publishers, field
    names, days) hundreds of thousands of times, and parsing makes each a new object. Pickled
    once each and referred to after, they load as one object each: at 10,000 pledges the cache
    file halves and loading it takes a third less time.
    """
    kind = type(value)
    if kind is str or kind is date:
        return canonical.setdefault(value, value)
    if isinstance(value, tuple):  # a record, or a field made of parts (tuple.__new__ skips checks run before)
        return tuple.__new__(kind, [_shared(item, canonical) for item in value])
    if kind is list:
        return [_shared(item, canonical) for item in value]
    if kind is dict:
        return {_shared(key, canonical): _shared(item, canonical) for key, item in value.items()}
    return value


def _write(store: Path, stamp: Stamp, records: Records) -> None:
    import pickle

    where = cache_file(store)
    if where is None:
        return

    def dump(handle: BinaryIO) -> None:
        body = pickle.dumps(_shared(_rows(records), {}), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(_header(stamp), handle, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(zlib.crc32(body), handle, protocol=pickle.HIGHEST_PROTOCOL)
        handle.write(body)

    _replace(where, dump, (pickle.PicklingError, RecursionError))
    _prune(where.parent)


def _replace(where: Path, write: Callable[[BinaryIO], object], failures: tuple[type[Exception], ...] = ()) -> None:
    """Write a file of the cache folder through a temp file: readers open it by name, and the
    rename gives them the old file or the new one whole. Failing (an OSError, or one of
    `failures` from `write`) is no error."""
    import tempfile

    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temp_name = tempfile.mkstemp(prefix=f".{where.name}.", suffix=".tmp", dir=where.parent)
    except OSError:
        return
    caught: tuple[type[Exception], ...] = (OSError, *failures)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
        os.replace(temp_name, where)
    except caught:
        Path(temp_name).unlink(missing_ok=True)


UNUSED_FOR = 30 * 24 * 3600
ABANDONED_AFTER = 3600
_OURS = re.compile(r"\.?[0-9a-f]{32}\.(?:records|layout)(?:\.[A-Za-z0-9_]+\.tmp)?")


def _prune(folder: Path) -> None:
    """Remove the caches of stores not read for a month, and temp files of saves that were
    killed, so the cache folder does not grow with every store ever opened."""
    import time

    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        # Only names this module gives: the folder may be shared (TRACKER_CACHE_DIR=/tmp).
        if _OURS.fullmatch(entry.name) is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if entry.name.endswith(".tmp"):
                stale = now - info.st_mtime > ABANDONED_AFTER
            else:
                stale = now - max(info.st_atime, info.st_mtime) > UNUSED_FOR
            if stale and _owned(info):
                os.unlink(entry.path)
        except OSError:
            continue


# What the commands of a console process read, kept to its end (see `hold_to_exit`).
_held: list[object] | None = None


def hold_to_exit() -> None:
    """Keep every store session this process opens until it ends, for a process that ends with
    os._exit: freeing a store's records object by object when a command returns (about 30 ms at
    10,000 pledges) would be work for nothing."""
    global _held
    _held = []


def hold(value: object) -> None:
    if _held is not None:
        _held.append(value)


def defer_saves() -> None:
    """Queue saves until `run_deferred`, instead of making the command wait for them."""
    global _deferred
    _deferred = []


def run_deferred() -> bool:
    """Run the queued saves in a forked child, so the command's process can end now; True when
    a child was forked, and the caller should then end without freeing what the child is using.

    The child detaches from the terminal's output first: a reader of a pipe (`tracker list |
    head`) sees the end of the output when the command ends, not when the save does. Where
    there is no fork, the saves run here.
    """
    global _deferred
    pending, _deferred = _deferred or [], None
    if not pending:
        return False
    if not hasattr(os, "fork"):
        for job in pending:
            job()
        return False
    try:
        child = os.fork()
    except OSError:
        return False
    if child != 0:
        return True
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(devnull, stream)
        # Nor any other file the command was given (devnull's own descriptor included): a reader
        # waiting for its end would wait for the save.
        os.closerange(3, _open_files_limit())
        os.setsid()
        for job in pending:
            job()
    finally:
        os._exit(0)


def _open_files_limit() -> int:
    try:
        limit = os.sysconf("SC_OPEN_MAX")
    except (AttributeError, ValueError, OSError):
        limit = 1024
    return min(limit if limit > 0 else 1024, 65536)
