"""The store's guarantees, on real TinyDB files: refuse damage, keep a backup, never reuse an id,
lock across processes, resolve uuid prefixes."""

from __future__ import annotations

import functools
import json
import os
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from filelock import FileLock
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.errors import BadInputError, NotFoundError, StoreDamagedError, StoreError, StoreVersionError
from tracker.ledger import Clock, PledgeEdit, add_evidence, add_pledge, edit_pledge, remove_pledge
from tracker.migrations import SCHEMA_VERSION
from tracker.store import Store, backup_path, check_shape, lock_path

CLOCK = Clock.at(datetime(2026, 11, 29, 12, tzinfo=UTC))
TRACKER = Path(sys.executable).parent / "tracker"


def seed(store: Store, count: int = 2) -> None:
    """Real records written by the library, one transaction per pledge (so a backup exists)."""
    for number in range(1, count + 1):
        with store.transaction() as session:
            pledge = add_pledge(
                session,
                CLOCK,
                title=f"Pledge {number}",
                actors=["Russia"],
                made_on=datetime(2021, 4, 7).date(),
                deadline="within six months",
                target="150000 doses",
            )
            add_evidence(session, CLOCK, str(pledge.id), "A first delivery", quantity="50000 doses")


@functools.cache
def valid_store_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "pledges.json")
        seed(store, 3)
        return store.path.read_bytes()


def tables() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(valid_store_bytes())
    return loaded


def with_meta(**changes: Any) -> bytes:
    data = tables()
    data["_meta"]["1"].update(changes)
    return json.dumps(data).encode()


def changed(mutate: Callable[[dict[str, Any]], None]) -> bytes:
    data = tables()
    mutate(data)
    return json.dumps(data).encode()


DAMAGED: dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "blank": lambda: b"  \n\n",
    "truncated": lambda: valid_store_bytes()[: len(valid_store_bytes()) // 2],
    "truncated-last-brace": lambda: valid_store_bytes().rstrip()[:-1],
    "invalid-json": lambda: b"{not json at all",
    "binary": lambda: b"\x00\xff\xfe garbage",
    "nul-bytes": lambda: b"\x00" * 64,
    "top-level-array": lambda: b"[]",
    "top-level-string": lambda: b'"pledges"',
    "no-meta": lambda: changed(lambda data: data.pop("_meta")),
    "meta-not-object": lambda: changed(lambda data: data.update({"_meta": {"1": []}})),
    "no-schema-version": lambda: changed(lambda data: data["_meta"]["1"].pop("schema_version")),
    "schema-version-text": lambda: with_meta(schema_version="1"),
    "schema-version-bool": lambda: with_meta(schema_version=True),
    "no-next-ids": lambda: changed(lambda data: data["_meta"]["1"].pop("next_ids")),
    "next-ids-incomplete": lambda: with_meta(next_ids={"pledges": 9}),
    "table-is-array": lambda: changed(lambda data: data.update({"pledges": []})),
    "record-key-not-a-number": lambda: changed(lambda data: data["pledges"].update({"abc": {}})),
    "record-key-superscript": lambda: changed(lambda data: data["pledges"].update({"²": {}})),
    "record-key-leading-zero": lambda: changed(lambda data: data["pledges"].update({"01": data["pledges"]["1"]})),
    "record-not-object": lambda: changed(lambda data: data["evidence"].update({"1": "x"})),
    "record-beyond-next-ids": lambda: with_meta(next_ids={"pledges": 2, "evidence": 9, "history": 99}),
    "pledge-missing-fields": lambda: changed(lambda data: data["pledges"]["1"].pop("uuid")),
    "pledge-bad-date": lambda: changed(lambda data: data["pledges"]["1"].update({"made_on": "yesterday"})),
    "pledge-bad-status": lambda: changed(lambda data: data["pledges"]["2"].update({"status": "done"})),
    "pledge-deadline-not-object": lambda: changed(lambda data: data["pledges"]["1"].update({"deadline": "soon"})),
    "evidence-missing-pledge-id": lambda: changed(lambda data: data["evidence"]["1"].pop("pledge_id")),
    "history-missing-field": lambda: changed(lambda data: data["history"]["1"].pop("field")),
}


