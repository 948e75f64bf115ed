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
    # Subprocesses that copy this environment keep their caches here too, not in the real one.
    monkeypatch.setenv("TRACKER_CACHE_DIR", str(tmp_path / "cache"))
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


# Added fixtures -------------------------------------------------------------------------------


@pytest.fixture
def clock() -> object:
    """The library's clock at FIXED_NOW, for tests that call ledger functions directly."""
    from datetime import UTC, datetime

    from tracker.ledger import Clock

    return Clock.at(datetime.fromisoformat(FIXED_NOW).replace(tzinfo=UTC))


@pytest.fixture
def lib_store(isolated_store: Path) -> object:
    """A real `Store` over the test's own TinyDB file (the same one the CLI uses)."""
    from tracker.store import Store

    return Store(isolated_store, lock_timeout=5)


@pytest.fixture
def add(invoke: Callable[..., object]) -> Callable[..., int]:
    """`tracker add` through the CLI; returns the new id. An actor is supplied unless one is given."""

    def run(title: str = "Provide 150,000 more vaccine doses", *options: str) -> int:
        args = ["add", title, *options]
        if "--actor" not in options and "-a" not in options:
            args += ["--actor", "Russia"]
        result = invoke(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)  # type: ignore[attr-defined]
        return int(result.stdout.strip())  # type: ignore[attr-defined]

    return run


@pytest.fixture
def store_bytes(isolated_store: Path) -> Callable[[], bytes | None]:
    """The store file's exact bytes (None when it does not exist), to prove a command left it alone."""

    def read() -> bytes | None:
        return isolated_store.read_bytes() if isolated_store.exists() else None

    return read
