"""GitHub-flavoured markdown: report sections and the briefing of `tracker export markdown`.

Reads well raw and rendered: GFM tables, links to the sources, a Mermaid gantt chart. User
text is escaped so that a title never turns into markup or breaks a table.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Protocol, overload

from tracker.model import Evidence, Source, Stance, Status, format_number
from tracker.render.text import deadline_label, one_line, percent, plural, section_title
from tracker.reports import Report
from tracker.rules import PledgeState, days_late

# Markdown punctuation, each escaped with a backslash: a translation table, several times faster
# than re.sub with a template, and a briefing escapes every title, summary and source.
_ESCAPES = str.maketrans({char: "\\" + char for char in "\\`*_[]<>|#~"})
# Most text has none of that punctuation: a search is several times faster than a translate, so
# the translate runs only when there is something to escape.
_NEEDS_ESCAPE = re.compile(r"[\\`*_\[\]<>|#~]").search


# A briefing escapes the same actors, publishers, source titles and tags again and again.
@functools.lru_cache(maxsize=4096)
def escape(text: str) -> str:
    """Inline-safe text: one line, markdown punctuation escaped (pipes too, for tables)."""
    # Only printable characters (so no whitespace but the space), no run of spaces and none at
    # either end: already one line, and split-and-join would give it back unchanged.
    if not (text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "):
        text = one_line(text)
    return text.translate(_ESCAPES) if _NEEDS_ESCAPE(text) else text


def link(label: str, url: str | None) -> str:
    if not url:
        return escape(label)
    # Three scans for one character each run faster than one regular expression for the three.
    special = "(" in url or ")" in url or " " in url
    safe_url = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20") if special else url
    return f"[{escape(label)}]({safe_url})"


def source_link(source: Source | None) -> str:
    if source is None:
        return "unsourced"
    return link(source.title or source.label or "source", source.url)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], align: Sequence[str] | None = None) -> list[str]:
    alignment = align or ["---"] * len(headers)
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(alignment) + " |"]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return lines


def _counts_line(report: Report) -> str:
    shown = [f"{count} {status.value}" for status, count in report.counts.items() if count]
    return ", ".join(shown) if shown else "no pledges"


def _item_rows(report: Report, section: str) -> list[list[str]]:
    rows = []
    for state in report.items(section):
        pledge = state.pledge
        last = state.last_evidence
        last_cell = (
            f"{last.observed_on.isoformat()}: {link(last.summary, last.source.url if last.source else None)}"
            if last
            else "none"
        )
        if section == "overdue":
            when = f"{days_late(pledge, report.as_of)} days"
        elif section == "due" and pledge.deadline and pledge.deadline.date:
            when = f"{(pledge.deadline.date - report.as_of).days} days"
        elif section == "fulfilled":
            when = report.status_since[pledge.id].isoformat()
        else:
            when = last.observed_on.isoformat() if last else pledge.made_on.isoformat()
        rows.append(
            [
                str(pledge.id),
                escape(pledge.title),
                escape(", ".join(pledge.actors)),
                pledge.status.value,
                deadline_label(pledge) or "none",
                when,
                percent(state.progress) or "–",
                last_cell,
            ]
        )
    return rows


WHEN_HEADERS = {"overdue": "Late by", "due": "Due in", "fulfilled": "Fulfilled on", "stale": "Last activity"}


def compliance_lines(report: Report) -> list[str]:
    rows = [
        [
            escape(row.actor),
            f"{row.score:+.2f}" if row.scored else "–",
            f"{row.percent:.0f}%" if row.scored else "–",
            str(row.scored),
            str(row.pledges),
        ]
        for row in report.compliance
    ]
    return table(["Actor", "Score", "Kept", "n", "Pledges"], rows, ["---", "---:", "---:", "---:", "---:"])


def report_markdown(report: Report) -> str:
    lines = [f"# Pledge report as of {report.as_of.isoformat()}", ""]
    for section in report.sections():
        if section == "counts":
            lines += [f"{plural(len(report.states), 'pledge')}: {_counts_line(report)}.", ""]
            continue
        lines += [f"## {section_title(report, section)}", ""]
        if section == "compliance":
            lines += compliance_lines(report) if report.compliance else ["No actors."]
        elif section == "changes":
            if report.changes:
                lines += [
                    f"- {change.on.isoformat()} · #{change.pledge_id} {escape(change.title)} · {change.kind}: "
                    f"{escape(change.description)}"
                    for change in report.changes
                ]
            else:
                lines.append("Nothing changed.")
        else:
            rows = _item_rows(report, section)
            headers = [
                "ID",
                "Pledge",
                "Actors",
                "Status",
                "Deadline",
                WHEN_HEADERS[section],
                "Progress",
                "Last evidence",
            ]
            lines += table(headers, rows) if rows else ["None."]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


_MARKERS = {Stance.SUPPORTS: "✔", Stance.CONTRADICTS: "✘ **contradicts**:", Stance.CONTEXT: "·"}


class _IsoDates(dict[date, str]):
    """Each date's ISO text, worked out once: a briefing writes the same few thousand dates
    hundreds of thousands of times."""

    def __missing__(self, day: date) -> str:
        text = self[day] = day.isoformat()
        return text


_ISO = _IsoDates()


def _evidence_line(item: Evidence) -> str:
    quantity = f" ({item.quantity})" if item.quantity else ""
    condition = " *(meets the condition)*" if item.meets_condition else ""
    source = f" — {source_link(item.source)}" if item.source else ""
    return f"- {_ISO[item.observed_on]} {_MARKERS[item.stance]} {escape(item.summary)}{quantity}{condition}{source}"


def pledge_section(state: PledgeState, status_since: date) -> list[str]:
    # Statuses and categories are str enums: formatted, each is its value.
    pledge = state.pledge
    status = f"**{pledge.status}** since {_ISO[status_since]}"
    if state.overdue:
        status += f", **overdue** by {days_late(pledge, state.as_of)} days"
    made = (
        f"- Made on: {_ISO[pledge.made_on]}, {escape(pledge.venue)}"
        if pledge.venue
        else f"- Made on: {_ISO[pledge.made_on]}"
    )
    lines = [
        f"### {pledge.id}. {escape(pledge.title)}",
        "",
        f"- Status: {status}",
        f"- Actors: {escape(', '.join(pledge.actors))}",
    ]
    if pledge.recipients:
        lines.append(f"- Recipients: {escape(', '.join(pledge.recipients))}")
    lines.append(made)
    if pledge.deadline:
        lines.append(f"- Deadline: {deadline_label(pledge)} ({escape(pledge.deadline.text)})")
    else:
        lines.append("- Deadline: none")
    if pledge.condition:
        met = f"met on {_ISO[pledge.condition.met_on]}" if pledge.condition.met_on else "not met"
        lines.append(f"- Condition: {escape(pledge.condition.text)} ({met})")
    if pledge.target:
        done = f"{format_number(state.progress * pledge.target.value)}" if state.progress is not None else "0"
        lines.append(f"- Progress: {done} of {escape(str(pledge.target))} ({percent(state.progress)})")
    if pledge.tags:
        lines.append(f"- Category: {pledge.category}; tags: {escape(', '.join(pledge.tags))}")
    else:
        lines.append(f"- Category: {pledge.category}")
    lines.append("")
    if pledge.text:
        lines += [f"> {escape(pledge.text)}", ">", f"> — {source_link(pledge.source)}", ""]
    else:
        lines += [f"Source: {source_link(pledge.source)}", ""]
    if state.evidence:
        lines += ["Evidence:", "", *map(_evidence_line, state.evidence), ""]
    else:
        lines += ["No evidence yet.", ""]
    return lines


def _gantt_name(text: str) -> str:
    """Mermaid task names end at ':' and treat '#' and ';' specially."""
    # Three replaces, not one translate: each is a quick scan of the text in C, where translate
    # looks each character up in a table (a chart of a large store names tens of thousands).
    cleaned = one_line(text).replace(":", " ").replace(";", " ").replace("#", " ")
    return cleaned[:60].strip() or "pledge"


# Mermaid draws no diagram of more than 50,000 characters unless the reader's renderer is set
# otherwise (GitHub's and most editors' are not). A task line is at most 111 characters (a name
# cut to 60, a tag, an id of up to 12 digits and two dates), so this many always fit.
MAX_TIMELINE_TASKS = 400


def gantt(states: Sequence[PledgeState], as_of: date) -> list[str]:
    """A Mermaid gantt chart of the pledges with a dated deadline, by category; past
    `MAX_TIMELINE_TASKS` of them, of those whose deadlines are nearest `as_of`, with a line
    after the chart saying so."""
    dated = [state for state in states if state.pledge.deadline and state.pledge.deadline.date]
    if not dated:
        return []
    shown = dated
    if len(dated) > MAX_TIMELINE_TASKS:

        def distance(index: int) -> tuple[int, int]:
            deadline = dated[index].pledge.deadline
            assert deadline is not None and deadline.date is not None
            return abs((deadline.date - as_of).days), index

        nearest = heapq.nsmallest(MAX_TIMELINE_TASKS, range(len(dated)), key=distance)
        shown = [dated[index] for index in sorted(nearest)]
    lines = [
        "```mermaid",
        "gantt",
        "    title Pledges and their deadlines",
        "    dateFormat YYYY-MM-DD",
        "    axisFormat %Y-%m",
    ]
    by_category: dict[str, list[PledgeState]] = {}
    for state in shown:
        by_category.setdefault(state.pledge.category.value, []).append(state)
    for category in sorted(by_category):
        lines.append(f"    section {category}")
        for state in by_category[category]:
            pledge = state.pledge
            assert pledge.deadline is not None and pledge.deadline.date is not None
            tags = []
            if pledge.status is Status.FULFILLED:
                tags.append("done")
            elif state.overdue or pledge.status is Status.BROKEN:
                tags.append("crit")
            elif pledge.status.is_open:
                tags.append("active")
            start = min(pledge.made_on, pledge.deadline.date)
            spec = ", ".join([*tags, f"p{pledge.id}", _ISO[start], _ISO[pledge.deadline.date]])
            lines.append(f"    {_gantt_name(f'{pledge.id}. {pledge.title}')} :{spec}")
    lines.append("```")
    if len(shown) < len(dated):
        lines += [
            "",
            f"The timeline shows the {len(shown):,} pledges whose deadlines are nearest {_ISO[as_of]}, "
            f"of {len(dated):,} with a dated deadline.",
        ]
    return lines


class Split(Protocol):
    """How a briefing's parts may be rendered: `first()` gives the parts before the pledges',
    `render(start, stop)` those of pledges `start` to `stop` - 1, and the split gives them all, in
    order, of which about `share` are this process's (see `tracker.parallel.in_two`)."""

    def __call__(
        self,
        render: Callable[[int, int], Iterable[str]],
        count: int,
        first: Callable[[], Iterable[str]],
        share: float,
    ) -> Iterable[str | bytes]: ...


