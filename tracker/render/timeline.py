"""Pledges on a time axis, for `tracker timeline`: one row per pledge, drawn with box characters.

Pure rendering: the pledge states and the as-of date come in, a `rich.text.Text` (or plain
lines) goes out. The store and the clock are never read here.

    console.print(timeline(states, as_of, console.width, color=True))   # styled, one Text
    write_lines(timeline_plain(states, as_of, width))                    # pipes: plain strings, no rich

`timeline_plain` gives exactly the characters of `timeline(..., color=False).plain`, line by line.

Layout at 80 columns (every line is at most `width` cells; the plot starts at `Layout.plot_left`)::

    as of 2026-11-29                           2022  2023   2024  2025  2026   2027
                                         ──────┰─────┰──────┰─────┰─────┰─────▼┰────
     1 fulfilled    Deliver 150,000 vac…  ━●━━●◆                              │
     2 pending!     Cut taxes [citation…        ━━━━━━·━━━━━━━━◆══✕═══════════╪
     3 in_progress  Open the border cro…              ┄┄┄┄┄┄┄┄●┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┼┄┄┄┄┄
    12 in_progress  Sign the fisheries …                            ━━━━━✕━━━━┿━━━◆
                                         ──────┸─────┸──────┸─────┸─────┸─────▲┸────
                                               2022  2023   2024  2025  2026   2027
    ━ pledge  ◆ deadline  ┄ no deadline  ═! overdue  │ as of  ● supports
    ✕ contradicts  · context

- Bars run from `made_on` to the deadline `◆` in the status colour; a pledge with no deadline
  date is dashed to the right edge; an overdue one gets a red `═` tail up to the as-of date.
- Ticks: months, quarters, or years by 1, 2, 5, 10... years, the finest whose labels do not
  touch, with the next finer unit as unlabelled minor ticks when there is room.
- Rows come in the order given. The label holds the id, the status (with `!` when overdue, and
  the whole label red), then the title, cut with `…`. Below 60 columns the status is
  abbreviated; below 40 it is left out, and the label column shrinks before the plot does.
- Evidence falling in the same column is merged into one mark: contradicting wins over
  supporting, supporting over context (a merged mark is underlined in colour). A mark on the
  deadline's column hides the `◆`: the evidence is the news.
- The as-of line is drawn through every row: `│` on empty cells, crossing glyphs on bars
  (`┿` `╪` `┼`); an evidence or deadline mark on that very day is shown instead.
- With `color=False` the result has no style at all, so `.plain` is stable for pipes and tests.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING, Literal

from tracker.model import Stance, Status
from tracker.render.text import STANCE_STYLES, STATUS_STYLES
from tracker.rules import PledgeState

# rich is imported by the functions that build `Text`, not here: piped output goes through
# `timeline_plain`, plain strings with the same characters, and never pays for rich.
if TYPE_CHECKING:
    from rich.text import Text

EMPTY_MESSAGE = "No pledges to draw."
StatusMode = Literal["full", "short", "none"]

SOLID = "━"
DASHED = "┄"
OVERDUE = "═"
DEADLINE = "◆"
AS_OF = "│"
AS_OF_TOP = "▼"
AS_OF_BOTTOM = "▲"
AXIS = "─"
MAJOR_TOP, MINOR_TOP = "┰", "┬"
MAJOR_BOTTOM, MINOR_BOTTOM = "┸", "┴"
OVERDUE_FLAG = "!"
MARKS: dict[Stance, str] = {Stance.SUPPORTS: "●", Stance.CONTRADICTS: "✕", Stance.CONTEXT: "·"}
# When marks share a column, the highest wins: a contradiction must never be hidden.
MARK_PRIORITY: dict[Stance, int] = {Stance.CONTRADICTS: 3, Stance.SUPPORTS: 2, Stance.CONTEXT: 1}
# What the as-of line looks like where it crosses each kind of cell.
CROSSINGS: dict[str, str] = {" ": AS_OF, SOLID: "┿", OVERDUE: "╪", DASHED: "┼"}

AS_OF_STYLE = "bold"
AXIS_STYLE = "dim"
OVERDUE_STYLE = "red"
SHORT_STATUS: dict[Status, str] = {
    Status.PENDING: "pend",
    Status.CONDITIONAL: "cond",
    Status.IN_PROGRESS: "prog",
    Status.STALLED: "stal",
    Status.PARTIAL: "part",
    Status.FULFILLED: "fulf",
    Status.BROKEN: "brok",
    Status.WITHDRAWN: "wdrn",
}

# Characters that take one cell each (as rich counts them too): printable ASCII and our glyphs.
_SINGLE_CELL = frozenset(
    [chr(code) for code in range(0x20, 0x7F)]
    + [SOLID, DASHED, OVERDUE, DEADLINE, AS_OF, AS_OF_TOP, AS_OF_BOTTOM, AXIS, "…"]
    + [MAJOR_TOP, MINOR_TOP, MAJOR_BOTTOM, MINOR_BOTTOM, *MARKS.values(), *CROSSINGS.values()]
)

MIN_SPAN_DAYS = 60  # a shorter span is widened around its middle, so month ticks always show
MIN_PLOT = 10  # the label column gives way before the plot gets narrower than this
FULL_LABELS_FROM = 60  # narrower than this: abbreviated statuses
STATUS_FROM = 40  # narrower than this: no status in the label at all
MAX_LABEL = 48
TICK_LABEL = 4  # "2022", "Mar", "Q3": tick steps are chosen so these never touch


@dataclass(frozen=True, slots=True)
class Layout:
    """Where things go: the label column, then one space, then the plot, from `start` to `end`."""

    width: int
    label_width: int
    plot_width: int
    start: int  # ordinal of the day at the plot's first column
    end: int  # ordinal of the day at its last column
    status_mode: StatusMode

    @property
    def plot_left(self) -> int:
        """The column (0-based, in the whole line) where the plot begins."""
        return self.label_width + 1 if self.label_width else 0

    def offset(self, day: date) -> int:
        """The plot column (0-based, within the plot) of a day, clamped to the plot."""
        last = self.plot_width - 1
        if last <= 0 or self.end <= self.start:
            return 0
        numerator = (day.toordinal() - self.start) * last
        span = self.end - self.start
        column = (2 * numerator + span) // (2 * span)  # rounded to nearest, in integers
        return min(last, max(0, column))

    def column(self, day: date) -> int:
        """The column (0-based, in the whole line) of a day."""
        return self.plot_left + self.offset(day)


def plan(states: Sequence[PledgeState], as_of: date, width: int) -> Layout:
    """The layout `timeline` uses for these states at this width (exposed for tests and callers)."""
    width = max(width, 1)
    days = [as_of.toordinal()]
    for state in states:
        days.append(state.pledge.made_on.toordinal())
        deadline = _deadline(state)
        if deadline is not None:
            days.append(deadline.toordinal())
        days.extend(item.observed_on.toordinal() for item in state.evidence)
    low, high = min(days), max(days)
    if high - low < MIN_SPAN_DAYS:
        extra = MIN_SPAN_DAYS - (high - low)
        low, high = low - extra // 2, high + extra - extra // 2
    margin = max((high - low) // 30, 3)
    low = max(date.min.toordinal(), low - margin)
    high = min(date.max.toordinal(), high + margin)

    status_mode: StatusMode = "full" if width >= FULL_LABELS_FROM else "short" if width >= STATUS_FROM else "none"
    labels = _Labels.measure(states, status_mode)
    natural = max((_cell_len(labels.plain(state)) for state in states), default=0)
    cap = min(MAX_LABEL, width * 9 // 20)
    label_width = max(0, min(natural, cap, width - 1 - MIN_PLOT))
    if label_width == 0 and width > MIN_PLOT:
        label_width = min(natural, max(1, width // 3))
    plot_width = max(1, width - label_width - (1 if label_width else 0))
    return Layout(width, label_width, plot_width, low, high, status_mode)


def timeline(
    states: Sequence[PledgeState], as_of: date, width: int, *, color: bool, closed_on: Mapping[int, date] | None = None
) -> Text:
    """The whole drawing as one `Text`, lines joined by newlines (no trailing newline).

    `states` are pledges as of `as_of`, drawn in the order given; `width` is the terminal width
    in cells: no line is ever longer. With `color=False` the Text carries no style at all.
    """
    from rich.text import Text

    lines = timeline_lines(states, as_of, width, color=color, closed_on=closed_on)
    drawing = Text("\n", no_wrap=True, overflow="crop").join(lines)
    drawing.no_wrap = True
    drawing.overflow = "crop"
    return drawing


def timeline_lines(
    states: Sequence[PledgeState], as_of: date, width: int, *, color: bool, closed_on: Mapping[int, date] | None = None
) -> list[Text]:
    """The drawing as a list of lines, each at most `width` cells (see `timeline`).

    `closed_on` gives the day each closed pledge took its status: an open-ended bar stops there.
    """
    from rich.text import Text

    width = max(width, 1)
    if not states:
        lines = [Text(EMPTY_MESSAGE)]
    else:
        layout = plan(states, as_of, width)
        lines = list(_draw(states, as_of, layout, closed_on or {}))
    finished = []
    for line in lines:
        if line.cell_len > width:
            line.truncate(width, overflow="crop")
        finished.append(line if color else Text(line.plain))
    return finished


def timeline_plain(
    states: Sequence[PledgeState], as_of: date, width: int, *, closed_on: Mapping[int, date] | None = None
) -> list[str]:
    """The drawing as plain lines, without rich: exactly `timeline(..., color=False).plain`
    split at the newlines, at a fraction of the cost (no `Text` per row). For pipes."""
    width = max(width, 1)
    if not states:
        lines = [EMPTY_MESSAGE]
    else:
        layout = plan(states, as_of, width)
        lines = list(_draw_plain(states, as_of, layout, closed_on or {}))
    return [_set_cell_size(line, width) if _cell_len(line) > width else line for line in lines]


def _cell_len(text: str) -> int:
    """Cells `text` takes, as rich counts them (printable ASCII and our glyphs without asking rich)."""
    if (text.isascii() and text.isprintable()) or _SINGLE_CELL.issuperset(text):
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def _set_cell_size(text: str, total: int) -> str:
    """`text` cropped or padded to `total` cells, as rich's `set_cell_size` does."""
    if text.isascii() and text.isprintable():
        return text[:total] if len(text) >= total else text + " " * (total - len(text))
    from rich.cells import set_cell_size

    return set_cell_size(text, total)