def test_the_valid_store_used_below_is_valid() -> None:
    assert check_shape(tables()) is None
    assert len(tables()["pledges"]) == 3


def test_a_missing_file_is_a_new_empty_store_and_reading_does_not_create_it(lib_store: Store) -> None:
    session = lib_store.snapshot()
    assert session.pledges() == []
    assert session.meta["schema_version"] == SCHEMA_VERSION
    assert not lib_store.path.exists()


@pytest.mark.parametrize("kind", sorted(DAMAGED))
def test_damaged_store_is_refused_and_left_as_it_is(kind: str, lib_store: Store) -> None:
    damage = DAMAGED[kind]()
    lib_store.path.write_bytes(damage)
    with pytest.raises(StoreDamagedError) as caught:
        lib_store.snapshot()
    message = str(caught.value)
    assert str(lib_store.path) in message
    assert "damaged" in message
    assert str(backup_path(lib_store.path)) in message
    ran = False
    with pytest.raises(StoreDamagedError), lib_store.transaction():
        ran = True
    assert not ran
    assert lib_store.path.read_bytes() == damage
    assert not backup_path(lib_store.path).exists()


def test_newer_schema_is_refused(lib_store: Store) -> None:
    newer = with_meta(schema_version=SCHEMA_VERSION + 1)
    lib_store.path.write_bytes(newer)
    with pytest.raises(StoreVersionError) as caught:
        lib_store.snapshot()
    message = str(caught.value)
    assert f"schema version {SCHEMA_VERSION + 1}" in message
    assert "upgrade tracker" in message
    assert str(backup_path(lib_store.path)) in message
    with pytest.raises(StoreVersionError), lib_store.transaction():
        pass
    assert lib_store.path.read_bytes() == newer


def test_store_that_is_a_folder_is_a_store_error(lib_store: Store) -> None:
    lib_store.path.mkdir()
    with pytest.raises(StoreError, match="is a folder"):
        lib_store.snapshot()


# the same through the CLI: exit 3, one line naming the backup, nothing touched ---------------

COMMANDS = [
    ["list"],
    ["list", "--json"],
    ["show", "1"],
    ["show", "1", "--json"],
    ["log", "1"],
    ["evidence", "list", "1"],
    ["add", "New pledge", "--actor", "China"],
    ["edit", "1", "--title", "Renamed"],
    ["rm", "1", "--yes"],
    ["status", "1", "broken"],
    ["evidence", "add", "1", "Something happened", "--date", "2022-01-01"],
]
CLI_DAMAGE = [
    "empty",
    "truncated",
    "invalid-json",
    "top-level-array",
    "record-beyond-next-ids",
    "pledge-missing-fields",
]


@pytest.fixture
def store_with_backup(add: Callable[..., int], isolated_store: Path) -> Path:
    add("First pledge", "--made-on", "2021-04-07")
    add("Second pledge", "--made-on", "2021-04-07")
    assert backup_path(isolated_store).exists()
    return isolated_store


def assert_store_error(result: Any, *expected: str) -> None:
    assert result.exit_code == 3, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tracker: error: store ")
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in lines[0]


@pytest.mark.parametrize("kind", CLI_DAMAGE)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_damaged_store_exits_3_through_the_cli(
    command: list[str], kind: str, store_with_backup: Path, invoke: Callable[..., Any]
) -> None:
    backup = backup_path(store_with_backup)
    backup_before = backup.read_bytes()
    damage = DAMAGED[kind]()
    store_with_backup.write_bytes(damage)
    result = invoke(*command)
    assert_store_error(result, "damaged", f"the previous version is {backup}")
    assert store_with_backup.read_bytes() == damage
    assert backup.read_bytes() == backup_before
    assert not [path for path in store_with_backup.parent.iterdir() if path.name.endswith(".tmp")]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_damaged_store_without_backup_says_so(
    command: list[str], isolated_store: Path, invoke: Callable[..., Any]
) -> None:
    isolated_store.write_bytes(b"{")
    result = invoke(*command)
    assert_store_error(result, f"no backup exists ({backup_path(isolated_store)} is missing)")
    assert isolated_store.read_bytes() == b"{"
    assert not backup_path(isolated_store).exists()


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_newer_schema_exits_3_through_the_cli(
    command: list[str], store_with_backup: Path, invoke: Callable[..., Any]
) -> None:
    newer = with_meta(schema_version=SCHEMA_VERSION + 1)
    store_with_backup.write_bytes(newer)
    result = invoke(*command)
    assert_store_error(result, "newer than this tracker understands", str(backup_path(store_with_backup)))
    assert store_with_backup.read_bytes() == newer


