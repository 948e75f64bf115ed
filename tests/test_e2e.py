"""End to end: the installed `tracker` command in subprocesses, each with an explicit environment."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.store import backup_path, check_shape

TRACKER = Path(sys.executable).parent / "tracker"
NOW = "2026-11-29T12:00:00"


def environment(store: Path, **extra: str) -> dict[str, str]:
    """Only what the command needs: nothing is inherited from the test run's own environment."""
    return {
        "PATH": os.defpath,
        "HOME": str(store.parent / "home"),
        "XDG_DATA_HOME": str(store.parent / "data"),
        "LANG": "C.UTF-8",
        "TRACKER_DB": str(store),
        "TRACKER_NOW": NOW,
        **extra,
    }


def run(store: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TRACKER), *args], env=environment(store, **extra), capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "e2e" / "pledges.json"


def test_the_installed_command_exists() -> None:
    assert TRACKER.exists(), f"{TRACKER} is missing; install the package with pip install -e ."


def test_a_short_session(store: Path) -> None:
    version = run(store, "--version")
    assert (version.returncode, version.stdout) == (0, f"tracker {__import__('tracker').__version__}\n")

    added = run(
        store, "add", "Provide 150,000 more vaccine doses [citation needed]", "--actor", "Russia", "--recipient",
        "Pakistan", "--made-on", "2021-04-07", "--deadline", "within six months", "--target", "150000 doses",
    )  # fmt: skip
    assert (added.returncode, added.stdout, added.stderr) == (0, "1\n", "")
    assert store.exists()

    first = run(store, "evidence", "add", "1", "First doses arrive", "--date", "2021-06-01", "-q", "50000 doses")
    assert (first.returncode, first.stdout) == (0, "evidence 1 added to pledge 1\n")

    listed = run(store, "list")
    assert listed.returncode == 0
    assert listed.stdout.splitlines() == [
        "id\tstatus\tdeadline\toverdue\tprogress\tactors\ttitle",
        "1\tpending\t2021-10-07\toverdue\t33%\tRussia\tProvide 150,000 more vaccine doses [citation needed]",
    ]
    assert "\x1b[" not in listed.stdout

    second = run(store, "evidence", "add", "1", "The rest arrive", "--date", "2021-09-01", "-q", "100000 doses")
    assert second.stdout == "evidence 2 added to pledge 1; target reached, now fulfilled\n"

    shown = run(store, "show", "1", "--json")
    assert shown.returncode == 0
    pledge = json.loads(shown.stdout)
    assert pledge["status"] == "fulfilled"
    assert pledge["progress"] == 1.0
    assert [item["observed_on"] for item in pledge["evidence"]] == ["2021-06-01", "2021-09-01"]
    assert [(entry["field"], entry["effective_on"]) for entry in pledge["history"]] == [
        ("pledge", "2021-04-07"),
        ("status", "2021-09-01"),
    ]

    before = store.read_bytes()
    bad = run(store, "add", "", "--actor", "Russia")
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert bad.stderr.splitlines() == ["tracker: error: the title is empty; give some text"]
    unknown = run(store, "show", "42")
    assert (unknown.returncode, len(unknown.stderr.splitlines())) == (1, 1)
    usage = run(store, "frobnicate")
    assert usage.returncode == 2
    assert "Traceback" not in bad.stderr + unknown.stderr + usage.stderr
    assert store.read_bytes() == before


