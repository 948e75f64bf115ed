"""The store file's fixed layout, and writes that edit its bytes instead of rewriting it.

`store.serialize` writes the tables with sorted keys and a two-space indent, so a file it wrote
has one layout: the tables in name order, one line per record key at four spaces
(`\\n    "12": {`), each record closed by `\\n    }`. JSON strings cannot hold a raw newline,
so a newline followed by exactly that indent is always structure, never text; and record keys
(decimal ids) are in text order, so one record is found by bisecting the bytes.

A write to a large store changes a few records. Parsing the whole file to change them, and
encoding it all again, is most of what such a write costs and needs the file several times
over in memory. When the file is known to be one that `serialize` wrote (the cache noted where its tables are
when tracker wrote it), a write instead reads its records from the bytes as it needs them
(`PartialTable`) and writes the same bytes with only the changed records encoded again
(`PartialTable.encoded`). The result is byte for byte what `serialize` would write for the same
tables: `serialize` itself writes the file table by table (`assemble`), which is how it knows
where each table is.

A file in this layout that the cache knows nothing of (another program wrote or copied it) is
parsed and checked a chunk of records at a time (`walk`), which needs a fraction of the memory
that parsing it whole needs, and is then read and edited a record at a time in the same way.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any, BinaryIO

import orjson

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
_TABLE_END = b"\n  }"
_FILE_END = b"\n}\n"  # after the last table
_RECORD_LINE = b'\n    "'
_RECORD_END = b"\n    }"
_FIELD_INDENT = b"\n      "

# Where each top-level table's value starts and ends in a file, by table name.
Spans = dict[str, tuple[int, int]]


def encode(value: Any, depth: int) -> bytes:
    """`value` as `serialize` writes it `depth` levels deep (its inner lines indented to match)."""
    return orjson.dumps(value, option=_OPTIONS).replace(b"\n", b"\n" + b"  " * depth)


def _head(name: str) -> bytes:
    """The line that opens a top-level table, up to its value."""
    return b"\n  " + orjson.dumps(name) + b": "


def table_value(name: str, table: Any) -> memoryview:
    """A whole table's value as it is written under `name`, without copying it to indent it: the
    encoder writes it inside an object of its own, at the depth it has in the file."""
    wrapped = orjson.dumps({name: table}, option=_OPTIONS)
    return memoryview(wrapped)[1 + len(_head(name)) : -2]


def assemble(
    values: Iterable[tuple[str, list[bytes | memoryview]]],
) -> tuple[Iterator[bytes | memoryview], Spans]:
    """The store file, as parts to write one after another, from each table's value (in name
    order), and where each value is in it, known once every part has been taken.

    Each table's value is taken from `values` only when the parts before it have been written,
    and let go once its own have: encoding a large store's tables one at a time keeps one
    table's bytes in memory instead of the whole file's.
    """
    spans: Spans = {}

    def parts() -> Iterator[bytes | memoryview]:
        yield b"{"
        position = 1
        for name, value in values:
            head = (b"," if spans else b"") + _head(name)
            yield head
            start = position = position + len(head)
            part: bytes | memoryview = b""
            for part in value:
                position += len(part)
                yield part
            spans[name] = (start, position)
            del value, part  # before the next table's value is encoded
        yield _FILE_END if spans else b"}\n"

    return parts(), spans


class ReleasedBytesError(Exception):
    """A `Stream` was asked for bytes it had let go."""


class Stream:
    """A file's bytes, read forward a window at a time, with what `walk` asks of bytes (`find`,
    `startswith`, `endswith`, slices, the length), at the file's own positions.

    A read that keeps only the records it builds needs no more of the file at once than the
    chunk it parses: read whole, a 333 MB store costs its size in fresh memory, about 0.2 s of
    this machine's time to map in, and most of the peak of a read without the cache. Bytes before
    `release`'s position are let go at the next read; asking for them is a mistake.
    """

    def __init__(self, handle: BinaryIO, size: int, window: int = 1 << 22) -> None:
        self._handle = handle
        self._size = size
        self._window = max(window, 1)
        self._data = b""
        self._base = 0  # where `_data` starts in the file
        self._kept = 0  # where the bytes still needed start

    def __len__(self) -> int:
        return self._size

    def release(self, before: int) -> None:
        self._kept = max(self._kept, before)

    def _extend(self, least: int = 0) -> bool:
        """Read at least `least` more bytes (a window's worth at least); False at the end of the file."""
        end = self._base + len(self._data)
        if end >= self._size:
            return False
        kept = max(self._kept - self._base, 0)
        # At least as much again as is still held: a run longer than the window (a journal entry
        # of thousands of records) is then copied a few times over, not once per window.
        more = self._handle.read(min(max(least, self._window, len(self._data) - kept), self._size - end))
        if not more:
            self._size = end  # the file is shorter than it was: what follows is not there
            return False
        self._data = b"".join((memoryview(self._data)[kept:], more))
        self._base += kept
        return True

    def _cover(self, end: int) -> None:
        while self._base + len(self._data) < min(end, self._size) and self._extend(end - self._base - len(self._data)):
            pass

    def _local(self, position: int) -> int:
        if position < self._base:
            raise ReleasedBytesError(f"byte {position} was let go")
        return position - self._base

    def __getitem__(self, span: slice) -> memoryview:
        self._cover(span.stop)
        return memoryview(self._data)[self._local(span.start) : self._local(span.stop)]

    def startswith(self, prefix: bytes | memoryview, position: int = 0) -> bool:
        self._cover(position + len(prefix))
        return self._data.startswith(prefix, self._local(position))

    def endswith(self, suffix: bytes) -> bool:
        # Read out of turn, so that a file that does not end as the layout does is refused before
        # it is walked; `_framed` checks the bytes it walked to again, as the file may change.
        here = self._handle.tell()
        self._handle.seek(max(self._size - len(suffix), 0))
        tail = self._handle.read(len(suffix))
        self._handle.seek(here)
        return self._size >= len(suffix) and tail == suffix

    def find(self, wanted: bytes, start: int, end: int | None = None) -> int:
        searched = start
        while True:
            if end is not None:
                self._cover(end)
            found = self._data.find(wanted, self._local(searched), None if end is None else self._local(end))
            if found >= 0:
                return self._base + found
            # Not in what is read so far: read on, searching again across the join.
            resume = max(start, self._base + len(self._data) - len(wanted) + 1)
            if end is not None or not self._extend():
                return -1
            searched = resume


# What `walk` reads: a file's bytes, or the file read forward a window at a time.
Source = bytes | Stream


def _framed(raw: Source, names: tuple[str, ...], close_of: Callable[[str, int], int | None]) -> Spans | None:
    """Where each of the tables `names` is in `raw` (see `sections`), if the file is framed as
    `serialize` frames it: an object of exactly those tables, in that order, each on its own
    line and joined by commas. `close_of(name, start)` says where the closing line of the
    table whose non-empty value starts at `start` is (None: not in the layout)."""
    if not raw.startswith(b"{") or not raw.endswith(_FILE_END):
        return None
    found: Spans = {}
    position = 1
    for name in names:
        head = _head(name)
        if not raw.startswith(head, position):
            return None
        start = position + len(head)
        if raw.startswith(b"{}", start):
            end = start + 2
        elif raw.startswith(b"{\n", start):
            close = close_of(name, start)
            if close is None:
                return None
            end = close + len(_TABLE_END)
        else:
            return None
        found[name] = (start, end)
        position = _next_head(raw, end, last=name == names[-1])
        if position < 0:
            return None
    # The end again, as walked: a file read a window at a time may have changed since it was
    # first looked at.
    return found if position == len(raw) - len(_FILE_END) and raw.startswith(_FILE_END, position) else None


def _next_head(raw: Source, end: int, last: bool) -> int:
    """Where the next table's head begins, after a table's value that ends at `end`: past the
    comma between two tables, none after the last (-1 when that is not so: no table begins
    there, and the file is not in the layout)."""
    comma = raw.startswith(b",", end)
    if last:
        return -1 if comma else end
    return end + 1 if comma else -1


def sections(raw: bytes, names: tuple[str, ...], known: Spans | None = None) -> Spans | None:
    """Where each top-level table's value starts and ends in `raw`, if the file has exactly the
    tables `names` (in that order) in the layout `serialize` writes; None otherwise.

    Finding where a table ends means searching its bytes; `known` (the spans `serialize` gave when
    tracker wrote the file, kept beside the cache) spares the search, and is only checked
    against the bytes.
    """

    def close_of(name: str, start: int) -> int | None:
        told = known.get(name) if known is not None else None
        close = told[1] - len(_TABLE_END) if told is not None and told[0] == start else raw.find(_TABLE_END, start)
        return close if close >= start and raw.startswith(_TABLE_END, close) else None

    return _framed(raw, names, close_of)


def walk(
    raw: Source, names: tuple[str, ...], size: int, take: Callable[[str, dict[str, Any]], None], exact: bool
) -> Spans | None:
    """Hand each table's records to `take` (by table name, in file order) parsed about `size`
    bytes at a time, if `raw` has the tables `names` in the layout `serialize` writes; and then
    return where each table is, as `sections` does. None: the file is not in that layout, and
    `take` may have been given part of it.

    Parsing a large file a chunk at a time needs far less memory than parsing it whole, as the
    caller keeps only what it makes of each chunk. A chunk is each record from where the last
    one ended to the first record line (`,\n    "`) found `size` bytes on. A split that is not
    between records (in a file whose lines are indented otherwise) leaves a chunk that is not
    JSON, as its braces do not match; each chunk is parsed as deep in brackets as it is in the
    file, so the parser's limit on nesting refuses what it would refuse in the whole file. The
    end of a table is not searched for, which would mean reading all of its bytes once more: a
    chunk that runs past it is not JSON, and only that chunk is then searched for it.

    `raw` is the file's bytes, or a `Stream` of it (a read, which keeps no bytes), which the walk
    lets go of a run at a time; the walk then checks the end of the file against the bytes it
    walked, not only against the file as it first looked.

    The records are then those of the whole file parsed. With `exact`, each chunk must also be
    byte for byte what `serialize` writes for its records (keys in order, none given twice, the
    same spacing), as a file whose records are read and edited in place (`PartialTable`) must
    be; that costs encoding the records again.
    """
    return _framed(
        raw, names, lambda name, start: _walk_records(raw, start, size, functools.partial(take, name), exact)
    )


def parse_in_runs(
    raw: Source,
    first: int,
    size: int,
    separator: bytes,
    closing_line: bytes,
    wrap: tuple[bytes, bytes],
    take: Callable[[Any, int, int], bool],
) -> int | None:
    """Parse the entries of an object or list from `first` (just past its opening bracket) to its
    `closing_line`, about `size` bytes at a time; return where that line is, or None when the
    bytes are not laid out so (`take` may then have been given part of them).

    A run ends before the first `separator` (a comma, a newline and the indent an entry begins
    with) found `size` bytes on. It is parsed in `wrap`, which makes it one value as deep in
    brackets as it is in the file, so the parser's limit on nesting refuses what it would refuse
    in the whole file; a split that is not between entries leaves brackets that do not match, or
    more than one value, which is not taken. The closing line is not searched for, which would
    mean reading all the bytes once more: a run that goes past it does not parse, and only that
    run is then searched. Each run's value, and where the run starts and ends, go to `take`,
    which says whether they are in the layout.
    """
    whole = raw if isinstance(raw, Stream) else memoryview(raw)

    def parse(begin: int, end: int) -> Any:
        # One copy, into a buffer of the run's size (adding bytes together makes three).
        wrapped = orjson.loads(b"".join((wrap[0], whole[begin:end], wrap[1])))
        if len(wrapped) != 1:  # the run closed the wrapping and opened another value
            raise orjson.JSONDecodeError("not one value", "", 0)
        return wrapped[0]

    position = first
    while True:
        split = raw.find(separator, position + size)
        try:
            value = parse(position, len(raw) if split == -1 else split)
            if split == -1:
                return None  # the rest of the file is entries: there is no closing line
            run_end, close = split, None
        except orjson.JSONDecodeError:
            close = raw.find(closing_line, position, len(raw) if split == -1 else split)
            if close == -1:
                return None
            run_end = close
            try:
                value = parse(position, run_end)
            except orjson.JSONDecodeError:
                return None
        if not take(value, position, run_end):
            return None
        if close is not None:
            return close
        position = run_end + 1
        if isinstance(raw, Stream):
            # Nothing before the next run is read again: the closing line is searched for from it.
            raw.release(position)


def _walk_records(
    raw: Source, start: int, size: int, take: Callable[[dict[str, Any]], None], exact: bool
) -> int | None:
    """Hand the records of the table whose value starts at `start` to `take` a chunk at a time
    (see `walk`); return where its closing line is, or None if it is not in the layout."""
    last_key = ""

    def in_layout(records: dict[str, Any], begin: int, end: int) -> bool:
        nonlocal last_key
        keys = list(records)
        if not keys or keys[0] <= last_key or not all(map(operator.lt, keys, itertools.islice(keys, 1, None))):
            return False
        if exact:
            try:
                encoded = encode(records, 1)
            except orjson.JSONEncodeError:  # nested deeper than the encoder goes: parsed whole
                return False
            # What `serialize` writes for these records is `{`, the chunk, and the closing line.
            if len(encoded) != end - begin + 1 + len(_TABLE_END) or not raw.startswith(
                memoryview(encoded)[1 : -len(_TABLE_END)], begin
            ):
                return False
        last_key = keys[-1]
        take(records)
        return True

    return parse_in_runs(raw, start + 1, size, b"," + _RECORD_LINE, _TABLE_END, (b"[{", b"}]"), in_layout)


class PartialTable(MutableMapping[str, Any]):
    """One table of a store file as TinyDB sees it (stored records by decimal key), read from the
    file's bytes a record at a time.

    Every record handed out or set is kept (`_edited`), as is every key removed, and only they
    are encoded again when the file is written: a record handed out but left unchanged encodes
    to the bytes it came from. Anything that needs the whole table (iterating it, its length)
    parses it once, and the table is then encoded whole.

    `typed` and `by_pledge` are the session's typed records of the table and their grouping,
    kept here so that any change to the table drops them; `typed_as_read`, when the table was
    checked as it was read, are the typed records of its bytes, which no change drops.
    """

    def __init__(self, raw: bytes, start: int, end: int, damaged: Callable[[str], Exception]) -> None:
        self._raw = raw
        self._start = start
        self._end = end
        self._damaged = damaged
        self._edited: dict[str, Any] = {}
        self._removed: set[str] = set()
        self._whole: dict[str, Any] | None = None
        self.typed: dict[int, Any] | None = None
        self.by_pledge: dict[int, list[Any]] | None = None
        self.typed_as_read: dict[int, Any] | None = None

    # finding records in the bytes ----------------------------------------------------------
    @property
    def _close(self) -> int:
        """Where the records end: before the closing `\\n  }` (or at the `}` of an empty `{}`)."""
        return self._start + 1 if self._end - self._start == 2 else self._end - len(_TABLE_END)

    def _key_at(self, line: int) -> bytes:
        begin = line + len(_RECORD_LINE)
        return self._raw[begin : self._raw.index(b'"', begin)]

    def _locate(self, key: bytes, low: int) -> tuple[int, bool]:
        """The first record line at or after `low` whose key is not below `key` (or the end of
        the records), and whether its key is `key`."""
        raw, close = self._raw, self._close
        high = close
        # Bisect on byte positions: the first record line at or after a position has a key that
        # grows with the position, as the records are in key order. (A line found at or past
        # `high` has a key not below `key`, by what `high` is, so it moves `high` as it should.)
        while low < high:
            middle = (low + high) // 2
            line = raw.find(_RECORD_LINE, middle, close)
            if line != -1 and self._key_at(line) < key:
                low = line + 1
            else:
                high = middle
        line = raw.find(_RECORD_LINE, low, close)
        if line == -1:
            return close, False
        return line, self._key_at(line) == key

    def _value_span(self, line: int, key: bytes) -> tuple[int, int]:
        start = line + len(_RECORD_LINE) + len(key) + len(b'": ')
        if self._raw.startswith(b"{}", start):
            return start, start + 2
        return start, self._raw.index(_RECORD_END, start) + len(_RECORD_END)

    def _stored(self, key: str) -> Any:
        """The record under `key` as the bytes hold it, or None."""
        encoded = key.encode()
        line, found = self._locate(encoded, self._start + 1)
        if not found:
            return None
        start, end = self._value_span(line, encoded)
        return self._parse(start, end)

    def _parse(self, start: int, end: int) -> Any:
        # The bytes were not parsed when the file was read: damage that kept the file's stamp
        # (a disk's, say) shows only here.
        try:
            return orjson.loads(memoryview(self._raw)[start:end])
        except orjson.JSONDecodeError as error:
            raise self._damaged(f"not valid JSON: {error}") from None

    def _whole_table(self) -> dict[str, Any]:
        if self._whole is None:
            whole: dict[str, Any] = self._parse(self._start, self._end)
            for key in self._removed:
                whole.pop(key, None)
            whole.update(self._edited)
            self._whole = whole
        return self._whole

    def _changed(self) -> None:
        self.typed = None
        self.by_pledge = None

    # the mapping ---------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        if self._whole is not None:
            self._changed()  # the caller may change the record in place
            return self._whole[key]
        if key in self._removed:
            raise KeyError(key)
        record = self._edited.get(key)
        if record is None:
            record = self._stored(key)
            if record is None:
                raise KeyError(key)
        self._edited[key] = record
        self._changed()
        return record

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if self._whole is not None:
            return key in self._whole
        if key in self._edited:
            return True
        return key not in self._removed and self._locate(key.encode(), self._start + 1)[1]

    def __setitem__(self, key: str, value: Any) -> None:
        self._changed()
        if self._whole is not None:
            self._whole[key] = value
            return
        self._edited[key] = value
        self._removed.discard(key)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._changed()
        if self._whole is not None:
            del self._whole[key]
            return
        self._edited.pop(key, None)
        self._removed.add(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._whole_table())

    def __len__(self) -> int:
        return len(self._whole_table())

    # what a write needs --------------------------------------------------------------------
    def edited(self) -> Iterator[tuple[str, Any]]:
        """Each key handed out, set or removed, with its record now (None: removed)."""
        if self._whole is not None:
            yield from self._whole.items()
            return
        yield from self._edited.items()
        for key in self._removed:
            yield key, None

    def checkpoint(self) -> tuple[dict[str, Any], set[str], dict[str, Any] | None]:
        """What `restore` needs to undo the changes made after this (records changed in place
        excepted, as with a shallow copy of a dict)."""
        whole = dict(self._whole) if self._whole is not None else None
        return dict(self._edited), set(self._removed), whole

    def restore(self, checkpoint: tuple[dict[str, Any], set[str], dict[str, Any] | None]) -> None:
        self._edited, self._removed, self._whole = checkpoint
        self._changed()

    def is_whole(self) -> bool:
        return self._whole is not None

    def with_field(self, field: str, value: int) -> list[tuple[str, Any]]:
        """The records whose top-level `field` is the number `value` (a pledge's evidence or
        history), found by searching the bytes for the field's line, in key order."""
        if self._whole is not None:
            return sorted((key, record) for key, record in self._whole.items() if record.get(field) == value)
        raw, needle = self._raw, _FIELD_INDENT + orjson.dumps(field) + b": " + str(value).encode()
        keys: set[str] = {key for key, record in self._edited.items() if record.get(field) == value}
        position = self._start
        while (hit := raw.find(needle, position, self._end)) != -1:
            position = hit + len(needle)
            if raw[position] in b",\n":  # not a longer number with the same digits first
                line = raw.rfind(_RECORD_LINE, self._start, hit)
                key = self._key_at(line).decode()
                if key not in self._edited and key not in self._removed:
                    keys.add(key)
        return [(key, self[key]) for key in sorted(keys)]

    def encoded(self) -> list[bytes | memoryview]:
        """The table's value as `serialize` would write it: the file's bytes, with the records
        handed out, set or removed encoded again in their places."""
        raw = self._raw
        if self._whole is not None:
            return [encode(self._whole, 1)]
        changes = sorted({*self._edited, *self._removed})
        if not changes:
            return [memoryview(raw)[self._start : self._end]]
        # The records are units joined by commas: runs of untouched ones are kept as they are in
        # the bytes (their inner commas included), and changed ones encoded between them.
        units: list[bytes | memoryview] = []
        close = self._close
        position = self._start + 1
        for key in changes:
            encoded_key = key.encode()
            line, found = self._locate(encoded_key, position)
            if line > position:
                run_end = line - 1 if raw[line - 1] == ord(",") else line
                units.append(memoryview(raw)[position:run_end])
            if found:
                position = self._value_span(line, encoded_key)[1]
                if raw.startswith(b",", position):
                    position += 1
            else:
                position = line
            if key not in self._removed:
                units.append(_RECORD_LINE + encoded_key + b'": ' + encode(self._edited[key], 2))
        if position < close:
            units.append(memoryview(raw)[position:close])
        if not units:
            return [b"{}"]
        parts: list[bytes | memoryview] = [b"{"]
        for number, unit in enumerate(units):
            if number:
                parts.append(b",")
            parts.append(unit)
        parts.append(_TABLE_END)
        return parts


def partial_tables(
    raw: bytes, spans: Spans, small: tuple[str, ...], damaged: Callable[[str], Exception]
) -> dict[str, Any]:
    """The tables of a file in `serialize`'s layout: those named in `small` parsed whole, the
    others read from the bytes as needed. `damaged` makes the error for bytes that are not JSON."""
    tables = {name: PartialTable(raw, start, end, damaged) for name, (start, end) in spans.items()}
    return {name: dict(table) if name in small else table for name, table in tables.items()}
