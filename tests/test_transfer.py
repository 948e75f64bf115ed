"""Export and import (tracker.transfer) against real stores in a temp folder, on a fixed clock."""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from tracker.errors import BadInputError
from tracker.ledger import (
    Clock,
    PledgeEdit,
    SourceInput,
    add_evidence,
    add_pledge,
    edit_pledge,
    remove_pledge,
    set_status,
)
from tracker.migrations import SCHEMA_VERSION
from tracker.model import Category, Stance, Status
from tracker.render.json import dumps
from tracker.reports import Records, states_as_of
from tracker.rules import PledgeState
from tracker.store import Store
from tracker.transfer import (
    CSV_COLUMNS,
    CSV_EXPORT_COLUMNS,
    ImportConflictError,
    ImportResult,
    _parse_in_chunks,
    count_csv_rows,
    export_csv,
    export_document,
    export_ics,
    import_csv,
    import_document,
    read_document,
)

CLOCK = Clock.at(datetime(2026, 11, 29, 12, tzinfo=UTC))
LATER = Clock.at(datetime(2026, 11, 30, 9, tzinfo=UTC))
MADE = date(2021, 4, 7)
HEADER = ",".join(CSV_COLUMNS)
# Hypothesis runs many examples inside one test; the conftest's autouse fixture only sets env vars.
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# helpers ------------------------------------------------------------------------------------------
def populate(store: Store, *, remove: bool = True) -> None:
    """The Islamabad talks: a fulfilled target, a condition met, a broken pledge, a removed one."""
    with store.transaction() as session:
        add_pledge(
            session,
            CLOCK,
            title="Provide 150,000 more Covid-19 vaccine doses",
            actors=["Russia"],
            recipients=["Pakistan"],
            made_on=MADE,
            deadline="within six months",
            target="150000 doses",
            category=Category.HEALTH,
            tags=["covid", "vaccines"],
            source=SourceInput(url="https://example.org/report", title="Talks report", publisher="Example News"),
            text="we intend to provide 150,000 more",
            venue="talks in Islamabad",
        )
        add_pledge(
            session,
            CLOCK,
            title="Build the Pakistan Stream gas pipeline",
            actors=["Russia", "Pakistan"],
            made_on=MADE,
            deadline="6 months after condition",
            condition="once the protocol is signed",
            category=Category.ENERGY,
        )
        add_pledge(
            session,
            CLOCK,
            title='Hold joint "Druzhba" counter-terrorism exercises, twice',
            actors=["Russia"],
            recipients=["Pakistan"],
            made_on=MADE,
            deadline="end of 2021",
            category=Category.SECURITY,
        )
        add_pledge(session, CLOCK, title="A pledge entered by mistake", actors=["Nobody"], made_on=MADE)
    with store.transaction() as session:
        add_evidence(
            session,
            CLOCK,
            "1",
            "50,000 doses arrive in Islamabad",
            observed_on=date(2021, 5, 1),
            quantity="50000 doses",
            source=SourceInput(url="https://example.org/doses"),
        )
        wrong = add_evidence(session, CLOCK, "1", "A typo", observed_on=date(2021, 6, 1), quantity="10 doses")
        add_evidence(session, CLOCK, "4", "Nothing happened", observed_on=date(2021, 6, 1), stance=Stance.CONTEXT)
    with store.transaction() as session:
        add_evidence(
            session,
            CLOCK,
            "1",
            "100,000 doses arrive (correction)",
            observed_on=date(2021, 6, 1),
            quantity="100000 doses",
            supersedes=wrong.evidence.id,
        )
        add_evidence(session, CLOCK, "2", "Protocol signed", observed_on=date(2021, 5, 28), meets_condition=True)
        set_status(session, CLOCK, "3", Status.BROKEN, note="never held", effective_on=date(2022, 1, 15))
    if remove:
        with store.transaction() as session:
            remove_pledge(session, CLOCK, "4")
    with store.transaction() as session:
        add_pledge(
            session, CLOCK, title="Open a consulate in Karachi", actors=["Russia"], made_on=MADE, deadline="2022"
        )


def export_text(store: Store) -> str:
    return dumps(export_document(store.snapshot()))


def import_into(store: Store, document: object, *, force: bool = False, clock: Clock = CLOCK) -> ImportResult:
    with store.transaction() as session:
        return import_document(session, clock, document, force=force)


def csv_into(store: Store, text: str, on_row: Callable[[int], None] | None = None) -> ImportResult:
    with store.transaction() as session:
        return import_csv(session, CLOCK, text, on_row=on_row)


def states(store: Store, as_of: date = CLOCK.today) -> list[PledgeState]:
    session = store.snapshot()
    return states_as_of(Records.group(session.pledges(), session.evidence(), session.history()), as_of)


def read_bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


@pytest.fixture
def source(tmp_path: Path) -> Store:
    store = Store(tmp_path / "source" / "pledges.json")
    populate(store)
    return store


@pytest.fixture
def empty(tmp_path: Path) -> Store:
    return Store(tmp_path / "empty" / "pledges.json")


@pytest.fixture
def document(source: Store) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(export_text(source))
    return loaded


# export -------------------------------------------------------------------------------------------
def test_export_document_has_every_record_sorted_by_id(source: Store) -> None:
    document = export_document(source.snapshot())
    assert list(document) == ["format", "schema_version", "pledges", "evidence", "history"]
    assert document["format"] == "tracker-export"
    assert document["schema_version"] == SCHEMA_VERSION
    assert [record["id"] for record in document["pledges"]] == [1, 2, 3, 5]
    for table in ("pledges", "evidence", "history"):
        ids = [record["id"] for record in document[table]]
        assert ids == sorted(ids)
        stored = source.snapshot().tables[table]
        assert {record["id"]: {k: v for k, v in record.items() if k != "id"} for record in document[table]} == {
            int(key): value for key, value in stored.items()
        }
    assert export_text(source) == export_text(source)


