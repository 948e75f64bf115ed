"""Arbitrary input in every option of the writing commands: never a traceback; a refusal is
exit 1 or 2 and leaves the store byte for byte; an acceptance round-trips through show --json."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tracker.cli import app
from tracker.dates import parse_date

TODAY = date(2026, 11, 29)  # TRACKER_NOW in conftest

# FUZZ_EXAMPLES raises the count for a longer hunt than the default run.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Text that stresses the parsers: markup, control characters, separators, numbers and dates.
weird_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "[bold]x[/]", "a;b", "-1", "0", "1e400", "２０２１", "\x00", "\n", "none", "Q5 2022"]),
)
dates = st.one_of(st.dates().map(str), st.dates().map(lambda day: day.strftime("%d %b %Y")), weird_text)
quantities = st.one_of(
    st.builds(lambda n, unit: f"{n} {unit}", st.floats(allow_nan=True, allow_infinity=True), weird_text),
    st.builds(lambda n: f"{n} doses", st.integers(min_value=-10, max_value=10**30)),
    weird_text,
)
deadlines = st.one_of(
    st.sampled_from(["within six months", "+90d", "Q3 2022", "H1 2022", "end of 2021", "mid-2022", "none"]),
    weird_text,
)


def seeded_store(runner, store: Path) -> bytes:
    store.unlink(missing_ok=True)
    result = runner.invoke(app, ["add", "Seed pledge", "-a", "Ruritania", "--made-on", "2021-04-07"])
    assert result.exit_code == 0
    return store.read_bytes()


def check_contract(result, store: Path, before: bytes) -> bool:
    """No traceback; a refusal (1 or 2) leaves the store untouched. True when accepted."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr)
    if result.exit_code != 0:
        assert store.read_bytes() == before
        assert result.stderr.strip()
    if result.exit_code == 0 and result.stdout.startswith("Usage: "):
        # A generated value that is "-h" or "--help" where an option may stand asks for help.
        assert store.read_bytes() == before
        return False
    return result.exit_code == 0


def shown(runner, pledge_id: str) -> dict:
    result = runner.invoke(app, ["show", pledge_id, "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@FUZZ
@given(
    title=weird_text,
    actor=weird_text,
    made_on=dates,
    deadline=deadlines,
    target=quantities,
    category=st.one_of(st.sampled_from(["health", "trade", "Energy"]), weird_text),
    source=st.one_of(st.just("https://example.org/a"), weird_text),
    tag=weird_text,
)
def test_add(runner, isolated_store: Path, title, actor, made_on, deadline, target, category, source, tag) -> None:
    before = seeded_store(runner, isolated_store)
    args = ["add", title, "-a", actor, "--made-on", made_on, "-d", deadline, "--target", target]
    args += ["-c", category, "--source", source, "-t", tag]
    result = runner.invoke(app, args)
    if check_contract(result, isolated_store, before):
        record = shown(runner, result.stdout.strip())
        assert record["title"] == " ".join(title.split())
        assert record["actors"] == [" ".join(actor.split())]
        assert record["made_on"] == parse_date(made_on, TODAY).isoformat()
        assert record["target"]["value"] > 0
        assert (record["source"] or {}).get("url") == (source.strip() or None)


@FUZZ
@given(
    title=st.one_of(st.none(), weird_text),
    deadline=st.one_of(st.none(), deadlines),
    target=st.one_of(st.none(), quantities),
    condition=st.one_of(st.none(), weird_text),
    date=st.one_of(st.none(), dates),
    reference=st.one_of(st.just("1"), weird_text),
)
@example(title="", deadline=None, target=None, condition=None, date=None, reference="-h")
def test_edit(runner, isolated_store: Path, title, deadline, target, condition, date, reference) -> None:
    before = seeded_store(runner, isolated_store)
    args = ["edit", reference]
    for option, value in (("--title", title), ("-d", deadline), ("--target", target), ("--condition", condition)):
        if value is not None:
            args += [option, value]
    if date is not None:
        args += ["--date", date]
    result = runner.invoke(app, args)
    if check_contract(result, isolated_store, before) and title is not None:
        assert shown(runner, "1")["title"] == " ".join(title.split())


@FUZZ
@given(
    summary=weird_text,
    date=dates,
    quantity=st.one_of(st.none(), quantities),
    stance=st.one_of(st.sampled_from(["supports", "contradicts", "context"]), weird_text),
    status=st.one_of(st.none(), st.sampled_from(["fulfilled", "broken"]), weird_text),
    source=st.one_of(st.none(), weird_text),
)
def test_evidence_add(runner, isolated_store: Path, summary, date, quantity, stance, status, source) -> None:
    before = seeded_store(runner, isolated_store)
    args = ["evidence", "add", "1", summary, "--date", date, "--stance", stance]
    for option, value in (("-q", quantity), ("--status", status), ("--source", source)):
        if value is not None:
            args += [option, value]
    result = runner.invoke(app, args)
    if check_contract(result, isolated_store, before):
        items = shown(runner, "1")["evidence"]
        assert items[-1]["summary"] == " ".join(summary.split())
        assert items[-1]["stance"] == stance.strip().lower()


CSV_HEADER = "title,actors,recipients,made_on,deadline,target,category,tags,source_url,status,condition"


@FUZZ
@given(cells=st.lists(weird_text, min_size=11, max_size=11), extra_rows=st.integers(min_value=0, max_value=2))
def test_import_csv(runner, isolated_store: Path, tmp_path: Path, cells: list[str], extra_rows: int) -> None:
    import csv
    import io

    before = seeded_store(runner, isolated_store)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER.split(","))
    writer.writerow(cells)
    for _ in range(extra_rows):
        writer.writerow(["Good row", "Ruritania", "", "2021-04-07", "", "", "", "", "", "", ""])
    path = tmp_path / "fuzz.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    result = runner.invoke(app, ["import", str(path)])
    if check_contract(result, isolated_store, before):
        pledges = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
        blank_row = not any(cell.strip() for cell in cells)  # blank rows are skipped, as spreadsheets leave them
        assert len(pledges) == 1 + (0 if blank_row else 1) + extra_rows


@FUZZ
@given(
    document=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=12,
    )
)
def test_import_json_of_any_shape(runner, isolated_store: Path, tmp_path: Path, document) -> None:
    before = seeded_store(runner, isolated_store)
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(app, ["import", str(path)])
    check_contract(result, isolated_store, before)
    assert result.exit_code != 0 or document == {}


def test_units_named_differently_still_add_up(runner) -> None:
    runner.invoke(app, ["add", "Fund", "-a", "EU", "--target", "2 billion EUR", "--made-on", "2025-01-01"])
    added = runner.invoke(app, ["evidence", "add", "1", "Tranche", "-q", "2 billion euros", "--date", "2025-02-01"])
    assert "target reached, now fulfilled" in added.stdout
    other = runner.invoke(app, ["evidence", "add", "1", "Trees", "-q", "3 trees", "--date", "2025-02-01"])
    assert "does not count toward progress" in other.stdout


def test_a_scale_without_a_unit_is_not_a_quantity(runner) -> None:
    result = runner.invoke(app, ["add", "Fund", "-a", "EU", "--target", "2 billion"])
    assert result.exit_code == 1 and "not a quantity" in result.stderr


def test_a_deadline_before_the_pledge_is_refused(runner, isolated_store: Path) -> None:
    result = runner.invoke(app, ["add", "X", "-a", "Foo", "--deadline", "2020-01-01", "--made-on", "2025-01-01"])
    assert result.exit_code == 1
    assert "before the pledge was made" in result.stderr
    assert not isolated_store.exists()
