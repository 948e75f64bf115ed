"""CSV of a report's pledges: one row per pledge per section, for spreadsheets.

Counts and the compliance table are not rows of pledges; `--format json` carries them.
"""

from __future__ import annotations

import csv
import io

from tracker.reports import Report
from tracker.rules import days_late

REPORT_COLUMNS = (
    "section", "id", "uuid", "title", "actors", "status", "category", "deadline", "days_late",
    "progress", "last_evidence_on", "source_url",
)  # fmt: skip


def report_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for section in report.sections():
        for state in report.items(section):
            pledge = state.pledge
            last = state.last_evidence
            writer.writerow(
                (
                    section,
                    pledge.id,
                    pledge.uuid,
                    pledge.title,
                    ";".join(pledge.actors),
                    pledge.status.value,
                    pledge.category.value,
                    pledge.deadline.date.isoformat() if pledge.deadline and pledge.deadline.date else "",
                    days_late(pledge, report.as_of) or "",
                    f"{state.progress:.4f}" if state.progress is not None else "",
                    last.observed_on.isoformat() if last else "",
                    pledge.source.url if pledge.source and pledge.source.url else "",
                )
            )
    return buffer.getvalue()
