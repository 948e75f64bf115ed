"""Text for people: rich tables on a terminal, plain tab-separated lines when piped.

Every piece of user text goes through `Text` or `escape`, never through markup, so a title
such as "Cut taxes [citation needed]" prints whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from tracker.model import Evidence, HistoryEntry, Pledge, Stance, Status, format_number
from tracker.rules import PledgeState

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
    return Text(status.value, style=STATUS_STYLES[status])


def progress_bar(progress: float | None) -> Text:
    if progress is None:
        return Text("")
    filled = round(min(progress, 1.0) * BAR_WIDTH)
    bar = Text("━" * filled, style="green" if progress >= 1 else "yellow")
    bar.append("━" * (BAR_WIDTH - filled), style="grey30")
    bar.append(f" {percent(progress)}")
    return bar


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
    return "\t".join(" ".join(str(value).split()) if value is not None else "" for value in values)


def pledge_table(states: Sequence[PledgeState]) -> Table:
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
    for state in states:
        pledge = state.pledge
        lines.append(
            plain_line(
                (
                    pledge.id,
                    pledge.status.value,
                    deadline_label(pledge),
                    "overdue" if state.overdue else "",
                    percent(state.progress),
                    "; ".join(pledge.actors),
                    pledge.title,
                )
            )
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
        rows.append(("deadline", f"{deadline_label(pledge)} ({pledge.deadline.text})"))
    if pledge.condition:
        met = f"met on {pledge.condition.met_on.isoformat()}" if pledge.condition.met_on else "not met yet"
        rows.append(("condition", f"{pledge.condition.text} ({met})"))
    if pledge.target:
        rows.append(("target", str(pledge.target)))
        rows.append(("progress", percent(state.progress)))
    if pledge.text:
        rows.append(("quote", f"“{pledge.text}”"))
    if pledge.source:
        rows.append(("source", " ".join(part for part in (pledge.source.title, pledge.source.url) if part) or pledge.source.label))
    else:
        rows.append(("source", "none (unsourced)"))
    if pledge.notes:
        rows.append(("notes", pledge.notes))
    return [(name, value) for name, value in rows if value]


def evidence_table(evidence: Sequence[Evidence]) -> Table:
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
            str(item.quantity) if item.quantity else "",
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
    lines += [f"{name}: {' '.join(value.split())}" for name, value in _field_rows(state)]
    lines.append(f"evidence: {len(evidence)}")
    lines += evidence_lines(evidence)[1:] if evidence else []
    return lines


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        if "text" in value and "precision" in value:
            return f"{value.get('date') or 'undated'} ({value['text']})"
        if "unit" in value and "value" in value:
            return f"{format_number(value['value'])} {value['unit']}"
        if "met_on" in value:
            return f"{value['text']} (met on {value['met_on']})" if value["met_on"] else str(value["text"])
        if "pledge" in value:
            return "the whole pledge"
        return ", ".join(f"{key}={item}" for key, item in sorted(value.items()) if item is not None)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


def history_table(history: Sequence[HistoryEntry]) -> Table:
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Effective", no_wrap=True)
    table.add_column("Recorded", no_wrap=True)
    table.add_column("Field", no_wrap=True)
    table.add_column("Change", ratio=2)
    table.add_column("Reason", ratio=2)
    for entry in history:
        change = Text(_value(entry.old), style="red")
        change.append(" → ")
        change.append(_value(entry.new), style="green")
        reason = entry.reason + (f" (evidence {entry.evidence_id})" if entry.evidence_id else "")
        table.add_row(entry.effective_on.isoformat(), entry.recorded_at, entry.field, change, Text(reason))
    return table


HISTORY_COLUMNS = ("effective_on", "recorded_at", "field", "old", "new", "reason")


def history_lines(history: Sequence[HistoryEntry]) -> list[str]:
    lines = [plain_line(HISTORY_COLUMNS)]
    for entry in history:
        reason = entry.reason + (f" (evidence {entry.evidence_id})" if entry.evidence_id else "")
        lines.append(plain_line((entry.effective_on, entry.recorded_at, entry.field, _value(entry.old), _value(entry.new), reason)))
    return lines


def print_lines(console: Console, lines: Iterable[str]) -> None:
    """Plain output bypasses rich's markup and wrapping entirely."""
    console.file.write("".join(line + "\n" for line in lines))

