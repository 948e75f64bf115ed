"""Reports on the worked example: golden files for every kind and format, and the contract
around them (as-of replay, --fail-on, byte-identical output, markdown that really parses)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tracker.cli import app

EXAMPLE = Path(__file__).parent.parent / "examples" / "islamabad-2021" / "pledges.json"
GOLDEN = Path(__file__).parent / "golden" / "reports"
AS_OF = "2026-11-29"
KINDS = ("summary", "overdue", "fulfilled", "due", "stale")
SUFFIX = {"text": "txt", "markdown": "md", "json": "json", "csv": "csv"}


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the worked example, so no test can touch the committed store."""
    store = tmp_path / "example.json"
    shutil.copyfile(EXAMPLE, store)
    monkeypatch.setenv("TRACKER_DB", str(store))
    monkeypatch.setenv("COLUMNS", "80")
    return store


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "csv"])
def test_report_matches_golden(example: Path, runner, kind: str, fmt: str) -> None:
    args = ["report", kind, "--as-of", AS_OF, "--format", fmt]
    if kind in ("summary", "fulfilled"):
        args += ["--since", "2024-01-01"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    check_golden(f"{kind}.{SUFFIX[fmt]}", result.stdout)


def test_same_store_and_date_give_identical_bytes(example: Path, runner) -> None:
    before = example.read_bytes()
    outputs = {runner.invoke(app, ["report", "--as-of", AS_OF, "--format", "json"]).stdout for _ in range(3)}
    assert len(outputs) == 1
    assert example.read_bytes() == before


def test_report_as_of_a_past_date_replays_history(example: Path, runner) -> None:
    """On 2021-05-01 the pipeline still waited on its protocol, and no vaccine had arrived."""
    result = runner.invoke(app, ["report", "--as-of", "2021-05-01", "--format", "json"])
    report = json.loads(result.stdout)
    assert report["counts"]["conditional"] >= 1
    assert report["counts"]["fulfilled"] == 0
    assert report["overdue"] == []
    later = json.loads(runner.invoke(app, ["report", "--as-of", "2021-09-02", "--format", "json"]).stdout)
    assert [item["id"] for item in later["fulfilled"]] == [5]
    assert later["fulfilled"][0]["status_since"] == "2021-09-01"


def test_report_ignores_evidence_observed_after_as_of(example: Path, runner) -> None:
    report = json.loads(runner.invoke(app, ["report", "stale", "--as-of", "2022-01-01", "--format", "json"]).stdout)
    for item in report["stale"]:
        if item["last_evidence"]:
            assert item["last_evidence"]["date"] <= "2022-01-01"


def test_fail_on_overdue_exits_4_after_printing(example: Path, runner) -> None:
    result = runner.invoke(app, ["report", "overdue", "--as-of", AS_OF, "--fail-on", "overdue"])
    assert result.exit_code == 4
    assert "Overdue" in result.stdout
    assert "--fail-on met" in result.stderr


def test_fail_on_without_matches_exits_0(example: Path, runner) -> None:
    result = runner.invoke(app, ["report", "--as-of", AS_OF, "--fail-on", "due"])
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["report", "nonsense"],
        ["report", "--format", "pdf"],
        ["report", "--fail-on", "late"],
        ["report", "--as-of", "yesterday-ish"],
        ["report", "--since", "2027-01-01", "--as-of", AS_OF],
        ["report", "--window", "-1"],
        ["export", "pdf"],
    ],
)
def test_bad_report_input_exits_1_with_one_line(example: Path, runner, args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("tracker: error:")


def test_output_file(example: Path, runner, tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    result = runner.invoke(app, ["report", "--as-of", AS_OF, "--format", "markdown", "-o", str(target)])
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("# Pledge report as of 2026-11-29")


def test_output_to_missing_folder_is_a_clear_error(example: Path, runner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "-o", str(tmp_path / "no" / "such" / "file.md")])
    assert result.exit_code == 1
    assert "cannot write" in result.stderr


def _parse(markdown: str) -> list:
    return MarkdownIt("commonmark").enable("table").parse(markdown)


def _links(tokens: list) -> list[str]:
    found = []
    for token in tokens:
        for child in token.children or []:
            if child.type == "link_open":
                found.append(child.attrs["href"])
    return found


def test_summary_markdown_tables_and_links_are_real(example: Path, runner) -> None:
    markdown = runner.invoke(app, ["report", "--as-of", AS_OF, "--format", "markdown"]).stdout
    tokens = _parse(markdown)
    tables = [token for token in tokens if token.type == "table_open"]
    assert len(tables) >= 3  # overdue, stale and compliance at least
    assert any(href.startswith("https://") for href in _links(tokens))


def test_briefing_is_valid_gfm_with_sources_and_gantt(example: Path, runner) -> None:
    markdown = runner.invoke(app, ["export", "markdown", "--as-of", AS_OF]).stdout
    tokens = _parse(markdown)
    assert any(token.type == "table_open" for token in tokens)
    hrefs = set(_links(tokens))
    store = json.loads(example.read_text(encoding="utf-8"))
    sources = {record["source"]["url"] for record in store["evidence"].values() if record.get("source")}
    assert sources and sources <= hrefs, "every evidence source is a working link"
    fences = [token for token in tokens if token.type == "fence"]
    assert fences and fences[0].info == "mermaid" and fences[0].content.startswith("gantt")
    assert "contradicts" in markdown
    headings = [tokens[index + 1].content for index, token in enumerate(tokens) if token.type == "heading_open"]
    assert sum(1 for heading in headings if heading[0].isdigit()) == len(store["pledges"])


def test_markdown_escapes_user_text(runner) -> None:
    runner.invoke(
        app,
        [
            "add",
            "Cut taxes [citation needed] | *now*",
            "-a",
            "Ruritania",
            "--made-on",
            "2026-01-01",
            "-d",
            "2026-06-30",
        ],
    )
    markdown = runner.invoke(app, ["report", "--format", "markdown"]).stdout
    tokens = _parse(markdown)
    rendered = [
        "".join(child.content for child in token.children or [] if child.type == "text")
        for token in tokens
        if token.type == "inline"
    ]
    assert "Cut taxes [citation needed] | *now*" in rendered


def test_committed_briefing_is_what_the_example_store_gives(example: Path, runner) -> None:
    committed = EXAMPLE.parent / "briefing.md"
    result = runner.invoke(app, ["export", "markdown", "--as-of", AS_OF])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == committed.read_text(encoding="utf-8"), (
        "regenerate with: tracker --db examples/islamabad-2021/pledges.json export markdown "
        "--as-of 2026-11-29 -o examples/islamabad-2021/briefing.md"
    )


def test_the_briefing_is_written_in_parts_one_per_pledge_that_join_to_it(example: Path, runner) -> None:
    from tracker.cli import records
    from tracker.render.markdown import briefing, briefing_parts
    from tracker.reports import ReportKind, ReportOptions, build_report
    from tracker.store import Store

    session = Store(example).snapshot()
    report = build_report(records(session), ReportKind.SUMMARY, ReportOptions(as_of=date.fromisoformat(AS_OF)))
    parts = list(briefing_parts(report))
    assert len(parts) == len(report.states) + 1
    assert "".join(parts) == briefing(report) == (EXAMPLE.parent / "briefing.md").read_text(encoding="utf-8")
    empty = build_report(records(session), ReportKind.SUMMARY, ReportOptions(as_of=date(2000, 1, 1)))
    assert list(briefing_parts(empty)) == [briefing(empty)] and briefing(empty).endswith("## Pledges\n")


ANSI = __import__("re").compile(r"\x1b\[[0-9;]*m")


def test_terminal_report_is_tables_cut_to_a_screenful(runner, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(25):
        runner.invoke(
            app, ["add", f"Pledge {number} [draft]", "-a", "Ruritania", "--made-on", "2025-01-01", "-d", "2025-06-30"]
        )
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", "80")
    shown = runner.invoke(app, ["report", "overdue"])
    assert shown.exit_code == 0, shown.stderr
    plain = ANSI.sub("", shown.stdout)
    assert "┃" in plain and "Pledge 0 [draft]" in plain
    assert "… and 5 more (--all shows every row)" in plain
    assert all(len(line) <= 80 for line in plain.splitlines())
    everything = ANSI.sub("", runner.invoke(app, ["report", "overdue", "--all"]).stdout)
    assert "more (--all" not in everything and "Pledge 24 [draft]" in everything


def test_piped_report_lists_every_row(runner) -> None:
    for number in range(25):
        runner.invoke(
            app, ["add", f"Pledge {number}", "-a", "Ruritania", "--made-on", "2025-01-01", "-d", "2025-06-30"]
        )
    piped = runner.invoke(app, ["report", "overdue"]).stdout
    assert piped.count("days late") == 25
    assert "\x1b[" not in piped


def test_a_split_briefing_renders_later_pledges_without_the_whole_reports_states(example: Path) -> None:
    from tracker.cli import records
    from tracker.render.markdown import briefing, briefing_parts
    from tracker.reports import ReportKind, ReportOptions, build_report
    from tracker.store import Store

    read = records(Store(example).snapshot())
    options = ReportOptions(as_of=date.fromisoformat(AS_OF))
    report = build_report(read, ReportKind.SUMMARY, options)
    worked_out = []

    def split(render, count, first, share):  # as a second process does: the later pledges first
        later = list(render(3, count))
        worked_out.append("states" in vars(report))
        return [*first(), *render(0, 3), *later]

    assert "".join(briefing_parts(report, split)) == briefing(build_report(read, ReportKind.SUMMARY, options))
    assert worked_out == [False]


def test_status_since_is_worked_out_per_pledge_when_asked_for(example: Path) -> None:
    from tracker.cli import records
    from tracker.reports import ReportKind, ReportOptions, build_report, status_changed_on
    from tracker.store import Store

    session = Store(example).snapshot()
    report = build_report(records(session), ReportKind.SUMMARY, ReportOptions(as_of=date(2026, 11, 29)))
    since = report.status_since
    history = session.history_by_pledge()
    expected = {state.pledge.id: status_changed_on(state, history.get(state.pledge.id, ())) for state in report.states}
    assert since and len(since) == len(expected) and list(since) == list(expected)
    assert {pledge_id: since.get(pledge_id) for pledge_id in expected} == expected
    assert dict(since) == expected and since.get(10**6) is None


@pytest.mark.parametrize("actors", [(), ("Pakistan",)])
def test_a_part_of_a_report_has_the_states_of_its_pledges_alone(example: Path, actors: tuple[str, ...]) -> None:
    import random

    from tracker.cli import records
    from tracker.model import PledgeFilter
    from tracker.reports import Records, ReportKind, ReportOptions, build_report
    from tracker.store import Store

    read = records(Store(example).snapshot())
    shuffled = list(read.pledges)
    random.Random(7).shuffle(shuffled)
    options = ReportOptions(as_of=date(2026, 11, 29), pledge_filter=PledgeFilter(actors=actors))
    whole = build_report(
        Records(shuffled, read.evidence_by_pledge, read.history_by_pledge), ReportKind.SUMMARY, options
    )
    pledges = whole.pledges_in_id_order
    assert [pledge.id for pledge in pledges] == sorted(pledge.id for pledge in shuffled) != [p.id for p in shuffled]
    for start in range(len(pledges) + 1):
        for stop in range(start, len(pledges) + 1):
            ids = {pledge.id for pledge in pledges[start:stop]}
            expected = [state for state in whole.states if state.pledge.id in ids]
            # Worked out for its own pledges when the whole report's are not yet: a new report.
            fresh = build_report(whole.records, ReportKind.SUMMARY, options)
            assert fresh.part(start, stop).states == expected
            assert "states" not in vars(fresh)  # the whole report's were never worked out
            # Taken from the whole report's once they are worked out: the same objects.
            taken = whole.part(start, stop).states
            assert taken == expected and all(map(lambda a, b: a is b, taken, expected))
            assert dict(whole.part(start, stop).status_since) == {
                state.pledge.id: whole.status_since[state.pledge.id] for state in expected
            }


def test_a_stale_threshold_beyond_the_calendar_finds_nothing_stale(example: Path, runner) -> None:
    result = runner.invoke(app, ["report", "stale", "--as-of", AS_OF, "--stale-days", "999999999"])
    assert result.exit_code == 0, result.stderr
    assert "Stale: no evidence for 999999999 days (0)" in result.stdout


def test_a_due_window_beyond_the_calendar_holds_every_later_deadline(example: Path, runner) -> None:
    wide = runner.invoke(app, ["report", "due", "--as-of", AS_OF, "--window", "999999999", "--format", "json"])
    assert wide.exit_code == 0, wide.stderr
    years = runner.invoke(app, ["report", "due", "--as-of", AS_OF, "--window", "3000000", "--format", "json"])
    assert json.loads(wide.stdout)["due"] == json.loads(years.stdout)["due"]


def test_a_timeline_of_many_pledges_keeps_those_due_nearest_and_stays_drawable() -> None:
    """Mermaid draws no diagram over 50,000 characters: past 400 dated pledges the chart keeps
    those whose deadlines are nearest the briefing's date, and says so."""
    from datetime import timedelta

    from tracker.dates import Deadline
    from tracker.model import Category, Pledge, Status
    from tracker.render.markdown import MAX_TIMELINE_TASKS, gantt
    from tracker.rules import PledgeState

    as_of = date(2026, 11, 30)
    count = MAX_TIMELINE_TASKS + 250
    states = []
    for index in range(count):
        # The longest lines a chart can have: names cut to 60 characters, 12-digit ids, a tag.
        due = as_of + timedelta(days=index - 300)
        pledge = Pledge(
            id=10**12 - 1 - index,
            uuid=f"{index:032x}",
            title="A pledge with a long title that goes on well past sixty characters: " + "x" * 40,
            actors=("Russia",),
            made_on=date(2021, 4, 7),
            status=Status.IN_PROGRESS,
            category=list(Category)[index % len(Category)],
            deadline=Deadline(text=due.isoformat(), date=due, precision="day", anchor="made_on"),
        )
        states.append(PledgeState(pledge, (), as_of, None, overdue=due < as_of))
    chart = gantt(states, as_of)
    diagram = "\n".join(chart[1 : chart.index("```")])
    tasks = [line for line in diagram.splitlines() if " :" in line]
    assert len(tasks) == MAX_TIMELINE_TASKS
    assert len(diagram) < 50_000
    kept = {int(line.rsplit(", p", 1)[1].split(",")[0]) for line in tasks}
    nearest = sorted(states, key=lambda state: abs((state.pledge.deadline.date - as_of).days))  # type: ignore[union-attr]
    assert kept == {state.pledge.id for state in nearest[:MAX_TIMELINE_TASKS]}
    shown = "The timeline shows the 400 pledges whose deadlines are nearest 2026-11-30"
    assert chart[-1] == f"{shown}, of {count} with a dated deadline."
    assert gantt(states[:MAX_TIMELINE_TASKS], as_of)[-1] == "```"  # all shown: nothing to say
