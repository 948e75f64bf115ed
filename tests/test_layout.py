"""Writes that edit the store file's bytes give exactly the file a whole rewrite gives."""

from __future__ import annotations

import copy
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker import __version__, cache, layout
from tracker import store as store_module
from tracker.errors import StoreDamagedError
from tracker.migrations import JOURNAL
from tracker.model import Pledge
from tracker.store import FILE_TABLES, META, META_ID, Store, _Bytes, empty_tables, serialize

SMALL = (META, JOURNAL)

# Text that tests the layout's assumptions: newlines, quotes, indents and braces inside strings.
tricky_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['\n    "7": {', "\n    }", '"pledge_id": 3', "\n      ", "}, {", "\\", ""]),
)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), tricky_text)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(tricky_text, inner, max_size=3)),
    max_leaves=8,
)
record_key = st.integers(0, 300).map(str)  # "10" sorts before "9": text order, not number order
pledge_ref = st.integers(0, 12)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record = draw(st.dictionaries(st.sampled_from(["a", "old", "summary", "zeta"]), json_value, max_size=3))
    record["pledge_id"] = draw(pledge_ref)
    return record


@st.composite
def stores(draw: st.DrawFn) -> dict[str, Any]:
    tables = empty_tables()
    for name in ("pledges", "evidence", "history"):
        tables[name] = draw(st.dictionaries(record_key, records(), max_size=12))
    journal_entry = st.dictionaries(tricky_text, json_value, max_size=2)
    tables[JOURNAL] = draw(st.dictionaries(record_key, journal_entry, max_size=3))
    return tables


operation = st.tuples(
    st.sampled_from(["get", "contains", "set", "delete", "change in place", "with pledge", "length"]),
    st.sampled_from(["pledges", "evidence", "history"]),
    record_key,
    records(),
)


def _file(written: tuple[list[Any], Any]) -> bytes:
    """The bytes `serialize` gives, joined."""
    return b"".join(bytes(part) for part in written[0])


def _in_number_order(tables: dict[str, Any]) -> str:
    """The store in our indent, but each table's records in number order ("9" before "10")."""
    by_number = {name: dict(sorted(table.items(), key=lambda item: int(item[0]))) for name, table in tables.items()}
    return json.dumps(by_number, indent=2) + "\n"


def _reference(tables: dict[str, Any]) -> bytes:
    """The layout's definition: the whole store encoded at once."""
    return orjson.dumps(tables, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


@settings(max_examples=300, deadline=None)
@given(stores(), st.lists(operation, max_size=12))
def test_an_edited_file_is_the_file_a_whole_rewrite_gives(tables: dict[str, Any], operations: list[Any]) -> None:
    raw = _file(serialize(tables))
    assert raw == _reference(tables)
    spans = layout.sections(raw, FILE_TABLES)
    parts, written_spans = serialize(tables)
    assert not written_spans  # known once every part has been taken
    assert b"".join(parts) == raw and spans is not None and spans == written_spans
    partial = layout.partial_tables(raw, spans, SMALL, ValueError)
    model = copy.deepcopy(tables)
    for kind, name, key, record in operations:
        table, expected = partial[name], model[name]
        if kind == "get":
            assert table.get(key) == expected.get(key)
        elif kind == "contains":
            assert (key in table) == (key in expected)
        elif kind == "set":
            table[key], expected[key] = copy.deepcopy(record), copy.deepcopy(record)
        elif kind == "delete" and key in expected:
            del table[key], expected[key]
        elif kind == "change in place" and key in expected:
            table[key]["summary"] = expected[key]["summary"] = "changed\n in place"
        elif kind == "with pledge":
            found = table.with_field("pledge_id", record["pledge_id"])
            assert found == sorted((k, r) for k, r in expected.items() if r["pledge_id"] == record["pledge_id"])
        elif kind == "length":
            assert len(table) == len(expected) and set(table) == set(expected)
    partial[META][META_ID]["changes"] = model[META][META_ID]["changes"] = 7
    parts, written_spans = serialize(partial, _Bytes(raw, spans))
    edited = b"".join(bytes(part) for part in parts)
    assert edited == _reference(model)
    assert written_spans == layout.sections(edited, FILE_TABLES)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(lambda tables: json.dumps(tables, sort_keys=True), id="on one line"),
        pytest.param(lambda tables: json.dumps(tables, sort_keys=True, indent=4) + "\n", id="four-space indent"),
        pytest.param(lambda tables: _file(serialize(dict(tables, extra={}))).decode(), id="another table"),
        pytest.param(lambda tables: _file(serialize(tables)).decode() + " ", id="text after the end"),
        pytest.param(
            lambda tables: _file(serialize({k: v for k, v in tables.items() if k != JOURNAL})).decode(),
            id="a table missing",
        ),
    ],
)
def test_a_file_in_another_layout_is_not_edited(text: Callable[[dict[str, Any]], str]) -> None:
    tables = empty_tables()
    tables["pledges"] = {"1": {"pledge_id": 1}}
    assert layout.sections(text(tables).encode(), FILE_TABLES) is None