@pytest.fixture(scope="module")
def truncation_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("truncated")


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_store_truncated_at_any_byte_is_refused(data: st.DataObject, truncation_folder: Path) -> None:
    raw = valid_store_bytes()
    # Cutting only the final newline leaves a whole JSON document; any earlier cut loses data.
    cut = data.draw(st.integers(min_value=0, max_value=len(raw) - 2), label="cut")
    path = truncation_folder / "pledges.json"
    path.write_bytes(raw[:cut])
    store = Store(path, lock_timeout=1)
    with pytest.raises(StoreDamagedError, match=r"pledges\.json\.bak"):
        store.snapshot()
    with pytest.raises(StoreDamagedError), store.transaction() as session:
        add_pledge(session, CLOCK, title="Would overwrite", actors=["X"])
    assert path.read_bytes() == raw[:cut]


# writes ---------------------------------------------------------------------------------------


def test_each_write_keeps_the_previous_version_as_backup(
    add: Callable[..., int], invoke: Callable[..., Any], isolated_store: Path
) -> None:
    backup = backup_path(isolated_store)
    add("First")
    assert not backup.exists()  # there was no previous version
    first = isolated_store.read_bytes()
    add("Second")
    assert backup.read_bytes() == first
    second = isolated_store.read_bytes()
    assert invoke("status", "2", "broken").exit_code == 0
    assert backup.read_bytes() == second
    third = isolated_store.read_bytes()
    assert invoke("evidence", "add", "1", "Delivered").exit_code == 0
    assert backup.read_bytes() == third
    assert invoke("rm", "1", "--yes").exit_code == 0
    assert backup_path(isolated_store).exists()
    assert not [path for path in isolated_store.parent.iterdir() if path.name.endswith(".tmp")]


def test_read_commands_do_not_write(add: Callable[..., int], invoke: Callable[..., Any], isolated_store: Path) -> None:
    add("First")
    add("Second")
    before = isolated_store.read_bytes(), backup_path(isolated_store).read_bytes(), isolated_store.stat().st_mtime_ns
    for command in (["list"], ["list", "--json"], ["show", "1"], ["log", "1"], ["evidence", "list", "2"]):
        assert invoke(*command).exit_code == 0
    after = isolated_store.read_bytes(), backup_path(isolated_store).read_bytes(), isolated_store.stat().st_mtime_ns
    assert after == before


