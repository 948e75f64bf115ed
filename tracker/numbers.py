"""Numbers written in words or figures: "six", "one hundred and fifty thousand", "1.2 billion".

Shared by the deadline grammar and the extractor so that both read numbers the same way.
"""

from __future__ import annotations

import re

UNITS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
SCALES: dict[str, int] = {
    "hundred": 100, "thousand": 1_000, "million": 1_000_000,
    "billion": 1_000_000_000, "trillion": 1_000_000_000_000,
}  # fmt: skip
ARTICLES = {"a": 1, "an": 1}
SCALE_SUFFIXES: dict[str, int] = {
    "k": 1_000, "m": 1_000_000, "mn": 1_000_000, "bn": 1_000_000_000, "b": 1_000_000_000,
    "tn": 1_000_000_000_000,
}  # fmt: skip

NUMBER_WORDS = frozenset(UNITS) | frozenset(TENS) | frozenset(SCALES)

_FIGURE = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$")


def parse_figure(text: str) -> float | None:
    """Read "150,000", "1.5" or "90"; None when the text is not a plain figure."""
    text = text.strip()
    if not _FIGURE.match(text):
        return None
    return float(text.replace(",", ""))


def words_to_number(text: str) -> int | None:
    """Read a number written in English words; None when any word is not part of a number.

    "six" -> 6, "eighteen" -> 18, "one hundred and fifty thousand" -> 150000,
    "twenty-five" -> 25, "a hundred" -> 100.
    """
    words = [w for w in re.split(r"[\s-]+", text.strip().lower()) if w]
    if not words:
        return None
    total = 0
    current = 0
    seen_number = False
    for index, word in enumerate(words):
        if word == "and" and seen_number and index + 1 < len(words):
            continue
        if word in ARTICLES and index == 0 and len(words) > 1:
            current = ARTICLES[word]
            seen_number = True
        elif word in UNITS:
            current += UNITS[word]
            seen_number = True
        elif word in TENS:
            current += TENS[word]
            seen_number = True
        elif word == "hundred":
            current = max(current, 1) * 100
            seen_number = True
        elif word in SCALES:
            total += max(current, 1) * SCALES[word]
            current = 0
            seen_number = True
        else:
            return None
    return total + current if seen_number else None


def parse_number(text: str) -> float | None:
    """Read a count in figures, words, or figures with a scale: "1.2 billion", "$3bn", "six"."""
    cleaned = text.strip().lower().lstrip("$€£").replace("us$", "").strip()
    figure = parse_figure(cleaned)
    if figure is not None:
        return figure
    match = re.fullmatch(r"([\d.,]+)\s*([a-z]+)", cleaned)
    if match:
        base = parse_figure(match.group(1))
        scale = SCALES.get(match.group(2)) or SCALE_SUFFIXES.get(match.group(2))
        if base is not None and scale is not None:
            return base * scale
        return None
    words = words_to_number(cleaned)
    return float(words) if words is not None else None
