"""The deadline grammar and calendar dates: tables of valid and invalid input, then properties.

Every case is pure: `made_on` and `today` are passed in, the clock is never read.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tracker.dates import (
    ACCEPTED_DATES,
    ACCEPTED_DEADLINES,
    Deadline,
    add_months,
    end_of_month,
    parse_date,
    parse_deadline,
    shift,
)
from tracker.errors import BadInputError

MADE_ON = date(2021, 4, 7)
TODAY = date(2026, 11, 29)

# text, date, precision (anchor is made_on for all of these)
VALID_DEADLINES: list[tuple[str, date, str]] = [
    # relative to made_on
    ("within six months", date(2021, 10, 7), "month"),
    ("in 6 months", date(2021, 10, 7), "month"),
    ("within 6 months", date(2021, 10, 7), "month"),
    ("in a month", date(2021, 5, 7), "month"),
    ("within a year", date(2022, 4, 7), "year"),
    ("over the next three years", date(2024, 4, 7), "year"),
    ("during the next 2 years", date(2023, 4, 7), "year"),
    ("within 90 days", date(2021, 7, 6), "day"),
    ("in 90 days", date(2021, 7, 6), "day"),
    ("in one hundred and twenty days", date(2021, 8, 5), "day"),
    ("within two weeks", date(2021, 4, 21), "day"),
    ("+90d", date(2021, 7, 6), "day"),
    ("+2w", date(2021, 4, 21), "day"),
    ("+6m", date(2021, 10, 7), "month"),
    ("+1y", date(2022, 4, 7), "year"),
    ("+ 6m", date(2021, 10, 7), "month"),
    ("WITHIN SIX MONTHS.", date(2021, 10, 7), "month"),
    # a day
    ("2021-12-31", date(2021, 12, 31), "day"),
    ("2021-6-5", date(2021, 6, 5), "day"),
    ("31 Dec 2021", date(2021, 12, 31), "day"),
    ("31st December 2021", date(2021, 12, 31), "day"),
    ("December 31, 2021", date(2021, 12, 31), "day"),
    ("by 30 June 2022", date(2022, 6, 30), "day"),
    # a month
    ("Dec 2021", date(2021, 12, 31), "month"),
    ("December 2021", date(2021, 12, 31), "month"),
    ("by March 2022", date(2022, 3, 31), "month"),
    ("until April 2022", date(2022, 4, 30), "month"),
    ("Feb 2024", date(2024, 2, 29), "month"),
    ("Feb 2023", date(2023, 2, 28), "month"),
    ("end of June 2022", date(2022, 6, 30), "month"),
    # a year
    ("2021", date(2021, 12, 31), "year"),
    ("end of 2021", date(2021, 12, 31), "year"),
    ("the end of 2021", date(2021, 12, 31), "year"),
    ("by the end of 2021", date(2021, 12, 31), "year"),
    ("end-2021", date(2021, 12, 31), "year"),
    ("by 2030", date(2030, 12, 31), "year"),
    ("in 2022", date(2022, 12, 31), "year"),
    ("this year", date(2021, 12, 31), "year"),
    ("end of the year", date(2021, 12, 31), "year"),
    ("by the end of the year", date(2021, 12, 31), "year"),
    ("next year", date(2022, 12, 31), "year"),
    # a quarter or a half
    ("Q3 2022", date(2022, 9, 30), "quarter"),
    ("q1 2022", date(2022, 3, 31), "quarter"),
    ("2022 Q4", date(2022, 12, 31), "quarter"),
    ("Q2-2022", date(2022, 6, 30), "quarter"),
    ("by the end of Q3 2022", date(2022, 9, 30), "quarter"),
    ("H1 2022", date(2022, 6, 30), "half"),
    ("H2 2022", date(2022, 12, 31), "half"),
    ("mid-2022", date(2022, 6, 30), "half"),
    ("mid 2022", date(2022, 6, 30), "half"),
]


@pytest.mark.parametrize(("text", "expected", "precision"), VALID_DEADLINES)
def test_valid_deadline(text: str, expected: date, precision: str) -> None:
    deadline = parse_deadline(text, MADE_ON)
    assert deadline is not None
    assert deadline.date == expected
    assert deadline.precision == precision
    assert deadline.anchor == "made_on"
    assert deadline.text == " ".join(text.split())


def test_deadline_keeps_what_the_analyst_typed_with_whitespace_collapsed() -> None:
    deadline = parse_deadline("  within   six\tmonths ", MADE_ON)
    assert deadline == Deadline("within six months", date(2021, 10, 7), "month", "made_on")


@pytest.mark.parametrize("text", ["none", "None", "NONE", " none ", "no deadline"])
def test_no_deadline(text: str) -> None:
    assert parse_deadline(text, MADE_ON) is None


@pytest.mark.parametrize(
    ("text", "precision"),
    [
        ("6 months after condition", "month"),
        ("6 months after the condition", "month"),
        ("within 90 days of the condition", "day"),
        ("in six months after the condition is met", "month"),
        ("2 weeks from condition", "day"),
        ("a year after condition", "year"),
    ],
)
def test_condition_anchored_deadline_is_undated_until_the_condition_is_met(text: str, precision: str) -> None:
    deadline = parse_deadline(text, MADE_ON)
    assert deadline is not None
    assert deadline.date is None
    assert deadline.anchor == "condition"
    assert deadline.precision == precision


@pytest.mark.parametrize(
    ("text", "met_on", "expected"),
    [
        ("6 months after condition", date(2022, 1, 15), date(2022, 7, 15)),
        ("6 months after condition", date(2022, 8, 31), date(2023, 2, 28)),
        ("within 90 days of the condition", date(2022, 1, 1), date(2022, 4, 1)),
        ("2 weeks from condition", date(2021, 12, 25), date(2022, 1, 8)),
        ("a year after condition", date(2024, 2, 29), date(2025, 2, 28)),
    ],
)
def test_condition_anchored_deadline_counts_from_the_condition_date(text: str, met_on: date, expected: date) -> None:
    deadline = parse_deadline(text, MADE_ON, condition_met_on=met_on)
    assert deadline is not None
    assert deadline.date == expected
    assert deadline.anchor == "condition"


def test_condition_date_does_not_move_a_deadline_anchored_on_made_on() -> None:
    assert parse_deadline("within six months", MADE_ON, condition_met_on=date(2023, 1, 1)) == parse_deadline(
        "within six months", MADE_ON
    )


def test_relative_deadline_counts_from_made_on_not_from_today() -> None:
    # An article from 2021 entered in 2026 still means 2021 plus six months.
    assert parse_deadline("within six months", date(2021, 4, 7)).date == date(2021, 10, 7)  # type: ignore[union-attr]
    assert parse_deadline("within six months", date(2019, 1, 31)).date == date(2019, 7, 31)  # type: ignore[union-attr]


INVALID_DEADLINES = [
    "soon",
    "asap",
    "as soon as possible",
    "next month",
    "Q5 2022",
    "Q0 2022",
    "H3 2022",
    "mid-22",
    "22",
    "December",
    "Smarch 2021",
    "6m",
    "in six",
    "in 0 days",
    "within zero months",
    "+0d",
    "in 1.5 months",
    "in -3 days",
    "in 6 fortnights",
    "in 1201 days",
    "+5000d",
    "+" + "9" * 5000 + "d",
    "in " + "9" * 400 + " days",
    "6 months before condition",
    "6 months after",
    "end of",
    "by then",
    "yesterday",
    "2021/12/31",
    "31/12/2021",
    "2021-12-31T00:00",
    "Q3 2022 or so",
    "within six months or so",
]


@pytest.mark.parametrize("text", INVALID_DEADLINES)
def test_invalid_deadline_is_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(BadInputError) as caught:
        parse_deadline(text, MADE_ON)
    message = str(caught.value)
    assert ACCEPTED_DEADLINES in message
    for form in ("Q3 2022", "H1 2022", "end of 2021", "mid-2022", "within six months", "+90d", "none"):
        assert form in message


@pytest.mark.parametrize("text", ["", "   ", "."])
def test_empty_deadline_is_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(BadInputError, match="empty") as caught:
        parse_deadline(text, MADE_ON)
    assert ACCEPTED_DEADLINES in str(caught.value)


@pytest.mark.parametrize(
    "text", ["2021-02-29", "2021-13-01", "30 Feb 2022", "April 31, 2021", "2021-00-10", "0000-01-01"]
)
def test_deadline_on_a_day_that_does_not_exist_is_refused(text: str) -> None:
    with pytest.raises(BadInputError, match="not a real calendar date"):
        parse_deadline(text, MADE_ON)


@pytest.mark.parametrize("text", ["0000", "Q1 0000", "mid-0000"])
def test_deadline_outside_the_calendar_is_refused(text: str) -> None:
    with pytest.raises(BadInputError, match="outside the calendar"):
        parse_deadline(text, MADE_ON)


def test_relative_deadline_beyond_the_calendar_is_refused() -> None:
    with pytest.raises(BadInputError, match="beyond the calendar"):
        parse_deadline("+1y", date(9999, 6, 1))
    with pytest.raises(BadInputError, match="beyond the calendar"):
        parse_deadline("6 months after condition", MADE_ON, condition_met_on=date(9999, 12, 1))


# parse_date ---------------------------------------------------------------------------------

VALID_DATES = [
    ("2021-04-07", date(2021, 4, 7)),
    ("2021-4-7", date(2021, 4, 7)),
    ("7 Apr 2021", date(2021, 4, 7)),
    ("7 apr. 2021", date(2021, 4, 7)),
    ("7 April 2021", date(2021, 4, 7)),
    ("7th April 2021", date(2021, 4, 7)),
    ("April 7, 2021", date(2021, 4, 7)),
    ("Apr 7 2021", date(2021, 4, 7)),
    ("Sept 1, 2021", date(2021, 9, 1)),
    ("  7   Apr\t2021 ", date(2021, 4, 7)),
    ("29 Feb 2024", date(2024, 2, 29)),
    ("today", TODAY),
    ("TODAY", TODAY),
    ("yesterday", TODAY - timedelta(days=1)),
]


@pytest.mark.parametrize(("text", "expected"), VALID_DATES)
def test_valid_date(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


INVALID_DATES = [
    "",
    "2021",
    "Apr 2021",
    "April",
    "tomorrow",
    "next week",
    "07/04/2021",
    "2021/04/07",
    "2021-04-07T10:00",
    "20210407",
    "7 Smarch 2021",
    "Q3 2021",
    "end of 2021",
    "in 6 months",
]


@pytest.mark.parametrize("text", INVALID_DATES)
def test_invalid_date_is_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(BadInputError) as caught:
        parse_date(text, TODAY)
    assert ACCEPTED_DATES in str(caught.value)


@pytest.mark.parametrize("text", ["2021-02-29", "2021-13-01", "31 Apr 2021", "February 30, 2024", "2021-04-00"])
def test_date_that_does_not_exist_is_refused(text: str) -> None:
    with pytest.raises(BadInputError, match="not a real calendar date"):
        parse_date(text, TODAY)


# month arithmetic -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2021, 1, 31), 1, date(2021, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2021, 3, 31), -1, date(2021, 2, 28)),
        (date(2021, 8, 31), 1, date(2021, 9, 30)),
        (date(2021, 10, 31), 6, date(2022, 4, 30)),
        (date(2020, 2, 29), 12, date(2021, 2, 28)),
        (date(2020, 2, 29), 48, date(2024, 2, 29)),
        (date(2021, 12, 15), 1, date(2022, 1, 15)),
        (date(2021, 1, 15), -1, date(2020, 12, 15)),
        (date(2021, 4, 7), 0, date(2021, 4, 7)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [(2021, 2, 28), (2024, 2, 29), (1900, 2, 28), (2000, 2, 29), (2021, 4, 30), (2021, 12, 31), (2021, 1, 31)],
)
def test_end_of_month(year: int, month: int, expected: int) -> None:
    assert end_of_month(year, month) == date(year, month, expected)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [("90d", date(2021, 7, 6)), ("2w", date(2021, 4, 21)), ("6m", date(2021, 10, 7)), ("1y", date(2022, 4, 7))],
)
def test_shift(offset: str, expected: date) -> None:
    assert shift(MADE_ON, offset) == expected


def test_deadline_round_trips_through_its_stored_form() -> None:
    for text in ("within six months", "Q3 2022", "6 months after condition"):
        deadline = parse_deadline(text, MADE_ON)
        assert deadline is not None
        assert Deadline.from_dict(deadline.to_dict()) == deadline


# properties -----------------------------------------------------------------------------------

GRAMMAR_WORDS = [
    "in", "within", "by", "end", "of", "the", "mid", "mid-", "q1", "Q3", "h1", "H2", "2021", "2022", "0000",
    "9999", "10000", "six", "a", "an", "and", "hundred", "6", "0", "90", "+", "+6m", "+90d", "-", "days", "weeks",
    "months", "year", "years", "after", "condition", "is", "met", "none", "Dec", "December", "31", "31st", ",",
    ".", "sept", "over", "next", "coming", "during", "until", "2021-12-31", "2021-02-30", "١٢", "²", "９",
]  # fmt: skip

grammar_like = st.lists(st.sampled_from(GRAMMAR_WORDS) | st.text(max_size=4), max_size=7).map(" ".join)
any_text = st.text() | grammar_like
any_day = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


@given(text=any_text, made_on=any_day, met_on=st.none() | any_day)
def test_any_text_is_a_deadline_or_bad_input(text: str, made_on: date, met_on: date | None) -> None:
    try:
        deadline = parse_deadline(text, made_on, met_on)
    except BadInputError as error:
        assert str(error)
        return
    if deadline is not None:
        assert deadline.precision in ("day", "month", "quarter", "half", "year")
        assert deadline.anchor in ("made_on", "condition")
        assert deadline.date is not None or (deadline.anchor == "condition" and met_on is None)


@given(text=any_text, today=any_day)
def test_any_text_is_a_date_or_bad_input(text: str, today: date) -> None:
    try:
        day = parse_date(text, today)
    except BadInputError as error:
        assert str(error)
        return
    assert isinstance(day, date)


@given(
    made_on=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    unit=st.sampled_from(["d", "w", "m", "y"]),
    counts=st.lists(st.integers(min_value=1, max_value=1200), min_size=2, max_size=2, unique=True).map(sorted),
)
def test_relative_offsets_are_monotonic(made_on: date, unit: str, counts: list[int]) -> None:
    fewer, more = (parse_deadline(f"+{count}{unit}", made_on) for count in counts)
    assert fewer is not None and more is not None
    assert fewer.date is not None and more.date is not None
    assert made_on < fewer.date <= more.date
    if unit in ("d", "w"):
        assert fewer.date < more.date


@given(
    made_on=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    count=st.integers(min_value=1, max_value=1200),
    unit=st.sampled_from([("d", "days"), ("w", "weeks"), ("m", "months"), ("y", "years")]),
    lead=st.sampled_from(["in", "within", "over the next"]),
)
def test_relative_forms_in_words_and_symbols_agree(made_on: date, count: int, unit: tuple[str, str], lead: str) -> None:
    symbol, word = unit
    words = parse_deadline(f"{lead} {count} {word}", made_on)
    short = parse_deadline(f"+{count}{symbol}", made_on)
    assert words is not None and short is not None
    assert words.date == short.date == shift(made_on, f"{count}{symbol}")


YEARS = st.integers(min_value=1000, max_value=9999)
MONTH_NAMES = [
    ("Jan", "January"), ("Feb", "February"), ("Mar", "March"), ("Apr", "April"), ("May", "May"), ("Jun", "June"),
    ("Jul", "July"), ("Aug", "August"), ("Sep", "September"), ("Oct", "October"), ("Nov", "November"),
    ("Dec", "December"),
]  # fmt: skip


@st.composite
def absolute_forms(draw: st.DrawFn) -> tuple[str, date, str]:
    """A valid absolute deadline in any accepted spelling, with the end-of-period date it means."""
    year = draw(YEARS)
    kind = draw(st.sampled_from(["day", "month", "quarter", "half", "mid", "year"]))
    prefix = draw(st.sampled_from(["", "by ", "until ", "end of ", "by the end of ", "the end of "]))
    if kind == "day":
        month = draw(st.integers(1, 12))
        day = draw(st.integers(1, end_of_month(year, month).day))
        short, long = MONTH_NAMES[month - 1]
        name = draw(st.sampled_from([short, long]))
        text = draw(st.sampled_from([f"{year}-{month:02d}-{day:02d}", f"{day} {name} {year}", f"{name} {day}, {year}"]))
        return prefix + text, date(year, month, day), "day"
    if kind == "month":
        month = draw(st.integers(1, 12))
        name = draw(st.sampled_from(MONTH_NAMES[month - 1]))
        return f"{prefix}{name} {year}", end_of_month(year, month), "month"
    if kind == "quarter":
        quarter = draw(st.integers(1, 4))
        text = draw(st.sampled_from([f"Q{quarter} {year}", f"q{quarter}-{year}", f"{year} Q{quarter}"]))
        return prefix + text, end_of_month(year, quarter * 3), "quarter"
    if kind == "half":
        half = draw(st.integers(1, 2))
        text = draw(st.sampled_from([f"H{half} {year}", f"{year} H{half}"]))
        return prefix + text, end_of_month(year, half * 6), "half"
    if kind == "mid":
        return prefix + draw(st.sampled_from([f"mid-{year}", f"mid {year}"])), date(year, 6, 30), "half"
    return prefix + str(year), date(year, 12, 31), "year"


@given(form=absolute_forms(), made_on=any_day, shout=st.booleans())
def test_every_absolute_form_means_the_end_of_its_period(
    form: tuple[str, date, str], made_on: date, shout: bool
) -> None:
    text, expected, precision = form
    assume(text.strip())
    deadline = parse_deadline(text.upper() if shout else text, made_on)
    assert deadline is not None
    assert deadline.date == expected
    assert deadline.precision == precision
    assert deadline.anchor == "made_on"
