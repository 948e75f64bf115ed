#!/usr/bin/env python3
"""Benchmark `tracker` as whole processes against its floors and, where installed, Taskwarrior.

    python tests/perf/run.py [--sizes 1000,10000,100000] [--runs 5] [--out tests/perf/RESULTS.md]

For each size it generates a store deterministically (seeded) in the stored JSON format, with
about three evidence items per pledge, then times every command in a fresh process, N times,
and reports the median wall time, the ratios against the baselines timed in the same run, and
the peak memory (max RSS) of the process. Writes run on a fresh copy of the store each time.
No wall-clock limits are asserted anywhere: this is a measurement, not a test.

For each store, tracker keeps the checked records of the file it last read or wrote in a cache
(in `TRACKER_CACHE_DIR`, here a folder inside each size's work folder). Commands that read or
write the store are timed twice (`import`, into an empty store, only once):
- "<command>": the cache holds the store file (it is filled before timing, untimed, by a library
  call that saves at once). This is every command after the first on an unchanged file.
- "<command> (no cache)": with `TRACKER_CACHE=off`, so the file is parsed and checked. This is
  what the first command after another program changed the file costs.
After a write (and `import`), the installed command saves the cache for the new file in a forked
child once it has answered. The benchmark waits for that save after each timed run, untimed, so
it does not overlap the next run, and reports how long after the command ended the cache held
the new file ("<command>: cache saved in the background"). The user does not wait for it.

Baselines timed in the same run:
- `python -c pass`
- floor 1: a minimal typer app with one trivial command (what any typer CLI costs to start)
- floor 2: the same app whose command parses the store file with orjson (the floor of any
  whole-file JSON design)
- Taskwarrior (`task list`, `task overdue`, `task add`) on the same pledges, if `task` is installed
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

try:
    import orjson
except ImportError:  # the benchmark still runs; generation is slower
    orjson = None  # type: ignore[assignment]

SEED = 20211231
BASE_DAY = date(2018, 1, 1)  # pledges are made between 2018 and 2026
MADE_SPAN_DAYS = 9 * 365
RECORDED_AT = "2026-11-29T09:00:00Z"

# --------------------------------------------------------------------------------------------
# Realistic vocabulary
# --------------------------------------------------------------------------------------------
ACTORS = [
    "Russia",
    "Pakistan",
    "China",
    "India",
    "United States",
    "European Union",
    "United Kingdom",
    "France",
    "Germany",
    "Japan",
    "Turkey",
    "Iran",
    "Saudi Arabia",
    "United Arab Emirates",
    "Qatar",
    "Egypt",
    "Nigeria",
    "South Africa",
    "Brazil",
    "Mexico",
    "Indonesia",
    "Kazakhstan",
    "Uzbekistan",
    "Afghanistan",
    "Bangladesh",
    "World Bank",
    "IMF",
    "Asian Development Bank",
    "African Union",
    "NATO",
    "G7",
    "G20",
    "ASEAN",
]
VERBS = [
    "Supply",
    "Deliver",
    "Build",
    "Finance",
    "Train",
    "Open",
    "Expand",
    "Double",
    "Complete",
    "Launch",
    "Establish",
    "Upgrade",
    "Restore",
    "Provide",
    "Sign",
    "Ratify",
    "Invest in",
    "Fund",
    "Reduce",
    "Export",
]
OBJECTS = [
    "military equipment to build counter-terrorism capacity",
    "COVID-19 vaccine doses",
    "a gas pipeline from Karachi to Lahore",
    "wheat shipments to ease the food crisis",
    "a free-trade agreement",
    "joint naval exercises in the Arabian Sea",
    "a nuclear power plant near the coast",
    "scholarships for engineering students",
    "a railway link to the port",
    "humanitarian aid for flood victims",
    "a currency swap line",
    "new consular offices",
    "grid interconnection",
    "solar parks in the south",
    "customs cooperation at the border",
    "a visa-free regime for business travellers",
    "anti-narcotics cooperation",
    "a strategic dialogue every year",
    "debt relief for the poorest provinces",
    "direct flights between the capitals",
    "a cyber-security working group",
    "barter trade in rice and fruit",
]
QUALIFIERS = [
    "",
    " by the end of the decade",
    " within two years",
    " in the northern provinces",
    " before the summit",
    " as part of the partnership agreement",
    " under the joint statement",
    " with private partners",
]
VENUES = [
    "Talks of the foreign ministers in Islamabad",
    "Summit in Moscow",
    "Joint press conference in Beijing",
    "Visit of the prime minister to Delhi",
    "G20 summit side meeting",
    "UN General Assembly",
    None,
    None,
]
PUBLISHERS = [
    ("Dawn", "www.dawn.com"),
    ("TASS", "tass.com"),
    ("The Nation", "nation.com.pk"),
    ("Reuters", "www.reuters.com"),
    ("Al Jazeera", "www.aljazeera.com"),
    ("Xinhua", "english.news.cn"),
    ("The Hindu", "www.thehindu.com"),
    ("BBC News", "www.bbc.co.uk"),
    ("Express Tribune", "tribune.com.pk"),
    ("Prime", "1prime.ru"),
]
WORDS = [
    "the",
    "minister",
    "said",
    "both",
    "sides",
    "agreed",
    "to",
    "work",
    "towards",
    "closer",
    "cooperation",
    "in",
    "the",
    "field",
    "of",
    "energy",
    "trade",
    "and",
    "security",
    "while",
    "officials",
    "declined",
    "to",
    "give",
    "a",
    "timetable",
    "for",
    "deliveries",
    "and",
    "stressed",
    "that",
    "the",
    "agreement",
    "would",
    "be",
    "implemented",
    "in",
    "stages",
    "after",
    "the",
    "necessary",
    "approvals",
    "by",
    "parliament",
    "and",
    "the",
    "cabinet",
    "according",
    "to",
    "a",
    "statement",
    "issued",
    "after",
    "the",
    "talks",
    "which",
    "lasted",
    "more",
    "than",
    "three",
    "hours",
]
TAGS = [
    "military-equipment",
    "counter-terrorism",
    "vaccines",
    "energy",
    "pipeline",
    "food-security",
    "trade",
    "finance",
    "education",
    "infrastructure",
    "railways",
    "aid",
    "nuclear",
    "visa",
    "cyber",
    "navy",
    "debt",
]
CATEGORIES = ["defence", "security", "trade", "energy", "health", "diplomacy", "other"]
# A mix of statuses, weighted: most pledges are open.
STATUSES = (
    ["pending"] * 40
    + ["conditional"] * 5
    + ["in_progress"] * 20
    + ["stalled"] * 8
    + ["partial"] * 7
    + ["fulfilled"] * 12
    + ["broken"] * 6
    + ["withdrawn"] * 2
)
UNITS = ["doses", "tonnes", "USD", "km", "students", "MW"]
STANCES = ["supports"] * 5 + ["contradicts"] * 2 + ["context"] * 3


def sentence(rng: random.Random, low: int, high: int) -> str:
    start = rng.randrange(len(WORDS))
    count = rng.randint(low, high)
    words = [WORDS[(start + i) % len(WORDS)] for i in range(count)]
    return (" ".join(words)).capitalize() + "."


def slug(rng: random.Random, n: int = 5) -> str:
    return "-".join(rng.choice(WORDS) for _ in range(n))


def source(rng: random.Random, made: date) -> dict[str, Any]:
    publisher, host = rng.choice(PUBLISHERS)
    url = f"https://{host}/{made.year}/{made.month:02d}/{made.day:02d}/{slug(rng)}-{rng.randrange(10**6)}"
    title = sentence(rng, 5, 10).rstrip(".") if rng.random() < 0.6 else None
    return {"publisher": publisher, "title": title, "url": url}


def generate_tables(n: int, seed: int = SEED) -> dict[str, Any]:
    """A store of `n` pledges with ~3 evidence items each and their history, in the stored format."""
    rng = random.Random(seed * 1_000_003 + n)
    pledges: dict[str, Any] = {}
    evidence: dict[str, Any] = {}
    history: dict[str, Any] = {}
    ev_id = 1
    hist_id = 1
    change = 0
    for pid in range(1, n + 1):
        made = BASE_DAY + timedelta(days=rng.randrange(MADE_SPAN_DAYS))
        status = rng.choice(STATUSES)
        actors = rng.sample(ACTORS, rng.choice((1, 1, 1, 2, 2, 3)))
        recipients = rng.sample(ACTORS, rng.choice((0, 1, 1, 2)))
        # Deadlines spread over past and future: none, a day, a year end, a quarter end.
        kind = rng.random()
        deadline = None
        if kind < 0.8:
            due = made + timedelta(days=rng.randint(30, 6 * 365))
            if kind < 0.4:
                deadline = {"anchor": "made_on", "date": due.isoformat(), "precision": "day", "text": due.isoformat()}
            elif kind < 0.6:
                end = date(due.year, 12, 31)
                deadline = {
                    "anchor": "made_on",
                    "date": end.isoformat(),
                    "precision": "year",
                    "text": f"end of {due.year}",
                }
            else:
                q = (due.month - 1) // 3 + 1
                end = date(due.year, 3 * q, 31 if q in (1, 4) else 30)
                deadline = {
                    "anchor": "made_on",
                    "date": end.isoformat(),
                    "precision": "quarter",
                    "text": f"Q{q} {due.year}",
                }
        condition = None
        if status == "conditional":
            condition = {"met_on": None, "text": "once the " + " ".join(rng.sample(WORDS, 4)) + " protocol is signed"}
        elif rng.random() < 0.05:
            met = made + timedelta(days=rng.randint(10, 400))
            condition = {"met_on": met.isoformat(), "text": "after the intergovernmental agreement is ratified"}
        target = None
        unit = rng.choice(UNITS)
        if rng.random() < 0.3:
            target = {"unit": unit, "value": rng.choice((1000, 50000, 150000, 2_000_000, 500))}
        created = f"{min(made + timedelta(days=rng.randint(0, 60)), date(2026, 11, 29)).isoformat()}T09:00:00Z"
        pledges[str(pid)] = {
            "actors": actors,
            "category": rng.choice(CATEGORIES),
            "condition": condition,
            "created_at": created,
            "deadline": deadline,
            "made_on": made.isoformat(),
            "notes": sentence(rng, 6, 20) if rng.random() < 0.3 else None,
            "recipients": recipients,
            "source": source(rng, made) if rng.random() < 0.9 else None,
            "status": status,
            "tags": rng.sample(TAGS, rng.choice((0, 1, 2, 2, 3))),
            "target": target,
            "text": sentence(rng, 20, 50) if rng.random() < 0.7 else None,
            "title": f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(QUALIFIERS)}",
            "updated_at": created,
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "venue": rng.choice(VENUES),
        }
        change += 1
        history[str(hist_id)] = {
            "change": change,
            "effective_on": made.isoformat(),
            "evidence_id": None,
            "field": "pledge",
            "new": "conditional" if condition and not condition["met_on"] else "pending",
            "old": None,
            "pledge_id": pid,
            "reason": "pledge recorded",
            "recorded_at": created,
        }
        hist_id += 1
        last_ev = None
        last_day = made
        for _ in range(rng.choice((1, 2, 3, 3, 3, 4, 5))):
            observed = made + timedelta(days=rng.randint(0, 5 * 365))
            observed = min(observed, date(2026, 11, 28))
            evidence[str(ev_id)] = {
                "meets_condition": False,
                "observed_on": observed.isoformat(),
                "pledge_id": pid,
                "quantity": {"unit": unit, "value": rng.randint(1, 100) * 500}
                if target and rng.random() < 0.5
                else None,
                "recorded_at": RECORDED_AT,
                "source": source(rng, observed),
                "stance": rng.choice(STANCES),
                "summary": sentence(rng, 10, 28),
                "supersedes": None,
            }
            if observed >= last_day:
                last_ev, last_day = ev_id, observed
            ev_id += 1
        if status not in ("pending", "conditional"):
            change += 1
            history[str(hist_id)] = {
                "change": change,
                "effective_on": last_day.isoformat(),
                "evidence_id": last_ev,
                "field": "status",
                "new": status,
                "old": "pending",
                "pledge_id": pid,
                "reason": sentence(rng, 5, 12),
                "recorded_at": RECORDED_AT,
            }
            hist_id += 1
    meta = {
        "changes": change,
        "next_ids": {"evidence": ev_id, "history": hist_id, "pledges": n + 1},
        "schema_version": 1,
    }
    tables = {"_meta": {"1": meta}, "evidence": evidence, "history": history, "pledges": pledges}
    # The current schema, so that timed writes are steady-state writes, not a one-time migration
    # (which also copies the file aside first).
    try:
        from tracker.migrations import migrate
    except ImportError:
        return tables
    migrate(tables)
    return tables


def dump_store(tables: dict[str, Any]) -> bytes:
    if orjson is not None:
        return orjson.dumps(tables, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    return (json.dumps(tables, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def taskwarrior_tasks(tables: dict[str, Any]) -> list[dict[str, Any]]:
    """The same pledges as Taskwarrior tasks: open pledges pending, closed ones completed/deleted."""

    def stamp(day: str) -> str:
        return day.replace("-", "") + "T000000Z"

    notes: dict[int, list[dict[str, str]]] = {}
    for record in tables["evidence"].values():
        notes.setdefault(record["pledge_id"], []).append(
            {"entry": stamp(record["observed_on"]), "description": record["summary"]}
        )
    tasks = []
    for key, record in tables["pledges"].items():
        status = record["status"]
        tw_status = (
            "pending"
            if status in ("pending", "conditional", "in_progress", "stalled")
            else "deleted"
            if status == "withdrawn"
            else "completed"
        )
        task: dict[str, Any] = {
            "uuid": record["uuid"],
            "description": record["title"],
            "status": tw_status,
            "entry": stamp(record["made_on"]),
            "project": record["category"],
            "tags": [t.replace("-", "_") for t in record["tags"]],
        }
        if tw_status != "pending":
            task["end"] = stamp(record["made_on"])
        if record["deadline"] and record["deadline"]["date"]:
            task["due"] = stamp(record["deadline"]["date"])
        if int(key) in notes:
            task["annotations"] = notes[int(key)]
        if not task["tags"]:
            del task["tags"]
        tasks.append(task)
    return tasks


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------
def _drain(stream: Any, sink: list[bytes]) -> None:
    sink.append(stream.read())


TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


class Run(NamedTuple):
    elapsed: float  # wall time, seconds
    rss_kib: int
    code: int
    out: bytes
    err: bytes
    ended: float  # time.perf_counter() when the process had ended


def run_once(argv: list[str], env: dict[str, str], cwd: Path) -> Run:
    """Run one fresh process with stdout and stderr piped; its wall time, max RSS (KiB), exit code.

    Max RSS comes from `/usr/bin/time -f %M` when present (a tiny parent, so the figure is the
    command's own); otherwise from `os.wait4`, the rusage of this child alone (on Linux that can
    include the pages of the benchmark process it was forked from, so it is an upper bound).
    """
    out: list[bytes] = []
    err: list[bytes] = []
    rss_file = None
    if TIME:
        handle, rss_file = tempfile.mkstemp(prefix="rss-", suffix=".txt")
        os.close(handle)
        argv = [TIME, "-f", "%M", "-o", rss_file, *argv]
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd
    )
    readers = [
        threading.Thread(target=_drain, args=(proc.stdout, out)),
        threading.Thread(target=_drain, args=(proc.stderr, err)),
    ]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    ended = time.perf_counter()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    proc.stdout.close()  # type: ignore[union-attr]
    proc.stderr.close()  # type: ignore[union-attr]
    rss = usage.ru_maxrss
    if rss_file:
        text = Path(rss_file).read_text().strip().splitlines()
        Path(rss_file).unlink(missing_ok=True)
        # `time` writes "Command exited with non-zero status N" before the figure on failure
        if text and text[-1].strip().isdigit():
            rss = int(text[-1].strip())
    return Run(ended - start, rss, proc.returncode, b"".join(out), b"".join(err), ended)


class Result:
    def __init__(self, name: str, *, background: bool = False) -> None:
        self.name = name
        # Background work (a cache save after the command ended): its times are how long after
        # the command ended it finished; no process of its own is timed, so it has no max RSS.
        self.background = background
        self.times: list[float] = []
        self.rss_kib = 0
        self.failed: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times and not self.failed else None

    def fail(self, why: str) -> None:
        self.failed = why
        print(f"  ! {self.name}: {why}", file=sys.stderr)

    def show(self) -> None:
        shown = f"{self.median * 1000:8.1f} ms" if self.median is not None else "  failed"
        memory = "" if self.background else f"   max RSS {self.rss_kib / 1024:7.1f} MiB"
        print(f"  {self.name:<50} {shown}{memory}", flush=True)


class SetupError(Exception):
    """An untimed step around a timed run did not do what the measurement needs."""


def measure(
    name: str,
    argv: list[str],
    env: dict[str, str],
    cwd: Path,
    runs: int,
    prepare: Callable[[], None] | None = None,
    ok_codes: tuple[int, ...] = (0,),
    after: Callable[[Run], None] | None = None,
) -> Result:
    """Time `argv` `runs` times; `prepare` runs (untimed) before each run, `after` after each."""
    result = Result(name)
    for _ in range(runs):
        try:
            if prepare is not None:
                prepare()
        except SetupError as error:
            result.fail(f"before the run: {error}")
            break
        run = run_once(argv, env, cwd)
        if run.code not in ok_codes:
            result.fail(f"exit {run.code}: {run.err.decode(errors='replace').strip().splitlines()[-1:] or ''}")
            break
        result.times.append(run.elapsed)
        result.rss_kib = max(result.rss_kib, run.rss_kib)
        if after is not None:
            after(run)
    result.show()
    return result


# --------------------------------------------------------------------------------------------
# The read cache
# --------------------------------------------------------------------------------------------
CACHE_VARIABLES = ("TRACKER_CACHE", "TRACKER_CACHE_DIR")
NO_CACHE = " (no cache)"
BACKGROUND_SAVE = ": cache saved in the background"
SAVE_POLL_SECONDS = 0.02
SAVE_TIMEOUT_SECONDS = 120.0
# A library call saves the cache at once, where the installed command leaves it to a forked child.
PRIME = "import sys; from pathlib import Path; from tracker.store import Store; Store(Path(sys.argv[1])).snapshot()"
# A write leaves the file as tracker wrote it, and the cache says so: the next write may then
# edit the file's bytes instead of parsing it. This rewrites the copy (the same content, under
# the lock) as the analyst's previous write would have left it.
PRIME_WRITTEN = (
    "import sys; from pathlib import Path; from tracker.store import Store\n"
    "with Store(Path(sys.argv[1])).transaction() as session:\n"
    "    session.storage.changed = True"
)


@contextmanager
def cache_settings(env: Mapping[str, str]) -> Iterator[None]:
    """This process's cache settings as `env` has them, for `tracker.cache` calls made here."""
    saved = {name: os.environ.get(name) for name in CACHE_VARIABLES}
    try:
        for name in CACHE_VARIABLES:
            if name in env:
                os.environ[name] = env[name]
            else:
                os.environ.pop(name, None)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def cache_holds(store: Path, env: Mapping[str, str], written: bool = False) -> bool:
    """Whether the cache `env` points tracker at holds this very store file's records, as it is
    now (with `written`: knows that tracker wrote that file, and where its tables are)."""
    from tracker import cache

    with cache_settings(env):
        stamp = cache.stamp_of(store)
        if stamp is None:
            return False
        return cache.layout_of(store, stamp) is not None if written else cache.has_records(store, stamp)


