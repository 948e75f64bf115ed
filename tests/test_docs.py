"""The README cannot drift from the CLI: every command has help and is documented there."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from tracker.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def command_names(group: typer.Typer, prefix: str = "") -> list[str]:
    names = [f"{prefix}{info.name}" for info in group.registered_commands]
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        names += command_names(sub.typer_instance, f"{prefix}{sub.name} ")
    return names


COMMANDS = command_names(app)


def test_there_are_commands() -> None:
    assert {"add", "list", "report", "evidence add", "undo", "extract"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_in_the_readme_and_has_help(runner, name: str) -> None:
    assert f"tracker {name}" in README, f"README has no example of `tracker {name}`"
    result = runner.invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0
    assert len(result.stdout.strip().splitlines()) > 2


def test_readme_commands_use_only_real_commands() -> None:
    import re

    used = set(re.findall(r"^tracker ([a-z]+)", README, re.MULTILINE))
    known = {name.split()[0] for name in COMMANDS}
    assert used <= known, used - known