def test_export_import_export_gives_identical_bytes(source: Store, empty: Store) -> None:
    text = export_text(source)
    result = import_into(empty, read_document(text))
    assert result.added == (1, 2, 3, 5)
    assert result.renumbered == ()
    assert result.summary() == "added 4 pledges (ids 1-3, 5); added 4 evidence items"
    assert export_text(empty) == text
    # The store's tables are the same too, and ids and change numbers go on after the imported ones.
    ours, theirs = empty.snapshot(), source.snapshot()
    for table in ("pledges", "evidence", "history"):
        assert ours.tables[table] == theirs.tables[table]
    assert ours.meta["next_ids"] == theirs.meta["next_ids"]
    with empty.transaction() as session:
        added = add_pledge(session, CLOCK, title="Something new", actors=["Russia"])
    assert added.id == theirs.meta["next_ids"]["pledges"]
    newest = max(empty.snapshot().history(), key=lambda entry: entry.id)
    assert newest.field == "pledge" and newest.pledge_id == added.id
    # The import is itself a change (undo can revert it), so the next one comes after both.
    assert newest.change > max(entry.change for entry in theirs.history())


def test_importing_twice_changes_nothing(source: Store, empty: Store, document: dict[str, Any]) -> None:
    import_into(empty, document)
    before = empty.path.read_bytes()
    result = import_into(empty, document)
    assert not result.changed
    assert result.matched == (1, 2, 3, 5)
    assert result.summary() == "nothing to import; 4 pledges already here"
    assert result.added == ()
    assert empty.path.read_bytes() == before
    # The store the file came from already holds all of it.
    before_source = source.path.read_bytes()
    assert not import_into(source, document).changed
    assert source.path.read_bytes() == before_source


def diverge(source: Store, empty: Store, document: dict[str, Any]) -> dict[str, Any]:
    """Import the source's export, then change two of its pledges, add evidence and a pledge: export again."""
    import_into(empty, document)
    with source.transaction() as session:
        edit_pledge(session, LATER, "1", PledgeEdit(venue="Moscow"))
        set_status(session, LATER, "5", Status.FULFILLED, effective_on=date(2023, 3, 1))
        add_evidence(session, LATER, "3", "Officials say the exercises are off", stance=Stance.CONTEXT)
        add_pledge(session, LATER, title="A new pledge in the file", actors=["Russia"])
    changed: dict[str, Any] = orjson.loads(export_text(source))
    return changed


def test_conflicts_are_refused_and_nothing_is_written(source: Store, empty: Store, document: dict[str, Any]) -> None:
    changed = diverge(source, empty, document)
    before = empty.path.read_bytes()

    with pytest.raises(ImportConflictError) as raised:
        import_into(empty, changed)
    assert empty.path.read_bytes() == before
    message = str(raised.value)
    assert "2 pledges" in message
    assert "pledge 1 " in message and "venue" in message
    assert "pledge 5 " in message and "status" in message
    assert [(conflict.pledge_id, conflict.fields) for conflict in raised.value.conflicts] == [
        (1, ("venue",)),
        (5, ("status",)),
    ]
    assert isinstance(raised.value, BadInputError)


def test_force_lets_the_file_win_and_logs_each_field(source: Store, empty: Store, document: dict[str, Any]) -> None:
    changed = diverge(source, empty, document)

    result = import_into(empty, changed, force=True, clock=LATER)
    assert result.overwritten == (1, 5)
    assert result.summary() == (
        "added 1 pledge (id 6); overwrote 2 pledges with the file's version (ids 1, 5); added 1 evidence item; "
        "2 pledges already here"
    )
    assert [conflict.fields for conflict in result.conflicts] == [("venue",), ("status",)]
    assert result.history_added == 3  # the new pledge's "pledge recorded", and one per overwritten field
    session = empty.snapshot()
    assert session.pledge(1).venue == "Moscow"
    assert session.pledge(5).status is Status.FULFILLED
    imported = [entry for entry in session.history() if entry.reason == "imported"]
    assert [(entry.pledge_id, entry.field, entry.old, entry.new) for entry in imported] == [
        (1, "venue", "talks in Islamabad", "Moscow"),
        (5, "status", "pending", "fulfilled"),
    ]
    # The status took effect when the file's history says it did; the venue has no dated change there.
    assert [entry.effective_on for entry in imported] == [LATER.today, date(2023, 3, 1)]
    assert len({entry.change for entry in imported}) == 1
    assert imported[0].change > max(entry.change for entry in session.history() if entry.reason != "imported")
    # Now the two agree: a second import changes nothing.
    before = empty.path.read_bytes()
    assert not import_into(empty, changed, force=True).changed
    assert empty.path.read_bytes() == before


