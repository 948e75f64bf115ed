"""Schema migrations: a committed store of schema version 1 is upgraded on the first write,
after a copy of it is kept; reading never changes the file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tracker.cli import app
from tracker.migrations import MIGRATIONS, SCHEMA_VERSION, migrate
from tracker.store import Store

FIXTURE = Path(__file__).parent / "fixtures" / "store-v1.json"


@pytest.fixture
def old_store(isolated_store: Path) -> Path:
    shutil.copyfile(FIXTURE, isolated_store)
    return isolated_store


def test_fixture_is_version_1_and_current_is_newer() -> None:
    assert json.loads(FIXTURE.read_text())["_meta"]["1"]["schema_version"] == 1
    assert SCHEMA_VERSION == 2
    assert [step.name for step in MIGRATIONS] == ["add the undo journal"]


def test_reading_an_old_store_migrates_in_memory_only(old_store: Path, runner) -> None:
    before = old_store.read_bytes()
    result = runner.invoke(app, ["list", "--json"])
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)) == 7
    assert old_store.read_bytes() == before
    assert not Store(old_store).migration_backup().exists()


def test_first_write_upgrades_after_keeping_a_copy(old_store: Path, runner) -> None:
    original = old_store.read_bytes()
    result = runner.invoke(app, ["status", "1", "withdrawn", "--note", "test"])
    assert result.exit_code == 0, result.stderr
    upgraded = json.loads(old_store.read_text())
    assert upgraded["_meta"]["1"]["schema_version"] == SCHEMA_VERSION
    assert "changes" in upgraded
    assert Store(old_store).migration_backup().read_bytes() == original
    # Nothing else changed: the same pledges, evidence and history, plus the one new entry.
    old = json.loads(original)
    assert upgraded["evidence"] == old["evidence"]
    assert len(upgraded["history"]) == len(old["history"]) + 1
    assert runner.invoke(app, ["doctor"]).exit_code == 0
    # The upgraded store's change can be undone like any other.
    assert runner.invoke(app, ["undo"]).exit_code == 0
    assert json.loads(old_store.read_text())["pledges"] == old["pledges"]


def test_migrate_is_a_no_op_on_a_current_store() -> None:
    tables = {"_meta": {"1": {"schema_version": SCHEMA_VERSION}}, "changes": {}}
    assert migrate(tables) == []
    assert tables["_meta"]["1"]["schema_version"] == SCHEMA_VERSION
