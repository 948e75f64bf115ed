"""The cache of checked records: used only for the very file it was made from, never needed."""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import pytest

from tracker import cache
from tracker.store import Store, serialize

TRACKER = Path(sys.executable).parent / "tracker"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("TRACKER_CACHE_DIR", str(folder))
    return folder


def _listing(invoke: Callable[..., Any]) -> str:
    result = invoke("list")
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def _seed(add: Callable[..., int], invoke: Callable[..., Any]) -> None:
    add("Provide 150,000 more vaccine doses", "--made-on", "2021-04-07", "--target", "150000 doses")
    add("Hold further joint drills", "--made-on", "2021-04-07", "--actor", "Pakistan")
    assert (
        invoke("evidence", "add", "1", "First doses arrive", "--date", "2021-06-01", "-q", "50000 doses").exit_code == 0
    )


class Cached(NamedTuple):
    """A seeded store whose records the cache holds, and what `list` printed of it."""

    store: Path
    where: Path
    stamp: cache.Stamp
    listing: str


@pytest.fixture
def cached(add: Callable[..., int], invoke: Callable[..., Any], isolated_store: Path, cache_dir: Path) -> Cached:
    _seed(add, invoke)
    listing = _listing(invoke)
    where, stamp = cache.cache_file(isolated_store), cache.stamp_of(isolated_store)
    assert where is not None and stamp is not None and cache.has_records(isolated_store, stamp)
    return Cached(isolated_store, where, stamp, listing)


def _plant(cached: Cached, records: object, header: object = None) -> None:
    """Write a cache file by hand: `header` (default: the right one for the store), the checksum
    of `records` as pickled, then `records`."""
    body = pickle.dumps(records)
    with cached.where.open("wb") as handle:
        pickle.dump(cache._header(cached.stamp) if header is None else header, handle)
        pickle.dump(zlib.crc32(body), handle)
        handle.write(body)


def test_a_read_keeps_the_records_and_the_next_read_uses_them(
    cached: Cached, invoke: Callable[..., Any], cache_dir: Path
) -> None:
    assert cached.where.parent == cache_dir
    session = Store(cached.store).snapshot()
    assert session._storage is None  # the file was not parsed
    assert [pledge.title for pledge in session.pledges()] == [
        "Provide 150,000 more vaccine doses",
        "Hold further joint drills",
    ]
    assert _listing(invoke) == cached.listing
    # A command that needs the stored form still gets it.
    assert invoke("export", "json").exit_code == 0


def test_an_edit_by_hand_of_the_same_size_is_seen_not_the_cache(cached: Cached, invoke: Callable[..., Any]) -> None:
    text = cached.store.read_text()
    cached.store.write_text(text.replace("Hold further joint drills", "Hold further JOINT drills"))
    assert cache.stamp_of(cached.store) != cached.stamp
    assert "Hold further JOINT drills" in _listing(invoke)


def test_an_edit_that_damages_the_store_is_refused_although_the_cache_holds_the_old_file(
    cached: Cached, invoke: Callable[..., Any]
) -> None:
    tables = orjson.loads(cached.store.read_bytes())
    tables["pledges"]["2"]["status"] = "maybe"
    cached.store.write_bytes(b"".join(serialize(tables)[0]))
    damaged = cached.store.read_bytes()
    for args in (["list"], ["evidence", "add", "2", "Drills held", "--date", "2021-09-01"]):
        result = invoke(*args)
        assert result.exit_code == 3 and "damaged" in result.stderr
    assert cached.store.read_bytes() == damaged


@pytest.mark.parametrize(
    "damage",
    [
        lambda body: b"",
        lambda body: b"garbage",
        lambda body: b"\x80\x05K\x01.",
        lambda body: pickle.dumps(("not", "a", "header")),
        lambda body: body[:-40],
    ],
    ids=["empty", "garbage", "a number", "another header", "cut short"],
)
def test_a_damaged_cache_is_ignored(
    damage: Callable[[bytes], bytes], cached: Cached, invoke: Callable[..., Any]
) -> None:
    cached.where.write_bytes(damage(cached.where.read_bytes()))
    assert _listing(invoke) == cached.listing


def test_a_cache_whose_records_were_changed_on_disk_is_ignored(cached: Cached, invoke: Callable[..., Any]) -> None:
    """One letter of a title changed in the cache file still unpickles, into another title: the
    checksum of the body tells, and the store file is read instead."""
    raw = cached.where.read_bytes()
    assert raw.count(b"Provide 150,000") == 1
    cached.where.write_bytes(raw.replace(b"Provide 150,000", b"Provide 950,000"))
    assert cache.load(cached.store, cached.stamp) is None
    assert _listing(invoke) == cached.listing


class _Planted:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("touch planted",))