def test_new_pledges_with_taken_ids_are_renumbered_with_their_records(source: Store, tmp_path: Path) -> None:
    other = Store(tmp_path / "other" / "pledges.json")
    with other.transaction() as session:
        add_pledge(session, CLOCK, title="Our own pledge", actors=["Iran"], made_on=MADE)
        add_evidence(session, CLOCK, "1", "Our own evidence", observed_on=date(2021, 5, 1))
    result = import_into(other, orjson.loads(export_text(source)))
    # Ids 2, 3 and 5 were never used here, so they are kept; 1 was, so it moves past every kept id.
    assert result.added == (2, 3, 5, 6)
    assert result.renumbered == ((1, 6),)
    assert result.summary() == "added 4 pledges (ids 2, 3, 5, 6); added 4 evidence items; new ids: 1 → 6"

    session = other.snapshot()
    assert session.pledge(1).title == "Our own pledge"
    assert session.pledge(6).title == "Provide 150,000 more Covid-19 vaccine doses"
    assert [item.summary for item in session.evidence_for(1)] == ["Our own evidence"]
    moved = session.evidence_for(6)
    assert [item.summary for item in moved] == [
        "50,000 doses arrive in Islamabad",
        "A typo",
        "100,000 doses arrive (correction)",
    ]
    assert moved[2].supersedes == moved[1].id
    assert len({item.id for item in session.evidence()}) == len(session.evidence())
    # Every history entry points at a pledge of this store (or the removed one) and at its own evidence.
    evidence = {item.id: item.pledge_id for item in session.evidence()}
    for entry in session.history():
        if entry.evidence_id is not None and entry.reason != "pledge removed":
            assert evidence[entry.evidence_id] == entry.pledge_id
    assert {entry.pledge_id for entry in session.history() if entry.evidence_id is not None} <= {2, 6}
    assert [entry.field for entry in session.history_for(6)] == ["pledge", "status"]
    assert states(other)[-1].pledge.status is Status.FULFILLED
    # The removed pledge 4 keeps its id here too (never used here); ids handed out later pass it.
    assert session.meta["next_ids"]["pledges"] == 7
    removal = next(entry for entry in session.history() if entry.reason == "pledge removed")
    assert removal.pledge_id == 4
    # Change numbers of the file follow this store's own.
    own = [entry.change for entry in session.history_for(1)]
    assert min(entry.change for entry in session.history() if entry.pledge_id != 1) > max(own)

    before = other.path.read_bytes()
    assert not import_into(other, orjson.loads(export_text(source))).changed
    assert other.path.read_bytes() == before


def test_the_record_of_a_removed_pledge_is_renumbered_with_it(source: Store, tmp_path: Path) -> None:
    other = Store(tmp_path / "other" / "pledges.json")
    with other.transaction() as session:
        for number in range(1, 5):
            add_pledge(session, CLOCK, title=f"Our pledge {number}", actors=["Iran"], made_on=MADE)
            add_evidence(session, CLOCK, str(number), f"Our evidence {number}", observed_on=MADE)
    result = import_into(other, orjson.loads(export_text(source)))
    assert result.renumbered == ((1, 6), (2, 7), (3, 8))
    session = other.snapshot()
    removal = next(entry for entry in session.history() if entry.reason == "pledge removed")
    # The removed pledge 4 and its evidence 3 had ids already used here: they move, and stay out of use.
    assert removal.pledge_id == 9
    assert list(removal.old["evidence"]) == ["8"]
    assert removal.old["evidence"]["8"]["pledge_id"] == 9
    assert removal.old["evidence"]["8"]["summary"] == "Nothing happened"
    assert [entry.field for entry in session.history_for(9)] == ["pledge", "pledge"]
    assert session.meta["next_ids"]["pledges"] == 10 and session.meta["next_ids"]["evidence"] == 10
    assert "9" not in session.tables["pledges"]
    assert [item.pledge_id for item in session.evidence() if item.summary == "Protocol signed"] == [7]


def test_missing_evidence_of_a_known_pledge_is_added(source: Store, empty: Store, document: dict[str, Any]) -> None:
    import_into(empty, document)
    with source.transaction() as session:
        add_evidence(session, LATER, "3", "Officials say the exercises are off", stance=Stance.CONTEXT)
    result = import_into(empty, orjson.loads(export_text(source)))
    assert result.matched == (1, 2, 3, 5)
    assert result.evidence_added == 1
    assert [item.summary for item in empty.snapshot().evidence_for(3)][-1] == "Officials say the exercises are off"
    assert export_text(empty) == export_text(source)


def test_a_pledge_removed_in_the_file_is_kept_and_reported(tmp_path: Path, empty: Store) -> None:
    origin = Store(tmp_path / "origin" / "pledges.json")
    populate(origin, remove=False)
    import_into(empty, orjson.loads(export_text(origin)))
    with origin.transaction() as session:
        remove_pledge(session, CLOCK, "4")
    result = import_into(empty, orjson.loads(export_text(origin)))
    assert result.removed_in_file == (4,)
    assert result.summary() == "nothing to import; 4 pledges already here; removed in the file but kept here: id 4"
    assert not result.changed
    assert empty.snapshot().pledge(4).title == "A pledge entered by mistake"


