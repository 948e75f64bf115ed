"""A deep check of a store file: every problem found, in plain words (an empty list: sound).

`Store.read_tables` refuses a store whose shape is unusable and stops at the first problem;
the doctor goes on and reports all it can see: each record's fields and types, evidence and
history that point at pledges which do not exist, duplicate uuids, ids at or past
`_meta.next_ids`, a stored status that disagrees with the last status change in history,
and temp files left beside the store by an interrupted write.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from tracker.migrations import SCHEMA_VERSION
from tracker.store import _RECORD_KEY, META, META_ID, RECORD_TYPES, TABLES

_REQUIRED: dict[str, dict[str, tuple[type, ...]]] = {
    "pledges": {
        "uuid": (str,),
        "title": (str,),
        "actors": (list,),
        "made_on": (str,),
        "status": (str,),
        "category": (str,),
    },
    "evidence": {
        "pledge_id": (int,),
        "observed_on": (str,),
        "recorded_at": (str,),
        "summary": (str,),
        "stance": (str,),
    },
    "history": {"pledge_id": (int,), "field": (str,), "effective_on": (str,), "recorded_at": (str,)},
}
_OPTIONAL_TEXT = {
    "pledges": ("text", "venue", "notes", "created_at", "updated_at"),
    "evidence": (),
    "history": ("reason",),
}
_OPTIONAL_LISTS = {"pledges": ("recipients", "tags"), "evidence": (), "history": ()}


def leftover_temp_files(path: Path) -> list[Path]:
    """Temp files of interrupted writes beside the store (`.pledges.json.*.tmp`, a staged backup)."""
    found = sorted(path.parent.glob(f".{path.name}.*.tmp")) if path.parent.is_dir() else []
    staged = path.with_name(path.name + ".bak.tmp")
    if staged.exists():
        found.append(staged)
    return found


def diagnose_file(path: Path) -> list[str]:
    """Every problem of the store file at `path` (a missing file is a new, sound store)."""
    problems = [
        f"leftover temp file {temp} (an interrupted write; it can be deleted)" for temp in leftover_temp_files(path)
    ]
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return problems
    except OSError as error:
        return [*problems, f"cannot read store {path}: {error.strerror or error}"]
    if not raw.strip():
        return [*problems, "the store file is empty"]
    try:
        tables = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return [*problems, f"the store is not valid JSON: {error}"]
    return problems + diagnose(tables)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def diagnose(tables: Any) -> list[str]:
    """Every problem of a parsed store."""
    if not isinstance(tables, dict):
        return ["the top level is not an object"]
    problems: list[str] = []
    meta_table = tables.get(META)
    meta: dict[str, Any] = {}
    if not isinstance(meta_table, dict) or not isinstance(meta_table.get(META_ID), dict):
        problems.append("the _meta table is missing")
    else:
        meta = meta_table[META_ID]
        version: Any = meta.get("schema_version")
        if not _is_int(version):
            problems.append("_meta.schema_version is missing or not a number")
        elif version > SCHEMA_VERSION:
            problems.append(f"_meta.schema_version {version} is newer than this tracker understands ({SCHEMA_VERSION})")
    next_ids: dict[str, Any] = {}
    if meta and not isinstance(meta.get("next_ids"), dict):
        problems.append("_meta.next_ids is missing")
    elif meta:
        next_ids = meta["next_ids"]
    for name in TABLES:
        if meta and not _is_int(next_ids.get(name)):
            problems.append(f"_meta.next_ids.{name} is missing or not a number")
    unknown = sorted(set(tables) - {META, *TABLES, "changes"})
    problems.extend(f"unknown table {name!r}" for name in unknown)

    good: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in TABLES}
    # Records with a problem of their own, reported above: they exist for the references below.
    present: dict[str, set[int]] = {name: set() for name in TABLES}
    for name in TABLES:
        table = tables.get(name, {})
        if not isinstance(table, dict):
            problems.append(f"the {name} table is not an object")
            continue
        limit: Any = next_ids.get(name)
        for key, record in table.items():
            where = f"{name} record {key!r}"
            if not _RECORD_KEY.fullmatch(key):
                problems.append(f"{where}: the key is not a canonical id")
                continue
            if not isinstance(record, dict):
                problems.append(f"{where}: not an object")
                continue
            if _is_int(limit) and int(key) >= limit:
                problems.append(f"{where}: id {key} is at or beyond _meta.next_ids.{name} ({limit})")
            record_problems = _record_problems(name, record)
            if not record_problems:
                try:
                    RECORD_TYPES[name].from_dict(int(key), record)
                except (KeyError, TypeError, ValueError, AttributeError) as error:
                    record_problems.append(f"invalid value ({type(error).__name__}: {error})")
            problems.extend(f"{where}: {problem}" for problem in record_problems)
            if not record_problems:
                good[name][int(key)] = record
            else:
                present[name].add(int(key))
    problems.extend(_reference_problems(good, present))
    return problems


def _record_problems(name: str, record: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for field, types in _REQUIRED[name].items():
        if field not in record:
            found.append(f"missing field {field!r}")
        elif not isinstance(record[field], types) or (int in types and isinstance(record[field], bool)):
            found.append(f"field {field!r} has the wrong type ({type(record[field]).__name__})")
    for field in _OPTIONAL_TEXT[name]:
        if record.get(field) is not None and not isinstance(record[field], str):
            found.append(f"field {field!r} is not text")
    for field in _OPTIONAL_LISTS[name]:
        value = record.get(field)
        if value is not None and not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
            found.append(f"field {field!r} is not a list of text")
    actors = record.get("actors")
    if name == "pledges" and isinstance(actors, list) and not (actors and all(isinstance(a, str) for a in actors)):
        found.append("field 'actors' must be a non-empty list of text")
    for field in ("evidence_id", "supersedes"):
        if record.get(field) is not None and not _is_int(record[field]):
            found.append(f"field {field!r} is not an id")
    if name == "history" and "change" in record and not _is_int(record["change"]):
        found.append("field 'change' is not a number")
    return found


def _reference_problems(good: dict[str, dict[int, dict[str, Any]]], present: dict[str, set[int]]) -> list[str]:
    problems: list[str] = []
    pledges, evidence, history = good["pledges"], good["evidence"], good["history"]
    pledge_ids, evidence_ids = pledges.keys() | present["pledges"], evidence.keys() | present["evidence"]
    uuids = Counter(record["uuid"] for record in pledges.values())
    problems.extend(f"uuid {uuid} is used by {count} pledges" for uuid, count in sorted(uuids.items()) if count > 1)
    removed = {
        record["pledge_id"]
        for record in history.values()
        if record["field"] == "pledge" and record.get("reason") == "pledge removed"
    }
    for key, record in sorted(evidence.items()):
        if record["pledge_id"] not in pledge_ids:
            problems.append(f"evidence record {key}: pledge {record['pledge_id']} does not exist")
        if record.get("supersedes") is not None and record["supersedes"] not in evidence_ids:
            problems.append(f"evidence record {key}: supersedes evidence {record['supersedes']}, which does not exist")
    last_status: dict[int, tuple[int, Any]] = {}
    for key, record in sorted(history.items()):
        pledge_id = record["pledge_id"]
        if pledge_id not in pledge_ids and pledge_id not in removed:
            problems.append(f"history record {key}: pledge {pledge_id} does not exist and was not removed")
        referenced = record.get("evidence_id")
        if referenced is not None and referenced not in evidence_ids and pledge_id in pledge_ids:
            problems.append(f"history record {key}: evidence {record['evidence_id']} does not exist")
        is_status = record["field"] == "status" or (
            record["field"] == "pledge" and record.get("old") is None and isinstance(record.get("new"), str)
        )
        if is_status:
            last_status[pledge_id] = (key, record.get("new"))
    for pledge_id, (key, status) in sorted(last_status.items()):
        pledge = pledges.get(pledge_id)
        if pledge is not None and pledge["status"] != status:
            problems.append(
                f"pledge {pledge_id}: stored status {pledge['status']!r} differs from its last status change "
                f"{status!r} (history record {key})"
            )
    return problems
