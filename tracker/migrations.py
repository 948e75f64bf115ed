"""Schema migrations: named steps that bring an older store up to the current schema.

A step changes the parsed tables in place. `Store` takes a backup of the file as it was
before the first write that migrates it; readers migrate in memory and write nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

META = "_meta"
META_ID = "1"
JOURNAL = "changes"


@dataclass(frozen=True, slots=True)
class Migration:
    from_version: int
    name: str
    apply: Callable[[dict[str, Any]], None]


def _add_journal(tables: dict[str, Any]) -> None:
    """Version 2 keeps a journal of recent changes so that `tracker undo` can revert them."""
    tables.setdefault(JOURNAL, {})


MIGRATIONS: tuple[Migration, ...] = (Migration(1, "add the undo journal", _add_journal),)
SCHEMA_VERSION = MIGRATIONS[-1].from_version + 1


def version_of(tables: dict[str, Any]) -> int:
    version: int = tables[META][META_ID]["schema_version"]
    return version


def migrate(tables: dict[str, Any]) -> list[str]:
    """Apply every step from the tables' version to the current one; the names of the steps applied."""
    applied = []
    for step in MIGRATIONS:
        if version_of(tables) == step.from_version:
            step.apply(tables)
            tables[META][META_ID] = dict(tables[META][META_ID], schema_version=step.from_version + 1)
            applied.append(step.name)
    return applied