def broken(document: dict[str, Any], change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    copy: dict[str, Any] = orjson.loads(orjson.dumps(document))
    change(copy)
    return copy


BAD_DOCUMENTS: list[tuple[str, Callable[[dict[str, Any]], object], str]] = [
    ("format", lambda d: d.update(format="something-else"), '"format"'),
    ("newer", lambda d: d.update(schema_version=99), "schema version 99"),
    ("top level", lambda d: d.update(extra=1), "unknown top-level fields: extra"),
    ("pledges", lambda d: d.update(pledges={}), '"pledges": must be a list'),
    ("no id", lambda d: d["pledges"][0].pop("id"), "pledges[0]: has no id"),
    ("status", lambda d: d["pledges"][1].update(status="done"), "pledge 2 (pledges[1]): status must be one of"),
    ("title", lambda d: d["pledges"][0].update(title="  "), "pledge 1 (pledges[0]): title must be non-empty"),
    ("actors", lambda d: d["pledges"][0].update(actors="Russia"), "actors must be a list"),
    ("uuid", lambda d: d["pledges"][0].update(uuid="not-a-uuid"), "uuid must be a uuid"),
    ("unknown", lambda d: d["pledges"][0].update(colour="red"), "unknown field 'colour'"),
    ("missing", lambda d: d["pledges"][0].pop("made_on"), "missing field 'made_on'"),
    ("date", lambda d: d["pledges"][0].update(made_on="20210407"), "made_on must be a date"),
    ("url", lambda d: d["pledges"][0]["source"].update(url="example.org"), "is not a web address"),
    ("target", lambda d: d["pledges"][0]["target"].update(value=-1), "target must be null or {value, unit}"),
    ("stored form", lambda d: d["pledges"][0]["source"].update(extra=1), "source is not in the stored form"),
    ("nan", lambda d: d["history"][0].update(new=float("nan")), "new holds a number that JSON cannot store"),
    ("evidence", lambda d: d["evidence"][0].update(pledge_id=99), "belongs to pledge 99, which is not in the file"),
    ("stance", lambda d: d["evidence"][0].update(stance="maybe"), "evidence 1 (evidence[0]): stance must be one of"),
    ("supersedes", lambda d: d["evidence"][2].update(supersedes=3), "supersedes evidence 3"),
    ("duplicate", lambda d: d["evidence"][1].update(id=1), "id 1 is used by more than one record"),
    ("uuid twice", lambda d: d["pledges"][1].update(uuid=d["pledges"][0]["uuid"]), "the same uuid as pledge 1"),
    ("orphan", lambda d: d["history"][0].update(pledge_id=77), "belongs to pledge 77, neither in the file"),
    ("cites", lambda d: d["history"][1].update(evidence_id=1), "cites evidence 1"),
]


@pytest.mark.parametrize(
    ("change", "expected"), [(c, e) for _, c, e in BAD_DOCUMENTS], ids=[n for n, _, _ in BAD_DOCUMENTS]
)
def test_bad_documents_are_refused_naming_the_record(
    source: Store, document: dict[str, Any], change: Callable[[dict[str, Any]], object], expected: str
) -> None:
    before = source.path.read_bytes()
    with pytest.raises(BadInputError) as raised:
        import_into(source, broken(document, change))
    assert expected in str(raised.value)
    assert source.path.read_bytes() == before


@pytest.mark.parametrize("document", [[], "tracker", None, 3])
def test_a_document_that_is_not_an_object_is_refused(empty: Store, document: object) -> None:
    with pytest.raises(BadInputError, match="not a tracker export"):
        import_into(empty, document)
    assert not empty.path.exists()


def test_read_document_refuses_text_that_is_not_json() -> None:
    with pytest.raises(BadInputError, match="not JSON"):
        read_document(b"{pledges: 1")


# csv import ---------------------------------------------------------------------------------------
GOOD_CSV = (
    "actors,title,recipients,made_on,deadline,target,category,tags,source_url,status,condition\n"
    "Russia,Provide 150000 vaccine doses,Pakistan,2021-04-07,within six months,150000 doses,health,"
    "covid;vaccines,https://example.org/report,,\n"
    '"Russia; Pakistan","Build the gas pipeline, ""Pakistan Stream""",,7 Apr 2021,6 months after condition,,'
    "Energy,,,,once the protocol is signed\n"
    "\n"
    "Iran,Minimal pledge,,,,,,,,in progress,\n"
)


def test_csv_import_adds_one_pledge_per_row(empty: Store) -> None:
    seen: list[int] = []
    result = csv_into(empty, GOOD_CSV, on_row=seen.append)
    assert result.added == (1, 2, 3)
    assert result.summary() == "added 3 pledges (ids 1-3)"
    assert seen == [1, 2, 3, 4] and count_csv_rows(GOOD_CSV) == 4
    session = empty.snapshot()
    first, second, third = session.pledges()
    assert first.actors == ("Russia",) and first.recipients == ("Pakistan",)
    assert first.deadline is not None and first.deadline.date == date(2021, 10, 7)
    assert str(first.target) == "150,000 doses"
    assert first.category is Category.HEALTH and first.tags == ("covid", "vaccines")
    assert first.source is not None and first.source.url == "https://example.org/report"
    assert first.status is Status.PENDING
    assert second.title == 'Build the gas pipeline, "Pakistan Stream"'
    assert second.actors == ("Russia", "Pakistan") and second.made_on == MADE
    assert second.status is Status.CONDITIONAL and second.condition is not None
    assert second.deadline is not None and second.deadline.anchor == "condition"
    assert third.made_on == CLOCK.today and third.status is Status.IN_PROGRESS and third.category is Category.OTHER
    assert [entry.reason for entry in session.history()] == ["pledge recorded"] * 3


def test_csv_import_reads_a_byte_order_mark_crlf_and_any_column_case(empty: Store) -> None:
    text = "\ufeffTitle , ACTORS\r\nOne,Russia\r\nTwo,Iran\r\n"
    assert csv_into(empty, text).added == (1, 2)


def test_csv_bad_rows_are_all_reported_with_their_lines_and_nothing_is_written(source: Store) -> None:
    text = (
        "title,actors,deadline,made_on,category\n"  # line 1
        "Good one,Russia,2022,2021-05-01,\n"  # line 2
        '"A title over\ntwo lines",,,,\n'  # lines 3-4: no actor
        "\n"  # line 5
        "Bad deadline,Russia,someday,,\n"  # line 6
        "Future,Russia,,2030-01-01,\n"  # line 7
        "Bad category,Russia,,,sports\n"  # line 8
        "Too many,Russia,,,,extra\n"  # line 9
        "Good two,Iran,,,\n"  # line 10
    )
    before = source.path.read_bytes()
    with pytest.raises(BadInputError) as raised:
        csv_into(source, text)
    lines = str(raised.value).splitlines()
    assert lines[0] == "5 rows cannot be imported; nothing was imported:"
    assert lines[1].startswith("  line 3: a pledge needs at least one actor")
    assert lines[2].startswith("  line 6: 'someday' is not a deadline")
    assert lines[3].startswith("  line 7: the date the pledge was made 2030-01-01 is in the future")
    assert lines[4].startswith("  line 8: category: unknown category 'sports'")
    assert lines[5] == "  line 9: 6 cells, but the header has 5 columns"
    assert source.path.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty"),
        ("\n", "line 1: the first line must be a header"),
        ("title,actors,colour\nA,B,red\n", "line 1: unknown column 'colour'; accepted columns: title, actors"),
        ("title,recipients\nA,B\n", "line 1: the header lacks the required column actors"),
        ("title,actors,title\nA,B,C\n", "line 1: column title given twice"),
        ("title,,actors\nA,,B\n", "line 1: column 2 has no name"),
        ('title,actors\nA,B\n"C,D\n', "line 3: the CSV cannot be read"),
    ],
)
def test_csv_header_and_structure_errors(empty: Store, text: str, expected: str) -> None:
    with pytest.raises(BadInputError) as raised:
        csv_into(empty, text)
    assert expected in str(raised.value)
    assert not empty.path.exists()


