"""The timeline renderer: pledges on a time axis, checked column by column on its plain output."""

from __future__ import annotations

import io
import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from tracker.dates import Deadline
from tracker.model import Category, Evidence, Pledge, Quantity, Stance, Status
from tracker.render.text import piped_width
from tracker.render.timeline import EMPTY_MESSAGE, plan, timeline, timeline_lines, timeline_plain
from tracker.rules import PledgeState, state_as_of

GOLDEN = Path(__file__).parent / "golden" / "timeline.txt"
AS_OF = date(2026, 11, 29)
LINE_GLYPHS = set("│┿╪┼")
ANSI = re.compile(r"\x1b\[")


def make_pledge(
    pledge_id: int,
    title: str,
    made_on: date,
    deadline: date | None,
    status: Status = Status.PENDING,
    *,
    target: Quantity | None = None,
    anchor: str = "made_on",
) -> Pledge:
    return Pledge(
        id=pledge_id,
        uuid=f"uuid-{pledge_id:04d}",
        title=title,
        actors=("United Kingdom",),
        made_on=made_on,
        status=status,
        category=Category.OTHER,
        target=target,
        deadline=Deadline(
            text=deadline.isoformat() if deadline else "6 months after condition",
            date=deadline,
            precision="day",
            anchor=anchor,  # type: ignore[arg-type]
        )
        if deadline is not None or anchor == "condition"
        else None,
    )


def make_evidence(
    evidence_id: int, pledge_id: int, observed_on: date, stance: str, amount: float | None = None
) -> Evidence:
    return Evidence(
        id=evidence_id,
        pledge_id=pledge_id,
        observed_on=observed_on,
        recorded_at="2026-11-29T12:00:00Z",
        summary=f"evidence {evidence_id}",
        stance=Stance(stance),
        quantity=Quantity(amount, "doses") if amount is not None else None,
    )


def states_for(pledges: list[Pledge], evidence: list[Evidence], as_of: date = AS_OF) -> list[PledgeState]:
    states = []
    for pledge in pledges:
        state = state_as_of(pledge, [], [item for item in evidence if item.pledge_id == pledge.id], as_of)
        assert state is not None
        states.append(state)
    return states


def sample_states() -> list[PledgeState]:
    """A small fixed set: one of each shape the timeline draws."""
    pledges = [
        make_pledge(
            1,
            "Deliver 150,000 vaccine doses to partner countries",
            date(2021, 4, 7),
            date(2021, 12, 31),
            Status.FULFILLED,
            target=Quantity(150000, "doses"),
        ),
        make_pledge(2, "Cut taxes [citation needed]", date(2022, 3, 1), date(2024, 6, 30)),
        make_pledge(3, "Open the border crossing for trade", date(2023, 1, 15), None, Status.IN_PROGRESS),
        make_pledge(4, "Withdraw troops from the buffer zone", date(2022, 9, 1), date(2023, 3, 31), Status.BROKEN),
        make_pledge(5, "Ratify the energy protocol", date(2024, 2, 1), None, Status.CONDITIONAL, anchor="condition"),
        make_pledge(12, "Sign the fisheries agreement", date(2025, 5, 1), date(2027, 6, 30), Status.IN_PROGRESS),
    ]
    evidence = [
        make_evidence(1, 1, date(2021, 6, 1), "supports", 50000),
        make_evidence(2, 1, date(2021, 10, 20), "supports", 100000),
        make_evidence(3, 2, date(2023, 2, 1), "context"),
        make_evidence(4, 2, date(2025, 1, 10), "contradicts"),
        make_evidence(5, 3, date(2024, 5, 5), "supports"),
        make_evidence(6, 4, date(2023, 6, 2), "contradicts"),
        make_evidence(7, 12, date(2026, 2, 1), "supports"),
        make_evidence(8, 12, date(2026, 2, 2), "contradicts"),
    ]
    return states_for(pledges, evidence)


def plain_lines(states: list[PledgeState], width: int = 100, as_of: date = AS_OF) -> list[str]:
    return timeline(states, as_of, width, color=False).plain.split("\n")


def cells(line: str) -> list[str]:
    """A line as one entry per terminal cell, so columns can be indexed like the screen."""
    result: list[str] = []
    for char in line:
        width = cell_len(char)
        if width == 0:
            if result:
                result[-1] += char  # a combining mark belongs to the cell before it
            continue
        result.append(char)
        result.extend("" for _ in range(width - 1))
    return result