def _seed(invoke: Callable[..., Any], store: Path) -> None:
    for step in (
        ["add", "Provide 150,000 more vaccine doses", "--actor", "Russia", "--made-on", "2021-04-07"],
        ["add", "Hold further joint drills", "--actor", "Pakistan", "--made-on", "2021-04-07"],
        ["evidence", "add", "1", "First doses arrive", "--date", "2021-06-01"],
    ):
        result = invoke("--db", str(store), *step)
        assert result.exit_code == 0, result.output


def _edits_bytes(store: Path) -> bool:
    """Whether the next write to `store` would edit its bytes rather than parse it whole."""
    return Store(store)._read(trust_cache=True).source is not None


def test_a_write_after_a_tracker_write_edits_the_bytes_and_leaves_a_canonical_file(
    invoke: Callable[..., Any], isolated_store: Path
) -> None:
    """(That the records are the ones a whole rewrite gives is `test_cache.py`'s comparison of
    the same commands with and without the cache.)"""
    _seed(invoke, isolated_store)
    assert _edits_bytes(isolated_store)
    for step in (
        ["evidence", "add", "2", "Drills held", "--date", "2021-09-01", "--status", "fulfilled"],
        ["edit", "1", "--title", "Provide more doses"],
        ["rm", "1", "--yes"],
        ["undo"],
    ):
        result = invoke("--db", str(isolated_store), *step)
        assert result.exit_code == 0, (step, result.output)
        raw = isolated_store.read_bytes()
        assert raw == _reference(orjson.loads(raw)), step
        assert _edits_bytes(isolated_store), step
    assert invoke("--db", str(isolated_store), "doctor").exit_code == 0