def test_a_header_only_csv_imports_nothing(empty: Store) -> None:
    result = csv_into(empty, HEADER + "\n")
    assert not result.changed
    assert not empty.path.exists()


# csv export ---------------------------------------------------------------------------------------
def test_export_csv_writes_one_row_per_pledge(source: Store) -> None:
    text = export_csv(states(source))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_EXPORT_COLUMNS
    assert [row["id"] for row in rows] == ["1", "2", "3", "5"]
    first = rows[0]
    assert first["actors"] == "Russia" and first["tags"] == "covid;vaccines"
    assert first["target"] == "150000 doses" and first["deadline"] == "within six months"
    assert first["status"] == "fulfilled" and first["progress"] == "1.0000" and first["overdue"] == "false"
    assert rows[1]["actors"] == "Russia;Pakistan" and rows[1]["condition"] == "once the protocol is signed"
    assert rows[2]["title"] == 'Hold joint "Druzhba" counter-terrorism exercises, twice'
    assert rows[3]["overdue"] == "true" and rows[3]["progress"] == ""


def test_csv_round_trip(source: Store, empty: Store) -> None:
    with source.transaction() as session:
        add_pledge(session, CLOCK, title="Ship fuel", actors=["Russia"], made_on=MADE, target="0.125 tonnes")
        add_pledge(session, CLOCK, title="Lend money", actors=["Russia"], made_on=MADE, target="12345678.5 USD")
    exported = export_csv(states(source))
    result = csv_into(empty, exported)
    assert len(result.added) == 6
    again = export_csv(states(empty))

    def comparable(text: str) -> list[dict[str, str]]:
        rows = list(csv.DictReader(io.StringIO(text)))
        # Ids and uuids are this store's; progress and overdue come from evidence, which CSV does not carry.
        return [{k: v for k, v in row.items() if k not in ("id", "uuid", "overdue", "progress")} for row in rows]

    assert comparable(again) == comparable(exported)
    targets = [str(state.pledge.target) for state in states(empty) if state.pledge.target]
    assert targets == ["150,000 doses", "0.12 tonnes", "12,345,678.5 USD"]
    assert [state.pledge.target.value for state in states(empty) if state.pledge.target] == [150000, 0.125, 12345678.5]


# ics export ---------------------------------------------------------------------------------------
def test_export_ics_has_one_all_day_event_per_dated_deadline(source: Store) -> None:
    with source.transaction() as session:
        add_pledge(session, CLOCK, title="No deadline at all", actors=["Russia"], made_on=MADE)
    all_states = states(source)
    data = export_ics(all_states)
    assert data == export_ics(all_states)
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    calendar = Calendar.from_ical(data)
    assert str(calendar["PRODID"]) == "-//tracker//pledges//EN"
    assert str(calendar["VERSION"]) == "2.0"
    events = calendar.walk("VEVENT")
    dated = [state.pledge for state in all_states if state.pledge.deadline and state.pledge.deadline.date]
    assert len(dated) == 4 and len(all_states) == 5
    assert [str(event["UID"]) for event in events] == [f"{pledge.uuid}@tracker" for pledge in dated]
    for entry, pledge in zip(events, dated, strict=True):
        assert pledge.deadline is not None and pledge.deadline.date is not None
        assert entry.decoded("DTSTART") == pledge.deadline.date
        assert entry.decoded("DTEND") == pledge.deadline.date + timedelta(days=1)
        assert str(entry["SUMMARY"]) == pledge.title
        assert entry.decoded("DTSTAMP") == datetime.fromisoformat(pledge.updated_at)
        assert entry["CATEGORIES"].to_ical() == pledge.category.value.encode()
    vaccines, pipeline = events[0], events[1]
    assert pipeline.decoded("DTSTART") == date(2021, 11, 28)  # six months after the protocol was signed
    assert str(vaccines["URL"]) == "https://example.org/report"
    description = str(vaccines["DESCRIPTION"])
    assert "Actors: Russia" in description and "Recipients: Pakistan" in description
    assert "Status: fulfilled" in description and "Progress: 100% of 150,000 doses" in description
    assert "Source: https://example.org/report" in description
    assert "overdue as of 2026-11-29" in str(events[3]["DESCRIPTION"])


def test_export_ics_without_dated_deadlines_is_an_empty_calendar() -> None:
    calendar = Calendar.from_ical(export_ics([]))
    assert calendar.walk("VEVENT") == []


# properties ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    store = Store(tmp_path_factory.mktemp("template") / "pledges.json")
    populate(store)
    return store.path.read_bytes()