def prime_cache(store: Path, env: dict[str, str], cwd: Path, written: bool = False) -> None:
    """Fill the cache with the store file's records (untimed), and check that it holds them:
    by reading the file or, with `written`, by rewriting it as a tracker write does.

    A file changed moments ago (here: just copied) is cached by a read only once its times have
    settled (`tracker.cache.SETTLED_AFTER_NS`), so a read waits for that first.
    """
    from tracker import cache

    if not written:
        info = store.stat()
        settled_at = max(info.st_mtime_ns, info.st_ctime_ns) + cache.SETTLED_AFTER_NS
        time.sleep(max(0.0, (settled_at - time.time_ns()) / 1e9) + 0.05)
    run = run_once([sys.executable, "-c", PRIME_WRITTEN if written else PRIME, str(store)], env, cwd)
    if run.code != 0:
        raise SetupError(f"priming the cache: exit {run.code}: {run.err.decode(errors='replace')[-200:]}")
    if not cache_holds(store, env, written):
        raise SetupError(f"the cache does not hold {store.name} after priming it")


class BackgroundSave:
    """After each timed write: wait, untimed, until the cache holds the file it wrote.

    The command saves the cache in a forked child after it has answered; waiting keeps that save
    out of the next timed run. How long after the command ended the cache held the file (to
    within the polling interval) goes into `result`.
    """

    def __init__(self, command: str, store: Path, env: dict[str, str]) -> None:
        self.result = Result(command + BACKGROUND_SAVE, background=True)
        self.store = store
        self.env = env

    def __call__(self, run: Run) -> None:
        deadline = run.ended + SAVE_TIMEOUT_SECONDS
        while not cache_holds(self.store, self.env):
            if time.perf_counter() > deadline:
                if not self.result.failed:
                    self.result.fail(f"the cache did not hold the written file {SAVE_TIMEOUT_SECONDS:.0f} s later")
                return
            time.sleep(SAVE_POLL_SECONDS)
        self.result.times.append(time.perf_counter() - run.ended)