def at(line: str, column: int) -> str:
    row = cells(line)
    return row[column] if column < len(row) else " "


def row_of(lines: list[str], pledge_id: int, count: int) -> str:
    """The row of a pledge: pledge rows follow the two top axis lines, in the order given."""
    rows = lines[2 : 2 + count]
    matches = [row for row in rows if row.split()[0].rstrip("!") == str(pledge_id)]
    assert len(matches) == 1, rows
    return matches[0]


# Empty input and shape -------------------------------------------------------------------


def test_empty_input_is_one_line() -> None:
    drawing = timeline([], AS_OF, 80, color=True)
    assert drawing.plain == EMPTY_MESSAGE
    assert not drawing.spans


def test_layout_rows_axes_and_legend() -> None:
    states = sample_states()
    lines = plain_lines(states)
    # labels, axis, one row per pledge, axis, labels, legend (one line at 100 columns)
    assert len(lines) == 2 + len(states) + 2 + 1
    assert lines[0].startswith("as of 2026-11-29")
    assert "▼" in lines[1] and "▲" in lines[2 + len(states)]
    assert lines[-1].startswith("━ pledge")
    for glyph in "◆┄═●✕·│":
        assert glyph in lines[-1]


# The as-of line --------------------------------------------------------------------------


def test_as_of_line_is_in_the_same_column_on_every_row() -> None:
    states = sample_states()
    lines = plain_lines(states)
    column = plan(states, AS_OF, 100).column(AS_OF)
    assert at(lines[1], column) == "▼"
    assert at(lines[2 + len(states)], column) == "▲"
    for line in lines[2 : 2 + len(states)]:
        assert at(line, column) in LINE_GLYPHS, line
    # and nowhere else on a pledge row
    for line in lines[2 : 2 + len(states)]:
        assert sum(1 for cell in cells(line) if cell in LINE_GLYPHS) == 1, line


def test_as_of_line_crosses_bars_with_crossing_glyphs() -> None:
    states = sample_states()
    lines = plain_lines(states)
    column = plan(states, AS_OF, 100).column(AS_OF)
    assert at(row_of(lines, 1, len(states)), column) == "│"  # closed long ago: nothing under the line
    assert at(row_of(lines, 2, len(states)), column) == "╪"  # overdue tail
    assert at(row_of(lines, 3, len(states)), column) == "┼"  # open-ended, dashed
    assert at(row_of(lines, 12, len(states)), column) == "┿"  # solid bar running past today


# Bars ------------------------------------------------------------------------------------


def test_bar_starts_at_made_on_and_ends_at_the_deadline() -> None:
    made, due = date(2022, 9, 1), date(2023, 3, 31)
    states = states_for([make_pledge(4, "Withdraw troops", made, due, Status.BROKEN)], [])
    layout = plan(states, AS_OF, 100)
    row = plain_lines(states)[2]
    start, end = layout.column(made), layout.column(due)
    assert start < end
    assert at(row, start - 1) == " "
    assert at(row, start) == "━"
    assert all(at(row, column) == "━" for column in range(start, end))
    assert at(row, end) == "◆"
    assert at(row, end + 1) == " "


def test_bar_lines_up_with_the_year_ticks() -> None:
    """A pledge made on 1 January sits under that year's tick and label: axis and bars agree."""
    states = states_for([make_pledge(1, "Made on new year's day", date(2024, 1, 1), date(2025, 1, 1))], [])
    lines = plain_lines(states)
    labels, axis, row = lines[0], lines[1], lines[2]
    start = cells(row).index("━")
    assert "".join(cells(labels)[start : start + 4]) == "2024"
    assert at(axis, start) == "┰"
    end = cells(row).index("◆")
    assert "".join(cells(labels)[end : end + 4]) == "2025"
    assert at(axis, end) == "┰"


def test_open_ended_pledge_is_dashed_to_the_right_edge() -> None:
    states = sample_states()
    layout = plan(states, AS_OF, 100)
    row = row_of(plain_lines(states), 3, len(states))
    start = layout.column(date(2023, 1, 15))
    assert at(row, start) == "┄"
    assert len(cells(row)) == 100
    assert at(row, 99) == "┄"
    assert "━" not in row and "◆" not in row


def test_conditional_pledge_without_a_deadline_date_is_open_ended() -> None:
    states = sample_states()
    row = row_of(plain_lines(states), 5, len(states))
    assert "┄" in row and "◆" not in row
    assert "conditional" in row


# Evidence marks --------------------------------------------------------------------------


