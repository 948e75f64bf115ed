"""The worked example in examples/islamabad-2021 rebuilds, through the installed CLI, to the committed store.

build.sh runs some forty `tracker` processes, so the store is built once for the module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "islamabad-2021"
BUILD = EXAMPLE / "build.sh"
COMMITTED = EXAMPLE / "pledges.json"
README = EXAMPLE / "README.md"
# The build fixes TRACKER_NOW to this; derived facts (overdue) are read as of the same moment.
BUILD_NOW = "2026-11-29T09:00:00"
# Fields that are random by nature (uuid4), whatever the clock says.
RANDOM_KEYS = frozenset({"uuid"})


def tracker_executable() -> Path:
    beside = Path(sys.executable).parent / "tracker"
    if beside.exists():
        return beside
    found = shutil.which("tracker")
    if found is None:
        pytest.skip("the tracker command is not installed")
    return Path(found)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """An explicit environment: no TRACKER_* from the test session, `tracker` first on PATH."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TRACKER_") and key not in ("FORCE_COLOR", "TTY_COMPATIBLE")
    }
    env["PATH"] = os.pathsep.join([str(tracker_executable().parent), env.get("PATH", "")])
    env["HOME"] = str(home)
    env["XDG_DATA_HOME"] = str(home / "data")
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def without_random(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_random(item) for key, item in value.items() if key not in RANDOM_KEYS}
    if isinstance(value, list):
        return [without_random(item) for item in value]
    return value


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    store = folder / "pledges.json"
    result = subprocess.run(
        ["bash", str(BUILD), str(store)],
        env=clean_env(folder),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"build.sh failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    assert store.exists()
    return store


@pytest.fixture(scope="module")
def cli_json(built: Path) -> dict[str, Any]:
    """`show --json` of the pipeline and vaccine pledges, run side by side to keep the test fast."""
    commands = {
        "show 4": ["show", "4", "--json"],
        "show 5": ["show", "5", "--json"],
    }
    env = clean_env(built.parent, TRACKER_NOW=BUILD_NOW)
    running = {
        name: subprocess.Popen(
            [str(tracker_executable()), "--db", str(built), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in commands.items()
    }
    outputs: dict[str, Any] = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, f"tracker {name} failed: {stderr}"
        outputs[name] = json.loads(stdout)
    return outputs


def test_build_reproduces_the_committed_store(built: Path) -> None:
    fresh = json.loads(built.read_text(encoding="utf-8"))
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    for table in ("pledges", "evidence", "history"):
        assert sorted(fresh[table]) == sorted(committed[table]), f"{table}: different ids"
        for key in committed[table]:
            assert without_random(fresh[table][key]) == without_random(committed[table][key]), f"{table} {key} differs"
    assert fresh["_meta"] == committed["_meta"]
    # Every pledge has a uuid, even if its value differs from run to run.
    assert all(record["uuid"] for record in fresh["pledges"].values())


def test_committed_store_has_the_seven_pledges_and_enough_evidence() -> None:
    store = json.loads(COMMITTED.read_text(encoding="utf-8"))
    pledges = store["pledges"]
    assert sorted(int(key) for key in pledges) == [1, 2, 3, 4, 5, 6, 7]
    assert {record["made_on"] for record in pledges.values()} == {"2021-04-07"}
    assert all(record["source"]["url"] for record in pledges.values())
    evidence = list(store["evidence"].values())
    assert len(evidence) >= 20
    assert all(item["source"] and item["source"]["url"].startswith("https://") for item in evidence)
    stances = {item["stance"] for item in evidence}
    assert stances == {"supports", "contradicts", "context"}


def test_vaccine_pledge_is_fulfilled_by_the_deliveries(cli_json: dict[str, Any]) -> None:
    p5 = cli_json["show 5"]
    assert p5["target"] == {"value": 150000, "unit": "doses"}
    assert p5["status"] == "fulfilled"
    assert p5["progress"] >= 1
    fulfilled = [entry for entry in p5["history"] if entry["field"] == "status" and entry["new"] == "fulfilled"]
    assert [entry["effective_on"] for entry in fulfilled] == ["2021-09-01"]
    # The 50,000 doses of 2021-03-18 came before the talks: context, not counted.
    early = [item for item in p5["evidence"] if item["observed_on"] == "2021-03-18"]
    assert [item["stance"] for item in early] == ["context"]


def test_pipeline_condition_met_and_deadline_set(cli_json: dict[str, Any], built: Path) -> None:
    p4 = cli_json["show 4"]
    assert p4["condition"]["met_on"] == "2021-05-28"
    assert p4["deadline"]["date"] == "2023-12-31"
    assert p4["deadline"]["text"] == "end of 2023"
    assert p4["status"] in ("stalled", "broken")
    assert any(item["stance"] == "contradicts" for item in p4["evidence"])
    history = {(entry["field"], entry["effective_on"]) for entry in p4["history"]}
    assert ("status", "2021-05-28") in history  # conditional -> pending when the protocol was signed
    assert ("deadline", "2021-07-15") in history
    assert p4["history"][0]["new"] == "conditional"
    pakistan_side = json.loads(built.read_text(encoding="utf-8"))["pledges"]["7"]
    assert pakistan_side["status"] == p4["status"]


def test_taliban_takeover_contradicts_the_afghan_pledge(built: Path) -> None:
    evidence = json.loads(built.read_text(encoding="utf-8"))["evidence"].values()
    takeover = [item for item in evidence if item["pledge_id"] == 6 and item["observed_on"] == "2021-08-15"]
    assert [item["stance"] for item in takeover] == ["contradicts"]


def test_readme_table_matches_the_store(built: Path) -> None:
    pledges = json.loads(built.read_text(encoding="utf-8"))["pledges"]
    statuses = {int(key): record["status"] for key, record in pledges.items()}
    assert len(statuses) == 7
    rows = re.findall(r"^\|\s*P(\d)\s*\|.*\|\s*`?([a-z_]+)`?\s*\|\s*$", README.read_text(encoding="utf-8"), re.M)
    assert {int(number): status for number, status in rows} == statuses