def attempt(template: bytes, run: Callable[[Store], object]) -> None:
    """Run an import on a fresh copy of the template store: it succeeds, or refuses and writes nothing."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "pledges.json")
        store.path.write_bytes(template)
        try:
            run(store)
        except BadInputError:
            event("refused")
            assert store.path.read_bytes() == template
        else:
            event("imported")
            assert export_text(store) == export_text(store)  # still a sound, readable store


cells = st.text(st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["", "Russia", "2021-04-07", "in 6 months", "Q3 2022", "150000 doses", "health", "pending", "https://a.org/"]
)


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=len(CSV_COLUMNS), max_size=len(CSV_COLUMNS)), max_size=4))
def test_arbitrary_csv_cells_raise_only_bad_input(template: bytes, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)
    attempt(template, lambda store: csv_into(store, buffer.getvalue()))


@FUZZ
@given(text=st.text(st.characters(codec="utf-8"), max_size=200))
def test_arbitrary_csv_text_raises_only_bad_input(template: bytes, text: str) -> None:
    attempt(template, lambda store: csv_into(store, HEADER + "\n" + text))
    attempt(template, lambda store: csv_into(store, text))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=5,
)


@FUZZ
@given(data=st.data())
def test_a_damaged_document_is_imported_or_refused_without_writing(template: bytes, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "pledges.json")
        store.path.write_bytes(template)
        document: dict[str, Any] = orjson.loads(export_text(store))
    table = data.draw(st.sampled_from(["pledges", "evidence", "history"]))
    record = data.draw(st.sampled_from(document[table]))
    key = data.draw(st.sampled_from([*record, "extra"]))
    record[key] = data.draw(json_values)
    if data.draw(st.booleans()):
        # Also as a new pledge, so the damaged record is not simply matched by its uuid.
        for pledge in document["pledges"]:
            if isinstance(pledge.get("uuid"), str):
                pledge["uuid"] = pledge["uuid"][:-4] + "ffff"
    attempt(template, lambda store: import_into(store, document))


def test_csv_from_export_imports_once_and_keeps_uuids(source: Store, empty: Store) -> None:
    exported = export_csv(states(source))
    first = csv_into(empty, exported)
    assert len(first.added) == len(source.snapshot().pledges())
    assert {p.uuid for p in empty.snapshot().pledges()} == {p.uuid for p in source.snapshot().pledges()}
    before = empty.path.read_bytes()
    second = csv_into(empty, exported)
    assert second.added == () and len(second.matched) == len(first.added)
    assert "nothing to import" in second.summary()
    assert empty.path.read_bytes() == before


def test_csv_with_a_malformed_uuid_is_refused(empty: Store) -> None:
    with pytest.raises(BadInputError) as raised:
        csv_into(empty, "title,actors,uuid\nA,B,not-a-uuid\n")
    assert "line 2: uuid must be a uuid" in str(raised.value)


def test_an_import_into_a_store_with_history_keeps_the_order_of_the_file_s_history(
    invoke: Callable[..., Any], tmp_path: Path
) -> None:
    """The file's history ids that are free here were kept and the others moved past them, which
    put a pledge's status change before its "pledge recorded" entry: the store then failed
    `doctor`. Ids now move together, keeping their order."""
    source, target, export = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "a-export.json"
    for db, args in (
        (source, ["add", "Pledge A", "-a", "Russia", "--made-on", "2021-05-01", "--target", "10 doses"]),
        (source, ["evidence", "add", "1", "Delivered", "--date", "2021-05-01", "--quantity", "10 doses"]),
        (source, ["export", "json", "-o", str(export)]),
        (target, ["add", "Pledge B", "-a", "Pakistan", "--made-on", "2021-04-07"]),
        (target, ["import", str(export)]),
    ):
        result = invoke("--db", str(db), *args)
        assert result.exit_code == 0, (args, result.output)
    doctor = invoke("--db", str(target), "doctor")
    assert doctor.exit_code == 0, doctor.output
    log = invoke("--db", str(target), "log", "2")
    assert log.stdout.index("pledge recorded") < log.stdout.index("fulfilled")


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_an_import_file_with_a_byte_order_mark_is_read_and_one_not_in_utf8_is_refused(
    suffix: str, invoke: Callable[..., Any], tmp_path: Path, isolated_store: Path
) -> None:
    source = tmp_path / "source.json"
    assert (
        invoke("--db", str(source), "add", "Open a consulate", "-a", "Russia", "--made-on", "2021-04-07").exit_code == 0
    )
    exported = invoke("--db", str(source), "export", suffix.lstrip("."))
    assert exported.exit_code == 0
    marked = tmp_path / f"marked{suffix}"
    marked.write_bytes(b"\xef\xbb\xbf" + exported.stdout.encode())
    result = invoke("import", str(marked))
    assert result.exit_code == 0, result.output
    assert "Open a consulate" in invoke("list").stdout
    latin = tmp_path / f"latin{suffix}"
    latin.write_bytes(exported.stdout.replace("Open a consulate", "Ouvrir un consulat à Karachi").encode("latin-1"))
    before = isolated_store.read_bytes()
    refused = invoke("import", str(latin))
    assert refused.exit_code == 1 and f"{latin} is not UTF-8 text" in refused.stderr
    assert isolated_store.read_bytes() == before


# Values at the edges of what each field's check accepts, for the field they belong to or any other.
EDGE_VALUES = [
        "2021-04-07", "20210407", "2021-W14-3", " 2021-04-07", "2021-04-07T00:00", "2026-11-29T12:00:00Z",
        "2026-11-29 12:00", "", " ", "x", "pending", "PENDING", "supports", "health", "day", "condition", "made_on",
        "https://a.org/x", "https://a.org/a b", "ftp://a.org", "http://[::1]/", "http://a.org:80",
        "0c6f2c7e-5b1a-4c43-9f55-4d7c1c1b2f10", "0C6F2C7E-5B1A-4C43-9F55-4D7C1C1B2F10",
        "{0c6f2c7e-5b1a-4c43-9f55-4d7c1c1b2f10}", 0, 1, 2, -1, 10**12 - 1, 10**12, 2**64, 10**400, 1.5, 0.0, 1e308,
        float("inf"), float("nan"), True, False, None, [], [""], [" "], ["a"], ["a", 1], {},
        {"url": None, "title": None, "publisher": None}, {"value": 5, "unit": "doses"}, {"value": 0, "unit": "x"},
        {"value": True, "unit": "x"}, {"value": 2, "unit": " "}, {"text": "t", "met_on": None},
        {"text": "t", "date": None, "precision": "day", "anchor": "condition"},
        {"text": "t", "date": None, "precision": "day", "anchor": "made_on"},
]  # fmt: skip


def damage(document: dict[str, Any], data: st.DataObject, values: st.SearchStrategy[Any]) -> None:
    """Change, add or remove one to three fields of records, or of the objects in them."""
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        table = data.draw(st.sampled_from(["pledges", "evidence", "history"]))
        record = data.draw(st.sampled_from(document[table]))
        parts = [key for key, value in record.items() if isinstance(value, dict)]
        if parts and data.draw(st.booleans()):
            record = record[data.draw(st.sampled_from(parts))]  # change a field of an object in it
        key = data.draw(st.sampled_from([*record, "extra"]))
        if key != "id" and data.draw(st.booleans()):
            record.pop(key, None)
        else:
            record[key] = copy.deepcopy(data.draw(values))  # never a shared edge value, changed later


def template_document(template: bytes) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "pledges.json")
        store.path.write_bytes(template)
        document: dict[str, Any] = orjson.loads(export_text(store))
    return document


def strictly(forms: dict[int, Any]) -> dict[int, bytes]:
    """Stored forms as JSON, where 1, 1.0 and True differ."""
    return {key: orjson.dumps(form, option=orjson.OPT_SORT_KEYS) for key, form in forms.items()}


@FUZZ
@given(data=st.data())
def test_every_record_an_import_keeps_is_in_its_stored_form(template: bytes, data: st.DataObject) -> None:
    """Whatever way validation accepts a record (taken as the file has it, or read back and
    compared), what it keeps to write is exactly the stored form of the record it read."""
    from tracker.transfer import _validate

    document = template_document(template)
    damage(document, data, json_values | st.sampled_from(EDGE_VALUES))
    try:
        checked = _validate(document)
    except BadInputError:
        event("refused")
        return
    event("accepted")
    for table, records in (("pledges", checked.pledges), ("evidence", checked.evidence), ("history", checked.history)):
        for item in records:
            kept, read_back = checked.stored[table][item.id], item.to_dict()
            # The same values of the same types: == alone would take 1, 1.0 and True as one.
            assert kept == read_back
            sort = orjson.OPT_SORT_KEYS
            assert orjson.dumps(kept, option=sort) == orjson.dumps(read_back, option=sort)


@FUZZ
@given(data=st.data())
def test_records_checked_a_field_at_a_time_are_those_checked_one_at_a_time(
    template: bytes, data: st.DataObject
) -> None:
    """A block of records checked and built a field at a time accepts exactly the records that
    checking each alone accepts, and builds the same records and stored forms, whatever the
    blocks; so a table's problems are the same as if every record were checked alone."""
    from tracker.transfer import _EVIDENCE, _HISTORY, _PLEDGES, _load_each, _load_records, _Problems

    document = template_document(template)
    if data.draw(st.booleans()):
        damage(document, data, json_values | st.sampled_from(EDGE_VALUES))
    for table in (_PLEDGES, _EVIDENCE, _HISTORY):
        records = document[table.name]
        alone_problems, alone_forms = _Problems(), {}
        alone = _load_each(copy.deepcopy(records), 0, table, alone_problems, alone_forms)
        blocked_problems, blocked_forms = _Problems(), {}
        reuse = data.draw(st.booleans())
        given_records = copy.deepcopy(records)
        blocked = _load_records(
            given_records, table, blocked_problems, blocked_forms, reuse, block=data.draw(st.integers(1, 5))
        )
        assert blocked_problems.lines == alone_problems.lines
        assert repr(blocked) == repr(alone)  # repr tells a Status from the text it equals
        assert strictly(blocked_forms) == strictly(alone_forms)
        for given_record, record in zip(given_records, records, strict=True):
            # Given up (`reuse`), a record checked at once loses its id; nothing else changes any.
            without_id = {key: value for key, value in record.items() if key != "id"} if reuse else None
            assert given_record in (record, without_id)
        event("refused" if alone_problems.lines else "accepted")


