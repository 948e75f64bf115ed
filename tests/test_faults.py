"""The store under faults: writers killed at random moments, write errors, concurrent processes,
the store replaced under a running command, and the deep check (`tracker doctor`) and `restore`."""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tracker.doctor import diagnose, diagnose_file, leftover_temp_files
from tracker.errors import StoreError
from tracker.ledger import Clock, SourceInput, add_pledge
from tracker.model import Category
from tracker.store import Store

FIXED_NOW = "2026-11-29T12:00:00"

TRACKER = [str(Path(sys.executable).with_name("tracker"))]
PLEDGES = 2000


def env_for(store: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(TRACKER_DB=str(store), TRACKER_NOW=FIXED_NOW, TRACKER_LOCK_TIMEOUT="60", NO_COLOR="1")
    return env


def build_store(path: Path, count: int) -> None:
    clock = Clock.at(datetime.fromisoformat(FIXED_NOW).replace(tzinfo=UTC))
    with Store(path).transaction() as session:
        for number in range(count):
            add_pledge(
                session,
                clock,
                title=f"Pledge {number}",
                actors=[f"Actor {number % 7}"],
                recipients=[],
                made_on=None,
                deadline="2027" if number % 3 else None,
                target="1000 doses" if number % 5 == 0 else None,
                condition=None,
                category=Category("other"),
                tags=[],
                source=SourceInput(None, None, None),
                text=None,
                venue=None,
                notes=None,
                status=None,
            )


def masked(tables: dict[str, Any], known: set[str]) -> dict[str, Any]:
    """The store with the random uuids of new pledges blanked (everything else is deterministic)."""
    copy: dict[str, Any] = json.loads(json.dumps(tables))
    records = list(copy.get("pledges", {}).values())
    # The undo journal holds after-images of the records a command touched, new pledges too.
    for change in copy.get("changes", {}).values():
        for _table, _id, before, after in change.get("records") or ():
            records += [image for image in (before, after) if image and "uuid" in image]
    for record in records:
        if record["uuid"] not in known:
            record["uuid"] = "<new>"
    return copy


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Path]:
    folder = tmp_path_factory.mktemp("big")
    path = folder / "base.json"
    build_store(path, PLEDGES)
    small = folder / "small.json"
    build_store(small, 5)
    export = folder / "export.json"
    subprocess.run([*TRACKER, "export", "json", "-o", str(export)], env=env_for(small), check=True, timeout=30)
    return path.read_bytes(), export


def test_writers_killed_at_random_moments_leave_old_or_new_store(tmp_path: Path, big_store: tuple[bytes, Path]) -> None:
    base, export = big_store
    store = tmp_path / "pledges.json"
    env = env_for(store)
    before = json.loads(base)
    known = {record["uuid"] for record in before["pledges"].values()}
    commands = [
        ["add", "A killed pledge", "--actor", "Chaos", "--deadline", "Q3 2027"],
        ["evidence", "add", "7", "Delivered 500 doses", "--quantity", "500 doses", "--date", "2026-11-01"],
        ["status", "11", "fulfilled", "--note", "done"],
        ["edit", "13", "--title", "Edited under fire"],
        ["import", str(export)],
    ]

    def reset() -> None:
        for leftover in tmp_path.glob("*"):
            if leftover.is_file():
                leftover.unlink()
        store.write_bytes(base)

    # The state after each command, run to completion once; and how long it takes.
    after: list[dict[str, Any]] = []
    durations: list[float] = []
    for command in commands:
        reset()
        started = time.monotonic()
        result = subprocess.run([*TRACKER, *command], env=env, capture_output=True, timeout=60)
        durations.append(time.monotonic() - started)
        assert result.returncode == 0, result.stderr
        after.append(masked(json.loads(store.read_bytes()), known))

    rng = random.Random(20261129)
    outcomes = {"before": 0, "after": 0}
    temp_left = 0
    kills = 0
    for round_number in range(52):
        index = round_number % len(commands)
        reset()
        process = subprocess.Popen(
            [*TRACKER, *commands[index]], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.3, 1.1) * durations[index])
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
        tables = Store(store).read_tables()  # the store opens
        assert diagnose(tables) == [], f"round {round_number}"
        if tables == before:
            outcomes["before"] += 1
        else:
            assert masked(tables, known) == after[index], f"round {round_number}: a mix of before and after"
            outcomes["after"] += 1
        temps = leftover_temp_files(store)
        if temps:
            temp_left += 1
            assert [problem for problem in diagnose_file(store) if "leftover temp file" not in problem] == []
            # The next writer is not tripped by the leftover, and clears it.
            result = subprocess.run([*TRACKER, "edit", "3", "--notes", "after a kill"], env=env, capture_output=True)
            assert result.returncode == 0, result.stderr
            assert leftover_temp_files(store) == []
        if round_number in (0, 51) or temps:
            doctor = subprocess.run([*TRACKER, "doctor"], env=env, capture_output=True, timeout=60)
            assert doctor.returncode == 0, (doctor.stdout, doctor.stderr)
            assert doctor.stdout.strip() == b"store is sound"
    assert kills >= 50
    print(f"kills={kills} before={outcomes['before']} after={outcomes['after']} temp_files_left={temp_left}")
    # Which side each kill lands on depends on the machine's load; both are fine, a mix never is.
    assert outcomes["before"] + outcomes["after"] == kills