def test_a_file_rewritten_by_hand_in_another_layout_is_read_whole_and_written_in_ours(
    invoke: Callable[..., Any], isolated_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records in number order ("9" before "10") with our indent: the tables are where the
    layout expects them, but the records are not in the order a bisection needs. Only a file
    tracker wrote has its tables' places in the cache, so this one is read whole."""
    _seed(invoke, isolated_store)
    for number in range(3, 12):
        assert invoke("add", f"Pledge {number}", "--actor", "Russia", "--made-on", "2021-04-07").exit_code == 0
    tables = json.loads(isolated_store.read_text())
    isolated_store.write_text(_in_number_order(tables))
    assert layout.sections(isolated_store.read_bytes(), FILE_TABLES) is not None
    # A read caches the file once its times have settled; pretend they have.
    monkeypatch.setattr(cache, "SETTLED_AFTER_NS", -(10**12))
    assert invoke("--db", str(isolated_store), "list").exit_code == 0
    stamp = cache.stamp_of(isolated_store)
    assert stamp is not None and cache.has_records(isolated_store, stamp)
    assert cache.layout_of(isolated_store, stamp) is None
    assert not _edits_bytes(isolated_store)
    result = invoke("--db", str(isolated_store), "evidence", "add", "10", "Drills held", "--date", "2021-09-01")
    assert result.exit_code == 0, result.output
    raw = isolated_store.read_bytes()
    assert raw == _reference(orjson.loads(raw))
    written = orjson.loads(raw)
    assert {name: {key: written[name][key] for key in tables[name]} for name in tables} == tables | {
        "_meta": written["_meta"],
        "changes": {key: written["changes"][key] for key in tables["changes"]},
    }
    assert [record["pledge_id"] for record in written["evidence"].values()] == [1, 10]
    assert _edits_bytes(isolated_store)


def test_an_update_that_fails_halfway_changes_nothing(invoke: Callable[..., Any], isolated_store: Path) -> None:
    from tinydb.table import Document

    _seed(invoke, isolated_store)
    assert _edits_bytes(isolated_store)
    with Store(isolated_store).transaction() as session:
        existing = dict(session.tables["pledges"]["1"])
        with pytest.raises(ValueError, match="already exists"):
            session.pledge_table.insert_multiple(
                [Document(dict(existing, title="Ghost"), doc_id=9), Document(existing, doc_id=1)]
            )
        assert "9" not in session.tables["pledges"]
        session.update_pledge(session.pledge(2).with_changes(title="Renamed"))
    raw = isolated_store.read_bytes()
    assert b"Ghost" not in raw and b"Renamed" in raw
    assert invoke("--db", str(isolated_store), "doctor").exit_code == 0


@pytest.mark.parametrize("byte_read", [True, False])
def test_an_insert_of_stored_records_with_a_taken_id_changes_nothing(
    invoke: Callable[..., Any], isolated_store: Path, byte_read: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(invoke, isolated_store)
    if not byte_read:
        # Written without the layout, the file is parsed whole.
        isolated_store.write_bytes(orjson.dumps(orjson.loads(isolated_store.read_bytes())))
        monkeypatch.setenv("TRACKER_CACHE", "off")
    with Store(isolated_store).transaction() as session:
        table = session.tables["pledges"]
        assert isinstance(table, layout.PartialTable) is byte_read
        existing = dict(table["1"])
        with pytest.raises(ValueError, match=r"records \[1\] of the pledges table already exist"):
            session.insert_with_ids("pledges", {9: dict(existing, title="Ghost"), 1: existing})
        assert "9" not in session.tables["pledges"]
        session.insert_with_ids("pledges", {9: dict(existing, title="Kept", uuid=str(uuid4()))})
    raw = isolated_store.read_bytes()
    assert b"Ghost" not in raw and b"Kept" in raw
    assert invoke("--db", str(isolated_store), "doctor").exit_code == 0


def _plant_layout(store: Path, spans: object, header: object = None) -> None:
    """Replace what the cache says of where the tables of `store`'s current file are."""
    stamp = cache.stamp_of(store)
    where = cache._layout_file(store)
    assert stamp is not None and where is not None
    if header is None:
        header = [cache._FORMAT, __version__, list(stamp)]
    where.write_bytes(orjson.dumps({"header": header, "spans": spans}))


@pytest.mark.parametrize(
    "spans",
    [
        pytest.param(lambda real: {name: (start + 1, end + 1) for name, (start, end) in real.items()}, id="shifted"),
        pytest.param(lambda real: {**real, "pledges": (real["pledges"][0], real["history"][1])}, id="end before start"),
        pytest.param(lambda real: {**real, "history": (real["history"][0], real["pledges"][1])}, id="another end"),
        pytest.param(lambda real: dict(list(real.items())[1:]), id="a table missing"),
    ],
)
def test_a_cache_that_misplaces_the_tables_cannot_misplace_a_write(
    spans: Callable[[dict[str, tuple[int, int]]], object], invoke: Callable[..., Any], isolated_store: Path
) -> None:
    _seed(invoke, isolated_store)
    real = layout.sections(isolated_store.read_bytes(), FILE_TABLES)
    assert real is not None
    _plant_layout(isolated_store, spans(real))
    # The spans are checked against the bytes: where a table's start does not fit, its end is
    # searched for; where its end does not, the file is read whole.
    expected = orjson.loads(isolated_store.read_bytes())
    result = invoke("--db", str(isolated_store), "evidence", "add", "2", "Drills held", "--date", "2021-09-01")
    assert result.exit_code == 0, result.output
    raw = isolated_store.read_bytes()
    assert raw == _reference(orjson.loads(raw))
    after = orjson.loads(raw)
    added = set(after["evidence"]) - set(expected["evidence"])
    assert len(added) == 1 and after["evidence"][added.pop()]["summary"] == "Drills held"
    assert after["pledges"] == expected["pledges"] and after["history"] == expected["history"]


@pytest.mark.parametrize(
    ("spans", "header"),
    [
        ("pledges", None),
        ({"pledges": [1]}, None),
        ({"pledges": [1, "2"]}, None),
        ({"pledges": [1, 2, 3]}, None),
        ({"pledges": [1, 2]}, [cache._FORMAT, "0.0.0", [0, 0, 0, 0, 0]]),
    ],
)
def test_a_layout_note_that_is_not_for_this_file_or_not_spans_is_ignored(
    spans: object, header: object, invoke: Callable[..., Any], isolated_store: Path
) -> None:
    _seed(invoke, isolated_store)
    _plant_layout(isolated_store, spans, header)
    stamp = cache.stamp_of(isolated_store)
    assert stamp is not None and cache.layout_of(isolated_store, stamp) is None
    assert not _edits_bytes(isolated_store)
    assert invoke("--db", str(isolated_store), "evidence", "add", "2", "Held", "--date", "2021-09-01").exit_code == 0
    assert _edits_bytes(isolated_store)


def test_a_layout_note_others_can_write_is_ignored(invoke: Callable[..., Any], isolated_store: Path) -> None:
    _seed(invoke, isolated_store)
    where = cache._layout_file(isolated_store)
    assert where is not None and _edits_bytes(isolated_store)
    where.chmod(0o666)
    assert not _edits_bytes(isolated_store)


def test_a_file_another_program_changes_right_after_a_write_is_not_noted_as_tracker_s(
    invoke: Callable[..., Any], isolated_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other programs take no lock: one that rewrites the store between tracker's rename and its
    note (here, in place, the same size, breaking the JSON) must not have its bytes kept as
    tracker's by the next write."""
    from tracker import store as store_module

    _seed(invoke, isolated_store)
    fsync_folder = store_module._fsync_folder

    def rewrite_after_the_rename(directory: Path) -> None:
        fsync_folder(directory)
        monkeypatch.setattr(store_module, "_fsync_folder", fsync_folder)
        raw = isolated_store.read_bytes()
        at = raw.index(b'"title": "Hold further joint drills"')
        with isolated_store.open("r+b") as handle:
            handle.seek(at + len(b'"title": "Hold further joint drills'))
            handle.write(b"'")

    monkeypatch.setattr(store_module, "_fsync_folder", rewrite_after_the_rename)
    assert invoke("--db", str(isolated_store), "edit", "1", "--title", "Provide more doses").exit_code == 0
    stamp = cache.stamp_of(isolated_store)
    assert stamp is not None and cache.layout_of(isolated_store, stamp) is None
    before = isolated_store.read_bytes()
    result = invoke("--db", str(isolated_store), "evidence", "add", "1", "More doses", "--date", "2021-07-01")
    assert result.exit_code == 3 and "damaged" in result.output
    assert isolated_store.read_bytes() == before


@pytest.mark.parametrize(
    ("damaged", "command"),
    [
        pytest.param(b'"kind": "change"', ["evidence", "add", "1", "More doses", "--date", "2021-07-01"], id="journal"),
        pytest.param(b'"title": "Hold further joint drills"', ["edit", "2", "--title", "Drills"], id="record read"),
        pytest.param(b'"summary": "First doses arrive"', ["rm", "1", "--yes"], id="evidence searched"),
    ],
)
def test_bytes_damaged_without_changing_the_stamp_are_refused_not_a_traceback(
    damaged: bytes, command: list[str], invoke: Callable[..., Any], isolated_store: Path
) -> None:
    """A disk can damage a file and keep its stamp; here the note is made to match a damaged file."""
    _seed(invoke, isolated_store)
    raw = isolated_store.read_bytes()
    at = raw.index(damaged) + len(damaged) - 1
    isolated_store.write_bytes(raw[:at] + b"'" + raw[at + 1 :])
    spans = layout.sections(isolated_store.read_bytes(), FILE_TABLES)
    stamp = cache.stamp_of(isolated_store)
    assert spans is not None and stamp is not None
    cache.save_layout(isolated_store, stamp, spans)
    before = isolated_store.read_bytes()
    result = invoke("--db", str(isolated_store), *command)
    assert result.exit_code == 3 and "damaged" in result.output and "Traceback" not in result.output
    assert isolated_store.read_bytes() == before


# Reading a file a chunk at a time ---------------------------------------------------------------


def _walked(
    raw: bytes, size: int, exact: bool, window: int | None = None
) -> tuple[dict[str, dict[str, Any]], layout.Spans | None]:
    """What `walk` takes from `raw`, given whole, or with a `window` as a file read that many
    bytes at a time (as a read without the cache gives it)."""
    taken: dict[str, dict[str, Any]] = {}

    def take(name: str, records: dict[str, Any]) -> None:
        assert records and not taken.get(name, {}).keys() & records.keys()
        taken.setdefault(name, {}).update(records)

    if window is None:
        return taken, layout.walk(raw, FILE_TABLES, size, take, exact)
    with tempfile.TemporaryFile() as handle:
        handle.write(raw)
        handle.seek(0)
        return taken, layout.walk(layout.Stream(handle, len(raw), window), FILE_TABLES, size, take, exact)


# A file given whole, and read 1, 7 and 4,096 bytes at a time.
WINDOWS = [None, 1, 7, 4096]


@settings(max_examples=150, deadline=None)
@given(stores(), st.integers(0, 400), st.booleans(), st.sampled_from([None, *range(1, 40), 4096]))
def test_a_file_walked_a_chunk_at_a_time_gives_every_record_and_the_tables_places(
    tables: dict[str, Any], size: int, exact: bool, window: int | None
) -> None:
    raw = _file(serialize(tables))
    taken, spans = _walked(raw, size, exact, window)
    assert spans == layout.sections(raw, FILE_TABLES)
    assert taken == {name: table for name, table in tables.items() if table}


@settings(max_examples=150, deadline=None)
@given(stores(), st.integers(0, 400), st.integers(1, 60), st.data())
def test_a_file_read_a_window_at_a_time_is_walked_as_the_whole_file_whatever_its_damage(
    tables: dict[str, Any], size: int, window: int, data: st.DataObject
) -> None:
    """Cut short, with any byte changed, or with a piece of the layout's structure put in, a file
    is walked the same given whole or read a window at a time: the same records taken, the same
    answer."""
    raw = _file(serialize(tables))
    at = data.draw(st.integers(0, len(raw) - 1))
    piece = data.draw(st.sampled_from([b',\n    "', b"\n  }", b"\n    }", b"{", b"}", b"[", b'"', b",", b"\n}\n"]))
    damaged = data.draw(
        st.sampled_from(
            [
                raw[:at],
                raw[:at] + bytes([data.draw(st.integers(0, 255))]) + raw[at + 1 :],
                raw[:at] + piece + raw[at:],
                raw[:at] + piece + raw[at + len(piece) :],
            ]
        )
    )
    assert _walked(damaged, size, False, window) == _walked(damaged, size, False)


@settings(max_examples=100, deadline=None)
@given(stores(), st.integers(0, 400), st.integers(1, 60), st.integers(-20, 20))
def test_a_stream_reads_the_file_up_to_the_size_it_was_given(
    tables: dict[str, Any], size: int, window: int, change: int
) -> None:
    """A file that grew since its size was taken is walked up to that size; one that shrank is
    refused (it is then read whole)."""
    raw = _file(serialize(tables))
    given = max(len(raw) + change, 0)
    with tempfile.TemporaryFile() as handle:
        handle.write(raw)
        handle.seek(0)
        spans = layout.walk(layout.Stream(handle, given, window), FILE_TABLES, size, lambda *records: None, False)
    if given > len(raw):
        assert spans is None
    else:
        assert spans == _walked(raw[:given], size, False)[1]


def test_a_file_whose_end_changes_while_it_is_read_is_not_walked() -> None:
    tables = empty_tables()
    tables["pledges"] = {str(number): {"pledge_id": number, "title": "x"} for number in range(1, 40)}
    raw = _file(serialize(tables))
    with tempfile.NamedTemporaryFile() as written, open(written.name, "rb", buffering=0) as handle:
        written.write(raw)
        written.flush()

        class Changing(layout.Stream):
            def _extend(self, least: int = 0) -> bool:
                if self._base + len(self._data) > len(raw) // 2:  # after the walk saw the end
                    written.seek(len(raw) - 1)
                    written.write(b"X")  # another program rewrites the last byte in place
                    written.flush()
                return super()._extend(least)

        assert layout.walk(Changing(handle, len(raw), 64), FILE_TABLES, 50, lambda *records: None, False) is None
        handle.seek(0)  # and the file as it now is is refused too
        assert layout.walk(layout.Stream(handle, len(raw), 64), FILE_TABLES, 50, lambda *records: None, False) is None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(lambda tables: json.dumps(tables, sort_keys=True), id="on one line"),
        pytest.param(lambda tables: json.dumps(tables, sort_keys=True, indent=4) + "\n", id="four-space indent"),
        pytest.param(_in_number_order, id="records in number order"),
        pytest.param(lambda tables: _file(serialize(tables)).decode()[:-3] + "\n", id="no end of the file"),
        pytest.param(lambda tables: _file(serialize(tables)).decode()[:-6] + "\n}\n", id="no end of a table"),
    ],
)
@pytest.mark.parametrize("size", [0, 30, 10**6])
@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("window", WINDOWS)
def test_a_file_in_another_layout_is_not_walked(
    text: Callable[[dict[str, Any]], str], size: int, exact: bool, window: int | None
) -> None:
    tables = empty_tables()
    tables["pledges"] = {str(number): {"pledge_id": number, "title": "x"} for number in range(1, 12)}
    assert _walked(text(tables).encode(), size, exact, window)[1] is None


def _in_tables_layout(edit: Callable[[bytes], bytes]) -> tuple[dict[str, Any], bytes]:
    tables = empty_tables()
    tables["pledges"] = {str(number): {"pledge_id": number, "title": "x"} for number in range(1, 12)}
    return tables, edit(_file(serialize(tables)))


# Hand edits that keep the tables where the layout has them, but not every record's bytes.
RECORD_EDITS = [
    pytest.param(lambda raw: raw.replace(b'\n      "pledge_id"', b'\n    "pledge_id"'), id="a field at four spaces"),
    pytest.param(lambda raw: raw.replace(b'\n      "title"', b'\n    "title"'), id="another field at four spaces"),
    pytest.param(lambda raw: raw.replace(b"},\n", b"}, \n", 1), id="a space after a comma"),
    pytest.param(
        lambda raw: raw.replace(
            b'"3": {\n      "pledge_id": 3,\n      "title": "x"\n    }', b'"3": {"pledge_id": 3, "title": "x"}'
        ),
        id="a record on one line",
    ),
    pytest.param(
        lambda raw: raw.replace(b'\n    "2": {', b'\n    "1": {\n      "pledge_id": 7\n    },\n    "2": {'),
        id="a key given twice",
    ),
]


@pytest.mark.parametrize("edit", RECORD_EDITS)
@pytest.mark.parametrize("size", [0, 30, 10**6])
@pytest.mark.parametrize("window", WINDOWS)
def test_a_record_not_as_written_is_read_as_in_the_whole_file_and_never_walked_exactly(
    edit: Callable[[bytes], bytes], size: int, window: int | None
) -> None:
    """Reading needs only the records (the typed ones are all a read keeps); a write edits the
    bytes, so `exact` must refuse every byte that `serialize` would not write."""
    _, raw = _in_tables_layout(edit)
    whole = orjson.loads(raw)
    taken, spans = _walked(raw, size, False, window)
    if spans is not None:
        assert taken["pledges"] == whole["pledges"]
    assert _walked(raw, size, exact=True)[1] is None


@pytest.mark.parametrize("depth", [1019, 1020, 1021, 1022, 1023, 1024])
@pytest.mark.parametrize("window", WINDOWS)
def test_a_value_nested_deeply_is_refused_in_chunks_where_the_whole_file_refuses_it(
    depth: int, window: int | None
) -> None:
    tables = empty_tables()
    tables["history"] = {"1": {"pledge_id": 1, "old": 0}}
    raw = _file(serialize(tables)).replace(b'"old": 0', b'"old": ' + b"[" * depth + b"]" * depth)
    try:
        orjson.loads(raw)
        whole = True
    except orjson.JSONDecodeError:
        whole = False
    assert (_walked(raw, 0, False, window)[1] is not None) is whole


EXAMPLE_STORE = Path(__file__).resolve().parent.parent / "examples" / "islamabad-2021" / "pledges.json"


def _chunked(store: Path) -> bool:
    """Whether a command without the cache reads `store` a chunk at a time, from its bytes."""
    return Store(store)._read(session="read").typed is not None


@pytest.mark.parametrize(
    "command",
    [
        ["list", "--all"],
        ["report", "summary", "--format", "json"],
        ["report", "overdue"],
        ["report", "stale"],
        ["show", "3"],
        ["export", "markdown"],
        ["export", "json"],
        ["timeline"],
    ],
)
def test_a_file_read_a_chunk_at_a_time_reads_as_the_file_parsed_whole(
    invoke: Callable[..., Any], isolated_store: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("TRACKER_CACHE", "off")
    monkeypatch.setattr(store_module, "_CHUNK_BYTES", 1)  # a chunk per record
    raw = EXAMPLE_STORE.read_bytes()
    isolated_store.write_bytes(raw)
    assert _chunked(isolated_store)
    chunked = invoke(*command)
    isolated_store.write_bytes(orjson.dumps(orjson.loads(raw)))
    assert not _chunked(isolated_store)
    whole = invoke(*command)
    assert chunked.exit_code == whole.exit_code == 0
    assert chunked.stdout == whole.stdout


def test_a_store_that_is_a_pipe_is_read_whole(tmp_path: Path) -> None:
    """A pipe has no size to read up to, and cannot be read a second time: it is read whole."""
    import threading

    raw = EXAMPLE_STORE.read_bytes()
    pipe = tmp_path / "pledges.json"
    os.mkfifo(pipe)
    writer = threading.Thread(target=pipe.write_bytes, args=(raw,))
    writer.start()
    read = Store(pipe)._read(session="read")
    writer.join()
    whole = orjson.loads(raw)["pledges"]
    assert read.typed is not None  # read whole, then checked a chunk at a time from its bytes
    assert read.typed["pledges"] == {int(key): Pledge.from_dict(int(key), value) for key, value in whole.items()}


def test_a_read_without_the_cache_holds_a_window_of_the_file_not_all_of_it(
    isolated_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = EXAMPLE_STORE.read_bytes()
    isolated_store.write_bytes(raw)
    held: list[int] = []
    touched: list[bool] = []

    class Recorded(layout.Stream):
        def __init__(self, handle: Any, size: int, window: int = 0) -> None:
            super().__init__(handle, size, 512)

        def _extend(self, least: int = 0) -> bool:
            extended = super()._extend(least)
            held.append(len(self._data))
            if len(held) == 3 and touched:  # another program changes the file while it is read
                os.utime(isolated_store, ns=(1, 1))
            return extended

    monkeypatch.setattr(layout, "Stream", Recorded)
    monkeypatch.setattr(store_module, "_CHUNK_BYTES", 100)
    read = Store(isolated_store)._read(session="read")
    assert read.typed is not None and read.stamp is not None
    assert held and max(held) < len(raw) // 10
    whole = orjson.loads(raw)
    for name, records in read.typed.items():
        kind = store_module.RECORD_TYPES[name]
        assert records == {int(key): kind.from_dict(int(key), value) for key, value in whole[name].items()}
    # Changed while it was read: the records are read, but belong to no file the cache may name.
    touched.append(True)
    held.clear()
    assert Store(isolated_store)._read(session="read").stamp is None


@pytest.mark.parametrize(
    "command",
    [
        ["edit", "2", "--title", "Hold further joint drills"],
        ["evidence", "add", "3", "Talks resumed", "--date", "2022-01-10"],
        ["rm", "4", "--yes"],
    ],
)
def test_a_write_to_a_file_read_a_chunk_at_a_time_writes_the_file_a_whole_parse_writes(
    invoke: Callable[..., Any], isolated_store: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("TRACKER_CACHE", "off")
    monkeypatch.setattr(store_module, "_CHUNK_BYTES", 100)
    raw = EXAMPLE_STORE.read_bytes()
    written = []
    for text in (raw, orjson.dumps(orjson.loads(raw))):
        isolated_store.write_bytes(text)
        result = invoke(*command)
        assert result.exit_code == 0, result.output
        written.append(isolated_store.read_bytes())
    assert written[0] == written[1] == _reference(orjson.loads(written[0]))


def _one_line(raw: bytes, table: str, key: str) -> bytes:
    """The store with one record written on one line, as a hand edit might leave it."""
    record = orjson.loads(raw)[table][key]
    return raw.replace(
        b'"' + key.encode() + b'": ' + layout.encode(record, 2), b'"' + key.encode() + b'": ' + orjson.dumps(record), 1
    )


def _in_pledges(raw: bytes, old: bytes, new: bytes) -> bytes:
    """The store with `old` replaced by `new` once, in the pledges table."""
    start = raw.index(b'"pledges": {')
    return raw[:start] + raw[start:].replace(old, new, 1)


def _older_copy_first(raw: bytes) -> bytes:
    """The store with an older copy of pledge 1 pasted before it: the later one counts."""
    first = orjson.loads(raw)["pledges"]["1"]
    older = b'\n    "1": ' + layout.encode(dict(first, title="An older title"), 2) + b","
    return raw.replace(b'"pledges": {', b'"pledges": {' + older, 1)


def _later_copy_last(raw: bytes) -> bytes:
    """The store with a changed copy of pledge 1 pasted after the last pledge: it counts."""
    first = orjson.loads(raw)["pledges"]["1"]
    end = raw.rindex(b"\n  }\n}\n")
    return raw[:end] + b',\n    "1": ' + layout.encode(dict(first, title="A later copy"), 2) + raw[end:]


STORE_EDITS = [
    pytest.param(
        lambda raw: _in_pledges(raw, b'    },\n    "2": {', b'    }, \n    "2": {'), id="a space after a comma"
    ),
    pytest.param(lambda raw: _one_line(raw, "evidence", "1"), id="an evidence item on one line"),
    pytest.param(lambda raw: _one_line(raw, "pledges", "2"), id="a pledge on one line"),
    pytest.param(_older_copy_first, id="a key given twice"),
    pytest.param(_later_copy_last, id="a key given twice, out of order"),
]


@pytest.mark.parametrize("edit", STORE_EDITS)
@pytest.mark.parametrize(
    "command",
    [["edit", "2", "--title", "Hold joint drills"], ["rm", "1", "--yes"], ["evidence", "add", "2", "Drills held"]],
)
def test_a_hand_edited_file_in_the_layout_reads_and_writes_as_the_file_parsed_whole(
    invoke: Callable[..., Any],
    isolated_store: Path,
    monkeypatch: pytest.MonkeyPatch,
    edit: Callable[[bytes], bytes],
    command: list[str],
) -> None:
    monkeypatch.setenv("TRACKER_CACHE", "off")
    monkeypatch.setattr(store_module, "_CHUNK_BYTES", 1)
    _seed(invoke, isolated_store)
    edited = edit(isolated_store.read_bytes())
    assert edited != isolated_store.read_bytes() and layout.sections(edited, FILE_TABLES) is not None
    outcomes = []
    for text in (edited, orjson.dumps(orjson.loads(edited))):  # the same content, parsed whole
        isolated_store.write_bytes(text)
        shown = [invoke("show", reference).stdout for reference in ("1", "2")]
        result = invoke(*command)
        assert result.exit_code == 0, result.output
        written = isolated_store.read_bytes()
        assert written == _reference(orjson.loads(written))
        outcomes.append((shown, result.stdout, written))
    assert outcomes[0] == outcomes[1]


def test_a_damaged_record_read_a_chunk_at_a_time_is_named_as_a_whole_parse_names_it(
    invoke: Callable[..., Any], isolated_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_CACHE", "off")
    monkeypatch.setattr(store_module, "_CHUNK_BYTES", 1)
    tables = orjson.loads(EXAMPLE_STORE.read_bytes())
    tables["evidence"]["2"]["observed_on"] = "yesterday"
    tables["pledges"]["5"]["deadline"] = 12
    messages = []
    for text in (_reference(tables), orjson.dumps(tables)):
        isolated_store.write_bytes(text)
        result = invoke("list")
        assert result.exit_code != 0
        messages.append(result.stderr.replace(str(isolated_store), "STORE"))
        assert isolated_store.read_bytes() == text
    assert messages[0] == messages[1]
    assert "record 5 of the pledges table" in messages[0]


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda raw: raw.replace(b'  },\n  "pledges": {', b'  }\n  "pledges": {'), id="no comma"),
        pytest.param(lambda raw: raw[:-3] + b",\n}\n", id="a comma after the last table"),
    ],
)
@pytest.mark.parametrize("session", ["read", "write"])
def test_tables_not_joined_by_commas_are_no_json_and_refused_as_such(
    isolated_store: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[[bytes], bytes], session: str
) -> None:
    monkeypatch.setenv("TRACKER_CACHE", "off")
    raw = edit(EXAMPLE_STORE.read_bytes())
    isolated_store.write_bytes(raw)
    assert layout.sections(raw, FILE_TABLES) is None
    with pytest.raises(StoreDamagedError, match="not valid JSON"):
        Store(isolated_store)._read(session=session)  # type: ignore[arg-type]


@pytest.mark.parametrize("depth", [240, 252, 253, 254, 300])
def test_a_value_nested_deeper_than_the_encoder_goes_is_told_not_a_traceback(
    invoke: Callable[..., Any], isolated_store: Path, monkeypatch: pytest.MonkeyPatch, depth: int
) -> None:
    """JSON parses values nested far deeper than orjson writes them: a store edited by hand to
    hold one reads, and a write says in one line why it cannot be done, leaving the file."""
    monkeypatch.setenv("TRACKER_CACHE", "off")
    tables = orjson.loads(EXAMPLE_STORE.read_bytes())
    tables["history"]["1"]["old"] = "deep"
    raw = _reference(tables).replace(b'"deep"', b"[" * depth + b"]" * depth)
    isolated_store.write_bytes(raw)
    assert invoke("show", "2").exit_code == 0
    result = invoke("edit", "2", "--title", "Hold joint drills")
    assert result.exit_code in (0, 3), result.output
    if result.exit_code == 3:
        assert "cannot be written as JSON" in result.stderr and isolated_store.read_bytes() == raw
    else:
        assert isolated_store.read_bytes() == _reference(orjson.loads(isolated_store.read_bytes()))