def test_store_is_sorted_indented_json(
    add: Callable[..., int], invoke: Callable[..., Any], isolated_store: Path
) -> None:
    add("Café – déjà vu [citation needed]", "--actor", "Türkiye", "--tag", "z", "--tag", "a", "--target", "1.5 tonnes")
    invoke("evidence", "add", "1", "Délivré", "--quantity", "1 tonne")
    raw = isolated_store.read_bytes()
    text = raw.decode("utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert raw == orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    assert "Café – déjà vu [citation needed]" in text  # non-ASCII kept readable
    assert set(data) == {"_meta", "pledges", "evidence", "history", "changes"}
    assert data["_meta"]["1"]["schema_version"] == SCHEMA_VERSION
    assert data["pledges"]["1"]["tags"] == ["z", "a"]  # lists keep their order; only keys are sorted


def test_write_keeps_the_file_mode(add: Callable[..., int], isolated_store: Path) -> None:
    add("First")
    isolated_store.chmod(0o600)
    add("Second")
    assert stat.S_IMODE(isolated_store.stat().st_mode) == 0o600


def test_a_failed_command_writes_nothing(lib_store: Store) -> None:
    seed(lib_store, 2)
    before = lib_store.path.read_bytes()
    backup_before = backup_path(lib_store.path).read_bytes()
    with pytest.raises(BadInputError), lib_store.transaction() as session:
        add_pledge(session, CLOCK, title="Fine", actors=["A"])  # succeeds in memory...
        add_evidence(session, CLOCK, "1", "bad", quantity="lots")  # ...then the command fails
    assert lib_store.path.read_bytes() == before
    assert backup_path(lib_store.path).read_bytes() == backup_before
    assert [pledge.id for pledge in lib_store.snapshot().pledges()] == [1, 2]


def test_a_transaction_that_changes_nothing_does_not_write(lib_store: Store) -> None:
    seed(lib_store, 1)
    before = lib_store.path.stat().st_mtime_ns, lib_store.path.read_bytes()
    with lib_store.transaction() as session:
        session.pledges()
    assert (lib_store.path.stat().st_mtime_ns, lib_store.path.read_bytes()) == before


# ids ------------------------------------------------------------------------------------------


def test_ids_are_never_reused_after_rm(
    add: Callable[..., int], invoke: Callable[..., Any], isolated_store: Path
) -> None:
    assert [add("One"), add("Two"), add("Three")] == [1, 2, 3]
    assert invoke("evidence", "add", "3", "Something").stdout.startswith("evidence 1 ")
    assert invoke("rm", "3", "--yes").exit_code == 0
    assert add("Four") == 4
    assert invoke("rm", "4", "--yes").exit_code == 0
    assert invoke("rm", "1", "--yes").exit_code == 0
    assert add("Five") == 5
    assert invoke("evidence", "add", "2", "Something else").stdout.startswith("evidence 2 ")
    data = json.loads(isolated_store.read_text())
    assert sorted(data["pledges"], key=int) == ["2", "5"]
    assert list(data["evidence"]) == ["2"]
    history_ids = sorted(int(key) for key in data["history"])
    assert history_ids == list(range(1, len(history_ids) + 1))
    # rm keeps a full copy of the removed pledge and its evidence in the history
    removed = [entry for entry in data["history"].values() if entry["reason"] == "pledge removed"]
    assert {entry["pledge_id"] for entry in removed} == {1, 3, 4}
    snapshot = next(entry for entry in removed if entry["pledge_id"] == 3)["old"]
    assert snapshot["pledge"]["title"] == "Three"
    assert list(snapshot["evidence"]) == ["1"]


def test_ids_are_never_reused_across_processes(isolated_store: Path, tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TRACKER_DB": str(isolated_store),
        "TRACKER_NOW": "2026-11-29T12:00:00",
        "HOME": str(tmp_path),
    }

    def tracker(*args: str) -> str:
        done = subprocess.run([str(TRACKER), *args], env=env, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    script = (
        "set -e; T=$1; $T add One -a A; $T add Two -a A; $T rm 2 --yes; $T add Three -a A; $T rm 3 --yes; $T rm 1 --yes"
    )
    done = subprocess.run(
        ["bash", "-c", script, "bash", str(TRACKER)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["1", "2", "removed pledge 2", "3", "removed pledge 3", "removed pledge 1"]
    assert tracker("add", "Four", "-a", "A") == "4"
    data = json.loads(isolated_store.read_text())
    assert list(data["pledges"]) == ["4"]
    assert data["_meta"]["1"]["next_ids"]["pledges"] == 5


# uuid prefixes --------------------------------------------------------------------------------


@pytest.fixture
def known_uuids(add: Callable[..., int], isolated_store: Path) -> Path:
    for title in ("Alpha", "Beta", "Gamma"):
        add(title)
    data = json.loads(isolated_store.read_text())
    data["pledges"]["1"]["uuid"] = "abcd1111-0000-4000-8000-000000000001"
    data["pledges"]["2"]["uuid"] = "abcd2222-0000-4000-8000-000000000002"
    data["pledges"]["3"]["uuid"] = "12345678-0000-4000-8000-000000000003"
    isolated_store.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return isolated_store


@pytest.mark.parametrize(
    ("reference", "title"),
    [
        ("1", "Alpha"),
        ("2", "Beta"),
        ("  3 ", "Gamma"),
        ("003", "Gamma"),
        ("abcd1", "Alpha"),
        ("ABCD2", "Beta"),
        ("abcd1111-0000-4000-8000-000000000001", "Alpha"),
        ("1234", "Gamma"),  # not an id in use, so a uuid prefix
    ],
)
def test_resolve_by_id_or_uuid_prefix(
    reference: str, title: str, known_uuids: Path, invoke: Callable[..., Any]
) -> None:
    assert Store(known_uuids).snapshot().resolve(reference).title == title
    result = invoke("show", reference, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["title"] == title


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("abcd", "'abcd' matches 2 pledges; give more of the uuid"),
        ("abc", "give an id or at least 4 characters of a uuid"),
        ("ab", "give an id or at least 4 characters of a uuid"),
        ("ffff", "no pledge matches 'ffff'"),
        ("99", "no pledge with id 99"),
        ("0", "no pledge with id 0"),
        ("-1", "no pledge matches '-1'"),
        ("²", "no pledge matches '²'"),
        ("٣", "no pledge matches '٣'"),
        ("9" * 5000, "no pledge with id 999"),
        ("", "no pledge matches ''"),
    ],
)
def test_unresolvable_references_are_refused(
    reference: str, message: str, known_uuids: Path, invoke: Callable[..., Any]
) -> None:
    with pytest.raises(NotFoundError) as caught:
        Store(known_uuids).snapshot().resolve(reference)
    assert message in str(caught.value)
    before = known_uuids.read_bytes()
    # "--" so that "-1" is an argument, not an option
    for command in (
        ["show", "--", reference],
        ["edit", "--title", "X", "--", reference],
        ["rm", "--yes", "--", reference],
    ):
        result = invoke(*command)
        assert result.exit_code == 1, (command, result.stderr, result.exception)
        assert len(result.stderr.splitlines()) == 1
        assert message in result.stderr
    assert known_uuids.read_bytes() == before


# the lock -------------------------------------------------------------------------------------

WRITE_COMMANDS = [
    command
    for command in COMMANDS
    if command[0] in ("add", "edit", "rm", "status", "evidence") and command[1] != "list"
]


@pytest.mark.parametrize("command", WRITE_COMMANDS, ids=" ".join)
def test_write_command_gives_up_on_a_held_lock(
    command: list[str],
    add: Callable[..., int],
    invoke: Callable[..., Any],
    isolated_store: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add("First", "--made-on", "2021-04-07")
    before = isolated_store.read_bytes()
    monkeypatch.setenv("TRACKER_LOCK_TIMEOUT", "0.2")
    with FileLock(str(lock_path(isolated_store))):
        started = time.monotonic()
        result = invoke(*command)
        waited = time.monotonic() - started
    assert_store_error(result, "is locked by another tracker process", "waited 0.2 s", "TRACKER_LOCK_TIMEOUT")
    assert waited > 0.15  # it did wait for the lock before giving up
    assert isolated_store.read_bytes() == before
    assert invoke(*command).exit_code == 0  # once the lock is released the same command works


def test_read_commands_do_not_wait_for_the_lock(
    add: Callable[..., int], invoke: Callable[..., Any], isolated_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add("First")
    monkeypatch.setenv("TRACKER_LOCK_TIMEOUT", "0.2")
    with FileLock(str(lock_path(isolated_store))):
        for command in (["list"], ["show", "1", "--json"], ["log", "1"], ["evidence", "list", "1"]):
            assert invoke(*command).exit_code == 0


def test_lock_held_by_another_process(
    add: Callable[..., int], invoke: Callable[..., Any], isolated_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add("First")
    before = isolated_store.read_bytes()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from filelock import FileLock\n"
            "with FileLock(sys.argv[1]):\n    print('held', flush=True); time.sleep(30)",
            str(lock_path(isolated_store)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("TRACKER_LOCK_TIMEOUT", "0.2")
        result = invoke("add", "Second", "--actor", "A")
        assert_store_error(result, "is locked by another tracker process")
        assert isolated_store.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()
    assert invoke("add", "Second", "--actor", "A").stdout.strip() == "2"


@pytest.mark.parametrize("value", ["soon", "-1", ""])
def test_bad_lock_timeout(
    value: str, invoke: Callable[..., Any], isolated_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_LOCK_TIMEOUT", value)
    result = invoke("add", "A pledge", "--actor", "A")
    if value == "":  # unset or empty: the default
        assert result.exit_code == 0
        return
    assert result.exit_code == 1
    assert "TRACKER_LOCK_TIMEOUT" in result.stderr
    assert not isolated_store.exists()


# a random sequence of operations keeps the store valid and the ids unique ---------------------------

operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.text(min_size=1, max_size=12), st.booleans()),
        st.tuples(st.just("edit"), st.integers(0, 50), st.text(max_size=12)),
        st.tuples(st.just("evidence"), st.integers(0, 50), st.integers(0, 200_000)),
        st.tuples(st.just("rm"), st.integers(0, 50)),
        st.tuples(st.just("bad"), st.integers(0, 50)),
    ),
    max_size=14,
)


@pytest.fixture(scope="module")
def sequence_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sequences")


@settings(max_examples=40, deadline=None)
@given(ops=operations)
def test_random_operations_keep_ids_unique_and_the_file_valid(
    ops: list[tuple[Any, ...]], sequence_folder: Path
) -> None:
    folder = Path(tempfile.mkdtemp(dir=sequence_folder))
    store = Store(folder / "pledges.json", lock_timeout=1)
    present: dict[str, set[int]] = {"pledges": set(), "evidence": set(), "history": set()}
    highest = dict.fromkeys(present, 0)
    alive: list[int] = []
    for op in ops:
        before = store.path.read_bytes() if store.path.exists() else None
        try:
            with store.transaction() as session:
                if op[0] == "add":
                    pledge = add_pledge(
                        session, CLOCK, title=op[1], actors=["A"], target="1000 doses" if op[2] else None
                    )
                    alive.append(pledge.id)
                elif not alive:
                    continue
                elif op[0] == "edit":
                    edit_pledge(session, CLOCK, str(alive[op[1] % len(alive)]), PledgeEdit(notes=op[2]))
                elif op[0] == "evidence":
                    quantity = f"{op[2]} doses" if op[2] else None
                    add_evidence(session, CLOCK, str(alive[op[1] % len(alive)]), "delivery", quantity=quantity)
                elif op[0] == "rm":
                    alive.remove(remove_pledge(session, CLOCK, str(alive[op[1] % len(alive)])).id)
                else:
                    add_evidence(session, CLOCK, str(alive[op[1] % len(alive)]), "bad", quantity="lots")
        except BadInputError:
            if op[0] == "add":
                continue  # a blank title is refused
            assert op[0] in ("bad", "edit") or (op[0] == "evidence"), op
            assert (store.path.read_bytes() if store.path.exists() else None) == before
            continue
        if not store.path.exists():
            continue
        data = json.loads(store.path.read_bytes())
        assert check_shape(data) is None
        for table, previous in present.items():
            ids = {int(key) for key in data[table]}
            new = ids - previous
            assert not new or min(new) > highest[table], f"{table} id reused"
            assert all(value < data["_meta"]["1"]["next_ids"][table] for value in ids)
            highest[table] = max([highest[table], *ids])
            present[table] = ids
        assert sorted(int(key) for key in data["pledges"]) == sorted(alive)
        assert {record["pledge_id"] for record in data["evidence"].values()} <= set(alive)
        assert len({record["uuid"] for record in data["pledges"].values()}) == len(alive)
        snapshot = store.snapshot()
        assert [pledge.id for pledge in snapshot.pledges()] == [int(key) for key in data["pledges"]]


def test_doctor_on_a_path_with_no_store_says_there_is_none(invoke: Callable[..., Any], tmp_path: Path) -> None:
    missing = tmp_path / "typo.json"
    result = invoke("--db", str(missing), "doctor")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"no store at {missing} yet: an empty store is sound"
    assert not missing.exists()


def test_a_write_whose_encoding_fails_leaves_the_store_and_its_folder_as_they_were(tmp_path: Path) -> None:
    """The file is encoded a table at a time as it is written, so encoding fails mid-write."""
    store = Store(tmp_path / "pledges.json")
    seed(store)
    before, names = store.path.read_bytes(), sorted(path.name for path in tmp_path.iterdir())
    with pytest.raises(StoreError, match=r"cannot be written as JSON .*64-bit"), store.transaction() as session:
        session.put_record("evidence", 99, {"pledge_id": 1, "count": 2**70})
    assert store.path.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == names
