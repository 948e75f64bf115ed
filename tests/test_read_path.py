"""The read path built for speed: typed records built once and kept until a write, writes that
cost what they change, and a terminal listing cut to a screenful."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from tinydb import TinyDB
from tinydb.storages import MemoryStorage
from tinydb.table import Document

from tracker.store import IncrementalTable, Session, Store, TypedTable, check_shape


def _store_with(add: Callable[..., int], count: int) -> None:
    for number in range(count):
        add(f"Pledge {number}", "--made-on", "2021-04-07")


def test_reading_builds_each_record_once_and_a_write_drops_the_kept_ones(
    add: Callable[..., int], invoke: Callable[..., Any], lib_store: Store
) -> None:
    _store_with(add, 2)
    assert invoke("evidence", "add", "1", "Something happened", "--date", "2022-01-01").exit_code == 0
    session = lib_store.snapshot()
    assert isinstance(session.tables["pledges"], TypedTable)
    first = session.pledges()
    assert session.pledges()[0] is first[0]  # kept, not built again
    assert session.pledge(1) is first[0]
    assert [item.summary for item in session.evidence_for(1)] == ["Something happened"]
    assert session.evidence_for(2) == []
    assert session.evidence_by_pledge() is session.evidence_by_pledge()

    with lib_store.transaction() as writing:
        pledge = writing.pledge(1)
        writing.update_pledge(pledge.with_changes(title="Renamed"))
        assert not isinstance(writing.tables["pledges"], TypedTable)  # the write replaced the table
        assert writing.pledge(1).title == "Renamed"
        assert [each.title for each in writing.pledges()] == ["Renamed", "Pledge 1"]
        writing.remove_pledge(2)
        assert [each.id for each in writing.pledges()] == [1]
        assert [item.summary for item in writing.evidence_for(1)] == ["Something happened"]


def test_check_shape_keeps_typed_records_beside_the_stored_ones(add: Callable[..., int], isolated_store: Path) -> None:
    _store_with(add, 3)
    tables = orjson.loads(isolated_store.read_bytes())
    assert check_shape(tables) is None
    pledges = tables["pledges"]
    assert isinstance(pledges, TypedTable)
    assert sorted(pledges.typed) == [1, 2, 3]
    # Still plain JSON to the encoder: the stored form is unchanged.
    assert orjson.loads(orjson.dumps(tables)) == orjson.loads(isolated_store.read_bytes())


@pytest.mark.parametrize("key", ["01", "²", "-1", "1.0", "", " 1", "1234567890123456789"])
def test_record_keys_that_are_not_canonical_ids_are_malformed(
    key: str, add: Callable[..., int], isolated_store: Path
) -> None:
    _store_with(add, 1)
    tables = orjson.loads(isolated_store.read_bytes())
    tables["pledges"][key] = tables["pledges"]["1"]
    assert check_shape(tables) == f"record {key!r} of the pledges table is malformed"


def _tinydb_pair() -> tuple[Any, Any]:
    """The same operations through TinyDB's own Table and through ours, over equal tables."""
    made = []
    for table_class in (None, IncrementalTable):
        db = TinyDB(storage=MemoryStorage)
        if table_class is not None:
            db.table_class = table_class
        made.append(db.table("records", cache_size=0))
    return made[0], made[1]


def test_incremental_table_writes_the_same_tables_as_tinydb() -> None:
    plain, ours = _tinydb_pair()
    for table in (plain, ours):
        for doc_id in (1, 2, 10, 3):
            table.insert(Document({"n": doc_id, "tag": "a"}, doc_id=doc_id))
        table.insert_multiple([Document({"n": 20}, doc_id=20), Document({"n": 21}, doc_id=21)])
        table.update({"tag": "b"}, doc_ids=[2, 10])
        table.update({"tag": "c"}, cond=lambda doc: doc["n"] == 3)
        table.remove(doc_ids=[1])
        table.remove(cond=lambda doc: doc["n"] == 21)
        with pytest.raises(ValueError, match="already exists"):
            table.insert(Document({"n": 2}, doc_id=2))
    plain_data = plain.storage.read()["records"]
    our_data = ours.storage.read()["records"]
    assert list(our_data.items()) == list(plain_data.items())


def test_a_session_writes_through_the_incremental_table() -> None:
    session = Session({"_meta": {"1": {"schema_version": 1, "next_ids": {}, "changes": 0}}})
    assert isinstance(session.pledge_table, IncrementalTable)


def test_a_terminal_list_shows_a_screenful_and_says_how_many_more(
    add: Callable[..., int], invoke: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_with(add, 23)
    piped = invoke("list")
    assert len(piped.stdout.splitlines()) == 24  # piped: every row and the header
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", "120")
    cut = invoke("list")
    assert cut.exit_code == 0
    assert "Pledge 19" in cut.stdout
    assert "Pledge 20" not in cut.stdout
    assert "3 more (--all shows every row)" in cut.stdout
    whole = invoke("list", "--all")
    assert "Pledge 22" in whole.stdout
    assert "more (--all" not in whole.stdout


def test_a_piped_timeline_is_plain_text_without_rich(
    add: Callable[..., int], invoke: Callable[..., Any], isolated_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import subprocess
    import sys

    add("Deliver the doses", "--made-on", "2021-04-07", "--deadline", "2022-06-30")
    add("Build the pipeline — 中文", "--made-on", "2020-01-01")
    assert invoke("evidence", "add", "1", "First shipment", "--date", "2021-09-01").exit_code == 0
    monkeypatch.setenv("COLUMNS", "90")
    expected = invoke("timeline", "--as-of", "2022-01-01")
    assert expected.exit_code == 0
    # The same command in a fresh process, piped: the same text, without rich's console.
    env = {key: value for key, value in os.environ.items() if key not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    command = ["--db", str(isolated_store), "timeline", "--as-of", "2022-01-01"]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from tracker.cli import run; run()", *command],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=False,
    )
    # No console and no Text: only a non-ASCII title asks rich.cells for its width in cells.
    imported = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    rich_modules = {name for name in imported if name.startswith("rich")}
    assert "rich.cells" in rich_modules, done.stderr
    assert not rich_modules & {"rich.console", "rich.text", "rich.segment"}, done.stderr
    assert done.stdout == expected.stdout
    assert "━" in done.stdout and "中文" in done.stdout
