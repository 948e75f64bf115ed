"""Every core command through the real CLI (typer's CliRunner) on a real store in tmp_path.

Dates are fixed by TRACKER_NOW=2026-11-29T12:00:00 (tests/conftest.py), never the wall clock.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tracker import __version__
from tracker.store import backup_path

Invoke = Callable[..., Any]
Add = Callable[..., int]

GOLDEN = Path(__file__).parent / "golden"
PLEDGE_FIELDS = {
    "id", "uuid", "title", "text", "venue", "notes", "actors", "recipients", "tags", "made_on", "deadline", "target",
    "condition", "status", "category", "source", "created_at", "updated_at", "overdue", "progress",
}  # fmt: skip
EVIDENCE_FIELDS = {
    "id", "pledge_id", "observed_on", "recorded_at", "summary", "source", "quantity", "stance", "meets_condition",
    "supersedes",
}  # fmt: skip
HISTORY_FIELDS = {
    "id", "pledge_id", "field", "old", "new", "reason", "effective_on", "recorded_at", "change", "evidence_id",
}  # fmt: skip
LIST_HEADER = "id\tstatus\tdeadline\toverdue\tprogress\tactors\ttitle"
EVIDENCE_HEADER = "id\tobserved_on\tstance\tquantity\tsummary\tsource"
HISTORY_HEADER = "effective_on\trecorded_at\tfield\told\tnew\treason"


def ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert result.stderr == ""
    return result


def error_line(result: Any, code: int = 1) -> str:
    """The command failed with `code`, printing exactly one line on stderr and no traceback."""
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tracker: error: ")
    assert result.stdout == ""
    return str(lines[0])


def as_json(result: Any) -> Any:
    return json.loads(ok(result).stdout)


def list_ids(invoke: Invoke, *options: str) -> list[int]:
    """Ids listed, read both from the JSON and from the piped lines, which must agree."""
    from_json = [record["id"] for record in as_json(invoke("list", "--json", *options))]
    lines = ok(invoke("list", *options)).stdout.splitlines()
    assert lines[0] == LIST_HEADER
    from_lines = [int(line.split("\t")[0]) for line in lines[1:]]
    assert from_json == from_lines
    return from_json


def show(invoke: Invoke, reference: str = "1", *options: str) -> Any:
    return as_json(invoke("show", reference, "--json", *options))


def history(invoke: Invoke, reference: str = "1") -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = show(invoke, reference)["history"]
    return entries


# --version and help -----------------------------------------------------------------------------


def test_version(invoke: Invoke) -> None:
    assert ok(invoke("--version")).stdout == f"tracker {__version__}\n"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["add"],
        ["list"],
        ["show"],
        ["log"],
        ["edit"],
        ["rm"],
        ["status"],
        ["evidence"],
        ["evidence", "add"],
        ["evidence", "list"],
    ],
    ids=" ".join,
)
def test_every_command_has_help(command: list[str], invoke: Invoke, isolated_store: Path) -> None:
    result = ok(invoke(*command, "--help"))
    assert result.stdout.startswith("Usage: tracker")
    assert not isolated_store.exists()


# add ------------------------------------------------------------------------------------------


def test_add_prints_only_the_new_id(invoke: Invoke) -> None:
    assert ok(invoke("add", "Provide doses", "--actor", "Russia")).stdout == "1\n"
    assert ok(invoke("add", "Provide more doses", "-a", "Russia")).stdout == "2\n"


def test_add_with_defaults(add: Add, invoke: Invoke) -> None:
    add("Provide doses")
    pledge = show(invoke)
    assert pledge["made_on"] == "2026-11-29"  # today, from TRACKER_NOW
    assert pledge["status"] == "pending"
    assert pledge["category"] == "other"
    assert pledge["deadline"] is None
    assert pledge["target"] is None
    assert pledge["condition"] is None
    assert pledge["source"] is None
    assert pledge["recipients"] == [] and pledge["tags"] == []
    assert pledge["created_at"] == pledge["updated_at"] == "2026-11-29T12:00:00Z"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", pledge["uuid"])
    assert pledge["overdue"] is False and pledge["progress"] is None


def test_add_with_every_option(invoke: Invoke) -> None:
    ok(
        invoke(
            "add", "  Provide 150,000 more   Covid-19 vaccine doses ",
            "--actor", "Russia", "-a", "russia", "-a", " Belarus ",
            "--recipient", "Pakistan", "-r", "Pakistan",
            "--made-on", "7 Apr 2021",
            "--deadline", "within six months",
            "--target", "150,000 doses",
            "--category", "Health",
            "--tag", "covid", "-t", "vaccines",
            "--source", "https://example.org/report", "--source-title", "Joint statement", "--publisher", "MoFA",
            "--text", "we intend to provide 150,000 more",
            "--venue", "talks in Islamabad",
            "--notes", "reported twice",
        )
    )  # fmt: skip
    pledge = show(invoke)
    assert pledge["title"] == "Provide 150,000 more Covid-19 vaccine doses"
    assert pledge["actors"] == ["Russia", "Belarus"]
    assert pledge["recipients"] == ["Pakistan"]
    assert pledge["made_on"] == "2021-04-07"
    assert pledge["deadline"] == {
        "anchor": "made_on",
        "date": "2021-10-07",
        "precision": "month",
        "text": "within six months",
    }
    assert pledge["target"] == {"unit": "doses", "value": 150000}
    assert pledge["category"] == "health"
    assert pledge["tags"] == ["covid", "vaccines"]
    assert pledge["source"] == {"publisher": "MoFA", "title": "Joint statement", "url": "https://example.org/report"}
    assert pledge["text"] == "we intend to provide 150,000 more"
    assert pledge["venue"] == "talks in Islamabad"
    assert pledge["notes"] == "reported twice"
    assert pledge["overdue"] is True
    assert pledge["progress"] == 0


def test_add_with_a_condition_starts_conditional(add: Add, invoke: Invoke) -> None:
    add("Build a pipeline", "--condition", "once the protocol is signed", "--deadline", "6 months after condition")
    pledge = show(invoke)
    assert pledge["status"] == "conditional"
    assert pledge["condition"] == {"met_on": None, "text": "once the protocol is signed"}
    assert pledge["deadline"]["date"] is None
    assert pledge["deadline"]["anchor"] == "condition"
    assert pledge["overdue"] is False


def test_show_of_an_undated_deadline_names_it_once(add: Add, invoke: Invoke) -> None:
    add("Build a pipeline", "--condition", "once the protocol is signed", "--deadline", "6 months after condition")
    lines = ok(invoke("show", "1")).stdout.splitlines()
    assert "deadline: (6 months after condition)" in lines
    assert "condition: once the protocol is signed (not met yet)" in lines


def test_add_with_an_initial_status(add: Add, invoke: Invoke) -> None:
    add("Under way", "--status", "in progress")
    assert show(invoke)["status"] == "in_progress"


def test_db_option_names_the_store(invoke: Invoke, isolated_store: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "other.json"
    assert ok(invoke("--db", str(other), "add", "Elsewhere", "-a", "A")).stdout == "1\n"
    assert other.exists()
    assert not isolated_store.exists()
    assert [record["title"] for record in as_json(invoke("--db", str(other), "list", "--json"))] == ["Elsewhere"]


# list -----------------------------------------------------------------------------------------


@pytest.fixture
def four_pledges(add: Add, invoke: Invoke) -> None:
    add(
        "Provide doses",
        "-a",
        "Russia",
        "-c",
        "health",
        "-t",
        "covid",
        "--made-on",
        "2021-04-07",
        "-d",
        "within six months",
    )
    add("Build a pipeline", "-a", "Russia", "-a", "Pakistan", "-c", "energy", "-t", "gas", "--made-on", "2021-04-07",
        "--condition", "protocol signed")  # fmt: skip
    add(
        "Open markets",
        "-a",
        "China",
        "-c",
        "trade",
        "-t",
        "covid",
        "-t",
        "trade",
        "--made-on",
        "2021-04-07",
        "-d",
        "2022",
    )
    add("Build hospitals", "-a", "Pakistan", "-c", "health", "--made-on", "2025-01-01", "-d", "2030")
    ok(invoke("status", "3", "fulfilled", "--date", "2021-12-01"))


@pytest.mark.usefixtures("four_pledges")
@pytest.mark.parametrize(
    ("options", "ids"),
    [
        ([], [1, 2, 3, 4]),
        (["--status", "pending"], [1, 4]),
        (["-s", "pending", "-s", "FULFILLED"], [1, 3, 4]),
        (["--status", "broken"], []),
        (["--actor", "pakistan"], [2, 4]),
        (["-a", "Russia", "-a", "China"], [1, 2, 3]),
        (["--category", "health"], [1, 4]),
        (["-c", "energy", "-c", "trade"], [2, 3]),
        (["--tag", "covid"], [1, 3]),
        (["-t", "GAS", "-t", "trade"], [2, 3]),
        (["--category", "health", "--tag", "covid"], [1]),
        (["--actor", "Russia", "--status", "conditional"], [2]),
        (["--overdue"], [1]),
        (["--overdue", "--as-of", "2021-10-07"], []),
        (["--overdue", "--as-of", "2021-10-08"], [1]),
        (["--as-of", "2021-04-06"], []),
        (["--as-of", "2022-01-01"], [1, 2, 3]),
        (["--as-of", "2021-11-30", "--status", "fulfilled"], []),  # fulfilled only from 2021-12-01
        (["--as-of", "2021-12-01", "--status", "fulfilled"], [3]),
    ],
)
def test_list_filters(options: list[str], ids: list[int], invoke: Invoke) -> None:
    assert list_ids(invoke, *options) == ids


def test_list_piped_prints_tab_separated_lines(four_pledges: None, invoke: Invoke) -> None:
    lines = ok(invoke("list")).stdout.splitlines()
    assert lines == [
        LIST_HEADER,
        "1\tpending\t2021-10-07\toverdue\t\tRussia\tProvide doses",
        "2\tconditional\t\t\t\tRussia; Pakistan\tBuild a pipeline",
        "3\tfulfilled\t2022-12-31\t\t\tChina\tOpen markets",
        "4\tpending\t2030-12-31\t\t\tPakistan\tBuild hospitals",
    ]


def test_list_of_an_empty_store(invoke: Invoke, isolated_store: Path) -> None:
    assert ok(invoke("list")).stdout == LIST_HEADER + "\n"
    assert as_json(invoke("list", "--json")) == []
    assert not isolated_store.exists()


def test_list_json_shape(four_pledges: None, invoke: Invoke) -> None:
    records = as_json(invoke("list", "--json"))
    assert [record["id"] for record in records] == [1, 2, 3, 4]
    for record in records:
        assert set(record) >= PLEDGE_FIELDS
        assert list(record) == sorted(record)
    assert records[0]["overdue"] is True
    assert records[1]["deadline"] is None
    assert records[1]["condition"] == {"met_on": None, "text": "protocol signed"}


def test_list_json_is_as_of_the_date_given(four_pledges: None, invoke: Invoke) -> None:
    [third] = [record for record in as_json(invoke("list", "--json", "--as-of", "2021-06-01")) if record["id"] == 3]
    assert third["status"] == "pending"
    assert third["overdue"] is False


# show -----------------------------------------------------------------------------------------


def test_show_json_shape_with_evidence_and_history(add: Add, invoke: Invoke) -> None:
    add("Provide doses", "--made-on", "2021-04-07", "--target", "150000 doses", "-d", "within six months")
    ok(invoke("evidence", "add", "1", "First batch", "--date", "2021-06-01", "-q", "50000 doses",
              "--source", "https://example.org/a", "--publisher", "Dawn"))  # fmt: skip
    pledge = show(invoke)
    assert PLEDGE_FIELDS | {"evidence", "history"} <= set(pledge)
    assert pledge["progress"] == pytest.approx(0.3333)
    [item] = pledge["evidence"]
    assert set(item) >= EVIDENCE_FIELDS
    assert item == {
        "id": 1,
        "meets_condition": False,
        "observed_on": "2021-06-01",
        "pledge_id": 1,
        "quantity": {"unit": "doses", "value": 50000},
        "recorded_at": "2026-11-29T12:00:00Z",
        "source": {"publisher": "Dawn", "title": None, "url": "https://example.org/a"},
        "stance": "supports",
        "summary": "First batch",
        "supersedes": None,
    }
    [entry] = pledge["history"]
    assert set(entry) >= HISTORY_FIELDS
    assert entry["field"] == "pledge" and entry["effective_on"] == "2021-04-07" and entry["new"] == "pending"


def test_show_piped(add: Add, invoke: Invoke) -> None:
    add("Cut taxes [citation needed]", "--made-on", "2021-04-07", "-d", "Q3 2022", "--text", "we [will] cut")
    ok(invoke("evidence", "add", "1", "Budget [draft] tabled", "--date", "2022-01-05", "--stance", "context"))
    lines = ok(invoke("show", "1")).stdout.splitlines()
    assert lines[0] == "#1 Cut taxes [citation needed]"
    assert "status: pending (overdue)" in lines
    assert "deadline: 2022-09-30 (Q3 2022)" in lines
    assert "quote: “we [will] cut”" in lines
    assert "source: none (unsourced)" in lines
    assert "evidence: 1" in lines
    assert lines[-1] == "1\t2022-01-05\tcontext\t\tBudget [draft] tabled\t"


def test_show_as_of_before_the_pledge_was_made(add: Add, invoke: Invoke) -> None:
    add("Later", "--made-on", "2022-01-01")
    assert "made on 2022-01-01, after 2021-12-31" in error_line(invoke("show", "1", "--as-of", "2021-12-31"))


# edit -----------------------------------------------------------------------------------------


def test_edit_changes_fields_and_logs_each_change(add: Add, invoke: Invoke) -> None:
    add("Old title", "--made-on", "2021-04-07", "-a", "Russia", "-d", "within six months", "--target", "10 tanks")
    result = ok(invoke("edit", "1", "--title", "New title", "-a", "Russia", "-a", "Belarus", "--tag", "x",
                       "--date", "2022-02-01", "--reason", "a second statement"))  # fmt: skip
    assert result.stdout == "pledge 1: updated\n"
    pledge = show(invoke)
    assert pledge["title"] == "New title"
    assert pledge["actors"] == ["Russia", "Belarus"]
    assert pledge["tags"] == ["x"]
    changes = {entry["field"]: entry for entry in pledge["history"] if entry["field"] != "pledge"}
    assert set(changes) == {"title", "actors", "tags"}
    assert changes["title"]["old"] == "Old title" and changes["title"]["new"] == "New title"
    assert {entry["effective_on"] for entry in changes.values()} == {"2022-02-01"}
    assert {entry["reason"] for entry in changes.values()} == {"a second statement"}
    assert len({entry["change"] for entry in changes.values()}) == 1  # one command, one change number
    assert [record["title"] for record in as_json(invoke("list", "--json", "--as-of", "2022-01-31"))] == ["Old title"]


def test_edit_removes_optional_fields(add: Add, invoke: Invoke) -> None:
    add("T", "-d", "2030", "--target", "10 tanks", "--condition", "if asked", "--text", "q", "--venue", "v")
    ok(invoke("edit", "1", "--deadline", "none", "--target", "", "--condition", "", "--text", "", "--venue", " "))
    pledge = show(invoke)
    assert (pledge["deadline"], pledge["target"], pledge["condition"], pledge["text"], pledge["venue"]) == (None,) * 5


def test_edit_made_on_moves_a_relative_deadline(add: Add, invoke: Invoke) -> None:
    add("T", "--made-on", "2021-04-07", "-d", "within six months")
    ok(invoke("edit", "1", "--made-on", "2021-05-31"))
    assert show(invoke)["deadline"]["date"] == "2021-11-30"
    ok(invoke("edit", "1", "--deadline", "H1 2022"))
    assert show(invoke)["deadline"] == {
        "anchor": "made_on",
        "date": "2022-06-30",
        "precision": "half",
        "text": "H1 2022",
    }


def test_edit_that_changes_nothing_writes_nothing(add: Add, invoke: Invoke, store_bytes: Callable[[], bytes]) -> None:
    add("Same title")
    before = store_bytes()
    assert invoke("edit", "1", "--title", "Same title").exit_code == 0
    assert store_bytes() == before


# rm -------------------------------------------------------------------------------------------


def test_rm_with_yes(add: Add, invoke: Invoke) -> None:
    add("One")
    add("Two")
    ok(invoke("evidence", "add", "1", "Something"))
    assert ok(invoke("rm", "1", "--yes")).stdout == "removed pledge 1\n"
    assert list_ids(invoke) == [2]
    assert "no pledge with id 1" in error_line(invoke("show", "1"))
    assert "no pledge with id 1" in error_line(invoke("evidence", "list", "1"))
    assert ok(invoke("rm", "2", "-y")).stdout == "removed pledge 2\n"


def test_rm_without_yes_is_refused_when_not_at_a_terminal(
    add: Add, invoke: Invoke, store_bytes: Callable[[], bytes]
) -> None:
    add("One")
    before = store_bytes()
    assert "not removing pledge 1 without confirmation; add --yes" in error_line(invoke("rm", "1", input="y\n"))
    assert store_bytes() == before
    assert list_ids(invoke) == [1]


# evidence -------------------------------------------------------------------------------------


def test_evidence_add_and_list(add: Add, invoke: Invoke) -> None:
    add("Provide doses", "--made-on", "2021-04-07")
    assert ok(
        invoke("evidence", "add", "1", "Later news", "--date", "2021-09-01", "--source", "https://www.example.org/b")
    ).stdout == ("evidence 1 added to pledge 1\n")
    ok(
        invoke(
            "evidence",
            "add",
            "1",
            "Earlier news [sic]",
            "--date",
            "5 May 2021",
            "--stance",
            "contradicts",
            "-q",
            "5 doses",
        )
    )
    lines = ok(invoke("evidence", "list", "1")).stdout.splitlines()
    assert lines == [
        EVIDENCE_HEADER,
        "2\t2021-05-05\tcontradicts\t5 doses\tEarlier news [sic]\t",
        "1\t2021-09-01\tsupports\t\tLater news\thttps://www.example.org/b",
    ]
    items = as_json(invoke("evidence", "list", "1", "--json"))
    assert [item["id"] for item in items] == [2, 1]
    assert all(set(item) >= EVIDENCE_FIELDS for item in items)


def test_evidence_list_of_a_pledge_without_evidence(add: Add, invoke: Invoke) -> None:
    add("Nothing yet")
    assert ok(invoke("evidence", "list", "1")).stdout == EVIDENCE_HEADER + "\n"
    assert as_json(invoke("evidence", "list", "1", "--json")) == []


def test_evidence_defaults_to_today(add: Add, invoke: Invoke) -> None:
    add("T")
    ok(invoke("evidence", "add", "1", "Seen today"))
    assert show(invoke)["evidence"][0]["observed_on"] == "2026-11-29"


def test_meets_condition_moves_conditional_to_pending_and_dates_the_deadline(add: Add, invoke: Invoke) -> None:
    add("Build a pipeline", "--made-on", "2021-04-07", "--condition", "once the protocol is signed",
        "--deadline", "6 months after condition")  # fmt: skip
    assert (
        ok(invoke("list")).stdout.splitlines()[1]
        == "1\tconditional\t(6 months after condition)\t\t\tRussia\tBuild a pipeline"
    )
    result = ok(invoke("evidence", "add", "1", "Protocol signed", "--date", "2021-05-28", "--meets-condition"))
    assert result.stdout == "evidence 1 added to pledge 1; condition met, now pending\n"
    pledge = show(invoke)
    assert pledge["status"] == "pending"
    assert pledge["condition"] == {"met_on": "2021-05-28", "text": "once the protocol is signed"}
    assert pledge["deadline"]["date"] == "2021-11-28"
    assert pledge["deadline"]["anchor"] == "condition"
    assert pledge["overdue"] is True
    assert pledge["evidence"][0]["meets_condition"] is True
    changes = {entry["field"]: entry for entry in pledge["history"] if entry["field"] != "pledge"}
    assert set(changes) == {"condition", "deadline", "status"}
    for entry in changes.values():
        assert entry["effective_on"] == "2021-05-28"
        assert entry["evidence_id"] == 1
        assert entry["reason"] == "condition met: Protocol signed"
    assert changes["status"]["old"] == "conditional" and changes["status"]["new"] == "pending"
    assert changes["deadline"]["old"]["date"] is None and changes["deadline"]["new"]["date"] == "2021-11-28"
    # replayed by effective date
    before = as_json(invoke("list", "--json", "--as-of", "2021-05-27"))[0]
    assert (before["status"], before["deadline"]["date"], before["condition"]["met_on"]) == ("conditional", None, None)
    assert as_json(invoke("list", "--json", "--as-of", "2021-11-28"))[0]["overdue"] is False
    assert list_ids(invoke, "--overdue", "--as-of", "2021-11-29") == [1]
    # a condition is met once
    assert "was already met on 2021-05-28" in error_line(invoke("evidence", "add", "1", "Again", "--meets-condition"))


def test_meets_condition_on_a_pending_pledge_keeps_its_status(add: Add, invoke: Invoke) -> None:
    add(
        "T",
        "--made-on",
        "2021-04-07",
        "--condition",
        "if funded",
        "--status",
        "in_progress",
        "-d",
        "90 days after condition",
    )
    assert ok(invoke("evidence", "add", "1", "Funded", "--date", "2021-06-01", "--meets-condition")).stdout == (
        "evidence 1 added to pledge 1; condition met\n"
    )
    pledge = show(invoke)
    assert pledge["status"] == "in_progress"
    assert pledge["deadline"]["date"] == "2021-08-30"


def test_quantities_reaching_the_target_fulfil_the_pledge_from_the_day_the_total_was_reached(
    add: Add, invoke: Invoke
) -> None:
    add("Provide doses", "--made-on", "2021-04-07", "--target", "150000 doses", "-d", "within six months")
    assert ok(invoke("evidence", "add", "1", "Big batch", "--date", "2021-09-01", "-q", "100000 doses")).stdout == (
        "evidence 1 added to pledge 1\n"
    )
    assert show(invoke)["status"] == "pending"
    # recorded later, observed earlier: the running total reaches 150000 on 2021-09-01
    result = ok(invoke("evidence", "add", "1", "Small batch", "--date", "2021-05-01", "-q", "60,000 Dose"))
    assert result.stdout == "evidence 2 added to pledge 1; target reached, now fulfilled\n"
    pledge = show(invoke)
    assert pledge["status"] == "fulfilled"
    assert pledge["progress"] == pytest.approx(160 / 150, abs=1e-4)
    [entry] = [entry for entry in pledge["history"] if entry["field"] == "status"]
    assert (entry["old"], entry["new"], entry["effective_on"], entry["evidence_id"]) == (
        "pending",
        "fulfilled",
        "2021-09-01",
        2,
    )
    assert "reached the target (160,000 doses of 150,000 doses)" in entry["reason"]
    assert as_json(invoke("list", "--json", "--as-of", "2021-08-31"))[0]["status"] == "pending"
    assert as_json(invoke("list", "--json", "--as-of", "2021-09-01"))[0]["status"] == "fulfilled"
    assert list_ids(invoke, "--overdue") == []


def test_an_earlier_item_alone_can_reach_the_target(add: Add, invoke: Invoke) -> None:
    add("Provide doses", "--made-on", "2021-04-07", "--target", "150000 doses")
    ok(invoke("evidence", "add", "1", "Later batch", "--date", "2021-09-01", "-q", "100000 doses"))
    ok(invoke("evidence", "add", "1", "Everything at once", "--date", "2021-05-01", "-q", "150000 doses"))
    [entry] = [entry for entry in history(invoke) if entry["field"] == "status"]
    assert entry["effective_on"] == "2021-05-01"


def test_evidence_observed_before_the_pledge_takes_effect_on_the_day_it_was_made(add: Add, invoke: Invoke) -> None:
    add("Provide doses", "--made-on", "2021-04-07", "--target", "10 doses")
    ok(invoke("evidence", "add", "1", "Already delivered", "--date", "2021-03-01", "-q", "10 doses"))
    [entry] = [entry for entry in history(invoke) if entry["field"] == "status"]
    assert entry["effective_on"] == "2021-04-07"


@pytest.mark.parametrize(
    "options",
    [
        ["-q", "200000 doses", "--stance", "contradicts"],
        ["-q", "200000 doses", "--stance", "context"],
        ["-q", "200000 vials"],
        ["-q", "149999 doses"],
    ],
)
def test_quantities_that_do_not_count_towards_the_target(options: list[str], add: Add, invoke: Invoke) -> None:
    add("Provide doses", "--made-on", "2021-04-07", "--target", "150000 doses")
    printed = ok(invoke("evidence", "add", "1", "News", "--date", "2021-06-01", *options)).stdout
    assert printed.startswith("evidence 1 added to pledge 1")
    # Another unit is said not to count, so the analyst sees why progress did not move.
    assert ("not the target's unit" in printed) == ("vials" in options[1])
    assert show(invoke)["status"] == "pending"


def test_a_closed_pledge_is_not_fulfilled_by_quantities(add: Add, invoke: Invoke) -> None:
    add("Provide doses", "--made-on", "2021-04-07", "--target", "10 doses", "--status", "withdrawn")
    ok(invoke("evidence", "add", "1", "Delivered anyway", "--date", "2021-06-01", "-q", "10 doses"))
    assert show(invoke)["status"] == "withdrawn"


def test_superseded_quantities_no_longer_count(add: Add, invoke: Invoke) -> None:
    add("Provide doses", "--made-on", "2021-04-07", "--target", "100 doses")
    ok(invoke("evidence", "add", "1", "Misreported", "--date", "2021-06-01", "-q", "60 doses"))
    ok(invoke("evidence", "add", "1", "Corrected", "--date", "2021-06-02", "-q", "6 doses", "--supersedes", "1"))
    ok(invoke("evidence", "add", "1", "More", "--date", "2021-07-01", "-q", "50 doses"))
    pledge = show(invoke)
    assert pledge["status"] == "pending"
    assert pledge["progress"] == pytest.approx(0.56)


def test_evidence_with_a_status_sets_it_on_the_evidence_date(add: Add, invoke: Invoke) -> None:
    add("Provide doses", "--made-on", "2021-04-07", "--target", "10 doses")
    result = ok(
        invoke(
            "evidence", "add", "1", "Half delivered", "--date", "2021-06-01", "-q", "10 doses", "--status", "partial"
        )
    )
    assert result.stdout == "evidence 1 added to pledge 1; status set to partial\n"
    [entry] = [entry for entry in history(invoke) if entry["field"] == "status"]
    assert (entry["new"], entry["effective_on"], entry["evidence_id"]) == ("partial", "2021-06-01", 1)


# status and log -------------------------------------------------------------------------------


def test_status_with_a_date(add: Add, invoke: Invoke) -> None:
    add("Gas deal", "--made-on", "2021-04-07")
    assert ok(
        invoke("status", "1", "broken", "--date", "30 May 2024", "--note", "no deal was ever finalised")
    ).stdout == ("pledge 1: broken\n")
    [entry] = [entry for entry in history(invoke) if entry["field"] == "status"]
    assert (entry["old"], entry["new"]) == ("pending", "broken")
    assert entry["effective_on"] == "2024-05-30"
    assert entry["recorded_at"] == "2026-11-29T12:00:00Z"
    assert entry["reason"] == "no deal was ever finalised"
    assert as_json(invoke("list", "--json", "--as-of", "2024-05-29"))[0]["status"] == "pending"
    assert as_json(invoke("list", "--json", "--as-of", "2024-05-30"))[0]["status"] == "broken"


def test_status_defaults_to_today(add: Add, invoke: Invoke) -> None:
    add("T", "--made-on", "2021-04-07")
    ok(invoke("status", "1", "stalled"))
    [entry] = [entry for entry in history(invoke) if entry["field"] == "status"]
    assert (entry["effective_on"], entry["reason"]) == ("2026-11-29", "status set to stalled")


def test_log_is_oldest_first_by_effective_date(add: Add, invoke: Invoke) -> None:
    add("Gas deal", "--made-on", "2021-04-07", "-d", "2023")
    ok(invoke("status", "1", "in_progress", "--date", "2023-01-01", "--note", "talks resumed"))
    ok(invoke("edit", "1", "--deadline", "end of 2024", "--date", "2022-06-01", "--reason", "new timetable"))
    ok(invoke("edit", "1", "--title", "Gas pipeline deal", "--date", "2021-09-01"))
    lines = ok(invoke("log", "1")).stdout.splitlines()
    assert lines[0] == HISTORY_HEADER
    assert [line.split("\t")[0] for line in lines[1:]] == ["2021-04-07", "2021-09-01", "2022-06-01", "2023-01-01"]
    assert lines[1] == "2021-04-07\t2026-11-29T12:00:00Z\tpledge\t—\tpending\tpledge recorded"
    assert lines[3] == (
        "2022-06-01\t2026-11-29T12:00:00Z\tdeadline\t2023-12-31 (2023)\t2024-12-31 (end of 2024)\tnew timetable"
    )
    assert lines[4] == "2023-01-01\t2026-11-29T12:00:00Z\tstatus\tpending\tin_progress\ttalks resumed"
    entries = as_json(invoke("log", "1", "--json"))
    assert [entry["effective_on"] for entry in entries] == ["2021-04-07", "2021-09-01", "2022-06-01", "2023-01-01"]


def test_log_names_the_evidence_behind_a_change(add: Add, invoke: Invoke) -> None:
    add("T", "--made-on", "2021-04-07", "--target", "5 tanks")
    ok(invoke("evidence", "add", "1", "Tanks arrive", "--date", "2021-05-01", "-q", "5 tanks"))
    last = ok(invoke("log", "1")).stdout.splitlines()[-1]
    assert last.startswith("2021-05-01\t2026-11-29T12:00:00Z\tstatus\tpending\tfulfilled\t")
    assert last.endswith("(evidence 1)")


# bad input: exit 1, one line, no traceback, the store untouched ----------------------------------------


@pytest.fixture
def one_pledge(add: Add, invoke: Invoke) -> None:
    add("Provide doses", "--made-on", "2021-04-07", "-d", "within six months", "--target", "100 doses")
    ok(invoke("evidence", "add", "1", "First", "--date", "2021-05-01", "-q", "10 doses"))


BAD_INPUT = [
    (["add", "", "-a", "Russia"], "the title is empty"),
    (["add", "   ", "-a", "Russia"], "the title is empty"),
    (["add", "T"], "a pledge needs at least one actor"),
    (["add", "T", "-a", " "], "a pledge needs at least one actor"),
    (["add", "T", "-a", "A", "--status", "done"], "unknown status 'done'; accepted: pending, conditional, in_progress"),
    (["add", "T", "-a", "A", "--category", "sports"], "unknown category 'sports'; accepted: defence, security, trade"),
    (["add", "T", "-a", "A", "--target", "lots"], "'lots' is not a quantity"),
    (["add", "T", "-a", "A", "--target", "0 doses"], "'0 doses' is not a quantity"),
    (["add", "T", "-a", "A", "--target", ""], "is not a quantity"),
    (["add", "T", "-a", "A", "--made-on", "someday"], "'someday' is not a date; accepted forms: 2021-04-07"),
    (["add", "T", "-a", "A", "--made-on", "2021-02-30"], "not a real calendar date"),
    (["add", "T", "-a", "A", "--made-on", "2026-11-30"], "the date the pledge was made 2026-11-30 is in the future"),
    (["add", "T", "-a", "A", "--deadline", "soon"], "'soon' is not a deadline; accepted forms: 2021-12-31"),
    (["add", "T", "-a", "A", "--deadline", ""], "the deadline is empty"),
    (["add", "T", "-a", "A", "-d", "6 months after condition"], "counts from a condition; give the condition"),
    (["add", "T", "-a", "A", "--source", "example.org"], "'example.org' is not a web address"),
    (["add", "T", "-a", "A", "--source", "http://[::1"], "is not a web address"),
    (["evidence", "add", "1", ""], "the evidence summary is empty"),
    (["evidence", "add", "1", "x", "--date", "2026-11-30"], "the evidence date 2026-11-30 is in the future"),
    (["evidence", "add", "1", "x", "--date", "last week"], "'last week' is not a date"),
    (["evidence", "add", "1", "x", "--quantity", "some doses"], "'some doses' is not a quantity"),
    (
        ["evidence", "add", "1", "x", "--stance", "neutral"],
        "unknown stance 'neutral'; accepted: supports, contradicts, context",
    ),
    (["evidence", "add", "1", "x", "--status", "kept"], "unknown status 'kept'; accepted:"),
    (["evidence", "add", "1", "x", "--source", "ftp://example.org"], "is not a web address"),
    (["evidence", "add", "1", "x", "--supersedes", "99"], "pledge 1 has no evidence 99 to supersede"),
    (["evidence", "add", "1", "x", "--meets-condition"], "pledge 1 has no condition to meet"),
    (["evidence", "add", "99", "x"], "no pledge with id 99"),
    (["evidence", "list", "99"], "no pledge with id 99"),
    (["show", "99"], "no pledge with id 99"),
    (["show", "abc"], "give an id or at least 4 characters of a uuid"),
    (["show", "²"], "no pledge matches '²'"),
    (["show", "1", "--as-of", "whenever"], "'whenever' is not a date"),
    (["log", "99"], "no pledge with id 99"),
    (["rm", "99", "--yes"], "no pledge with id 99"),
    (["rm", "99"], "no pledge with id 99"),
    (["edit", "99", "--title", "x"], "no pledge with id 99"),
    (["edit", "1"], "nothing to change"),
    (["edit", "1", "--title", " "], "the title is empty"),
    (["edit", "1", "--actor", ""], "a pledge needs at least one actor"),
    (["edit", "1", "--deadline", "by and by"], "is not a deadline; accepted forms"),
    (["edit", "1", "--category", "misc"], "unknown category 'misc'"),
    (["edit", "1", "--target", "ten doses"], "is not a quantity"),
    (["edit", "1", "--made-on", "2027-01-01"], "is in the future"),
    (["edit", "1", "--title", "y", "--date", "2026-12-01"], "the date of the change 2026-12-01 is in the future"),
    (["edit", "1", "--title", "y", "--date", "sometime"], "'sometime' is not a date"),
    (["edit", "1", "--source", "not a url"], "is not a web address"),
    (["status", "1", "done"], "unknown status 'done'; accepted: pending, conditional, in_progress, stalled, partial"),
    (["status", "1", "pending"], "pledge 1 is already pending"),
    (["status", "1", "broken", "--date", "2026-11-30"], "the date of the change 2026-11-30 is in the future"),
    (["status", "1", "broken", "--date", "2021-04-06"], "before the pledge was made (2021-04-07)"),
    (["status", "1", "broken", "--date", "yesteryear"], "'yesteryear' is not a date"),
    (["status", "99", "broken"], "no pledge with id 99"),
    (["list", "--status", "overdue"], "unknown status 'overdue'"),
    (["list", "--category", "sport"], "unknown category 'sport'"),
    (["list", "--as-of", "2021-13-01"], "not a real calendar date"),
    # user text with newlines is quoted on one line
    (["add", "T", "-a", "A", "--deadline", "soon\nor later"], "'soon or later' is not a deadline"),
    (["add", "T", "-a", "A", "--status", "kept\nmostly"], "unknown status 'kept mostly'"),
    (["add", "T", "-a", "A", "--target", "lots\nof doses"], "'lots of doses' is not a quantity"),
    (["add", "T", "-a", "A", "--source", "http://example.org/\nx"], "'http://example.org/ x' is not a web address"),
    (["evidence", "add", "1", "x", "--date", "1\n2"], "'1 2' is not a date"),
    (["show", "no\nsuch"], "no pledge matches 'no such'"),
]


@pytest.mark.usefixtures("one_pledge")
@pytest.mark.parametrize(("args", "message"), BAD_INPUT, ids=[" ".join(args) for args, _ in BAD_INPUT])
def test_bad_input_exits_1_with_one_line_and_leaves_the_store_alone(
    args: list[str], message: str, invoke: Invoke, isolated_store: Path
) -> None:
    before = isolated_store.read_bytes(), backup_path(isolated_store).read_bytes()
    line = error_line(invoke(*args))
    assert message in line
    assert (isolated_store.read_bytes(), backup_path(isolated_store).read_bytes()) == before


def test_bad_input_on_an_empty_store_creates_no_file(invoke: Invoke, isolated_store: Path) -> None:
    error_line(invoke("add", "", "-a", "A"))
    error_line(invoke("show", "1"))
    assert not isolated_store.exists()
    assert not backup_path(isolated_store).exists()


def test_bad_tracker_now(invoke: Invoke, monkeypatch: pytest.MonkeyPatch, isolated_store: Path) -> None:
    monkeypatch.setenv("TRACKER_NOW", "next tuesday")
    assert "TRACKER_NOW='next tuesday' is not an ISO date or time" in error_line(invoke("add", "T", "-a", "A"))
    assert not isolated_store.exists()


USAGE_ERRORS = [
    ["bogus"],
    ["list", "--bogus"],
    ["add"],
    ["add", "T", "--actor"],
    ["show"],
    ["status", "1"],
    ["rm"],
    ["evidence"],
    ["evidence", "bogus"],
    ["evidence", "add", "1"],
    ["evidence", "add", "1", "x", "--supersedes", "abc"],
    ["list", "--overdue=maybe"],
]


@pytest.mark.usefixtures("one_pledge")
@pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
def test_usage_errors_exit_2(args: list[str], invoke: Invoke, isolated_store: Path) -> None:
    before = isolated_store.read_bytes()
    result = invoke(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    assert "Error: " in result.stderr or result.stderr.startswith("Usage: tracker")  # a bare group prints its help
    assert isolated_store.read_bytes() == before


def test_no_arguments_shows_help(invoke: Invoke) -> None:
    result = invoke()
    assert result.exit_code == 2
    assert "Commands" in result.stdout + result.stderr


# user text is data: rich markup in titles prints whole ------------------------------------------------

ANSI = re.compile(r"\x1b\[([0-9;]*)m")
MARKUP_TITLE = "Cut taxes [citation needed]"


def colour_codes(text: str) -> list[str]:
    """SGR parameters that set a colour (30-38, 40-48, 90-97, 100-107), ignoring bold and the like."""
    found = []
    for params in ANSI.findall(text):
        for param in params.split(";"):
            if param.isdigit() and (30 <= int(param) <= 48 or 90 <= int(param) <= 107):
                found.append(param)
    return found


@pytest.fixture
def markup_store(add: Add, invoke: Invoke) -> None:
    add(MARKUP_TITLE, "-a", "Ministry [of] Finance", "--made-on", "2021-04-07", "-d", "2021",
        "--target", "5 doses [approx]", "--text", "[b]no[/b] new taxes", "--notes", "[red]check[/red]")  # fmt: skip
    ok(
        invoke(
            "evidence", "add", "1", "Budget [bold]tabled[/bold] [/]", "--date", "2021-06-01", "-q", "2 doses [approx]"
        )
    )
    ok(invoke("status", "1", "stalled", "--date", "2021-07-01", "--note", "stuck [in committee]"))


MARKUP_COMMANDS = [["list"], ["show", "1"], ["evidence", "list", "1"], ["log", "1"]]
MARKUP_TEXTS = {
    "list": [MARKUP_TITLE, "Ministry [of] Finance"],
    "show": [MARKUP_TITLE, "Ministry [of] Finance", "5 doses [approx]", "[b]no[/b] new taxes", "[red]check[/red]",
             "Budget [bold]tabled[/bold] [/]", "2 doses [approx]"],
    "evidence": ["Budget [bold]tabled[/bold] [/]", "2 doses [approx]"],
    "log": [MARKUP_TITLE, "stuck [in committee]"],
}  # fmt: skip


@pytest.mark.usefixtures("markup_store")
@pytest.mark.parametrize("command", MARKUP_COMMANDS, ids=" ".join)
def test_markup_in_user_text_prints_whole_when_piped(command: list[str], invoke: Invoke) -> None:
    output = ok(invoke(*command)).stdout
    assert not ANSI.search(output)
    for text in MARKUP_TEXTS[command[0]]:
        if command[0] == "log" and text == MARKUP_TITLE:
            continue  # the piped log is only the history lines
        assert text in output


@pytest.mark.usefixtures("markup_store")
@pytest.mark.parametrize(
    "force", [{"TTY_COMPATIBLE": "1"}, {"FORCE_COLOR": "1"}], ids=["TTY_COMPATIBLE", "FORCE_COLOR"]
)
@pytest.mark.parametrize("command", MARKUP_COMMANDS, ids=" ".join)
def test_markup_in_user_text_prints_whole_on_a_terminal(
    command: list[str], force: dict[str, str], invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    for name, value in force.items():
        monkeypatch.setenv(name, value)
    output = ok(invoke(*command)).stdout
    assert "━" in output  # rich drew a table: this is the terminal rendering, not the piped lines
    assert colour_codes(output)
    plain = ANSI.sub("", output)
    for text in MARKUP_TEXTS[command[0]]:
        assert text in plain


@pytest.mark.usefixtures("markup_store")
@pytest.mark.parametrize("command", MARKUP_COMMANDS, ids=" ".join)
def test_no_color_gives_no_colour_codes(command: list[str], invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    output = ok(invoke(*command)).stdout
    assert "━" in output
    assert colour_codes(output) == []
    for text in MARKUP_TEXTS[command[0]]:
        assert text in ANSI.sub("", output)


def test_markup_in_an_error_message_prints_whole(invoke: Invoke) -> None:
    line = error_line(invoke("add", "T", "-a", "A", "--deadline", "[bold]soon[/bold] [/]"))
    assert "'[bold]soon[/bold] [/]' is not a deadline" in line


def test_empty_listings_on_a_terminal(add: Add, invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    assert "No pledges match." in ok(invoke("list")).stdout
    add("T")
    assert "No evidence for pledge 1 yet." in ok(invoke("evidence", "list", "1")).stdout


# golden files for the documented JSON shapes --------------------------------------------------------


@pytest.fixture
def golden_store(add: Add, invoke: Invoke) -> None:
    """A small fixed store: a fulfilled pledge with quantities, a conditional one met and then broken,
    an overdue one with markup in its title, and a removed one (its id is not reused)."""
    add("Provide 150,000 more Covid-19 vaccine doses", "-a", "Russia", "-r", "Pakistan", "--made-on", "2021-04-07",
        "-d", "within six months", "--target", "150000 doses", "-c", "health", "-t", "covid",
        "--source", "https://example.org/report", "--source-title", "Joint statement", "--publisher", "MoFA",
        "--text", "we intend to provide 150,000 more", "--venue", "talks in Islamabad")  # fmt: skip
    ok(invoke("evidence", "add", "1", "First 50,000 doses arrive", "--date", "2021-06-01", "-q", "50000 doses"))
    ok(invoke("evidence", "add", "1", "100,000 more doses arrive", "--date", "2021-09-01", "-q", "100,000 doses",
              "--source", "https://example.org/doses"))  # fmt: skip
    add("Build the Pakistan Stream gas pipeline", "-a", "Russia", "-a", "Pakistan", "--made-on", "2021-04-07",
        "--condition", "once the shareholder agreement is signed", "-d", "6 months after condition",
        "-c", "energy")  # fmt: skip
    ok(invoke("evidence", "add", "2", "Agreement signed", "--date", "2021-05-28", "--meets-condition"))
    ok(invoke("status", "2", "broken", "--date", "2024-05-30", "--note", "no commercial deal was finalised"))
    add("Temporary", "-a", "Nobody")
    ok(invoke("rm", "3", "--yes"))
    add(MARKUP_TITLE, "-a", "Pakistan", "--made-on", "2022-01-10", "-d", "Q3 2022", "-t", "tax")


def normalised(text: str, invoke: Invoke) -> str:
    """Replace each pledge's random uuid by a stable name; times are already fixed by TRACKER_NOW."""
    for record in as_json(invoke("list", "--json")):
        text = text.replace(record["uuid"], f"uuid-of-pledge-{record['id']}")
    return text


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run UPDATE_GOLDEN=1 pytest tests/test_cli.py to create it"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; if on purpose, run UPDATE_GOLDEN=1 pytest"