# Drawing ----------------------------------------------------------------------------------


def _draw(states: Sequence[PledgeState], as_of: date, layout: Layout, closed_on: Mapping[int, date]) -> Iterator[Text]:
    from rich.text import Text

    ticks = _choose_ticks(layout)
    as_of_column = layout.offset(as_of)
    header = Text(f"as of {as_of.isoformat()}" if layout.label_width >= 16 else as_of.isoformat(), style=AXIS_STYLE)

    yield _row(layout, header, _tick_labels(layout, ticks))
    yield _row(layout, Text(""), _axis(layout, ticks, as_of_column, top=True))
    labels = _Labels.measure(states, layout.status_mode)
    for state in states:
        yield _row(layout, labels.label(state), _bar(state, as_of, layout, closed_on.get(state.pledge.id)))
    yield _row(layout, Text(""), _axis(layout, ticks, as_of_column, top=False))
    yield _row(layout, Text(""), _tick_labels(layout, ticks))
    yield from _legend(layout.width)


def _draw_plain(
    states: Sequence[PledgeState], as_of: date, layout: Layout, closed_on: Mapping[int, date]
) -> Iterator[str]:
    """`_draw` without styles: the same characters, as strings."""
    ticks = _choose_ticks(layout)
    as_of_column = layout.offset(as_of)
    header = f"as of {as_of.isoformat()}" if layout.label_width >= 16 else as_of.isoformat()
    tick_labels = "".join(_tick_labels_canvas(layout, ticks).glyphs)
    yield _row_plain(layout, header, tick_labels)
    yield _row_plain(layout, "", "".join(_axis_canvas(layout, ticks, as_of_column, top=True).glyphs))
    labels = _Labels.measure(states, layout.status_mode)
    for state in states:
        bar = _bar_canvas(state, as_of, layout, closed_on.get(state.pledge.id))
        yield _row_plain(layout, labels.plain(state), "".join(bar.glyphs))
    yield _row_plain(layout, "", "".join(_axis_canvas(layout, ticks, as_of_column, top=False).glyphs))
    yield _row_plain(layout, "", tick_labels)
    yield from _legend_plain(layout.width)


