"""undo and redo: every writing command can be reverted, saying what first; the journal lives
in the store, so it works across processes; undo itself can be redone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.cli import app


def tables(store: Path) -> dict:
    data = json.loads(store.read_text())
    return {name: data[name] for name in ("pledges", "evidence", "history")}


@pytest.fixture
def two_changes(runner, isolated_store: Path) -> Path:
    assert (
        runner.invoke(
            app, ["add", "Provide doses", "-a", "Russia", "--target", "150000 doses", "--made-on", "2021-04-07"]
        ).exit_code
        == 0
    )
    assert (
        runner.invoke(app, ["evidence", "add", "1", "Delivery", "--date", "2021-09-01", "-q", "200000 doses"]).exit_code
        == 0
    )
    return isolated_store


def test_undo_says_what_it_reverts_then_reverts_it(runner, two_changes: Path) -> None:
    result = runner.invoke(app, ["undo"])
    assert result.exit_code == 0, result.stderr
    assert "remove evidence 1 of pledge 1: 'Delivery'" in result.stdout
    assert "status fulfilled → pending" in result.stdout
    state = tables(two_changes)
    assert state["evidence"] == {}
    assert state["pledges"]["1"]["status"] == "pending"


def test_dry_run_changes_nothing(runner, two_changes: Path) -> None:
    before = two_changes.read_bytes()
    result = runner.invoke(app, ["undo", "2", "--dry-run"])
    assert result.exit_code == 0
    assert result.stdout.startswith("Would undo change 2")
    assert "remove pledge 1 'Provide doses'" in result.stdout
    assert two_changes.read_bytes() == before


def test_undo_then_redo_restores_exactly(runner, two_changes: Path) -> None:
    before = tables(two_changes)
    assert runner.invoke(app, ["undo", "2"]).exit_code == 0
    assert tables(two_changes) == {"pledges": {}, "evidence": {}, "history": {}}
    result = runner.invoke(app, ["redo"])
    assert result.exit_code == 0, result.stderr
    assert tables(two_changes) == before
    assert runner.invoke(app, ["doctor"]).exit_code == 0


def test_ids_are_not_reused_after_undo(runner, two_changes: Path) -> None:
    runner.invoke(app, ["undo", "2"])
    assert runner.invoke(app, ["add", "Another", "-a", "X"]).stdout.strip() == "2"


def test_nothing_to_undo_is_exit_1(runner) -> None:
    result = runner.invoke(app, ["undo"])
    assert result.exit_code == 1
    assert "nothing to undo" in result.stderr
    assert runner.invoke(app, ["redo"]).exit_code == 1


def test_undo_more_than_recorded_is_refused_without_change(runner, two_changes: Path) -> None:
    before = two_changes.read_bytes()
    result = runner.invoke(app, ["undo", "3"])
    assert result.exit_code == 1
    assert two_changes.read_bytes() == before


def test_undo_of_rm_puts_the_pledge_and_evidence_back(runner, two_changes: Path) -> None:
    before = tables(two_changes)
    assert runner.invoke(app, ["rm", "1", "--yes"]).exit_code == 0
    result = runner.invoke(app, ["undo"])
    assert "put back pledge 1 'Provide doses'" in result.stdout
    assert "put back evidence 1" in result.stdout
    assert tables(two_changes) == before


OPERATIONS = st.lists(
    st.sampled_from(
        [
            ["add", "Pledge", "-a", "A", "--made-on", "2024-01-01"],
            ["evidence", "add", "1", "Seen", "--date", "2024-02-01"],
            ["status", "1", "in_progress", "--date", "2024-03-01"],
            ["edit", "1", "--title", "Renamed"],
            ["rm", "2", "--yes"],
        ]
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_undoing_every_change_gives_back_the_start(runner, isolated_store: Path, operations: list[list[str]]) -> None:
    isolated_store.unlink(missing_ok=True)
    runner.invoke(app, ["add", "Start", "-a", "A", "--made-on", "2024-01-01"])
    start = tables(isolated_store)
    done = []
    for operation in operations:
        before = isolated_store.read_bytes()
        if runner.invoke(app, operation).exit_code == 0 and isolated_store.read_bytes() != before:
            done.append(operation)
    snapshots = tables(isolated_store)
    if done:
        assert runner.invoke(app, ["undo", str(len(done))]).exit_code == 0
    assert tables(isolated_store) == start
    if done:
        assert runner.invoke(app, ["redo"]).exit_code == 0
        assert tables(isolated_store) == snapshots


def test_a_new_change_ends_what_can_be_redone(runner, two_changes: Path) -> None:
    assert runner.invoke(app, ["undo"]).exit_code == 0
    assert runner.invoke(app, ["edit", "1", "--title", "Renamed"]).exit_code == 0
    before = two_changes.read_bytes()
    result = runner.invoke(app, ["redo"])
    assert result.exit_code == 1
    assert "nothing to redo" in result.stderr
    assert two_changes.read_bytes() == before