# --------------------------------------------------------------------------------------------
# Baselines
# --------------------------------------------------------------------------------------------
FLOOR_TYPER = '''\
import typer

app = typer.Typer()


@app.command()
def main() -> None:
    """A trivial command."""


if __name__ == "__main__":
    app()
'''

FLOOR_PARSE = '''\
from pathlib import Path

import orjson
import typer

app = typer.Typer()


@app.command()
def main(path: Path) -> None:
    """Parse the store file once."""
    tables = orjson.loads(path.read_bytes())
    print(len(tables["pledges"]))


if __name__ == "__main__":
    app()
'''


def tracker_command() -> list[str]:
    beside = Path(sys.executable).parent / "tracker"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("tracker")
    if found:
        return [found]
    return [sys.executable, "-m", "tracker.cli"]


def find_taskwarrior(try_install: bool) -> str | None:
    found = shutil.which("task")
    if found or not try_install:
        return found
    try:  # once; if it fails, Taskwarrior is skipped
        subprocess.run(
            ["apt-get", "install", "-y", "taskwarrior"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=180,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return shutil.which("task")


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version() + f" ({sys.executable})",
        "os": platform.platform(),
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


# --------------------------------------------------------------------------------------------
# One size
# --------------------------------------------------------------------------------------------
TASK_PAIR = {  # our command -> the Taskwarrior command it is compared with
    "list": "task list",
    "list --overdue": "task overdue",
    "report overdue": "task overdue",
    "report summary": "task list",
    "add": "task add",
    "evidence add": "task add",
}


def bench_size(n: int, runs: int, work: Path, task: str | None, floors: dict[str, Path]) -> dict[str, Any]:
    folder = work / f"n{n}"
    folder.mkdir()
    print(f"\n== {n:,} pledges ==", flush=True)
    started = time.perf_counter()
    tables = generate_tables(n)
    payload = dump_store(tables)
    master = folder / "master.json"
    master.write_bytes(payload)
    gen_seconds = time.perf_counter() - started
    counts = {name: len(tables[name]) for name in ("pledges", "evidence", "history")}
    tasks_json = json.dumps(taskwarrior_tasks(tables)).encode() if task else b""
    del tables  # keep the benchmark process small while it forks the commands
    print(f"  generated {counts} in {gen_seconds:.1f} s: {len(payload) / 1e6:.1f} MB", flush=True)

    env = dict(os.environ)
    env.pop("TRACKER_DB", None)
    env.pop("TRACKER_CACHE", None)  # the cache is on, as installed, except in the "(no cache)" rows
    # Time the tool as installed: reading compiled bytecode, not compiling every module per run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        {
            "NO_COLOR": "1",
            "COLUMNS": "120",
            "LC_ALL": env.get("LC_ALL", "C.UTF-8"),
            "HOME": str(folder),
            "TRACKER_CACHE_DIR": str(folder / "cache"),
        }
    )
    no_cache_env = dict(env, TRACKER_CACHE="off")
    tracker = tracker_command()

    store = folder / "store.json"  # read commands use this one; writes get a fresh copy each run
    shutil.copyfile(master, store)
    empty = folder / "empty.json"  # never created: an empty store
    write_copy = folder / "write.json"

    def fresh_copy() -> None:
        for leftover in (
            write_copy,
            write_copy.with_name(write_copy.name + ".bak"),
            write_copy.with_name(write_copy.name + ".lock"),
        ):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(master, write_copy)

    def fresh_cached_copy() -> None:
        fresh_copy()
        prime_cache(write_copy, env, folder, written=True)

    def store_cached() -> None:
        if not cache_holds(store, env):
            raise SetupError("the cache no longer holds the store file")

    imported = folder / "imported.json"

    def fresh_empty() -> None:
        for leftover in (
            imported,
            imported.with_name(imported.name + ".bak"),
            imported.with_name(imported.name + ".lock"),
        ):
            leftover.unlink(missing_ok=True)

    # The whole store as a JSON export (untimed), for `import`; without the cache, so that no
    # background save runs while the baselines are timed.
    export_file = folder / "export.json"
    exported = run_once([*tracker, "--db", str(store), "export", "json"], no_cache_env, folder)
    if exported.code != 0:
        raise SystemExit(f"tracker export json failed on the generated store: {exported.err.decode(errors='replace')}")
    export_file.write_bytes(exported.out)

    show_id = str(max(1, n // 2))
    py = sys.executable
    db = ["--db", str(store)]
    results: list[Result] = []
    baselines: dict[str, Result] = {}
    baselines["python -c pass"] = measure("python -c pass", [py, "-c", "pass"], env, folder, runs)
    baselines["typer floor"] = measure("floor 1: minimal typer app", [py, str(floors["typer"])], env, folder, runs)
    baselines["parse floor"] = measure(
        "floor 2: typer + orjson parse", [py, str(floors["parse"]), str(store)], env, folder, runs
    )
    for name, argv in (
        ("--version", [*tracker, "--version"]),
        ("--help", [*tracker, "--help"]),
        ("list (empty store)", [*tracker, "--db", str(empty), "list"]),
    ):
        results.append(measure(name, argv, env, folder, runs))

    # Reads: with the cache holding the store file (filled once here, untimed), and without it.
    try:
        prime_cache(store, env, folder)
    except SetupError as error:
        raise SystemExit(f"cannot fill the cache for the generated store: {error}") from None
    reads: list[tuple[str, list[str]]] = [
        ("list", [*tracker, *db, "list"]),
        ("list --overdue", [*tracker, *db, "list", "--overdue"]),
        (f"show {show_id}", [*tracker, *db, "show", show_id]),
        ("report summary", [*tracker, *db, "report", "summary"]),
        ("report overdue", [*tracker, *db, "report", "overdue"]),
        ("export markdown", [*tracker, *db, "export", "markdown"]),
    ]
    for name, argv in reads:
        results.append(measure(name, argv, env, folder, runs, store_cached))
        results.append(measure(name + NO_CACHE, argv, no_cache_env, folder, runs))

    # Writes, each on a fresh copy of the store: with the cache holding the copy (filled before
    # each run, untimed), then the cache the command saves afterwards, then without the cache.
    writes: list[tuple[str, list[str]]] = [
        (
            "add",
            [
                *tracker,
                "--db",
                str(write_copy),
                "add",
                "Deliver 150000 vaccine doses to the northern provinces",
                "--actor",
                "Russia",
                "--actor",
                "China",
                "--recipient",
                "Pakistan",
                "--made-on",
                "2026-01-15",
                "--deadline",
                "Q3 2027",
                "--target",
                "150000 doses",
                "--category",
                "health",
                "--tag",
                "vaccines",
                "--source",
                "https://www.dawn.com/news/2026/01/15/vaccine-pledge",
                "--text",
                "We will deliver the doses before the end of the third quarter of next year.",
            ],
        ),
        (
            "evidence add",
            [
                *tracker,
                "--db",
                str(write_copy),
                "evidence",
                "add",
                show_id,
                "First shipment of 50000 doses arrives in Karachi",
                "--date",
                "2026-03-01",
                "--source",
                "https://tribune.com.pk/story/2026/03/01/first-shipment",
                "--stance",
                "supports",
            ],
        ),
    ]
    for name, argv in writes:
        saved = BackgroundSave(name, write_copy, env)
        results.append(measure(name, argv, env, folder, runs, fresh_cached_copy, after=saved))
        saved.result.show()
        results.append(saved.result)
        results.append(measure(name + NO_CACHE, argv, no_cache_env, folder, runs, fresh_copy))

    # Import into an empty store: there is nothing to cache beforehand, but the command saves the
    # cache for the store it wrote.
    name = "import (whole store)"
    saved = BackgroundSave(name, imported, env)
    argv = [*tracker, "--db", str(imported), "import", str(export_file)]
    results.append(measure(name, argv, env, folder, runs, fresh_empty, after=saved))
    saved.result.show()
    results.append(saved.result)

    task_results: dict[str, Result] = {}
    task_note = None
    if task:
        task_note = setup_taskwarrior(task, tasks_json, folder, env)
        if task_note is None:
            tw_env = dict(env, TASKRC=str(folder / "taskrc"), TASKDATA=str(folder / "taskdata"))
            rc = ["rc.confirmation=off", "rc.verbose=nothing", "rc.hooks=off", "rc.color=off"]
            master_data = folder / "taskdata"
            write_data = folder / "taskdata-write"

            def fresh_task() -> None:
                shutil.rmtree(write_data, ignore_errors=True)
                shutil.copytree(master_data, write_data)

            tw_write_env = dict(tw_env, TASKDATA=str(write_data))
            for name, argv, prepare, the_env in (
                ("task list", [task, *rc, "list"], None, tw_env),
                ("task overdue", [task, *rc, "overdue"], None, tw_env),
                (
                    "task add",
                    [
                        task,
                        *rc,
                        "add",
                        "Deliver 150000 vaccine doses to the northern provinces",
                        "due:2027-09-30",
                        "project:health",
                        "+vaccines",
                    ],
                    fresh_task,
                    tw_write_env,
                ),
            ):
                # task exits 1 when a report has no rows
                task_results[name] = measure(name, argv, the_env, folder, runs, prepare, ok_codes=(0, 1))
    else:
        task_note = "Taskwarrior (`task`) is not installed: no Taskwarrior comparison."

    return {
        "n": n,
        "counts": counts,
        "store_bytes": len(payload),
        "gen_seconds": gen_seconds,
        "baselines": baselines,
        "results": results,
        "task": task_results,
        "task_note": task_note,
    }


def setup_taskwarrior(task: str, tasks_json: bytes, folder: Path, env: dict[str, str]) -> str | None:
    """Load the pledges as tasks with `task import`; None when it worked, else why not."""
    data = folder / "taskdata"
    data.mkdir()
    rc = folder / "taskrc"
    rc.write_text(f"data.location={data}\nconfirmation=off\nverbose=nothing\nhooks=off\nnews.version=99.99.99\n")
    source = folder / "tasks.json"
    source.write_bytes(tasks_json)
    tw_env = dict(env, TASKRC=str(rc), TASKDATA=str(data))
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [task, "rc.confirmation=off", "rc.verbose=nothing", "import", str(source)],
            env=tw_env,
            cwd=folder,
            capture_output=True,
            timeout=1800,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "`task import` took over 30 minutes: Taskwarrior skipped at this size."
    print(f"  task import: exit {proc.returncode} in {time.perf_counter() - started:.1f} s", flush=True)
    if proc.returncode != 0:
        return f"`task import` failed (exit {proc.returncode}): {proc.stderr.decode(errors='replace')[:200]}"
    return None


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------
def ms(value: float | None) -> str:
    return "failed" if value is None else f"{value * 1000:.0f}"


def ratio(value: float | None, base: Result | None) -> str:
    if value is None or base is None or base.median is None:
        return "–"
    return f"{value / base.median:.2f}x"


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f}"


def render(
    sizes: list[dict[str, Any]],
    runs: int,
    info: dict[str, str],
    command: str,
    task: str | None,
    task_version: str | None,
) -> str:
    lines = [
        "# tracker performance",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {info['nproc']} CPUs, {info['cpu']}; Python {info['python']}; {info['os']}; "
        f"load average at start {info['load']} (other work on the machine makes medians noisy).",
        f"Taskwarrior: {task_version or 'not installed (no comparison)'}.",
        "",
        f"Whole processes, output piped, median of {runs} run(s) per command; writes run on a fresh copy of "
        "the store each time. Ratios are against baselines timed in the same run: `python -c pass`, "
        "floor 1 (a minimal typer app), floor 2 (the same app parsing the store with orjson) and, "
        "where paired, Taskwarrior on the same pledges. Max RSS is the process's peak resident memory.",
        "",
        "For each store, tracker keeps the checked records of the file it last read or wrote in a cache, "
        "stamped with that file's identity (device, inode, size, modification and change times); a later "
        "command on the same file loads them instead of parsing and checking the file. A plain row is timed "
        "with the cache holding the file, filled beforehand and not timed: this is every command after the "
        "first on a file that nothing else has changed. For a write, before each run, its fresh copy is "
        "rewritten (same content) by a tracker write, untimed, as the analyst's previous write leaves it: the "
        "cache then knows tracker wrote the file, and the timed write edits the changed records into the "
        "file's bytes instead of parsing and encoding the whole file. "
        "A row marked (no cache) is the same command with `TRACKER_CACHE=off`, which parses and checks the "
        "whole file: this is what the first command costs after another program changed the file (with the "
        "cache on, that command also forks the process that saves the cache; the fork is not in these "
        "figures).",
        "",
        "A command that read or wrote a file the cache does not hold saves the cache for that file in a "
        "forked process once it has answered, so the user does not wait for the save. For the writes (add, "
        "evidence add, import), the rows named cache saved in the background (not waited for) give the "
        "median time from the end of the command until the cache held the file it wrote, to within the "
        f"{SAVE_POLL_SECONDS * 1000:.0f} ms polling interval; the benchmark waits for it, untimed, before "
        "the next run. These rows have no ratios and no max RSS of their own.",
    ]
    for size in sizes:
        counts = size["counts"]
        store_mb = size["store_bytes"] / 1e6
        b = size["baselines"]
        lines += [
            "",
            f"## {size['n']:,} pledges",
            "",
            f"Store: {counts['pledges']:,} pledges, {counts['evidence']:,} evidence items, "
            f"{counts['history']:,} history entries; file {store_mb:.1f} MB "
            f"(generated in {size['gen_seconds']:.1f} s).",
        ]
        if size["task_note"]:
            lines += ["", size["task_note"]]
        lines += [
            "",
            "| command | median ms | vs python | vs typer floor | vs parse floor | vs task | max RSS MiB "
            "| RSS / store |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        rows: list[tuple[str, Result, str]] = [
            (name, result, "")
            for name, result in (
                ("python -c pass", b["python -c pass"]),
                ("floor 1: minimal typer app", b["typer floor"]),
                ("floor 2: typer + orjson parse", b["parse floor"]),
            )
        ]
        rows += [
            (
                f"tracker {r.name} (not waited for)" if r.background else f"tracker {r.name}",
                r,
                "" if r.background else TASK_PAIR.get(r.name.removesuffix(NO_CACHE), ""),
            )
            for r in size["results"]
        ]
        rows += [(name, r, "") for name, r in size["task"].items()]
        for label, r, pair in rows:
            med = r.median
            task_ratio = ratio(med, size["task"].get(pair)) if pair and size["task"] else "–"
            if pair and size["task"] and task_ratio != "–":
                task_ratio += f" ({pair})"
            rss_ratio = f"{r.rss_kib * 1024 / size['store_bytes']:.1f}x" if size["store_bytes"] else "–"
            cell = ms(med) if not r.failed else f"failed ({r.failed[:60]})"
            if r.background:  # not a process of its own: nothing to compare, no memory of its own
                lines.append(f"| {label} | {cell} | – | – | – | – | – | – |")
                continue
            lines.append(
                f"| {label} | {cell} | {ratio(med, b['python -c pass'])} | {ratio(med, b['typer floor'])} | "
                f"{ratio(med, b['parse floor'])} | {task_ratio} | {mib(r.rss_kib)} | {rss_ratio} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="Comma-separated store sizes (pledges).")
    parser.add_argument("--runs", type=int, default=5, help="Runs per command (the median is reported).")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).with_name("RESULTS.md"), help="Markdown file to write the tables to."
    )
    parser.add_argument("--no-task", action="store_true", help="Do not compare with Taskwarrior.")
    parser.add_argument(
        "--install-task", action="store_true", help="Try `apt-get install -y taskwarrior` once if `task` is missing."
    )
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder with the stores.")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    runs = max(1, args.runs)

    task = None if args.no_task else find_taskwarrior(args.install_task)
    task_version = None
    if task:
        proc = subprocess.run([task, "--version"], capture_output=True, text=True, check=False)
        task_version = f"task {proc.stdout.strip()}"
    info = machine()
    print(f"machine: {info}", flush=True)
    print(f"taskwarrior: {task_version or 'not installed: no Taskwarrior comparison'}", flush=True)

    compile_tracker()
    work = Path(tempfile.mkdtemp(prefix="tracker-perf-"))
    try:
        floors = {"typer": work / "floor_typer.py", "parse": work / "floor_parse.py"}
        floors["typer"].write_text(FLOOR_TYPER)
        floors["parse"].write_text(FLOOR_PARSE)
        validate(work, min([*sizes, 20]))
        results = [bench_size(n, runs, work, task, floors) for n in sizes]
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    shown_args = f"--sizes {','.join(map(str, sizes))} --runs {runs}"
    command = f"python tests/perf/run.py {shown_args}"
    text = render(results, runs, info, command, task, task_version)
    print()
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"written to {args.out}")
    return 0


def compile_tracker() -> None:
    """Compile the package's bytecode once, as an install does, so that no timed run compiles
    modules (PYTHONDONTWRITEBYTECODE in the environment would otherwise make every run do it)."""
    try:
        import compileall

        import tracker

        compileall.compile_dir(str(Path(tracker.__file__).parent), quiet=1)
    except (ImportError, OSError):
        pass


def validate(work: Path, n: int) -> None:
    """A small generated store must load: `tracker list` (which checks every record) exits 0."""
    path = work / "validate.json"
    path.write_bytes(dump_store(generate_tables(n)))
    # Without the cache: both commands read and check the file itself.
    env = dict(os.environ, NO_COLOR="1", HOME=str(work), TRACKER_CACHE="off")
    for args in (["list"], ["report", "summary"]):
        proc = subprocess.run([*tracker_command(), "--db", str(path), *args], capture_output=True, env=env, check=False)
        if proc.returncode != 0:
            raise SystemExit(
                f"the generated store does not load (`tracker {' '.join(args)}` exit "
                f"{proc.returncode}): {proc.stderr.decode(errors='replace')}"
            )
    print(f"validated: a generated store of {n} pledges loads (`tracker list`, `tracker report summary`)")


if __name__ == "__main__":
    sys.exit(main())