def _row_plain(layout: Layout, label: str, plot: str) -> str:
    """`_row` on strings."""
    if not layout.label_width:
        return plot.rstrip()
    cells = _cell_len(label)
    if cells > layout.label_width:
        label = _set_cell_size(label, layout.label_width - 1) + "…"
        cells = _cell_len(label)
    return (label + " " * (layout.label_width - cells + 1) + plot).rstrip()


def _row(layout: Layout, label: Text, plot: Text) -> Text:
    from rich.text import Text

    line = Text()
    if layout.label_width:
        label = label.copy()
        if label.cell_len > layout.label_width:
            label.truncate(layout.label_width, overflow="ellipsis")
        line.append_text(label)
        line.append(" " * (layout.label_width - label.cell_len + 1))
    line.append_text(plot)
    line.rstrip()
    return line


@dataclass(slots=True)
class _Canvas:
    """One row of the plot: a glyph and a style per column."""

    width: int
    glyphs: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.glyphs = [" "] * self.width
        self.styles = [""] * self.width

    def put(self, column: int, glyph: str, style: str) -> None:
        if 0 <= column < self.width:
            self.glyphs[column] = glyph
            self.styles[column] = style

    def span(self, first: int, last: int, glyph: str, style: str) -> None:
        for column in range(max(first, 0), min(last, self.width - 1) + 1):
            self.put(column, glyph, style)

    def write(self, column: int, text: str, style: str) -> None:
        """Put a short ASCII label starting at `column`."""
        for index, char in enumerate(text):
            self.put(column + index, char, style)

    def text(self) -> Text:
        from rich.text import Text

        result = Text()
        run, run_style = "", ""
        for glyph, style in zip(self.glyphs, self.styles, strict=True):
            if style != run_style and run:
                result.append(run, style=run_style or None)
                run = ""
            run, run_style = run + glyph, style
        if run:
            result.append(run, style=run_style or None)
        return result