def test_evidence_glyphs_at_their_columns() -> None:
    states = sample_states()
    layout = plan(states, AS_OF, 100)
    lines = plain_lines(states)
    expected = {
        (1, date(2021, 6, 1)): "●",
        (2, date(2023, 2, 1)): "·",
        (2, date(2025, 1, 10)): "✕",
        (3, date(2024, 5, 5)): "●",
        (4, date(2023, 6, 2)): "✕",
    }
    for (pledge_id, day), glyph in expected.items():
        assert at(row_of(lines, pledge_id, len(states)), layout.column(day)) == glyph, (pledge_id, day)


def test_marks_in_the_same_column_merge_and_contradicting_wins() -> None:
    day = date(2024, 3, 1)
    pledge = make_pledge(1, "Build the bridge", date(2023, 1, 1), date(2025, 12, 31), Status.IN_PROGRESS)
    evidence = [
        make_evidence(1, 1, day, "supports"),
        make_evidence(2, 1, day + timedelta(days=1), "contradicts"),
        make_evidence(3, 1, day, "context"),
    ]
    states = states_for([pledge], evidence)
    layout = plan(states, AS_OF, 100)
    assert layout.column(day) == layout.column(day + timedelta(days=1))
    row = plain_lines(states)[2]
    assert at(row, layout.column(day)) == "✕"
    assert "●" not in row and "·" not in row

    colored = timeline_lines(states, AS_OF, 100, color=True)[2]
    column = layout.column(day)
    styles = [str(span.style) for span in colored.spans if span.start <= column < span.end]
    assert any("red" in style and "underline" in style for style in styles), styles


def test_supporting_beats_context_in_the_same_column() -> None:
    day = date(2024, 3, 1)
    pledge = make_pledge(1, "Build the bridge", date(2023, 1, 1), date(2025, 12, 31), Status.IN_PROGRESS)
    states = states_for([pledge], [make_evidence(1, 1, day, "context"), make_evidence(2, 1, day, "supports")])
    row = plain_lines(states)[2]
    assert at(row, plan(states, AS_OF, 100).column(day)) == "●"


def test_glyphs_differ_without_colour() -> None:
    states = sample_states()
    row2 = row_of(plain_lines(states), 2, len(states))
    assert "·" in row2 and "✕" in row2
    assert "●" in row_of(plain_lines(states), 1, len(states))


# Overdue and status ----------------------------------------------------------------------


def test_overdue_rows_are_marked() -> None:
    states = sample_states()
    layout = plan(states, AS_OF, 100)
    lines = plain_lines(states)
    overdue = row_of(lines, 2, len(states))
    assert overdue.startswith(" 2 pending!")
    due, now = layout.column(date(2024, 6, 30)), layout.column(AS_OF)
    assert at(overdue, due) == "◆"
    tail = [at(overdue, column) for column in range(due + 1, now)]
    assert set(tail) <= {"═", "✕"} and "═" in tail
    assert at(overdue, now + 1) == " "
    for pledge_id in (1, 3, 4, 5, 12):
        row = row_of(lines, pledge_id, len(states))
        assert "!" not in row and "═" not in row


def test_overdue_label_and_tail_are_red_and_statuses_are_coloured() -> None:
    states = sample_states()
    lines = timeline_lines(states, AS_OF, 100, color=True)

    def styles_of(line: Text, text: str) -> list[str]:
        start = line.plain.index(text)
        return [str(span.style) for span in line.spans if span.start <= start < span.end]

    overdue, fulfilled, broken = lines[3], lines[2], lines[5]
    assert any("red" in style for style in styles_of(overdue, "pending!"))
    assert any("red" in style for style in styles_of(overdue, "Cut taxes"))
    assert any("red" in style for style in styles_of(overdue, "═"))
    assert any("green" in style for style in styles_of(fulfilled, "fulfilled"))
    assert any("green" in style for style in styles_of(fulfilled, "━"))
    assert any("red" in style for style in styles_of(broken, "broken"))
    assert not any("red" in style for style in styles_of(fulfilled, "Deliver"))


# Plain output, width, user text ----------------------------------------------------------


def test_plain_output_has_no_style_and_no_ansi() -> None:
    lines = timeline_lines(sample_states(), AS_OF, 100, color=False)
    assert all(not line.spans and not line.style for line in lines)
    drawing = timeline(sample_states(), AS_OF, 100, color=False)
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system="truecolor", width=100).print(drawing)
    assert not ANSI.search(out.getvalue())
    assert out.getvalue().rstrip("\n") == drawing.plain


