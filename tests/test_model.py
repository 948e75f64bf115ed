"""Validation of values on the way in, and the stored form of every record."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.dates import Deadline
from tracker.errors import BadInputError
from tracker.model import (
    Category,
    Condition,
    Evidence,
    HistoryEntry,
    Pledge,
    PledgeFilter,
    Quantity,
    Source,
    Stance,
    Status,
    format_number,
    names,
    optional_text,
    parse_category,
    parse_stance,
    parse_status,
    required_text,
    unit_key,
)

# Quantity -------------------------------------------------------------------------------------

VALID_QUANTITIES = [
    ("150000 doses", 150_000, "doses"),
    ("150,000 doses", 150_000, "doses"),
    ("1 dose", 1, "dose"),
    ("1.5 tonnes", 1.5, "tonnes"),
    ("1.2 billion USD", 1_200_000_000, "USD"),
    ("2.5 billion USD", 2_500_000_000, "USD"),
    ("5 million barrels", 5_000_000, "barrels"),
    ("150k doses", 150_000, "doses"),
    ("$3bn aid", 3_000_000_000, "aid"),
    ("  10   armoured   vehicles  ", 10, "armoured vehicles"),
    ("150 m", 150, "m"),
    ("2 doses [approx]", 2, "doses [approx]"),
]


@pytest.mark.parametrize(("text", "value", "unit"), VALID_QUANTITIES)
def test_quantity_parse(text: str, value: float, unit: str) -> None:
    quantity = Quantity.parse(text)
    assert quantity.value == pytest.approx(value)
    assert quantity.unit == unit


def test_whole_quantities_are_stored_as_integers() -> None:
    assert Quantity.parse("150000 doses").to_dict() == {"unit": "doses", "value": 150000}
    assert isinstance(Quantity.parse("150,000.0 doses").value, int)
    assert isinstance(Quantity.parse("1.5 tonnes").value, float)


INVALID_QUANTITIES = [
    "",
    "   ",
    "doses",
    "150000",
    "0 doses",
    "0.0 doses",
    "-5 doses",
    "five doses",
    "many doses",
    "1,2 doses",
    "1..2 doses",
    ". doses",
    "1e5 doses",
    "9" * 400 + " doses",
    "9" * 300 + " trillion doses",
]


@pytest.mark.parametrize("text", INVALID_QUANTITIES)
def test_invalid_quantity_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(BadInputError, match="is not a quantity; give a positive number followed by a unit"):
        Quantity.parse(text)


@pytest.mark.parametrize(
    ("quantity", "text"),
    [
        (Quantity(150_000, "doses"), "150,000 doses"),
        (Quantity(1.5, "tonnes"), "1.5 tonnes"),
        (Quantity(2.25, "t"), "2.25 t"),
        (Quantity(2.999, "t"), "3 t"),
        (Quantity(0.004, "t"), "0 t"),
    ],
)
def test_quantity_text(quantity: Quantity, text: str) -> None:
    assert str(quantity) == text


@pytest.mark.parametrize(
    ("value", "text"), [(1.0, "1"), (1234567, "1,234,567"), (0.5, "0.5"), (1.10, "1.1"), (9.999, "10")]
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize(("one", "other"), [("doses", "Dose"), ("DOSES", "doses"), (" tonnes ", "tonne")])
def test_units_compare_without_case_or_plural(one: str, other: str) -> None:
    assert unit_key(one) == unit_key(other)


def test_unit_key_keeps_a_one_letter_unit() -> None:
    assert unit_key("s") == "s"
    assert unit_key("doses") != unit_key("vials")


units = st.text(min_size=1, max_size=20).map(lambda text: " ".join(text.split())).filter(bool)


@given(value=st.floats(min_value=1e-6, max_value=1e15, allow_nan=False) | st.integers(1, 2**53), unit=units)
def test_quantity_round_trips_through_its_stored_form(value: float, unit: str) -> None:
    quantity = Quantity(value, unit)
    assert Quantity.from_dict(quantity.to_dict()) == quantity


SCALE_WORDS = {"k", "m", "mn", "bn", "thousand", "million", "billion", "trillion"}
plain_units = st.from_regex(r"[a-zA-Z][a-zA-Z ]{0,15}[a-zA-Z]", fullmatch=True).filter(
    # "5 m doses" reads as five million doses, so a unit cannot start with a scale word and come back.
    lambda unit: unit.split()[0].lower() not in SCALE_WORDS
)


def test_a_scale_word_after_the_number_is_read_as_part_of_it() -> None:
    assert Quantity.parse("5 m doses") == Quantity(5_000_000, "doses")
    assert Quantity.parse("5 m") == Quantity(5, "m")


@given(cents=st.integers(min_value=1, max_value=10**13), unit=plain_units)
def test_quantity_text_parses_back(cents: int, unit: str) -> None:
    value = cents / 100
    quantity = Quantity(int(value) if value == int(value) else value, " ".join(unit.split()))
    assert Quantity.parse(str(quantity)) == quantity


# Source ---------------------------------------------------------------------------------------

VALID_URLS = [
    "https://example.org/report",
    "http://example.org",
    "https://www.gov.uk/government/news/x?y=1#z",
    "  https://example.org/padded  ",
    "https://[::1]:8080/path",
]


@pytest.mark.parametrize("url", VALID_URLS)
def test_source_url(url: str) -> None:
    source = Source.parse(url, "A title", "A publisher")
    assert source == Source(url.strip(), "A title", "A publisher")


INVALID_URLS = [
    "example.org",
    "www.example.org/report",
    "ftp://example.org/file",
    "mailto:press@example.org",
    "javascript:alert(1)",
    "https://",
    "https:///path",
    "http://exa mple.org",
    "http://exa\tmple.org",
    "http://example.org/a\nb",
    "http://[abc",
    "http://[::1",
]


@pytest.mark.parametrize("url", INVALID_URLS)
def test_invalid_source_url_is_refused(url: str) -> None:
    with pytest.raises(BadInputError, match="is not a web address; give a full http:// or https:// URL"):
        Source.parse(url)


def test_source_without_a_url() -> None:
    assert Source.parse(None) is None
    assert Source.parse("  ", " ", "") is None
    assert Source.parse(None, "Joint statement") == Source(None, "Joint statement", None)


@pytest.mark.parametrize(
    ("source", "label"),
    [
        (Source("https://www.example.org/x", "T", "Reuters"), "Reuters"),
        (Source("https://www.example.org/x", "T"), "example.org"),
        (Source("https://news.example.org/x"), "news.example.org"),
        (Source(None, "Joint statement"), "Joint statement"),
    ],
)
def test_source_label(source: Source, label: str) -> None:
    assert source.label == label


def test_source_round_trips() -> None:
    source = Source("https://example.org", "Title", None)
    assert Source.from_dict(source.to_dict()) == source
    assert Source.from_dict(None) is None
    assert Source.from_dict({}) is None


# names and text ---------------------------------------------------------------------------------


def test_names_are_trimmed_deduplicated_without_case_and_kept_in_order() -> None:
    given_names = [" Russia ", "Pakistan   Government", "russia", "", "   ", "PAKISTAN government", "China"]
    assert names(given_names, "actor") == ["Russia", "Pakistan Government", "China"]


def test_names_may_be_empty_unless_required() -> None:
    assert names(None, "recipient") == []
    assert names([], "tag") == []
    assert names(("a", "b"), "tag") == ["a", "b"]
    with pytest.raises(BadInputError, match="a pledge needs at least one actor"):
        names(["", "  "], "actor", required=True)
    with pytest.raises(BadInputError, match="at least one actor"):
        names(None, "actor", required=True)


def test_required_and_optional_text() -> None:
    assert required_text("  Provide   doses \n", "title") == "Provide doses"
    with pytest.raises(BadInputError, match="the title is empty"):
        required_text("  \t", "title")
    with pytest.raises(BadInputError, match="the evidence summary is empty"):
        required_text(None, "evidence summary")
    assert optional_text("  x ") == "x"
    assert optional_text("   ") is None
    assert optional_text(None) is None


# enums ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("pending", Status.PENDING),
        ("FULFILLED", Status.FULFILLED),
        ("in_progress", Status.IN_PROGRESS),
        ("in progress", Status.IN_PROGRESS),
        ("In-Progress", Status.IN_PROGRESS),
        (" broken ", Status.BROKEN),
    ],
)
def test_parse_status(text: str, status: Status) -> None:
    assert parse_status(text) is status


@pytest.mark.parametrize(
    ("parse", "kind", "what", "bad"),
    [
        (parse_status, Status, "status", "done"),
        (parse_status, Status, "status", "overdue"),
        (parse_status, Status, "status", ""),
        (parse_category, Category, "category", "sports"),
        (parse_stance, Stance, "stance", "neutral"),
    ],
)
def test_unknown_choice_lists_the_accepted_values(parse: object, kind: type, what: str, bad: str) -> None:
    with pytest.raises(BadInputError) as caught:
        parse(bad)  # type: ignore[operator]
    message = str(caught.value)
    assert message.startswith(f"unknown {what} '{bad}'; accepted: ")
    accepted = message.split("accepted: ", 1)[1]
    assert accepted.split(", ") == [member.value for member in kind]


def test_parse_category_and_stance() -> None:
    assert parse_category("Health") is Category.HEALTH
    assert parse_category("defence") is Category.DEFENCE
    assert parse_stance("CONTRADICTS") is Stance.CONTRADICTS


def test_open_and_closed_statuses() -> None:
    assert {status for status in Status if status.is_open} == {
        Status.PENDING,
        Status.CONDITIONAL,
        Status.IN_PROGRESS,
        Status.STALLED,
    }


# records round trip -------------------------------------------------------------------------------

texts = st.text(max_size=30)
some_names = st.lists(st.text(min_size=1, max_size=12), max_size=3).map(tuple)
days = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
moments = days.map(lambda day: f"{day.isoformat()}T12:00:00Z")
quantities = st.builds(Quantity, st.integers(1, 10**12) | st.floats(0.01, 1e12), units)
sources = st.builds(Source, st.none() | st.just("https://example.org/a"), st.none() | texts, st.none() | texts)
deadlines = st.builds(
    Deadline,
    text=st.text(min_size=1, max_size=20),
    date=st.none() | days,
    precision=st.sampled_from(["day", "month", "quarter", "half", "year"]),
    anchor=st.sampled_from(["made_on", "condition"]),
)
conditions = st.builds(Condition, st.text(min_size=1, max_size=20), st.none() | days)

pledges = st.builds(
    Pledge,
    id=st.integers(1, 10**6),
    uuid=st.uuids().map(str),
    title=st.text(min_size=1, max_size=40),
    actors=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=3).map(tuple),
    made_on=days,
    status=st.sampled_from(Status),
    category=st.sampled_from(Category),
    recipients=some_names,
    text=st.none() | texts,
    venue=st.none() | texts,
    source=st.none() | sources,
    tags=some_names,
    target=st.none() | quantities,
    deadline=st.none() | deadlines,
    condition=st.none() | conditions,
    notes=st.none() | texts,
    created_at=moments,
    updated_at=moments,
)


@given(pledge=pledges)
def test_pledge_round_trips_through_its_stored_form(pledge: Pledge) -> None:
    stored = pledge.to_dict()
    assert "id" not in stored
    assert list(stored) == sorted(stored)
    assert Pledge.from_dict(pledge.id, stored) == pledge


@given(
    evidence=st.builds(
        Evidence,
        id=st.integers(1, 10**6),
        pledge_id=st.integers(1, 10**6),
        observed_on=days,
        recorded_at=moments,
        summary=st.text(min_size=1, max_size=40),
        stance=st.sampled_from(Stance),
        source=st.none() | sources,
        quantity=st.none() | quantities,
        meets_condition=st.booleans(),
        supersedes=st.none() | st.integers(1, 10**6),
    )
)
def test_evidence_round_trips_through_its_stored_form(evidence: Evidence) -> None:
    assert Evidence.from_dict(evidence.id, evidence.to_dict()) == evidence


@given(
    entry=st.builds(
        HistoryEntry,
        id=st.integers(1, 10**6),
        pledge_id=st.integers(1, 10**6),
        field=st.sampled_from(["status", "title", "deadline", "pledge"]),
        old=st.none() | texts | st.lists(texts),
        new=st.none() | texts | st.dictionaries(texts, texts),
        reason=texts,
        effective_on=days,
        recorded_at=moments,
        change=st.integers(0, 1000),
        evidence_id=st.none() | st.integers(1, 10**6),
    )
)
def test_history_entry_round_trips_through_its_stored_form(entry: HistoryEntry) -> None:
    assert HistoryEntry.from_dict(entry.id, entry.to_dict()) == entry


def test_condition_round_trips() -> None:
    for condition in (Condition("once the protocol is signed"), Condition("signed", date(2022, 1, 1))):
        assert Condition.from_dict(condition.to_dict()) == condition
    assert Condition.from_dict(None) is None


# filters --------------------------------------------------------------------------------------

PLEDGE = Pledge(
    id=1,
    uuid="u",
    title="t",
    actors=("Russia", "Pakistan"),
    made_on=date(2021, 4, 7),
    status=Status.PENDING,
    category=Category.HEALTH,
    tags=("covid", "Vaccines"),
)


@pytest.mark.parametrize(
    ("pledge_filter", "matches"),
    [
        (PledgeFilter(), True),
        (PledgeFilter(statuses=frozenset({Status.PENDING})), True),
        (PledgeFilter(statuses=frozenset({Status.BROKEN, Status.PENDING})), True),
        (PledgeFilter(statuses=frozenset({Status.BROKEN})), False),
        (PledgeFilter(actors=("russia",)), True),
        (PledgeFilter(actors=("China", "PAKISTAN")), True),
        (PledgeFilter(actors=("China",)), False),
        (PledgeFilter(actors=("Russ",)), False),
        (PledgeFilter(categories=frozenset({Category.HEALTH})), True),
        (PledgeFilter(categories=frozenset({Category.TRADE})), False),
        (PledgeFilter(tags=("vaccines",)), True),
        (PledgeFilter(tags=("energy",)), False),
        (PledgeFilter(actors=("Russia",), tags=("energy",)), False),
        (PledgeFilter(actors=("Russia",), tags=("covid",), categories=frozenset({Category.HEALTH})), True),
    ],
)
def test_pledge_filter(pledge_filter: PledgeFilter, matches: bool) -> None:
    assert pledge_filter.matches(PLEDGE) is matches