def _deadline(state: PledgeState) -> date | None:
    deadline = state.pledge.deadline
    return deadline.date if deadline is not None else None


def _bar(state: PledgeState, as_of: date, layout: Layout, closed: date | None) -> Text:
    return _bar_canvas(state, as_of, layout, closed).text()


def _bar_canvas(state: PledgeState, as_of: date, layout: Layout, closed: date | None) -> _Canvas:
    pledge = state.pledge
    canvas = _Canvas(layout.plot_width)
    style = STATUS_STYLES[pledge.status]
    made = layout.offset(pledge.made_on)
    as_of_column = layout.offset(as_of)
    deadline = _deadline(state)
    if deadline is None:
        # A kept, broken or withdrawn pledge without a deadline ends the day it closed.
        end = layout.offset(closed) if closed is not None and not pledge.status.is_open else layout.plot_width - 1
        canvas.span(made, max(made, end), DASHED, f"{style} dim")
    else:
        due = layout.offset(deadline)
        canvas.span(min(made, due), max(made, due), SOLID, style)
        if state.overdue:
            canvas.span(due + 1, as_of_column, OVERDUE, OVERDUE_STYLE)
        canvas.put(due, DEADLINE, f"bold {OVERDUE_STYLE if state.overdue else style}")

    marks: dict[int, list[Stance]] = {}
    for item in state.evidence:
        marks.setdefault(layout.offset(item.observed_on), []).append(item.stance)
    for column, stances in marks.items():
        winner = max(stances, key=MARK_PRIORITY.__getitem__)
        mark_style = STANCE_STYLES[winner] if winner is Stance.CONTEXT else f"bold {STANCE_STYLES[winner]}"
        canvas.put(column, MARKS[winner], mark_style + (" underline" if len(stances) > 1 else ""))

    crossing = CROSSINGS.get(canvas.glyphs[as_of_column]) if as_of_column < canvas.width else None
    if crossing is not None:
        canvas.put(as_of_column, crossing, AS_OF_STYLE)
    return canvas


def _clean(text: str) -> str:
    """User text on one line: control and format characters become spaces, runs of space one."""
    if text.isprintable():  # no control or format character (category C) at all: the usual case
        return " ".join(text.split())
    return " ".join("".join(" " if unicodedata.category(char)[0] == "C" else char for char in text).split())