def test_colour_output_is_styled() -> None:
    drawing = timeline(sample_states(), AS_OF, 100, color=True)
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system="truecolor", width=100).print(drawing)
    assert ANSI.search(out.getvalue())
    assert "[citation needed]" in out.getvalue()


@pytest.mark.parametrize("width", [12, 20, 30, 40, 50, 59, 60, 70, 80, 100, 132, 200])
def test_no_line_is_longer_than_the_width(width: int) -> None:
    for color in (False, True):
        for line in timeline_lines(sample_states(), AS_OF, width, color=color):
            assert line.cell_len <= width, (width, line.plain)
    out = io.StringIO()
    Console(file=out, width=width, force_terminal=True).print(timeline(sample_states(), AS_OF, width, color=True))
    # printed through rich at that width, nothing wraps: same number of lines
    assert out.getvalue().count("\n") == len(timeline_lines(sample_states(), AS_OF, width, color=True))


def test_citation_needed_survives() -> None:
    lines = plain_lines(sample_states(), 100)
    assert "Cut taxes [citation needed]" in row_of(lines, 2, 6)


def test_80_columns_keeps_full_statuses_and_some_title() -> None:
    states = sample_states()
    lines = plain_lines(states, 80)
    assert row_of(lines, 3, len(states)).startswith(" 3 in_progress")
    assert "Cut taxes" in row_of(lines, 2, len(states))
    assert plan(states, AS_OF, 80).plot_width >= 40


def test_narrow_widths_shorten_labels() -> None:
    states = sample_states()
    at_50 = plain_lines(states, 50)
    assert row_of(at_50, 2, len(states)).startswith(" 2 pend!")
    assert row_of(at_50, 3, len(states)).startswith(" 3 prog ")
    at_30 = plain_lines(states, 30)
    assert row_of(at_30, 2, len(states)).startswith(" 2!")
    assert "pend" not in row_of(at_30, 2, len(states))
    for line in at_30:
        assert cell_len(line) <= 30


def test_long_titles_are_cut_with_an_ellipsis() -> None:
    title = "Deliver " + "very " * 30 + "many doses"
    states = states_for([make_pledge(1, title, date(2024, 1, 1), date(2025, 1, 1))], [])
    layout = plan(states, AS_OF, 100)
    row = plain_lines(states)[2]
    assert "…" in row
    assert cell_len(row[: row.index("…") + 1]) == layout.label_width


def test_wide_and_control_characters_in_titles() -> None:
    pledges = [
        make_pledge(1, "援助物資を届ける約束" * 3, date(2024, 1, 1), date(2025, 1, 1)),
        make_pledge(2, "Tabs\tand\nnewlines\x1b[31m stay data", date(2024, 6, 1), None),
    ]
    states = states_for(pledges, [])
    for width in (30, 60, 100):
        lines = plain_lines(states, width)
        assert all(cell_len(line) <= width for line in lines)
        assert not any("\x1b" in line or "\t" in line for line in lines)
    assert "newlines [31m stay data" in plain_lines(states, 100)[3]


def test_same_day_everything_still_draws() -> None:
    day = date(2026, 11, 29)
    states = states_for([make_pledge(1, "Made today, due today", day, day)], [make_evidence(1, 1, day, "supports")])
    lines = plain_lines(states, 80, as_of=day)
    assert "●" in lines[2]
    assert any(tick in lines[0] for tick in ("Nov", "Dec", "2026", "Oct"))


def test_short_spans_get_month_ticks() -> None:
    as_of = date(2026, 8, 1)
    states = states_for([make_pledge(1, "Quick one", date(2026, 3, 10), date(2026, 7, 15))], [], as_of)
    for width in (100, 60):
        plot_left = plan(states, as_of, width).plot_left
        lines = plain_lines(states, width, as_of=as_of)
        labels = [lines[0][plot_left:], lines[2 + len(states) + 1][plot_left:]]
        for line in labels:
            assert "Apr 2026" in line  # no January in sight: the first tick names its year
            assert "Jul" in line


# Golden ----------------------------------------------------------------------------------


def test_golden_at_100_columns() -> None:
    drawing = timeline(sample_states(), AS_OF, 100, color=False).plain + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(drawing, encoding="utf-8")
    assert drawing == GOLDEN.read_text(encoding="utf-8")


# Properties ------------------------------------------------------------------------------

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2150, 12, 31))


