"""Every test runs against its own store in a temp folder, on a fixed date, never the wall clock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tracker.cli import app

FIXED_NOW = "2026-11-29T12:00:00"


@pytest.fixture(autouse=True)
def isolated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    store = tmp_path / "pledges.json"
    monkeypatch.setenv("TRACKER_DB", str(store))
    monkeypatch.setenv("TRACKER_NOW", FIXED_NOW)
    monkeypatch.setenv("TRACKER_LOCK_TIMEOUT", "5")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    # platformdirs reads these, so the default store also lands in the temp folder.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return store


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


Invoke = Callable[..., "object"]


@pytest.fixture
def invoke(runner: CliRunner) -> Callable[..., object]:
    """Run the CLI in-process; returns click's Result (stdout, stderr and exit_code)."""

    def run(*args: str, input: str | None = None) -> object:
        return runner.invoke(app, list(args), input=input)

    return run
