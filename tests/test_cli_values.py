"""Option values converted without pydantic: the same values and errors as typer's own conversion."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer import core
from typer._click.exceptions import BadParameter
from typer._coercion import resolve_type_descriptor
from typer.models import OptionInfo

import tracker.cli  # noqa: F401 (installs the conversion)

TRACKER = Path(sys.executable).parent / "tracker"


def converted(annotation: Any, value: Any, *, typer_own: bool, **info: Any) -> tuple[str, Any]:
    descriptor = resolve_type_descriptor(annotation, OptionInfo(**info))
    installed: Any = getattr(core, "build_runtime_param")  # noqa: B009 (typer does not export the name)
    build = installed.__wrapped__ if typer_own else installed
    try:
        return ("value", build(descriptor)._coerce_value(value, param=None, ctx=None))
    except BadParameter as error:
        return ("error", error.message)


def test_the_conversion_is_installed() -> None:
    installed: Any = getattr(core, "build_runtime_param")  # noqa: B009 (typer does not export the name)
    assert installed.plain_values
    assert type(installed(resolve_type_descriptor(int, OptionInfo()))).__name__ == "PlainRuntimeParam"


# The first conversion through typer imports pydantic, well past hypothesis's deadline.
conversions = settings(deadline=None)

integer_like = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=17, max_value=4400).map(lambda digits: "9" * digits),
    st.from_regex(r"\A[ +\-_0-9a-f.٣²]{0,8}\Z"),
    st.text(max_size=6),
)


@conversions
@given(integer_like)
def test_integers_convert_as_typer_converts_them(text: str) -> None:
    assert converted(int, text, typer_own=False) == converted(int, text, typer_own=True)


@conversions
@given(st.text(max_size=12))
def test_text_converts_as_typer_converts_it(text: str) -> None:
    assert converted(str, text, typer_own=False) == converted(str, text, typer_own=True)
    assert converted(list[str], (text, "x"), typer_own=False) == converted(list[str], (text, "x"), typer_own=True)


@conversions
@given(st.one_of(st.integers(), st.booleans(), st.text(max_size=4)))
def test_defaults_convert_as_typer_converts_them(value: object) -> None:
    assert converted(int, value, typer_own=False) == converted(int, value, typer_own=True)


@conversions
@given(st.booleans())
def test_flags_convert_as_typer_converts_them(flag: bool) -> None:
    assert converted(bool, flag, typer_own=False) == converted(bool, flag, typer_own=True)


def test_paths_convert_and_are_checked_as_typer_does_it(tmp_path: Path) -> None:
    here = tmp_path / "store.json"
    here.write_text("{}")
    folder = tmp_path / "folder"
    folder.mkdir()
    cases: list[tuple[str, dict[str, Any]]] = [
        (str(here), {}),
        (f"{tmp_path}/./store.json", {}),
        (f"{folder}/", {"dir_okay": False}),
        (f"{tmp_path}/./folder", {"dir_okay": False}),
        (f"{tmp_path}/./store.json", {"file_okay": False}),
        (str(tmp_path / "missing.json"), {}),
        (str(tmp_path / "missing.json"), {"exists": True}),
        (str(tmp_path), {"dir_okay": False}),
        (str(here), {"file_okay": False}),
        ("", {}),
        ("-", {"allow_dash": True}),
    ]
    for value, info in cases:
        ours = converted(Path, value, typer_own=False, **info)
        assert ours == converted(Path, value, typer_own=True, **info), (value, info)


def test_commands_start_without_pydantic(tmp_path: Path) -> None:
    """The installed command converts its options without importing pydantic (about 80 ms);
    a value only typer can judge still gets typer's own message."""
    store = tmp_path / "pledges.json"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TRACKER_NOW": "2026-11-29T12:00:00"}
    commands = [
        ["add", "Deliver the doses", "-a", "Russia", "-a", "Belarus", "-d", "2027-06-30", "--target", "150000 doses"],
        ["evidence", "add", "1", "First shipment", "--date", "2026-11-01", "--source", "https://example.org/a"],
        ["list", "--overdue", "--as-of", "2027-07-01"],
        ["report", "summary", "--window", "60"],
        ["--version"],
    ]
    for args in commands:
        done = subprocess.run(
            [sys.executable, "-X", "importtime", str(TRACKER), "--db", str(store), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (args, done.stderr[-500:])
        assert " pydantic" not in done.stderr, args
    refused = subprocess.run(
        [str(TRACKER), "--db", str(store), "report", "summary", "--window", "soon"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert "Invalid value for '--window'" in refused.stderr and "valid integer" in refused.stderr


@pytest.mark.parametrize("value", ["7", "007", " 7", "+7", "1_000", "-1"])
def test_a_window_reads_as_typer_reads_it(value: str, tmp_path: Path) -> None:
    assert converted(int, value, typer_own=False) == converted(int, value, typer_own=True)


def test_a_number_too_long_to_read_is_typer_s_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(TRACKER), "--db", str(tmp_path / "s.json"), "report", "--window", "1" * 4301],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "Invalid value for '--window'" in done.stderr