def test_a_record_given_twice_is_refused_as_a_duplicate_when_the_document_is_given_up(template: bytes) -> None:
    from tracker.transfer import _validate

    document = template_document(template)
    document["pledges"].append(document["pledges"][0])  # the very same object
    with pytest.raises(BadInputError, match="id 1 is used by more than one record"):
        _validate(document, reuse_records=True)


def test_the_records_of_an_export_are_checked_a_field_at_a_time(template: bytes) -> None:
    from tracker.transfer import _EVIDENCE, _HISTORY, _PLEDGES, _load_block

    document = template_document(template)
    for table in (_PLEDGES, _EVIDENCE, _HISTORY):
        assert _load_block(document[table.name], table, {}, reuse_records=False) is not None


def test_each_field_at_each_edge_is_judged_the_same_a_field_at_a_time(template: bytes) -> None:
    """Every field of every record, and of every object in a record, set to each edge value or
    taken out, one at a time: checked a field at a time, it is refused or accepted, and built,
    as it is checked alone."""
    from tracker.transfer import _EVIDENCE, _HISTORY, _PLEDGES, _load_each, _load_records, _Problems

    document = template_document(template)
    taken_out = object()
    compared = 0
    for table in (_PLEDGES, _EVIDENCE, _HISTORY):
        for record in document[table.name]:
            places = [(None, key) for key in [*record, "extra"]]
            places += [(key, part) for key, value in record.items() if isinstance(value, dict) for part in value]
            for (outer, key), value in itertools.product(places, [*EDGE_VALUES, taken_out]):
                changed = copy.deepcopy(record)
                target = changed if outer is None else changed[outer]
                if value is taken_out:
                    target.pop(key, None)
                else:
                    target[key] = copy.deepcopy(value)
                alone_problems, alone_forms = _Problems(), {}
                alone = _load_each([copy.deepcopy(changed)], 0, table, alone_problems, alone_forms)
                blocked_problems, blocked_forms = _Problems(), {}
                blocked = _load_records([changed], table, blocked_problems, blocked_forms, reuse_records=True)
                assert blocked_problems.lines == alone_problems.lines, (table.name, outer, key, value)
                assert repr(blocked) == repr(alone), (table.name, outer, key, value)
                assert strictly(blocked_forms) == strictly(alone_forms), (table.name, outer, key, value)
                compared += 1
    assert compared > 5000


