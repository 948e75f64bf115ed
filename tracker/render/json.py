"""The documented JSON shapes of pledges, evidence and history. Fields are only ever added."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from tracker.model import Evidence, HistoryEntry, JSONDict, Pledge
from tracker.reports import Report
from tracker.rules import PledgeState, days_late


def dumps(value: Any) -> str:
    """Stable JSON text: sorted keys, two-space indent, non-ASCII kept as is."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()


def evidence_json(item: Evidence) -> JSONDict:
    return {"id": item.id, **item.to_dict()}


def history_json(entry: HistoryEntry) -> JSONDict:
    return {"id": entry.id, **entry.to_dict()}


def pledge_json(pledge: Pledge, state: PledgeState | None) -> JSONDict:
    """A pledge with its derived `overdue` and `progress` as of the state's date."""
    record: JSONDict = {"id": pledge.id, **pledge.to_dict()}
    record["overdue"] = state.overdue if state else False
    record["progress"] = round(state.progress, 4) if state and state.progress is not None else None
    return record


def pledge_detail_json(state: PledgeState, evidence: Iterable[Evidence], history: Iterable[HistoryEntry]) -> JSONDict:
    record = pledge_json(state.pledge, state)
    record["evidence"] = [evidence_json(item) for item in evidence]
    record["history"] = [history_json(entry) for entry in history]
    return record


def _item_json(report: Report, state: PledgeState) -> JSONDict:
    pledge = state.pledge
    deadline = pledge.deadline.date if pledge.deadline else None
    last = state.last_evidence
    return {
        "actors": list(pledge.actors),
        "category": pledge.category.value,
        "days_late": days_late(pledge, report.as_of),
        "days_left": (deadline - report.as_of).days if deadline and deadline >= report.as_of else None,
        "deadline": deadline.isoformat() if deadline else None,
        "deadline_text": pledge.deadline.text if pledge.deadline else None,
        "id": pledge.id,
        "last_evidence": (
            {
                "date": last.observed_on.isoformat(),
                "stance": last.stance.value,
                "summary": last.summary,
                "url": last.source.url if last.source else None,
            }
            if last
            else None
        ),
        "progress": round(state.progress, 4) if state.progress is not None else None,
        "status": pledge.status.value,
        "status_since": report.status_since[pledge.id].isoformat(),
        "title": pledge.title,
        "uuid": pledge.uuid,
    }


def report_json(report: Report) -> JSONDict:
    """The report's documented shape: the header fields, then only the sections of its kind."""
    options = report.options
    document: JSONDict = {
        "as_of": report.as_of.isoformat(),
        "report": report.kind.value,
        "since": options.since.isoformat() if options.since else None,
        "stale_days": options.stale_days,
        "total": len(report.states),
        "window": options.window,
    }
    for section in report.sections():
        if section == "counts":
            document["counts"] = {status.value: count for status, count in report.counts.items()}
        elif section == "compliance":
            document["compliance"] = [
                {
                    "actor": row.actor,
                    "broken_or_overdue": row.broken_or_overdue,
                    "fulfilled": row.fulfilled,
                    "percent": round(row.percent, 1) if row.scored else None,
                    "pledges": row.pledges,
                    "score": round(row.score, 4) if row.scored else None,
                    "scored": row.scored,
                }
                for row in report.compliance
            ]
        elif section == "changes":
            document["changes"] = [
                {
                    "date": change.on.isoformat(),
                    "description": change.description,
                    "kind": change.kind,
                    "pledge_id": change.pledge_id,
                    "title": change.title,
                }
                for change in report.changes
            ]
        else:
            document[section] = [_item_json(report, state) for state in report.items(section)]
    return document
