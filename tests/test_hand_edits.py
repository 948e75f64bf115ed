"""Stores edited by hand or reached oddly: every wrong type refused, links followed, changes seen."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from tracker.store import Store, serialize

TRACKER = Path(sys.executable).parent / "tracker"


def _edit(store: Path, table: str, key: str, field: str, value: Any) -> bytes:
    tables = orjson.loads(store.read_bytes())
    tables[table][key][field] = value
    edited = b"".join(serialize(tables)[0])
    store.write_bytes(edited)
    return edited


@pytest.mark.parametrize(
    ("table", "field", "value"),
    [
        ("pledges", "actors", "Russia"),
        ("pledges", "actors", []),
        ("pledges", "actors", [1, 2]),
        ("pledges", "tags", "abc"),
        ("pledges", "recipients", "Pakistan"),
        ("pledges", "title", 5),
        ("pledges", "uuid", 7),
        ("pledges", "notes", ["a"]),
        ("pledges", "created_at", None),
        ("pledges", "target", {"value": "x", "unit": "doses"}),
        ("pledges", "target", {"value": -5, "unit": "doses"}),
        ("pledges", "target", {"value": 5, "unit": 3}),
        ("pledges", "source", {"url": 5, "title": None, "publisher": None}),
        ("pledges", "deadline", {"text": 2030, "date": "2030-12-31", "precision": "year", "anchor": "made_on"}),
        ("pledges", "deadline", {"text": "2030", "date": "2030-12-31", "precision": "week", "anchor": "made_on"}),
        ("pledges", "condition", {"text": 3, "met_on": None}),
        ("evidence", "pledge_id", "1"),
        ("evidence", "summary", None),
        ("evidence", "meets_condition", "yes"),
        ("evidence", "supersedes", 1.0),
        ("history", "change", "1"),
        ("history", "field", 3),
    ],
)
def test_a_hand_edited_value_of_the_wrong_type_is_refused_and_nothing_is_written(
    table: str, field: str, value: Any, add: Callable[..., int], invoke: Callable[..., Any], isolated_store: Path
) -> None:
    add("Provide 150,000 more vaccine doses", "--target", "150000 doses", "--deadline", "2030")
    assert invoke("evidence", "add", "1", "First doses", "--date", "2026-06-01").exit_code == 0
    edited = _edit(isolated_store, table, "1", field, value)
    for args in (["list"], ["report"], ["add", "Another", "--actor", "Pakistan"]):
        result = invoke(*args)
        assert result.exit_code == 3, (args, result.output)
        assert "damaged" in result.stderr and "Traceback" not in result.output
    assert isolated_store.read_bytes() == edited
    doctor = invoke("doctor")
    assert doctor.exit_code == 3
    # One problem, the field's: the pledge still exists for the records that refer to it.
    assert "does not exist" not in doctor.output


def test_a_store_that_is_a_link_is_written_through_to_its_target(
    add: Callable[..., int], invoke: Callable[..., Any], tmp_path: Path
) -> None:
    real, link = tmp_path / "real.json", tmp_path / "link.json"
    assert invoke("--db", str(real), "add", "Hold further joint drills", "--actor", "Pakistan").exit_code == 0
    link.symlink_to(real.name)
    assert invoke("--db", str(link), "add", "Open a trade office", "--actor", "Russia").exit_code == 0
    assert link.is_symlink()
    for path in (real, link):
        listing = invoke("--db", str(path), "list")
        assert "joint drills" in listing.stdout and "trade office" in listing.stdout
    assert not (tmp_path / "link.json.lock").exists() and (tmp_path / "real.json.bak").exists()


def test_a_change_that_puts_the_modification_time_back_is_still_a_change(
    add: Callable[..., int], isolated_store: Path
) -> None:
    add("Hold further joint drills", "--actor", "Pakistan")
    store = Store(isolated_store)
    before = store._identity()
    info = isolated_store.stat()
    content = isolated_store.read_bytes()
    isolated_store.write_bytes(content.replace(b"joint drills", b"JOINT drills"))
    os.utime(isolated_store, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert isolated_store.stat().st_mtime_ns == info.st_mtime_ns
    assert store._identity() != before


def test_output_that_cannot_be_written_is_one_line_and_exit_1(tmp_path: Path) -> None:
    store = tmp_path / "pledges.json"
    env = dict(os.environ, TRACKER_DB=str(store))
    added = subprocess.run([str(TRACKER), "add", "Hold further joint drills", "--actor", "Pakistan"], env=env,
                           capture_output=True, timeout=60, check=False)  # fmt: skip
    assert added.returncode == 0
    for args in (["list"], ["report"], ["show", "1"]):
        with open("/dev/full", "w") as full:
            done = subprocess.run([str(TRACKER), *args], env=env, stdout=full, stderr=subprocess.PIPE, text=True,
                                  timeout=60, check=False)  # fmt: skip
        assert (
            done.returncode == 1 and done.stderr == "tracker: error: cannot write the output: No space left on device\n"
        )
        closed = subprocess.run([str(TRACKER), *args], env=env, preexec_fn=lambda: os.close(1), stderr=subprocess.PIPE,
                                text=True, timeout=60, check=False)  # fmt: skip
        assert (closed.returncode, closed.stderr) == (0, "")
    ascii_only = subprocess.run([str(TRACKER), "timeline"], env=dict(env, PYTHONIOENCODING="ascii"),
                                capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert ascii_only.returncode == 1 and ascii_only.stderr.count("\n") == 1 and "UTF-8" in ascii_only.stderr