def _in_order(
    render: Callable[[int, int], Iterable[str]], count: int, first: Callable[[], Iterable[str]], share: float
) -> Iterable[str]:
    return itertools.chain(first(), render(0, count))


# The share of the pledges' sections this process renders when another renders the rest: it also
# works out every pledge's state and the briefing's opening, while the other works out only its
# own pledges' states. Timed at 100,000 pledges, the two then finish together.
OWN_SHARE = 0.35


def briefing(report: Report) -> str:
    """The full briefing: counts, compliance, a section per pledge, and a gantt chart."""
    return "".join(briefing_parts(report))


@overload
def briefing_parts(report: Report) -> Iterator[str]: ...


@overload
def briefing_parts(report: Report, split: Split) -> Iterator[str | bytes]: ...


def briefing_parts(report: Report, split: Split | None = None) -> Iterator[str | bytes]:
    """The briefing in consecutive parts, one per pledge, to be written as they come: a large
    store's briefing is never all in memory at once (joined, they are `briefing`).

    `split`, if given, gives the parts in its own way (the pledges' parts are independent, and
    a part of the report works out only its own pledges' states: see `Report.part`), some
    perhaps already encoded for the output.
    """

    def opening() -> Iterator[str]:
        lines = [
            f"# Pledge briefing as of {report.as_of.isoformat()}",
            "",
            f"{plural(len(report.states), 'pledge')}: {_counts_line(report)}.",
            "",
        ]
        lines += [
            f"Overdue: {len(report.overdue)}. Due within {report.options.window} days: {len(report.due)}. "
            f"Stale (no evidence for {report.options.stale_days} days): {len(report.stale)}.",
            "",
        ]
        lines += ["## Compliance by actor", ""]
        lines += compliance_lines(report) if report.compliance else ["No actors."]
        lines += [
            "",
            "Score: +1 fulfilled, 0 under way, −1 broken or overdue, averaged per actor; kept = 50 × (score + 1).",
            "",
        ]
        chart = gantt(report.states, report.as_of)
        if chart:
            lines += ["## Timeline", "", *chart, ""]
        lines.append("## Pledges")
        yield "\n".join(lines) + "\n"

    def pledge_parts(start: int, stop: int) -> Iterator[str]:
        part = report.part(start, stop)
        status_since = part.status_since
        for state in part.states:
            # Each section opens with the blank line that parts it from what comes before, so a
            # part is the same wherever it falls, and the briefing ends with the last's newline.
            yield "\n" + "\n".join(pledge_section(state, status_since[state.pledge.id]))

    # Split by the store's pledges, whose states are not worked out yet: one a filter or the date
    # leaves out has no section, so a narrow briefing of a large store is still split, at the cost
    # of a second core's time (its parts are small), not of the reader's.
    yield from (split or _in_order)(pledge_parts, len(report.records.pledges), opening, OWN_SHARE)