texts_or_none = (
    st.none()
    | st.text(max_size=12)
    | st.integers()
    | st.sampled_from(
        ["https://a.org/x?y=1#z", "http://b.org", " https://a.org ", "https://a.org/a b", "ftp://a.org", "https://", ""]
    )
)


@given(url=texts_or_none, title=texts_or_none, publisher=texts_or_none)
def test_a_source_is_accepted_exactly_when_it_reads_as_one(url: Any, title: Any, publisher: Any) -> None:
    from tracker.model import Source
    from tracker.transfer import _source

    readable = all(value is None or isinstance(value, str) for value in (url, title, publisher))
    if readable:
        try:
            Source.parse(url, title, publisher)
        except BadInputError:
            readable = False
    assert (_source({"url": url, "title": title, "publisher": publisher}) is None) == readable


@pytest.mark.parametrize(("depth", "accepted"), [(100, True), (101, False), (900, False)])
def test_a_value_nested_deeper_than_the_store_can_write_is_refused(
    empty: Store, document: dict[str, Any], depth: int, accepted: bool
) -> None:
    nested: Any = "core"
    for _ in range(depth):
        nested = [nested]
    document["history"][0]["old"] = nested
    before = empty.path.read_bytes() if empty.path.exists() else None
    if accepted:
        import_into(empty, document)
        assert empty.path.exists()
        return
    with pytest.raises(BadInputError, match="nested more than 100 deep"):
        import_into(empty, document)
    assert (empty.path.read_bytes() if empty.path.exists() else None) == before


# reading an export a chunk at a time ---------------------------------------------------------------
# Strings that look like the lines a chunk is split at, or ends at.
layout_text = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["\n    {", ",\n    {", "\n  ]", '\n  "pledges": [', "}, {", "\\", '": ']),
)
layout_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | layout_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(layout_text, children, max_size=3),
    max_leaves=6,
)
documents = st.dictionaries(
    layout_text,
    st.one_of(layout_values, st.lists(st.dictionaries(layout_text, layout_values, max_size=3), max_size=6)),
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(documents, st.integers(0, 300))
def test_an_export_parsed_a_chunk_at_a_time_is_the_export_parsed_whole(document: dict[str, Any], size: int) -> None:
    """(Or it is parsed whole: a key with a quote before a colon in it is not looked into.)"""
    raw = dumps(document).encode()
    parsed = _parse_in_chunks(raw, size)
    if parsed is None:
        event("parsed whole")
        assert any('": ' in key for key in document) or not document
    else:
        assert parsed == orjson.loads(raw) and list(parsed) == sorted(document)


@settings(max_examples=150, deadline=None)
@given(documents, st.sampled_from(["one line", "four-space indent", "spaces after it", "a key given twice"]))
def test_a_document_laid_out_otherwise_is_parsed_whole_or_alike(document: dict[str, Any], how: str) -> None:
    text = {
        "one line": lambda: orjson.dumps(document),
        "four-space indent": lambda: json.dumps(document, indent=4).encode(),
        "spaces after it": lambda: dumps(document).encode() + b" \r\n\n",
        "a key given twice": lambda: dumps(document).encode().replace(b"{\n", b'{\n  "format": 1,\n', 1),
    }[how]()
    parsed = _parse_in_chunks(text, 10)
    assert parsed is None or parsed == orjson.loads(text)
    assert read_document(text) == orjson.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        b'{\n  "pledges": [\n    {\n      "id": 1\n    },\n    {\n      "id": 2\n  ]\n}',
        b'{\n  "pledges": [\n    {\n      "id": 1\n    }\n  ],\n  "format": \n}',
        b'{\n  "pledges": [\n    {\n      "id": 1\n    }\n  ]\n}\n}',
        b'{\n  "pledges": [\n    {\n      "id": 1\n    }\n  ]',
        # The rest of the file parses as elements of the list: it has no end.
        b'{\n  "format": "tracker-export",\n  "pledges": [\n    {\n      "id": 1\n}',
        b'{\n  "pledges": [\n    {}\n  ], [\n    {}\n  ]\n}',
        b'{\n  "format": 1, 2\n}',
    ],
)
def test_text_in_the_layout_that_is_not_json_is_told_by_the_whole_parse(text: bytes) -> None:
    assert _parse_in_chunks(text, 1) is None
    with pytest.raises(BadInputError, match="not JSON"):
        read_document(text)


def test_a_large_export_is_parsed_in_many_chunks(source: Store) -> None:
    text = export_text(source).encode()
    assert _parse_in_chunks(text, 1) == _parse_in_chunks(text) == orjson.loads(text)


@pytest.mark.parametrize("reuse_records", [False, True])
def test_an_import_copies_the_documents_records_unless_it_may_reuse_them(
    source: Store, empty: Store, reuse_records: bool
) -> None:
    document = orjson.loads(export_text(source))
    pristine = orjson.loads(export_text(source))
    with empty.transaction() as session:
        import_document(session, CLOCK, document, reuse_records=reuse_records)
    assert (document == pristine) is not reuse_records
    assert export_text(empty) == export_text(source)


@pytest.mark.parametrize("depth", [1019, 1020, 1021, 1022, 1023, 1024])
@pytest.mark.parametrize("where", ["member", "element"])
def test_a_value_nested_deeply_is_refused_in_chunks_where_the_whole_parse_refuses_it(depth: int, where: str) -> None:
    nested = b"[" * depth + b"]" * depth
    text = (
        b'{\n  "format": ' + nested + b"\n}"
        if where == "member"
        else b'{\n  "pledges": [\n    {\n      "x": ' + nested + b"\n    }\n  ]\n}"
    )
    try:
        orjson.loads(text)
        whole = True
    except orjson.JSONDecodeError:
        whole = False
    assert (_parse_in_chunks(text, 1) is not None) is whole
