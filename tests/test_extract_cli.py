"""`tracker extract` through the CLI: the worked example's article becomes its seven pledges."""

from __future__ import annotations

import json
from pathlib import Path

from tracker.cli import app

ARTICLE = Path(__file__).parent.parent / "examples" / "islamabad-2021" / "article.txt"


def test_json_lists_candidates_with_every_field(runner) -> None:
    result = runner.invoke(app, ["extract", str(ARTICLE), "--json"])
    assert result.exit_code == 0, result.stderr
    candidates = json.loads(result.stdout)
    assert len(candidates) == 7
    keys = {
        "span",
        "title",
        "actors",
        "recipients",
        "target",
        "deadline",
        "condition",
        "category",
        "confidence",
        "cues",
    }
    assert all(keys <= set(candidate) for candidate in candidates)
    vaccine = next(candidate for candidate in candidates if candidate["target"])
    assert vaccine["target"] == {"value": 150000, "unit": "doses"} or vaccine["target"]["value"] == 150000


def test_add_yes_stores_every_candidate_dated_by_the_article(runner, isolated_store: Path) -> None:
    result = runner.invoke(app, ["extract", str(ARTICLE), "--add", "--yes", "--source", "https://example.org/talks"])
    assert result.exit_code == 0, result.stderr
    pledges = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
    assert len(pledges) == 7
    assert {pledge["made_on"] for pledge in pledges} == {"2021-04-07"}
    assert sum(1 for pledge in pledges if pledge["status"] == "conditional") == 1
    assert all(pledge["source"]["url"] == "https://example.org/talks" for pledge in pledges)


def test_add_without_review_is_refused_when_not_at_a_terminal(runner, isolated_store: Path) -> None:
    result = runner.invoke(app, ["extract", str(ARTICLE), "--add"])
    assert result.exit_code == 1
    assert "--yes" in result.stderr
    assert not isolated_store.exists()


def test_standard_input_and_explicit_date(runner) -> None:
    text = "Norway will provide 2,000 tents to Moldova by the end of 2024, the two governments said."
    result = runner.invoke(app, ["extract", "-", "--json", "--date", "2024-02-01"], input=text)
    assert result.exit_code == 0, result.stderr
    candidates = json.loads(result.stdout)
    assert candidates and candidates[0]["actors"] == ["Norway"]


def test_missing_file_is_one_line_exit_1(runner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["extract", str(tmp_path / "missing.txt")])
    assert result.exit_code == 1
    assert result.stderr.startswith("tracker: error: cannot read")