@st.composite
def random_states(draw: st.DrawFn) -> tuple[list[PledgeState], date]:
    as_of = draw(days)
    count = draw(st.integers(min_value=1, max_value=6))
    states = []
    for index in range(count):
        made_on = draw(days)
        deadline = draw(st.none() | days)
        evidence = tuple(
            make_evidence(number, index + 1, observed, stance)
            for number, (observed, stance) in enumerate(
                draw(st.lists(st.tuples(days, st.sampled_from(["supports", "contradicts", "context"])), max_size=5))
            )
        )
        pledge = make_pledge(
            draw(st.integers(min_value=1, max_value=10**6)),
            draw(st.text(min_size=1, max_size=80)),
            made_on,
            deadline,
            draw(st.sampled_from(list(Status))),
        )
        # Built directly, so even inconsistent states (evidence after as-of, deadline before
        # made_on) are drawn without raising.
        states.append(
            PledgeState(
                pledge=pledge,
                evidence=evidence,
                as_of=as_of,
                progress=draw(st.none() | st.floats(min_value=0, max_value=5)),
                overdue=draw(st.booleans()),
            )
        )
    return states, as_of


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=random_states(), width=st.integers(min_value=1, max_value=240))
def test_random_input_never_raises_nor_exceeds_the_width(data: tuple[list[PledgeState], date], width: int) -> None:
    states, as_of = data
    for color in (False, True):
        lines = timeline_lines(states, as_of, width, color=color)
        assert lines
        for line in lines:
            assert line.cell_len <= width
            assert "\n" not in line.plain and "\x1b" not in line.plain
    if width >= 40:
        lines = timeline_lines(states, as_of, width, color=False)
        column = plan(states, as_of, width).column(as_of)
        assert at(lines[1].plain, column) == "▼"
        for line in lines[2 : 2 + len(states)]:
            assert at(line.plain, column) in LINE_GLYPHS | set("◆●✕·")


def test_a_closed_pledge_without_deadline_ends_the_day_it_closed() -> None:
    open_one = make_pledge(1, "Still open", date(2022, 1, 1), None)
    kept = make_pledge(2, "Kept", date(2022, 1, 1), None, Status.FULFILLED)
    states = states_for([open_one, kept], [])
    closed_day = date(2023, 6, 1)
    lines = timeline(states, AS_OF, 100, color=False, closed_on={2: closed_day}).plain.split("\n")
    layout = plan(states, AS_OF, 100)
    open_row, kept_row = row_of(lines, 1, 2), row_of(lines, 2, 2)
    end = layout.plot_left + layout.offset(closed_day)
    assert at(kept_row, end) == "┄"
    assert at(kept_row, end + 1) == " "
    assert at(open_row, end + 1) == "┄"
    # Without the closing days, both run to the edge as before.
    assert timeline(states, AS_OF, 100, color=False).plain.split("\n")[3].rstrip().endswith("┄")


# The plain path (pipes) ------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=random_states(), width=st.integers(min_value=1, max_value=240))
def test_plain_lines_are_the_characters_of_the_drawing(data: tuple[list[PledgeState], date], width: int) -> None:
    states, as_of = data
    closed_on = {state.pledge.id: as_of for state in states[::2]}
    drawing = timeline(states, as_of, width, color=False, closed_on=closed_on)
    assert timeline_plain(states, as_of, width, closed_on=closed_on) == drawing.plain.split("\n")


@pytest.mark.parametrize("width", [1, 9, 20, 39, 40, 59, 60, 80, 100, 120, 200])
def test_plain_lines_match_the_golden_drawing_at_every_width(width: int) -> None:
    expected = timeline(sample_states(), AS_OF, width, color=False).plain.split("\n")
    assert timeline_plain(sample_states(), AS_OF, width) == expected
    assert timeline_plain([], AS_OF, width) == [EMPTY_MESSAGE[:width]]


def test_plain_titles_with_wide_and_control_characters() -> None:
    pledge = make_pledge(1, "中文标题\tand\x07 a bell, then 🎉 emoji and é", date(2022, 1, 1), date(2024, 1, 1))
    states = states_for([pledge], [])
    for width in (30, 45, 80):
        expected = timeline(states, AS_OF, width, color=False).plain.split("\n")
        assert timeline_plain(states, AS_OF, width) == expected


def test_piped_width_is_what_rich_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    for columns in ("57", "0", "abc", None):
        if columns is None:
            monkeypatch.delenv("COLUMNS", raising=False)
        else:
            monkeypatch.setenv("COLUMNS", columns)
        assert piped_width() == Console(file=io.StringIO()).width