def test_piped_output_survives_a_closed_pipe(store: Path) -> None:
    for number in range(3):
        assert run(store, "add", f"Pledge {number}", "-a", "A").returncode == 0
    done = subprocess.run(
        f"'{TRACKER}' list | head -n 1",
        shell=True,
        env=environment(store),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout == "id\tstatus\tdeadline\toverdue\tprogress\tactors\ttitle\n"
    assert "Traceback" not in done.stderr


def test_a_damaged_store_exits_3_and_is_left_as_it_is(store: Path) -> None:
    assert run(store, "add", "One", "-a", "A").returncode == 0
    assert run(store, "add", "Two", "-a", "A").returncode == 0
    backup = backup_path(store).read_bytes()
    damaged = store.read_bytes()[:100]
    store.write_bytes(damaged)
    for args in (["list"], ["show", "1"], ["add", "Three", "-a", "A"], ["status", "1", "broken"]):
        result = run(store, *args)
        assert result.returncode == 3, result.stderr
        [line] = result.stderr.splitlines()
        assert "is damaged" in line
        assert str(backup_path(store)) in line
        assert store.read_bytes() == damaged
        assert backup_path(store).read_bytes() == backup


def test_a_newer_store_exits_3(store: Path) -> None:
    assert run(store, "add", "One", "-a", "A").returncode == 0
    data = json.loads(store.read_text())
    data["_meta"]["1"]["schema_version"] = 99
    store.write_text(json.dumps(data))
    before = store.read_bytes()
    result = run(store, "add", "Two", "-a", "A")
    assert result.returncode == 3
    assert "schema version 99" in result.stderr
    assert store.read_bytes() == before


@pytest.mark.parametrize(("answer", "code", "remaining"), [("y", 0, []), ("n", 1, [1])])
def test_rm_asks_at_a_terminal(answer: str, code: int, remaining: list[int], store: Path) -> None:
    assert run(store, "add", "One", "-a", "A").returncode == 0
    main, secondary = pty.openpty()
    try:
        os.write(main, f"{answer}\n".encode())
        done = subprocess.run(
            [str(TRACKER), "rm", "1"],
            stdin=secondary,
            env=environment(store),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(main)
        os.close(secondary)
    assert done.returncode == code, done.stderr
    assert "Remove pledge 1 'One' and its evidence?" in done.stdout
    listed = json.loads(run(store, "list", "--json").stdout)
    assert [record["id"] for record in listed] == remaining


@pytest.mark.slow
def test_eight_processes_adding_at_once(store: Path) -> None:
    """8 processes each add 20 pledges at the same time: every add lands, every id is distinct."""
    workers, each = 8, 20
    store.parent.mkdir(parents=True)
    script = 'for i in $(seq 1 "$2"); do "$0" add "pledge $1-$i" --actor "actor $1" || exit 1; done'
    env = environment(store, TRACKER_LOCK_TIMEOUT="60")
    processes = [
        subprocess.Popen(
            ["bash", "-c", script, str(TRACKER), str(worker), str(each)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(workers)
    ]
    outputs = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr
        assert stderr == ""
        outputs.append([int(line) for line in stdout.split()])

    printed = [pledge_id for output in outputs for pledge_id in output]
    assert all(len(output) == each for output in outputs)
    assert sorted(printed) == list(range(1, workers * each + 1))
    for output in outputs:
        assert output == sorted(output)  # one process's adds are serialised, so its ids only grow

    data = json.loads(store.read_bytes())
    assert check_shape(data) is None
    pledges = data["pledges"]
    assert len(pledges) == workers * each
    assert sorted(int(key) for key in pledges) == list(range(1, workers * each + 1))
    assert len({record["uuid"] for record in pledges.values()}) == workers * each
    titles = {record["title"] for record in pledges.values()}
    assert titles == {f"pledge {worker}-{number}" for worker in range(workers) for number in range(1, each + 1)}
    assert len(data["history"]) == workers * each
    assert data["_meta"]["1"]["next_ids"]["pledges"] == workers * each + 1
    listed = run(store, "list", "--json")
    assert len(json.loads(listed.stdout)) == workers * each
    assert not [path for path in store.parent.iterdir() if path.name.endswith(".tmp")]


def _run_in_terminal(args: list[str], answers: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    """Run the installed tracker on a pseudo-terminal, typing each answer when it prompts."""
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child becomes tracker, with the pty as its terminal
        os.execve(str(TRACKER), [str(TRACKER), *args], env)
    output = b""
    pending = list(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if pending and output.rstrip().endswith((b"]:", b":")):
                os.write(fd, (pending.pop(0) + "\n").encode())
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")


def test_extract_add_reviews_each_candidate_at_a_terminal(tmp_path: Path) -> None:
    store = tmp_path / "talks.json"
    article = Path(__file__).parent.parent / "examples" / "islamabad-2021" / "article.txt"
    env = {**environment(store), "TERM": "dumb", "COLUMNS": "120"}
    # Accept the first, skip the second, edit the third (with one bad deadline first), accept the rest.
    answers = ["a", "s", "e", "Widen the trade basket", "", "next tuesday", "end of 2023", "none", "a"] + ["a"] * 4
    code, output = _run_in_terminal(["extract", str(article), "--add"], answers, env)
    assert code == 0, output
    assert "is not a deadline" in output  # the typo was refused and asked again
    listed = subprocess.run(
        [str(TRACKER), "list", "--json"], env=environment(store), capture_output=True, text=True, check=True
    )
    pledges = json.loads(listed.stdout)
    assert len(pledges) == 6
    edited = next(pledge for pledge in pledges if pledge["title"] == "Widen the trade basket")
    assert edited["deadline"]["date"] == "2023-12-31"
    assert not any("drills" in pledge["title"] for pledge in pledges)


def test_extract_review_quit_stores_nothing(tmp_path: Path) -> None:
    store = tmp_path / "talks.json"
    article = Path(__file__).parent.parent / "examples" / "islamabad-2021" / "article.txt"
    code, output = _run_in_terminal(
        ["extract", str(article), "--add"], ["a", "q"], {**environment(store), "TERM": "dumb"}
    )
    assert code == 1
    assert "nothing was stored" in output
    assert not store.exists()


def test_a_process_builds_only_the_command_it_runs_and_says_the_same(store: Path) -> None:
    """The installed command registers only the named command; what it says is what the whole
    app says, in the same environment."""
    whole_app = [sys.executable, "-c", "from tracker.cli import app; app(prog_name='tracker')"]
    for args in (["list", "--help"], ["evidence", "list", "--help"], ["--db", str(store), "report", "--help"]):
        installed = run(store, *args)
        whole = subprocess.run(
            [*whole_app, *args], env=environment(store), capture_output=True, text=True, timeout=60, check=False
        )
        assert (installed.returncode, installed.stdout) == (whole.returncode, whole.stdout)
        assert installed.stdout.startswith("Usage: tracker ")
    unknown = run(store, "lst")
    assert unknown.returncode == 2 and "Did you mean 'list'?" in unknown.stderr
    listing = run(store, "--help")
    assert listing.returncode == 0 and all(name in listing.stdout for name in ("evidence", "report", "undo"))


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["list"], "list"),
        (["--db", "x.json", "report", "summary"], "report"),
        (["--db=x.json", "evidence", "add"], "evidence"),
        (["--version"], None),
        (["--help", "list"], None),
        (["--db", "x.json", "-h", "report"], None),
        ([], None),
    ],
)
def test_the_command_named_on_a_command_line(args: list[str], named: str | None) -> None:
    from tracker.cli import _invoked_command

    assert _invoked_command(args) == named