@dataclass(frozen=True, slots=True)
class _Labels:
    """How wide each label field is, measured once over all the rows."""

    status_mode: StatusMode
    id_width: int
    status_width: int
    flag_width: int

    @classmethod
    def measure(cls, states: Sequence[PledgeState], status_mode: StatusMode) -> _Labels:
        names = _status_names(status_mode)
        return cls(
            status_mode,
            id_width=max((len(str(state.pledge.id)) for state in states), default=0),
            status_width=max((len(names[state.pledge.status]) for state in states), default=0),
            flag_width=1 if any(state.overdue for state in states) else 0,
        )

    def plain(self, state: PledgeState) -> str:
        """The characters of `label`, without styles."""
        pledge = state.pledge
        flag = OVERDUE_FLAG if state.overdue else ""
        head = str(pledge.id).rjust(self.id_width)
        if self.status_mode != "none":
            name = _status_names(self.status_mode)[pledge.status]
            padding = " " * (self.status_width + self.flag_width - len(name) - len(flag))
            head = f"{head} {name}{flag}{padding}"
        else:
            head = head + flag + " " * (self.flag_width - len(flag))
        return f"{head} {_clean(pledge.title)}"

    def label(self, state: PledgeState) -> Text:
        """`id status! title`, fields padded to the widest row; the whole label red when overdue."""
        from rich.text import Text

        pledge = state.pledge
        overdue_style = f"bold {OVERDUE_STYLE}"
        flag = OVERDUE_FLAG if state.overdue else ""
        label = Text()
        label.append(str(pledge.id).rjust(self.id_width), style=overdue_style if state.overdue else "bold")
        if self.status_mode != "none":
            name = _status_names(self.status_mode)[pledge.status]
            label.append(" ")
            label.append(name, style=overdue_style if state.overdue else STATUS_STYLES[pledge.status])
            label.append(flag, style=overdue_style)
            label.append(" " * (self.status_width + self.flag_width - len(name) - len(flag)))
        else:
            label.append(flag, style=overdue_style)
            label.append(" " * (self.flag_width - len(flag)))
        label.append(" ")
        label.append(_clean(pledge.title), style=OVERDUE_STYLE if state.overdue else "")
        return label


def _status_names(status_mode: StatusMode) -> dict[Status, str]:
    return SHORT_STATUS if status_mode == "short" else {status: status.value for status in Status}


# The time axis ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Ticks:
    major: list[tuple[int, str, str]]  # (plot column, short label, long label for the first tick)
    minor: list[int]


# (unit, step): months by 1 or 3 (quarters), then years by ever coarser steps.
_STEPS: tuple[tuple[str, int], ...] = (
    ("month", 1),
    ("month", 3),
    *(("year", step) for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)),
)
_UNIT_DAYS = {"month": 30.44, "year": 365.25}


def _tick_days(unit: str, step: int, low: int, high: int) -> list[date]:
    """First days of months (aligned to `step`) or years (multiples of `step`) within [low, high]."""
    first = date.fromordinal(low)
    days: list[date] = []
    if unit == "month":
        year, month = first.year, first.month
        if date(year, month, 1).toordinal() < low:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        while (month - 1) % step:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        while year <= date.max.year and date(year, month, 1).toordinal() <= high:
            days.append(date(year, month, 1))
            month += step
            if month > 12:
                year, month = year + 1, month - 12
    else:
        year = first.year if date(first.year, 1, 1).toordinal() >= low else first.year + 1
        year += -year % step
        while year <= date.max.year and date(year, 1, 1).toordinal() <= high:
            days.append(date(year, 1, 1))
            year += step
    return days


def _tick_label(day: date, unit: str, step: int) -> tuple[str, str]:
    """The short label, and the longer one used on the first tick when it does not name a year."""
    if day.month == 1 or unit == "year":
        return str(day.year), str(day.year)
    if step == 3:
        quarter = f"Q{(day.month - 1) // 3 + 1}"
        return quarter, f"{quarter} {day.year}"
    name = day.strftime("%b")
    return name, f"{name} {day.year}"


