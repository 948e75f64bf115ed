"""Calendar dates and the deadline grammar.

Pure functions: the anchor date is always passed in, the clock is never read here. Every
accepted form is matched exactly; anything else is refused with the list of accepted forms
rather than guessed (dateutil's fuzzy parsing silently drops "end of" or "Q3").
"""

from __future__ import annotations

import calendar
import math
import re
from datetime import date, timedelta
from typing import Literal, NamedTuple, get_args

from tracker.errors import BadInputError
from tracker.numbers import parse_figure, words_to_number

Precision = Literal["day", "month", "quarter", "half", "year"]
Anchor = Literal["made_on", "condition"]
PRECISIONS: tuple[str, ...] = get_args(Precision)
ANCHORS: tuple[str, ...] = get_args(Anchor)

ACCEPTED_DEADLINES = (
    "2021-12-31, 31 Dec 2021, Dec 2021, 2021, Q3 2022, H1 2022, end of 2021, mid-2022, "
    "by March 2022, in 6 months, within 90 days, within six months, +6m, +2w, +90d, "
    "6 months after condition, end of the year, next year, none"
)
ACCEPTED_DATES = "2021-04-07, 7 Apr 2021, 7 April 2021, April 7, 2021, today, yesterday"

MONTHS: dict[str, int] = {}
for _number in range(1, 13):
    MONTHS[calendar.month_name[_number].lower()] = _number
    MONTHS[calendar.month_abbr[_number].lower()] = _number
MONTHS["sept"] = 9

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>\d{4})"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"


class Deadline(NamedTuple):
    """When a pledge falls due: `date` is the last day that still counts as on time.

    `date` is None only for a deadline anchored on a condition that has not been met yet.
    """

    text: str
    date: date | None
    precision: Precision
    anchor: Anchor

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> Deadline:
        day, text, precision, anchor = data.get("date"), data["text"], data["precision"], data["anchor"]
        if type(text) is not str or precision not in PRECISIONS or anchor not in ANCHORS:
            raise ValueError(f"{data!r} is not a stored deadline")
        # Built as the tuple it is: a named tuple's own constructor is Python code, and a read
        # without the cache builds a deadline for most pledges (see `model._new`).
        return tuple.__new__(cls, (text, date.fromisoformat(day) if day else None, precision, anchor))

    def to_dict(self) -> dict[str, str | None]:
        return {
            "date": self.date.isoformat() if self.date else None,
            "text": self.text,
            "precision": self.precision,
            "anchor": self.anchor,
        }


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def parse_iso(text: str) -> date:
    """Read a stored ISO date; stored data was validated on the way in."""
    return date.fromisoformat(text)


