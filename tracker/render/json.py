"""The documented JSON shapes of pledges, evidence and history. Fields are only ever added."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from tracker.model import Evidence, HistoryEntry, JSONDict, Pledge
from tracker.rules import PledgeState


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