@pytest.mark.usefixtures("golden_store")
def test_golden_list_json(invoke: Invoke) -> None:
    output = normalised(ok(invoke("list", "--json")).stdout, invoke)
    check_golden("list.json", output)
    records = json.loads(output)
    assert [(record["id"], record["status"], record["overdue"]) for record in records] == [
        (1, "fulfilled", False),
        (2, "broken", False),
        (4, "pending", True),
    ]


@pytest.mark.usefixtures("golden_store")
@pytest.mark.parametrize(("name", "reference"), [("show.json", "1"), ("show-conditional.json", "2")])
def test_golden_show_json(name: str, reference: str, invoke: Invoke) -> None:
    output = normalised(ok(invoke("show", reference, "--json")).stdout, invoke)
    check_golden(name, output)
    detail = json.loads(output)
    assert detail["id"] == int(reference)
    assert detail["evidence"] and detail["history"]


@pytest.mark.parametrize("name", ["list.json", "show.json", "show-conditional.json"])
def test_golden_files_hold_the_documented_fields(name: str) -> None:
    document = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
    for record in document if isinstance(document, list) else [document]:
        assert set(record) >= PLEDGE_FIELDS
        for item in record.get("evidence", []):
            assert set(item) >= EVIDENCE_FIELDS
        for entry in record.get("history", []):
            assert set(entry) >= HISTORY_FIELDS
