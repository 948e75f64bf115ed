"""The word lists that ship inside the package (tracker/data/*.json), read once when first needed."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> Any:
    return json.loads((resources.files("tracker") / "data" / name).read_text(encoding="utf-8"))


@cache
def unit_names() -> dict[str, str]:
    """Every way of naming a unit, folded to lower case, mapped to its canonical name:
    "euros", "EUR" and "€" are EUR; "jabs" and "doses" are doses."""
    data = load("units.json")
    names: dict[str, str] = {}
    for canonical, words in data["units"].items():
        for word in [canonical, *words]:
            names[word.casefold()] = canonical
    for table in ("currency_symbols", "currency_words"):
        for word, code in data[table].items():
            names[word.casefold()] = code
    for code in set(data["currency_symbols"].values()):
        names[code.casefold()] = code
    return names