def end_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """Same day of the month `months` later, clamped to the month's end (Jan 31 + 1m = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _checked_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise BadInputError(f"'{text}' is not a real calendar date") from None


def _absolute_date(text: str) -> date | None:
    """A single calendar day: ISO or day-month-year in words; None if the form does not match."""
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
        year, month, day = (int(group) for group in match.groups())
        return _checked_date(year, month, day, text)
    patterns = (
        rf"{_DAY}\s+{_MONTH},?\s+{_YEAR}",
        rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}",
    )
    for pattern in patterns:
        if match := re.fullmatch(pattern, text):
            month = MONTHS[match["month"]]
            return _checked_date(int(match["year"]), month, int(match["day"]), text)
    return None


def parse_date(text: str, today: date) -> date:
    """Read a calendar date given on the command line ("2021-04-07", "7 Apr 2021", "today")."""
    cleaned = " ".join(text.strip().lower().split())
    if cleaned == "today":
        return today
    if cleaned == "yesterday":
        return today - timedelta(days=1)
    day = _absolute_date(cleaned)
    if day is None:
        shown = " ".join(text.split())  # one line, even if the text held newlines
        raise BadInputError(f"'{shown}' is not a date; accepted forms: {ACCEPTED_DATES}")
    return day


_UNIT_PRECISION: dict[str, Precision] = {"d": "day", "w": "day", "m": "month", "y": "year"}
_UNIT_WORDS = {
    "day": "d", "days": "d", "week": "w", "weeks": "w", "month": "m", "months": "m",
    "year": "y", "years": "y", "d": "d", "w": "w", "m": "m", "y": "y",
}  # fmt: skip


def shift(day: date, offset: str) -> date:
    """Move `day` by an offset like "6m", "2w", "90d", "1y"."""
    count, unit = int(offset[:-1]), offset[-1]
    if unit == "d":
        return day + timedelta(days=count)
    if unit == "w":
        return day + timedelta(weeks=count)
    if unit == "m":
        return add_months(day, count)
    return add_months(day, 12 * count)


def _shifted(day: date, offset: str, text: str) -> date:
    try:
        return shift(day, offset)
    except (ValueError, OverflowError):
        raise BadInputError(f"'{' '.join(text.split())}' reaches beyond the calendar") from None


def _count(text: str) -> int | None:
    figure = parse_figure(text)
    if figure is not None:
        # A figure of 309+ digits reads as infinity, which int() refuses with OverflowError.
        return int(figure) if math.isfinite(figure) and figure == int(figure) else None
    if text in ("a", "an"):  # "within a year": words_to_number reads an article only before a number word
        return 1
    return words_to_number(text)


def _offset(text: str) -> str | None:
    """ "6 months", "six months", "a year", "6m", "+6m" -> "6m"; None when it is not an offset."""
    if match := re.fullmatch(r"\+?\s*(\d+)\s*([dwmy])", text):
        # int() refuses digit strings longer than 4300 characters; anything past 6 digits is too far anyway.
        count, unit = (int(match[1]) if len(match[1]) <= 6 else 0), match[2]
    elif match := re.fullmatch(r"(.+?)\s+(days?|weeks?|months?|years?)", text):
        parsed = _count(match[1])
        if parsed is None:
            return None
        count, unit = parsed, _UNIT_WORDS[match[2]]
    else:
        return None
    if count <= 0 or count > 1200:
        return None
    return f"{count}{unit}"


def _period_end(text: str, made_on: date) -> tuple[date, Precision] | None:
    """The last day of a named period: a day, month, quarter, half, year or mid-year."""
    day = _absolute_date(text)
    if day is not None:
        return day, "day"
    if match := re.fullmatch(rf"{_MONTH},?\s+{_YEAR}", text):
        return end_of_month(int(match["year"]), MONTHS[match["month"]]), "month"
    if match := re.fullmatch(r"(\d{4})", text):
        return date(int(match[1]), 12, 31), "year"
    if match := re.fullmatch(r"q([1-4])\s*[-/ ]?\s*(\d{4})|(\d{4})\s*[-/ ]?\s*q([1-4])", text):
        quarter = int(match[1] or match[4])
        year = int(match[2] or match[3])
        return end_of_month(year, quarter * 3), "quarter"
    if match := re.fullmatch(r"h([12])\s*[-/ ]?\s*(\d{4})|(\d{4})\s*[-/ ]?\s*h([12])", text):
        half = int(match[1] or match[4])
        year = int(match[2] or match[3])
        return end_of_month(year, half * 6), "half"
    if match := re.fullmatch(r"mid\s*-?\s*(\d{4})", text):
        return date(int(match[1]), 6, 30), "half"
    if text in ("the year", "this year"):
        return date(made_on.year, 12, 31), "year"
    if text == "next year":
        return date(made_on.year + 1, 12, 31), "year"
    return None


def parse_deadline(text: str, made_on: date, condition_met_on: date | None = None) -> Deadline | None:
    """Read a deadline expression; None for "none". Relative forms count from `made_on`,
    or from the condition's date when anchored there (undated until the condition is met).
    """
    original = " ".join(text.split())
    cleaned = original.lower().rstrip(".")
    if cleaned in ("none", "no deadline"):
        return None
    if not cleaned:
        raise BadInputError(f"the deadline is empty; accepted forms: {ACCEPTED_DEADLINES}")

    if match := re.fullmatch(
        r"(?:within\s+|in\s+)?(.+?)\s+(?:after|of|from)\s+(?:the\s+)?condition(?:\s+is\s+met)?",
        cleaned,
    ):
        offset = _offset(match[1])
        if offset is not None:
            due = _shifted(condition_met_on, offset, text) if condition_met_on else None
            return Deadline(original, due, _UNIT_PRECISION[offset[-1]], "condition")

    relative = re.fullmatch(r"(?:in|within|over\s+the\s+(?:next|coming)|during\s+the\s+next)\s+(.+)", cleaned)
    offset = _offset(relative[1]) if relative else _offset(cleaned) if cleaned.startswith("+") else None
    if offset is not None:
        due = _shifted(made_on, offset, text)
        return Deadline(original, due, _UNIT_PRECISION[offset[-1]], "made_on")

    period = re.sub(r"^(?:by|in|until)\s+", "", cleaned)
    # "end of the year" leaves "the year", which _period_end reads as the end of made_on's year.
    period = re.sub(r"^(?:the\s+)?end(?:\s+of|-)\s*", "", period)
    try:
        found = _period_end(period, made_on)
    except (ValueError, OverflowError):
        raise BadInputError(f"'{original}' is outside the calendar") from None
    if found is None:
        raise BadInputError(f"'{original}' is not a deadline; accepted forms: {ACCEPTED_DEADLINES}")
    due, precision = found
    return Deadline(original, due, precision, "made_on")