def test_a_stale_temp_file_does_not_trip_the_next_writer(
    invoke: Callable[..., Any], add: Callable[..., int], isolated_store: Path
) -> None:
    add("First")
    stale = isolated_store.with_name(f".{isolated_store.name}.killed.tmp")
    stale.write_bytes(b'{"half": ')
    assert invoke("doctor").exit_code == 3
    assert add("Second") == 2
    assert not stale.exists()
    assert invoke("doctor").stdout.strip() == "store is sound"


# write failures -------------------------------------------------------------------------------


def test_disk_full_at_the_write_exits_3_and_leaves_the_store(
    invoke: Callable[..., Any],
    add: Callable[..., int],
    store_bytes: Callable[[], bytes | None],
    isolated_store: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add("First")
    saved = store_bytes()

    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("tracker.store.os.fsync", full)
    result = invoke("add", "Second", "--actor", "X")
    assert result.exit_code == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert "No space left on device" in result.stderr
    assert store_bytes() == saved
    assert leftover_temp_files(isolated_store) == []


def test_permission_denied_at_the_write_exits_3(
    invoke: Callable[..., Any],
    add: Callable[..., int],
    store_bytes: Callable[[], bytes | None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add("First")
    saved = store_bytes()

    def refused(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr("tracker.store.os.replace", refused)
    result = invoke("status", "1", "fulfilled")
    assert result.exit_code == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Permission denied" in result.stderr
    assert store_bytes() == saved


def test_read_only_folder_exits_3_and_leaves_the_store(
    invoke: Callable[..., Any],
    add: Callable[..., int],
    store_bytes: Callable[[], bytes | None],
    isolated_store: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add("First")
    saved = store_bytes()
    folder = isolated_store.parent
    # The lock file must exist beforehand: creating it is itself a write to the folder.
    folder.chmod(0o555)
    try:
        probe = folder / "probe"
        try:
            probe.write_bytes(b"")
            probe.unlink()
            really_read_only = False
        except PermissionError:
            really_read_only = True
        if not really_read_only:
            # Running as root, the mode does not stop writes: refuse the temp file as a
            # read-only file system would.
            def read_only(*args: Any, **kwargs: Any) -> Any:
                raise OSError(errno.EROFS, os.strerror(errno.EROFS))

            monkeypatch.setattr("tracker.store.tempfile.mkstemp", read_only)
        result = invoke("add", "Second", "--actor", "X")
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert store_bytes() == saved


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_store_deleted_or_replaced_under_a_running_command(
    invoke: Callable[..., Any], add: Callable[..., int], isolated_store: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    add("First")
    other = isolated_store.with_name("other.json")
    shutil.copy(isolated_store, other)
    replacement = b"" if how == "deleted" else other.read_bytes().replace(b"First", b"Other")
    import tracker.ledger

    real = tracker.ledger.set_status

    def meddle(*args: Any, **kwargs: Any) -> Any:
        outcome = real(*args, **kwargs)
        if how == "deleted":
            isolated_store.unlink()
        else:
            staged = isolated_store.with_name("staged.json")
            staged.write_bytes(replacement)
            os.replace(staged, isolated_store)
        return outcome

    monkeypatch.setattr(tracker.ledger, "set_status", meddle)
    result = invoke("status", "1", "fulfilled")
    assert result.exit_code == 3, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1
    assert "deleted or replaced" in result.stderr
    if how == "deleted":
        assert not isolated_store.exists()
    else:
        assert isolated_store.read_bytes() == replacement


def test_library_transaction_refuses_a_replaced_store(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    build_store(path, 2)
    store = Store(path)
    with pytest.raises(StoreError, match="replaced"), store.transaction() as session:
        session.meta_table.update({"changes": 99}, doc_ids=[1])
        staged = tmp_path / "x.json"
        staged.write_bytes(path.read_bytes())
        os.replace(staged, path)
    assert json.loads(path.read_bytes())["_meta"]["1"]["changes"] != 99


# concurrency ----------------------------------------------------------------------------------


def test_sixteen_processes_writing_and_reading(tmp_path: Path) -> None:
    store = tmp_path / "pledges.json"
    build_store(store, 50)
    env = env_for(store)

    def job(number: int) -> tuple[str, int, bytes, bytes]:
        if number % 2:
            kind = "read"
            command = ["list", "--json"] if number % 4 == 1 else ["show", str(number), "--json"]
        else:
            kind = "write"
            command = (
                ["add", f"Concurrent {number}", "--actor", "Parallel"]
                if number % 4 == 0
                else ["evidence", "add", str(number), f"Seen by writer {number}"]
            )
        result = subprocess.run([*TRACKER, *command], env=env, capture_output=True, timeout=120)
        return kind + ":" + " ".join(command), result.returncode, result.stdout, result.stderr

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(job, range(16 * 2)))
    final = json.loads(store.read_bytes())
    assert diagnose(final) == []
    titles = {record["title"] for record in final["pledges"].values()}
    summaries = {record["summary"] for record in final["evidence"].values()}
    for label, code, stdout, stderr in results:
        assert code == 0, (label, stderr)
        if label.startswith("read"):
            json.loads(stdout)  # a whole, valid document
    added = {f"Concurrent {n}" for n in range(0, 32, 4)}
    seen = {f"Seen by writer {n}" for n in range(2, 32, 4)}
    assert {title for title in titles if title.startswith("Concurrent")} == added
    assert summaries == seen
    assert len(final["pledges"]) == 50 + len(added)


# doctor and restore ---------------------------------------------------------------------------


def test_doctor_reports_every_problem(tmp_path: Path, invoke: Callable[..., Any], isolated_store: Path) -> None:
    build_store(isolated_store, 4)
    assert invoke("doctor").stdout.strip() == "store is sound"
    tables = json.loads(isolated_store.read_bytes())
    tables["pledges"]["2"]["uuid"] = tables["pledges"]["1"]["uuid"]
    tables["pledges"]["3"]["status"] = "fulfilled"
    tables["pledges"]["4"]["actors"] = "not a list"
    tables["evidence"]["1"] = {
        "pledge_id": 77,
        "observed_on": "2026-01-01",
        "recorded_at": "x",
        "summary": "s",
        "stance": "supports",
    }
    tables["_meta"]["1"]["next_ids"]["evidence"] = 1
    isolated_store.write_bytes(json.dumps(tables).encode())
    (isolated_store.parent / f".{isolated_store.name}.abc.tmp").write_bytes(b"{")
    result = invoke("doctor")
    assert result.exit_code == 3
    text = result.stdout
    assert "uuid" in text and "used by 2 pledges" in text
    assert "pledge 3: stored status 'fulfilled'" in text
    assert "field 'actors'" in text
    assert "pledge 77 does not exist" in text
    assert "beyond _meta.next_ids.evidence" in text
    assert "leftover temp file" in text


def test_restore_lists_and_puts_back_the_backup(
    invoke: Callable[..., Any], add: Callable[..., int], isolated_store: Path
) -> None:
    add("First")
    first = isolated_store.read_bytes()
    add("Second")
    add("Third")
    third = isolated_store.read_bytes()
    listing = invoke("restore")
    assert listing.exit_code == 0
    lines = listing.stdout.splitlines()
    assert [line.split("\t")[1].rsplit("/", 1)[-1] for line in lines] == ["pledges.json.bak", "pledges.json.bak.1"]
    assert isolated_store.read_bytes() == third, "listing changes nothing"
    result = invoke("restore", "1")
    assert result.exit_code == 0, result.stderr
    assert json.loads(isolated_store.read_bytes()) == json.loads(first)
    aside = list(isolated_store.parent.glob("pledges.json.replaced-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == third
    assert invoke("doctor").exit_code == 0
    assert invoke("restore", "7").exit_code == 1
    # A damaged backup is refused and nothing changes.
    isolated_store.with_name("pledges.json.bak").write_bytes(b'{"_meta": ')
    before = isolated_store.read_bytes()
    refused = invoke("restore", "0")
    assert refused.exit_code == 3
    assert isolated_store.read_bytes() == before
    # One reason, not the damaged backup's own (meaningless) note on where its backups are.
    assert "is not a sound store (not valid JSON" in refused.stderr and ".bak.bak" not in refused.stderr


def test_backups_rotate_keeping_the_last_five(
    invoke: Callable[..., Any], add: Callable[..., int], isolated_store: Path
) -> None:
    versions = []
    for number in range(8):
        versions.append(isolated_store.read_bytes() if isolated_store.exists() else None)
        add(f"Pledge {number}")
    backups = sorted(isolated_store.parent.glob("pledges.json.bak*"))
    assert [path.name for path in backups] == ["pledges.json.bak"] + [f"pledges.json.bak.{n}" for n in range(1, 5)]
    assert isolated_store.with_name("pledges.json.bak").read_bytes() == versions[-1]
    assert isolated_store.with_name("pledges.json.bak.4").read_bytes() == versions[-5]
