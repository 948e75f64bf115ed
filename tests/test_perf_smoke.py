"""The benchmark runs at a tiny size and writes its table (no wall-clock limits asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).parent / "perf" / "run.py"


def test_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, str(RUN), "--sizes", "20", "--runs", "1", "--out", str(out), "--no-task"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text()
    assert "## 20 pledges" in text
    assert "| command | median ms |" in text
    for row in (
        "python -c pass",
        "floor 1",
        "floor 2",
        "tracker --version",
        "tracker report summary",
        "tracker list (no cache)",
        "tracker add",
        "tracker add (no cache)",
        "tracker add: cache saved in the background",
        "tracker evidence add",
        "tracker import (whole store)",
        "tracker import (whole store): cache saved in the background",
    ):
        assert row in text
    assert "failed" not in text, text


def test_generated_store_is_deterministic() -> None:
    sys.path.insert(0, str(RUN.parent))
    try:
        import run  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(RUN.parent))
    first, second = run.generate_tables(30), run.generate_tables(30)
    assert run.dump_store(first) == run.dump_store(second)
    meta = first["_meta"]["1"]
    assert meta["next_ids"]["pledges"] == 31
    assert meta["next_ids"]["evidence"] == len(first["evidence"]) + 1
    assert 2 <= len(first["evidence"]) / 30 <= 4
