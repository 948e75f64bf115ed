"""Text for people: rich tables on a terminal, plain tab-separated lines when piped.

Every piece of user text goes through `Text` or `escape`, never through markup, so a title
such as "Cut taxes [citation needed]" prints whole.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tracker.model import Evidence, HistoryEntry, Pledge, Stance, Status, field_text
from tracker.reports import Report
from tracker.rules import PledgeState

# rich is imported by the functions that build rich renderables, not here: piped output is plain
# lines and should not pay for importing rich (about 30 ms at start-up).
if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text

STATUS_STYLES: dict[Status, str] = {
    Status.PENDING: "yellow",
    Status.CONDITIONAL: "cyan",
    Status.IN_PROGRESS: "blue",
    Status.STALLED: "magenta",
    Status.PARTIAL: "dark_orange",
    Status.FULFILLED: "green",
    Status.BROKEN: "red",
    Status.WITHDRAWN: "dim",
}
STANCE_STYLES: dict[Stance, str] = {Stance.SUPPORTS: "green", Stance.CONTRADICTS: "red", Stance.CONTEXT: "dim"}
BAR_WIDTH = 10


def status_text(status: Status) -> Text:
    from rich.text import Text

    return Text(status.value, style=STATUS_STYLES[status])


def progress_bar(progress: float | None) -> Text:
    from rich.text import Text

    if progress is None:
        return Text("")
    filled = round(min(progress, 1.0) * BAR_WIDTH)
    bar = Text("━" * filled, style="green" if progress >= 1 else "yellow")
    bar.append("━" * (BAR_WIDTH - filled), style="grey30")
    bar.append(f" {percent(progress)}")
    return bar


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def percent(progress: float | None) -> str:
    return "" if progress is None else f"{progress * 100:.0f}%"


def deadline_label(pledge: Pledge) -> str:
    deadline = pledge.deadline
    if deadline is None:
        return ""
    if deadline.date is None:
        return f"({deadline.text})"
    return deadline.date.isoformat()


def plain_line(values: Iterable[Any]) -> str:
    """One tab-separated line; tabs and newlines in user text become spaces so rows stay rows."""
    return "\t".join(one_line(str(value)) if value is not None else "" for value in values)


def one_line(text: str) -> str:
    """User text on one line: any run of whitespace (tabs and newlines too) one space, none at the ends."""
    return " ".join(text.split())


def pledge_table(states: Sequence[PledgeState]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Title", ratio=3)
    table.add_column("Actors", ratio=1)
    table.add_column("Deadline", no_wrap=True)
    table.add_column("Progress", no_wrap=True)
    for state in states:
        pledge = state.pledge
        deadline = Text(deadline_label(pledge), style="bold red" if state.overdue else "")
        if state.overdue:
            deadline.append(" overdue", style="red")
        table.add_row(
            str(pledge.id),
            status_text(pledge.status),
            Text(pledge.title),
            Text(", ".join(pledge.actors)),
            deadline,
            progress_bar(state.progress),
        )
    return table


PLEDGE_COLUMNS = ("id", "status", "deadline", "overdue", "progress", "actors", "title")


def pledge_lines(states: Sequence[PledgeState]) -> list[str]:
    lines = [plain_line(PLEDGE_COLUMNS)]
    # One line per pledge of the store when piped: built directly, with only the user's text
    # (deadline, actors, title) made one line; ids, statuses and percentages have no spaces.
    for state in states:
        pledge = state.pledge
        deadline = deadline_label(pledge)
        lines.append(
            f"{pledge.id}\t{pledge.status.value}\t{one_line(deadline) if deadline else ''}\t"
            f"{'overdue' if state.overdue else ''}\t{percent(state.progress)}\t"
            f"{one_line('; '.join(pledge.actors))}\t{one_line(pledge.title)}"
        )
    return lines


def _field_rows(state: PledgeState) -> list[tuple[str, str]]:
    pledge = state.pledge
    rows = [
        ("uuid", pledge.uuid),
        ("status", pledge.status.value + (" (overdue)" if state.overdue else "")),
        ("actors", ", ".join(pledge.actors)),
        ("recipients", ", ".join(pledge.recipients)),
        ("made on", pledge.made_on.isoformat() + (f", {pledge.venue}" if pledge.venue else "")),
        ("category", pledge.category.value),
        ("tags", ", ".join(pledge.tags)),
    ]
    if pledge.deadline:
        # An undated deadline's label is already "(its text)"; do not print the text twice.
        label = deadline_label(pledge)
        rows.append(("deadline", f"{label} ({pledge.deadline.text})" if pledge.deadline.date else label))
    if pledge.condition:
        met = f"met on {pledge.condition.met_on.isoformat()}" if pledge.condition.met_on else "not met yet"
        rows.append(("condition", f"{pledge.condition.text} ({met})"))
    if pledge.target:
        rows.append(("target", str(pledge.target)))
        rows.append(("progress", percent(state.progress)))
    if pledge.text:
        rows.append(("quote", f"“{pledge.text}”"))
    if pledge.source:
        rows.append(
            (
                "source",
                " ".join(part for part in (pledge.source.title, pledge.source.url) if part) or pledge.source.label,
            )
        )
    else:
        rows.append(("source", "none (unsourced)"))
    if pledge.notes:
        rows.append(("notes", pledge.notes))
    return [(name, value) for name, value in rows if value]


def evidence_table(evidence: Sequence[Evidence]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Observed", no_wrap=True)
    table.add_column("Stance", no_wrap=True)
    table.add_column("Quantity", justify="right", no_wrap=True)
    table.add_column("Summary", ratio=3)
    table.add_column("Source", ratio=1)
    for item in evidence:
        summary = Text(item.summary)
        if item.meets_condition:
            summary.append(" [meets condition]", style="cyan")
        if item.supersedes:
            summary.append(f" [supersedes {item.supersedes}]", style="dim")
        table.add_row(
            str(item.id),
            item.observed_on.isoformat(),
            Text(item.stance.value, style=STANCE_STYLES[item.stance]),
            Text(str(item.quantity)) if item.quantity else "",  # the unit is user text, not markup
            summary,
            Text(item.source.label if item.source else ""),
        )
    return table


EVIDENCE_COLUMNS = ("id", "observed_on", "stance", "quantity", "summary", "source")


def evidence_lines(evidence: Sequence[Evidence]) -> list[str]:
    lines = [plain_line(EVIDENCE_COLUMNS)]
    for item in evidence:
        summary = item.summary + (" [meets condition]" if item.meets_condition else "")
        url = item.source.url or item.source.label if item.source else ""
        lines.append(plain_line((item.id, item.observed_on, item.stance.value, item.quantity or "", summary, url)))
    return lines


def pledge_detail(state: PledgeState, evidence: Sequence[Evidence]) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    pledge = state.pledge
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold", no_wrap=True)
    fields.add_column()
    for name, value in _field_rows(state):
        fields.add_row(name, Text(value, style=STATUS_STYLES[pledge.status] if name == "status" else ""))
    parts: list[RenderableType] = [Text(f"#{pledge.id} {pledge.title}", style="bold"), fields]
    if evidence:
        parts += [Text(""), Text(f"Evidence ({len(evidence)})", style="bold"), evidence_table(evidence)]
    else:
        parts += [Text(""), Text("No evidence yet.", style="dim")]
    return Group(*parts)


def pledge_detail_lines(state: PledgeState, evidence: Sequence[Evidence]) -> list[str]:
    pledge = state.pledge
    lines = [f"#{pledge.id} {pledge.title}"]
    lines += [f"{name}: {one_line(value)}" for name, value in _field_rows(state)]
    lines.append(f"evidence: {len(evidence)}")
    lines += evidence_lines(evidence)[1:] if evidence else []
    return lines


def history_table(history: Sequence[HistoryEntry]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Effective", no_wrap=True)
    table.add_column("Recorded", no_wrap=True)
    table.add_column("Field", no_wrap=True)
    table.add_column("Change", ratio=2)
    table.add_column("Reason", ratio=2)
    for entry in history:
        change = Text(field_text(entry.old), style="red")
        change.append(" → ")
        change.append(field_text(entry.new), style="green")
        reason = entry.reason + (f" (evidence {entry.evidence_id})" if entry.evidence_id else "")
        table.add_row(entry.effective_on.isoformat(), entry.recorded_at, entry.field, change, Text(reason))
    return table


HISTORY_COLUMNS = ("effective_on", "recorded_at", "field", "old", "new", "reason")


def history_lines(history: Sequence[HistoryEntry]) -> list[str]:
    lines = [plain_line(HISTORY_COLUMNS)]
    for entry in history:
        reason = entry.reason + (f" (evidence {entry.evidence_id})" if entry.evidence_id else "")
        lines.append(
            plain_line(
                (
                    entry.effective_on,
                    entry.recorded_at,
                    entry.field,
                    field_text(entry.old),
                    field_text(entry.new),
                    reason,
                )
            )
        )
    return lines


def piped_width() -> int:
    """The width a rich Console would take when output is piped, without creating one: `COLUMNS`
    if it is a number, else the size of the first of standard input, output or error that is a
    terminal, else 80."""
    import os

    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns)  # as rich takes it, even 0
    for descriptor in (0, 1, 2):
        try:
            return os.get_terminal_size(descriptor).columns or 80
        except (AttributeError, ValueError, OSError):  # not a terminal
            continue
    return 80


def write_lines(lines: Iterable[str]) -> None:
    """Plain lines to standard output, without creating a rich Console (piped output)."""
    sys.stdout.write("".join(line + "\n" for line in lines))


SECTION_TITLES = {
    "overdue": "Overdue",
    "due": "Due within {window} days",
    "fulfilled": "Fulfilled",
    "stale": "Stale: no evidence for {stale_days} days",
    "compliance": "Compliance by actor",
    "changes": "Changes since {since}",
}


def section_title(report: Report, section: str) -> str:
    options = report.options
    return SECTION_TITLES[section].format(
        window=options.window, stale_days=options.stale_days, since=options.since.isoformat() if options.since else ""
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _when_of(report: Report, section: str) -> Callable[[PledgeState], str]:
    """What an item of `section` says of its time (days late, days to go, the day it was kept or
    the days it has been quiet): one function per section, made once for all its items."""
    as_of = report.as_of

    def quiet(state: PledgeState) -> str:
        return f"quiet {(as_of - state.last_activity).days} days"

    if section == "fulfilled":
        status_since = report.status_since
        return lambda state: f"kept {status_since[state.pledge.id].isoformat()}"
    if section not in ("overdue", "due"):
        return quiet
    late = section == "overdue"

    def dated(state: PledgeState) -> str:
        deadline = state.pledge.deadline
        day = deadline.date if deadline else None
        if day is None:
            return quiet(state)
        return f"{(as_of - day).days} days late" if late else f"in {(day - as_of).days} days"

    return dated


def _items_table(report: Report, section: str, limit: int | None) -> Table:
    """Four or five columns, so that it reads at 80 columns: details stack inside cells."""
    from rich.table import Table
    from rich.text import Text

    states = report.items(section)[:limit]
    with_progress = any(state.progress is not None for state in states)
    when = _when_of(report, section)
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Pledge", ratio=3, min_width=24)
    table.add_column("Deadline", no_wrap=True)
    table.add_column("Last evidence", ratio=2, min_width=16)
    if with_progress:
        table.add_column("Progress", no_wrap=True)
    for state in states:
        pledge = state.pledge
        title = Text(pledge.title)
        title.append("\n")
        title.append_text(status_text(pledge.status))
        title.append(f" · {', '.join(pledge.actors)}", style="dim")
        deadline = Text(deadline_label(pledge) or "none")
        deadline.append(f"\n{when(state)}", style="bold red" if section == "overdue" else "dim")
        last = state.last_evidence
        last_text = Text("none", style="dim")
        if last:
            last_text = Text(f"{last.observed_on.isoformat()}\n", style="dim")
            stance_style = STANCE_STYLES[last.stance] if last.stance is Stance.CONTRADICTS else ""
            last_text.append(_short(last.summary, 70), style=stance_style)
        row: list[RenderableType] = [str(pledge.id), title, deadline, last_text]
        if with_progress:
            row.append(progress_bar(state.progress))
        table.add_row(*row)
    return table


def _compliance_table(report: Report) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Actor")
    table.add_column("Score", justify="right")
    table.add_column("Kept", justify="right")
    table.add_column("n", justify="right")
    table.add_column("Pledges", justify="right")
    for row in report.compliance:
        if row.scored:
            style = "green" if row.score > 0 else "red" if row.score < 0 else "yellow"
            score, kept = Text(f"{row.score:+.2f}", style=style), Text(f"{row.percent:.0f}%", style=style)
        else:
            score, kept = Text("—", style="dim"), Text("—", style="dim")
        table.add_row(Text(row.actor), score, kept, str(row.scored), str(row.pledges))
    return table


def _changes_table(report: Report, limit: int | None) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Date", no_wrap=True)
    table.add_column("ID", justify="right")
    table.add_column("Kind", no_wrap=True)
    table.add_column("What", ratio=1)
    for change in report.changes[:limit]:
        what = Text(_short(change.title, 40), style="bold")
        what.append(f"\n{change.description}")
        table.add_row(change.on.isoformat(), str(change.pledge_id), change.kind, what)
    return table


def more_rows(shown: int, total: int) -> Text | None:
    """The line under a cut table: how many rows are not shown, and how to see them."""
    from rich.text import Text

    if total <= shown:
        return None
    return Text(f"… and {total - shown} more (--all shows every row)", style="dim italic")


def report_renderables(report: Report, limit: int | None = None) -> list[RenderableType]:
    """The report for a terminal: headings, then a table (at most `limit` rows) or 'None.' per section."""
    from rich.text import Text

    title = Text(f"Pledge report as of {report.as_of.isoformat()}", style="bold underline")
    title.append(f"  {plural(len(report.states), 'pledge')}", style="dim")
    parts: list[RenderableType] = [title]
    for section in report.sections():
        if section == "counts":
            counts = Text("")
            shown = [(status, count) for status, count in report.counts.items() if count]
            for index, (status, count) in enumerate(shown):
                if index:
                    counts.append(" · ", style="dim")
                counts.append(f"{count} ")
                counts.append(status.value, style=STATUS_STYLES[status])
            parts += [counts or Text("No pledges.", style="dim")]
            continue
        heading = Text(f"\n{section_title(report, section)}", style="bold")
        if section == "compliance":
            parts += [heading, _compliance_table(report) if report.compliance else Text("No actors.", style="dim")]
            continue
        if section == "changes":
            total = len(report.changes)
            body: RenderableType = _changes_table(report, limit) if total else Text("Nothing changed.", style="dim")
        else:
            total = len(report.items(section))
            body = _items_table(report, section, limit) if total else Text("None.", style="dim")
        heading.append(f" ({total})", style="dim")
        parts += [heading, body]
        more = more_rows(limit if limit is not None else total, total)
        if more is not None:
            parts.append(more)
    return parts


def _item_lines(items: Sequence[PledgeState], when: Callable[[PledgeState], str]) -> list[str]:
    """Two lines for each item of a section, three with its last evidence."""
    lines: list[str] = []
    append = lines.append
    for state in items:
        pledge = state.pledge
        # A status is a str: formatted as it is, without the slower `.value` of an enum member.
        progress = "" if state.progress is None else f" · progress {percent(state.progress)}"
        append(f"  #{pledge.id} {one_line(pledge.title)}")
        append(
            f"      {pledge.status} · {', '.join(pledge.actors)} · deadline {deadline_label(pledge) or 'none'}"
            f" · {when(state)}{progress}"
        )
        if state.evidence:
            last = state.evidence[-1]
            stance = "" if last.stance is Stance.SUPPORTS else f" ({last.stance.value})"
            append(f"      last evidence {last.observed_on.isoformat()}{stance}: {last.summary}")
    return lines


def report_lines(report: Report) -> list[str]:
    """The report as plain text for pipes and files: no colour, no wrapping, every row, stable."""
    lines = [f"Pledge report as of {report.as_of.isoformat()}: {plural(len(report.states), 'pledge')}"]
    for section in report.sections():
        if section == "counts":
            shown = [f"{count} {status.value}" for status, count in report.counts.items() if count]
            lines.append("Status: " + (", ".join(shown) if shown else "no pledges"))
            continue
        lines.append("")
        if section == "compliance":
            lines.append(section_title(report, section))
            width = max((len(row.actor) for row in report.compliance), default=5)
            for row in report.compliance:
                score = f"{row.score:+.2f}  {row.percent:3.0f}%" if row.scored else "   –     –"
                lines.append(f"  {row.actor:<{width}}  {score}  n={row.scored}  pledges={row.pledges}")
            if not report.compliance:
                lines.append("  No actors.")
        elif section == "changes":
            lines.append(f"{section_title(report, section)} ({len(report.changes)})")
            lines += [
                f"  {change.on.isoformat()} #{change.pledge_id} {change.kind}: {change.description}"
                for change in report.changes
            ]
            if not report.changes:
                lines.append("  Nothing changed.")
        else:
            items = report.items(section)
            lines.append(f"{section_title(report, section)} ({len(items)})")
            lines += _item_lines(items, _when_of(report, section))
            if not items:
                lines.append("  None.")
    return [line.replace("\n", " ") for line in lines]
