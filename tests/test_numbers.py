"""Numbers in words or figures, shared by the deadline grammar and quantities."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.numbers import parse_figure, parse_number, words_to_number

WORDS = [
    ("zero", 0),
    ("one", 1),
    ("six", 6),
    ("Eighteen", 18),
    ("twenty", 20),
    ("twenty-five", 25),
    ("twenty five", 25),
    ("ninety-nine", 99),
    ("hundred", 100),
    ("a hundred", 100),
    ("one hundred", 100),
    ("one hundred and one", 101),
    ("two hundred and fifty", 250),
    ("a thousand", 1_000),
    ("one thousand and five", 1_005),
    ("one hundred and fifty thousand", 150_000),
    ("one hundred fifty thousand", 150_000),
    ("nine hundred ninety-nine thousand nine hundred ninety-nine", 999_999),
    ("a million", 1_000_000),
    ("one million two hundred thousand", 1_200_000),
    ("two billion", 2_000_000_000),
    ("  six  ", 6),
]


@pytest.mark.parametrize(("text", "expected"), WORDS)
def test_words_to_number(text: str, expected: int) -> None:
    assert words_to_number(text) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "a", "an", "and", "six and", "and six", "six apples", "many", "6", "one-and-a-half", "half"]
)
def test_words_that_are_not_a_number(text: str) -> None:
    assert words_to_number(text) is None


FIGURES = [
    ("90", 90.0),
    ("1.5", 1.5),
    ("150,000", 150_000.0),
    ("1,000,000", 1_000_000.0),
    ("1,234.5", 1_234.5),
    (" 7 ", 7.0),
    ("0", 0.0),
]


@pytest.mark.parametrize(("text", "expected"), FIGURES)
def test_parse_figure(text: str, expected: float) -> None:
    assert parse_figure(text) == expected


@pytest.mark.parametrize("text", ["", "1,00", "1,0000", ",100", "1.", ".5", "1.2.3", "-5", "+5", "1e5", "six", "5 k"])
def test_not_a_plain_figure(text: str) -> None:
    assert parse_figure(text) is None


NUMBERS = [
    ("150000", 150_000),
    ("150,000", 150_000),
    ("1.2 billion", 1_200_000_000),
    ("2.5 million", 2_500_000),
    ("150 thousand", 150_000),
    ("$3bn", 3_000_000_000),
    ("€2.5bn", 2_500_000_000),
    ("£40m", 40_000_000),
    ("US$5m", 5_000_000),
    ("150k", 150_000),
    ("1.5 tn", 1_500_000_000_000),
    ("six", 6),
    ("one hundred and fifty thousand", 150_000),
]


@pytest.mark.parametrize(("text", "expected"), NUMBERS)
def test_parse_number(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "lots", "1.2 gazillion", "5 doses", "1,00", "$", "bn", "1.2.3 million"])
def test_parse_number_refuses(text: str) -> None:
    assert parse_number(text) is None


# a small number-to-words renderer, independent of the code under test ---------------------------

ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
]  # fmt: skip
TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def below_thousand(number: int, british: bool) -> str:
    hundreds, rest = divmod(number, 100)
    parts = []
    if hundreds:
        parts.append(f"{ONES[hundreds]} hundred")
    if rest or not hundreds:
        if rest < 20:
            words = ONES[rest]
        else:
            tens, ones = divmod(rest, 10)
            words = TENS[tens] + (f"-{ONES[ones]}" if ones else "")
        parts.append(("and " if hundreds and british else "") + words)
    return " ".join(parts)


def to_words(number: int, british: bool = False) -> str:
    thousands, rest = divmod(number, 1000)
    if not thousands:
        return below_thousand(rest, british)
    words = f"{below_thousand(thousands, british)} thousand"
    if rest:
        joiner = " and " if british and rest < 100 else " "
        words += joiner + below_thousand(rest, british)
    return words


def test_the_renderer_itself() -> None:
    assert to_words(0) == "zero"
    assert to_words(21) == "twenty-one"
    assert to_words(150_000, british=True) == "one hundred and fifty thousand"
    assert to_words(1_005, british=True) == "one thousand and five"
    assert to_words(999_999) == "nine hundred ninety-nine thousand nine hundred ninety-nine"


@given(number=st.integers(min_value=0, max_value=999_999), british=st.booleans(), shout=st.booleans())
def test_numbers_in_words_round_trip(number: int, british: bool, shout: bool) -> None:
    words = to_words(number, british)
    if shout:
        words = words.upper()
    assert words_to_number(words) == number
    assert parse_number(words) == float(number)


@given(number=st.integers(min_value=0, max_value=10**12))
def test_figures_with_and_without_thousands_separators(number: int) -> None:
    assert parse_number(str(number)) == number
    assert parse_number(f"{number:,}") == number


@given(text=st.text())
def test_parse_number_never_raises(text: str) -> None:
    value = parse_number(text)
    assert value is None or isinstance(value, float)