def test_a_planted_cache_cannot_run_code(
    cached: Cached, invoke: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _plant(cached, {"pledges": _Planted()})
    monkeypatch.chdir(tmp_path)
    assert _listing(invoke) == cached.listing
    assert not (tmp_path / "planted").exists()


def test_a_cache_from_records_of_another_shape_is_ignored(cached: Cached, invoke: Callable[..., Any]) -> None:
    header = list(cache._header(cached.stamp))
    header[2] = (("Pledge", ("id", "title")),)
    _plant(cached, {"pledges": {}, "evidence": {}, "history": {}}, tuple(header))
    assert _listing(invoke) == cached.listing


def test_caching_can_be_turned_off(
    add: Callable[..., int], invoke: Callable[..., Any], isolated_store: Path, cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("TRACKER_CACHE", "off")
    _seed(add, invoke)
    _listing(invoke)
    assert cache.cache_file(isolated_store) is None
    assert not cache_dir.exists()


def test_a_cache_setting_that_is_neither_on_nor_off_is_refused(
    cached: Cached, invoke: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_CACHE", "disabled")
    before = cached.store.read_bytes()
    for args in (["list"], ["add", "Another", "--actor", "Russia"]):
        result = invoke(*args)
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == "tracker: error: TRACKER_CACHE='disabled' is neither on nor off\n"
    assert cached.store.read_bytes() == before
    for setting in ("on", "OFF", " 0 ", "yes", ""):
        monkeypatch.setenv("TRACKER_CACHE", setting)
        assert _listing(invoke) == cached.listing


def test_a_cache_folder_that_cannot_be_written_is_no_error(
    add: Callable[..., int], invoke: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TRACKER_CACHE_DIR", str(blocker / "cache"))
    _seed(add, invoke)
    assert "vaccine" in _listing(invoke)


def _masked(text: str) -> str:
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", text)


def test_commands_do_the_same_with_and_without_the_cache(
    invoke: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same commands on two stores, one cached and one not: the same output and the same
    stored records after every step."""
    steps = [
        ["add", "Provide 150,000 more vaccine doses", "--actor", "Russia", "--made-on", "2021-04-07",
         "--deadline", "within six months", "--target", "150000 doses"],
        ["add", "Start the pipeline", "--actor", "Pakistan", "--made-on", "2021-04-07",
         "--condition", "the protocol is signed", "--deadline", "6 months after condition"],
        ["evidence", "add", "1", "First doses", "--date", "2021-06-01", "-q", "50000 doses"],
        ["evidence", "add", "2", "Protocol signed", "--date", "2021-07-01", "--meets-condition"],
        ["evidence", "add", "1", "The rest", "--date", "2021-09-01", "-q", "100000 doses"],
        ["edit", "2", "--title", "Start building the pipeline"],
        ["status", "2", "stalled", "--date", "2022-03-01", "--note", "No work seen"],
        ["rm", "1", "--yes"],
        ["undo"],
        ["redo"],
        ["undo"],
        ["report", "summary", "--as-of", "2022-06-01", "--format", "json"],
        ["list"],
        ["show", "1", "--json"],
        ["log", "2"],
        ["evidence", "list", "1"],
    ]  # fmt: skip
    cached, plain = tmp_path / "cached.json", tmp_path / "plain.json"
    for step in steps:
        outputs = []
        for store, setting in ((cached, "on"), (plain, "off")):
            monkeypatch.setenv("TRACKER_CACHE", setting)
            result = invoke("--db", str(store), *step)
            assert result.exit_code == 0, (step, result.output)
            outputs.append(_masked(result.stdout))
        assert outputs[0] == outputs[1], step
        monkeypatch.setenv("TRACKER_CACHE", "off")
        exports = [_masked(invoke("--db", str(store), "export", "json").stdout) for store in (cached, plain)]
        assert exports[0] == exports[1], step
        # The cached store's writes after the first edit its bytes: the file is the one a whole
        # rewrite gives, byte for byte.
        assert _masked(cached.read_text()) == _masked(plain.read_text()), step


def test_the_installed_command_saves_the_cache_after_it_has_answered(tmp_path: Path, cache_dir: Path) -> None:
    store = tmp_path / "pledges.json"
    env = {
        "PATH": os.defpath,
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
        "TRACKER_DB": str(store),
        "TRACKER_NOW": "2026-11-29T12:00:00",
        "TRACKER_CACHE_DIR": str(cache_dir),
    }

    def tracker(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(TRACKER), *args], env=env, capture_output=True, text=True, timeout=60, check=False)

    assert tracker("add", "Hold further joint drills", "--actor", "Pakistan").returncode == 0
    first = tracker("list")
    assert first.returncode == 0 and "joint drills" in first.stdout
    # The save runs in a child that outlives the command: wait for it, briefly.
    stamp = cache.stamp_of(store)
    assert stamp is not None
    deadline = time.monotonic() + 20
    while not cache.has_records(store, stamp) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.has_records(store, stamp)
    again = tracker("list")
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, "")


def test_a_save_prunes_caches_unused_for_a_month_and_abandoned_temp_files(
    add: Callable[..., int], invoke: Callable[..., Any], cache_dir: Path
) -> None:
    cache_dir.mkdir()
    month_ago = time.time() - cache.UNUSED_FOR - 3600
    hour_ago = time.time() - cache.ABANDONED_AFTER - 60
    old, recent = cache_dir / ("0" * 32 + ".records"), cache_dir / ("1" * 32 + ".records")
    killed, running = cache_dir / f".{'2' * 32}.records.ab_c9.tmp", cache_dir / f".{'3' * 32}.records.def.tmp"
    # The folder may be shared: files that are not the cache's own are never touched.
    unrelated = [cache_dir / name for name in ("notes.txt", "build-output.tmp", "experiment.records")]
    for path in (old, recent, killed, running, *unrelated):
        path.write_bytes(b"x")
    for path, moment in ((old, month_ago), (killed, hour_ago), *((path, month_ago) for path in unrelated)):
        os.utime(path, (moment, moment))
    _seed(add, invoke)
    _listing(invoke)
    left = {path.name for path in cache_dir.iterdir() if path in (old, recent, killed, running, *unrelated)}
    assert left == {running.name, recent.name, *(path.name for path in unrelated)}


def test_the_cache_holds_each_distinct_string_and_date_once(cached: Cached, monkeypatch: pytest.MonkeyPatch) -> None:
    """Equal strings and dates of different records load as one object, and the records are
    those of the file."""
    loaded = cache.load(cached.store, cached.stamp)
    assert loaded is not None
    first, second = loaded["pledges"][1], loaded["pledges"][2]
    assert first.made_on == second.made_on and first.made_on is second.made_on
    reasons = [entry.reason for entry in loaded["history"].values() if entry.reason == "pledge recorded"]
    assert len(reasons) == 2 and reasons[0] is reasons[1]
    monkeypatch.setenv("TRACKER_CACHE", "off")
    from_file = Store(cached.store).snapshot()
    assert from_file.pledge(1) is not loaded["pledges"][1]  # read from the file, this time
    for name in ("pledges", "evidence", "history"):
        assert {record.id: record for record in getattr(from_file, name)()} == loaded[name]


def test_a_cache_file_others_can_write_is_not_read(cached: Cached, invoke: Callable[..., Any]) -> None:
    cached.where.chmod(0o666)
    assert not cache.has_records(cached.store, cached.stamp)
    assert _listing(invoke) == cached.listing


def test_a_cache_of_the_wrong_shape_is_ignored(cached: Cached, invoke: Callable[..., Any]) -> None:
    good = cache.load(cached.store, cached.stamp)
    assert good is not None
    kept = cache._rows(good)
    _plant(cached, kept)  # as the cache keeps them: loaded as they were
    assert cache.load(cached.store, cached.stamp) == good
    first = tuple(good["pledges"][1])
    for rows in (
        {"pledges": ([], [])},
        good,  # typed records: not the form the cache keeps
        {**kept, "pledges": (["1"], [first])},
        {**kept, "pledges": ([2], [first])},
        {**kept, "pledges": ([1, 1], [first, first])},
        {**kept, "pledges": ([1], [list(first)])},
        {**kept, "pledges": ([1, 2], [first])},
        {**kept, "pledges": ([1], [first[:-1]])},
        {**kept, "pledges": ([1], [(True, *first[1:])])},
        {**kept, "pledges": ([1], [(1.0, *first[1:])])},
        {**kept, "evidence": kept["pledges"]},
    ):
        _plant(cached, rows)
        assert cache.load(cached.store, cached.stamp) is None
        assert _listing(invoke) == cached.listing


def test_a_file_read_just_after_it_changed_is_cached_only_once_its_times_have_settled(
    add: Callable[..., int], invoke: Callable[..., Any], isolated_store: Path, cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A change within the same tick of the file clock, keeping the size, would keep the stamp:
    a file changed moments ago is read and checked, and cached by a later read."""
    _seed(add, invoke)
    isolated_store.write_bytes(isolated_store.read_bytes())  # a change by something else, just now
    _listing(invoke)
    stamp = cache.stamp_of(isolated_store)
    assert stamp is not None and not cache.has_records(isolated_store, stamp)
    monkeypatch.setattr(cache, "SETTLED_AFTER_NS", 0)
    _listing(invoke)
    assert cache.has_records(isolated_store, stamp)


def test_a_write_with_its_output_closed_still_succeeds(tmp_path: Path, cache_dir: Path) -> None:
    store = tmp_path / "pledges.json"
    env = dict(os.environ, TRACKER_DB=str(store))
    for closed in (1, 2):
        done = subprocess.run(
            [str(TRACKER), "add", "Hold further joint drills", "--actor", "Pakistan"],
            env=env, preexec_fn=lambda closed=closed: os.close(closed), capture_output=False, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0
    listing = subprocess.run([str(TRACKER), "list"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert listing.stdout.count("joint drills") == 2