def _choose_ticks(layout: Layout) -> _Ticks:
    span = layout.end - layout.start
    chosen: list[date] = []
    unit, step = "year", _STEPS[-1][1]
    for unit, step in _STEPS:
        if span / (_UNIT_DAYS[unit] * step) * (TICK_LABEL + 1) > layout.plot_width * 1.2:
            continue  # far too dense: do not even list them
        days = _tick_days(unit, step, layout.start, layout.end)
        columns = [layout.offset(day) for day in days]
        if all(b - a >= TICK_LABEL + 1 for a, b in pairwise(columns)):
            chosen = days
            break
    major = [(layout.offset(day), *_tick_label(day, unit, step)) for day in chosen]
    minor: list[int] = []
    finer = {("year", 1): ("month", 3), ("month", 3): ("month", 1)}.get((unit, step))
    if finer is None and unit == "year" and step > 1:
        finer = ("year", 1) if step < 10 else ("year", step // 5 if step % 5 == 0 else step // 2)
    if finer is not None and span / (_UNIT_DAYS[finer[0]] * finer[1]) * 2 <= layout.plot_width:
        columns = [layout.offset(day) for day in _tick_days(*finer, layout.start, layout.end)]
        if all(b - a >= 2 for a, b in pairwise(columns)):
            minor = columns
    return _Ticks(major, minor)


def _tick_labels(layout: Layout, ticks: _Ticks) -> Text:
    return _tick_labels_canvas(layout, ticks).text()


def _tick_labels_canvas(layout: Layout, ticks: _Ticks) -> _Canvas:
    canvas = _Canvas(layout.plot_width)
    free_from = 0  # the first column a label may use (one space after the previous label)
    # With no January in sight no label names the year, so the first one does, even if the
    # label after it has to give way.
    names_a_year = any(short == long for _, short, long in ticks.major)
    for index, (column, short, long) in enumerate(ticks.major):
        next_column = ticks.major[index + 1][0] if index + 1 < len(ticks.major) else layout.plot_width + 1
        fits = column + len(long) < next_column or not names_a_year
        text = long if index == 0 and fits and column + len(long) <= layout.plot_width else short
        start = min(column, layout.plot_width - len(text))
        if start < free_from or start + len(text) > layout.plot_width:
            continue
        canvas.write(start, text, "")
        free_from = start + len(text) + 1
    return canvas


def _axis(layout: Layout, ticks: _Ticks, as_of_column: int, *, top: bool) -> Text:
    return _axis_canvas(layout, ticks, as_of_column, top=top).text()


def _axis_canvas(layout: Layout, ticks: _Ticks, as_of_column: int, *, top: bool) -> _Canvas:
    canvas = _Canvas(layout.plot_width)
    canvas.span(0, layout.plot_width - 1, AXIS, AXIS_STYLE)
    for column in ticks.minor:
        canvas.put(column, MINOR_TOP if top else MINOR_BOTTOM, AXIS_STYLE)
    for column, _, _ in ticks.major:
        canvas.put(column, MAJOR_TOP if top else MAJOR_BOTTOM, AXIS_STYLE)
    canvas.put(as_of_column, AS_OF_TOP if top else AS_OF_BOTTOM, AS_OF_STYLE)
    return canvas


# The legend -------------------------------------------------------------------------------


def _legend_items() -> list[tuple[str, str, str]]:
    return [
        (SOLID, "", "pledge"),
        (DEADLINE, "bold", "deadline"),
        (DASHED, "dim", "no deadline"),
        (OVERDUE + OVERDUE_FLAG, OVERDUE_STYLE, "overdue"),
        (AS_OF, AS_OF_STYLE, "as of"),
        (MARKS[Stance.SUPPORTS], f"bold {STANCE_STYLES[Stance.SUPPORTS]}", "supports"),
        (MARKS[Stance.CONTRADICTS], f"bold {STANCE_STYLES[Stance.CONTRADICTS]}", "contradicts"),
        (MARKS[Stance.CONTEXT], STANCE_STYLES[Stance.CONTEXT], "context"),
    ]


def _legend(width: int) -> Iterator[Text]:
    from rich.text import Text

    line = Text()
    for glyph, style, meaning in _legend_items():
        item = Text()
        item.append(glyph, style=style or None)
        item.append(f" {meaning}", style=AXIS_STYLE)
        if line.cell_len and line.cell_len + 2 + item.cell_len > width:
            yield line
            line = Text()
        if line.cell_len:
            line.append("  ")
        line.append_text(item)
    if line.cell_len:
        yield line


def _legend_plain(width: int) -> Iterator[str]:
    """`_legend` on strings."""
    line = ""
    for glyph, _, meaning in _legend_items():
        item = f"{glyph} {meaning}"
        if line and _cell_len(line) + 2 + _cell_len(item) > width:
            yield line
            line = ""
        if line:
            line += "  "
        line += item
    if line:
        yield line
