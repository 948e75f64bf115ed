"""Output rendered in two processes is the output rendered in one."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tracker import parallel

EXAMPLE_STORE = Path(__file__).resolve().parent.parent / "examples" / "islamabad-2021" / "pledges.json"


@pytest.fixture(autouse=True)
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """Split on any machine, so that the child's side is tested everywhere."""
    monkeypatch.setattr(parallel, "cores", lambda: 2)


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The children forked from here on, as `os.fork` gives them to this process."""
    forked: list[int] = []
    fork = os.fork

    def recorded_fork() -> int:
        child = fork()
        if child:
            forked.append(child)
        return child

    monkeypatch.setattr(os, "fork", recorded_fork)
    return forked


def no_fork() -> int:
    raise OSError("no more processes")


def items(start: int, stop: int) -> Iterator[str]:
    for index in range(start, stop):
        yield f"item {index} ✔\n"


def joined(parts: Iterator[str | bytes], encoding: str = "utf-8") -> str:
    return "".join(part.decode(encoding) if isinstance(part, bytes) else part for part in parts)


@pytest.mark.parametrize("count", [0, 1, 2, 3, 10, 5000])
def test_the_parts_are_the_parts_rendered_in_one_process(count: int) -> None:
    parts = list(parallel.in_two(items, count, split_from=2))
    assert joined(iter(parts)) == "".join(items(0, count))
    if count >= 2:
        # This process rendered the first half; the second came from the child, encoded.
        assert parts[: count // 2] == list(items(0, count // 2))
        assert all(isinstance(part, bytes) for part in parts[count // 2 :])


@pytest.mark.parametrize(("count", "share", "own"), [(10, 0.4, 4), (10, 0.01, 1), (10, 0.99, 9), (2, 0.5, 1)])
def test_this_process_renders_its_share_after_the_first_parts(
    count: int, share: float, own: int, children: list[int]
) -> None:
    def first() -> Iterator[str]:
        # Worked out while the child renders: it was forked before.
        assert children
        yield "first\n"

    parts = list(parallel.in_two(items, count, first, share, split_from=2))
    assert parts[: own + 1] == ["first\n", *items(0, own)]
    assert all(isinstance(part, bytes) for part in parts[own + 1 :])
    assert joined(iter(parts)) == "first\n" + "".join(items(0, count))


@pytest.mark.parametrize("count", [0, 1, 20])
def test_the_first_parts_come_first_however_the_items_are_rendered(count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    for split_from in (2, 10**9):
        assert joined(
            parallel.in_two(items, count, lambda: ["a\n", "b\n"], split_from=split_from)
        ) == "a\nb\n" + "".join(items(0, count))
    monkeypatch.setattr(os, "fork", no_fork)
    assert list(parallel.in_two(items, count, lambda: ["a\n"], split_from=2)) == ["a\n", *items(0, count)]


def test_first_parts_that_fail_leave_no_child_behind(children: list[int]) -> None:
    def first() -> Iterator[str]:
        raise RuntimeError("the opening fails")

    with pytest.raises(RuntimeError, match="the opening fails"):
        list(parallel.in_two(items, 100_000, first, split_from=2))
    assert len(children) == 1
    with pytest.raises(ChildProcessError):  # killed and reaped
        os.waitpid(children[0], os.WNOHANG)


def test_below_the_threshold_nothing_is_forked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> int:
        raise AssertionError("forked")

    monkeypatch.setattr(os, "fork", refuse)
    assert list(parallel.in_two(items, 10, split_from=11)) == list(items(0, 10))


def test_a_child_that_fails_is_replaced_by_this_process() -> None:
    parent = os.getpid()

    def fails_in_the_child(start: int, stop: int) -> Iterator[str]:
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return items(start, stop)

    parts = list(parallel.in_two(fails_in_the_child, 20, split_from=2))
    assert parts == list(items(0, 20))


def test_a_part_the_child_cannot_encode_is_rendered_here_to_fail_as_it_would() -> None:
    parts = list(parallel.in_two(items, 20, encoding="ascii", split_from=2))
    assert parts == list(items(0, 20))  # all text: the output's own encoding then refuses it


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_an_encoding_that_marks_its_start_is_not_split(encoding: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each part encoded alone would begin with a byte order mark of its own."""

    def refuse() -> int:
        raise AssertionError("forked")

    monkeypatch.setattr(os, "fork", refuse)
    assert list(parallel.in_two(items, 20, encoding=encoding, split_from=2)) == list(items(0, 20))


def test_no_room_for_the_spool_renders_everything_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_room() -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(parallel.tempfile, "TemporaryFile", no_room)
    assert list(parallel.in_two(items, 20, split_from=2)) == list(items(0, 20))


def test_fork_failing_renders_everything_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fork", no_fork)
    assert list(parallel.in_two(items, 20, split_from=2)) == list(items(0, 20))


def test_a_reader_that_stops_early_leaves_no_child_behind(children: list[int]) -> None:
    parts = parallel.in_two(items, 100_000, split_from=2)
    assert next(parts) == "item 0 ✔\n"
    parts.close()
    assert len(children) == 1
    with pytest.raises(ChildProcessError):  # killed and reaped
        os.waitpid(children[0], os.WNOHANG)


@pytest.mark.parametrize(
    ("options", "sections"),
    [
        ([], 7),
        (["--actor", "Pakistan"], 5),  # some pledges on each side
        (["--category", "defence"], 2),  # none on the child's side (pledges 3 to 7)
        (["--category", "energy"], 2),  # none on this process's side (pledges 1 and 2)
        (["--as-of", "2020-01-01"], 0),  # none made yet
    ],
)
@pytest.mark.parametrize("to_file", [False, True])
def test_a_briefing_rendered_in_two_processes_is_the_briefing(
    invoke: Callable[..., Any],
    isolated_store: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    to_file: bool,
    options: list[str],
    sections: int,
) -> None:
    from tracker.render import markdown

    # The sides named above are those of this share: 2 of the 7 pledges here, 5 in the child.
    monkeypatch.setattr(markdown, "OWN_SHARE", 0.35)
    isolated_store.write_bytes(EXAMPLE_STORE.read_bytes())
    outputs = []
    for split_from in (10**9, 1):
        monkeypatch.setattr(parallel, "SPLIT_FROM", split_from)
        target = tmp_path / f"briefing-{split_from}.md"
        result = invoke("export", "markdown", *options, *(["-o", str(target)] if to_file else []))
        assert result.exit_code == 0, result.output
        outputs.append(target.read_text(encoding="utf-8") if to_file else result.stdout)
    assert outputs[0] == outputs[1] and outputs[0].count("\n### ") == sections
    assert outputs[0].endswith("\n") and not outputs[0].endswith("\n\n")


@pytest.mark.parametrize(("batch", "writes_of_text"), [(1, 6), (5, 4), (64, 4), (10**6, 3)])
def test_output_parts_are_written_in_batches_in_order(
    batch: int, writes_of_text: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker import cli

    monkeypatch.setattr(cli, "_WRITE_BATCH", batch)
    parts: list[str | bytes] = ["ab", "c", b"\xe2\x9c\x94", "d" * 70, "", b"", "e", "f", b"g"]
    batched = list(cli._batched(iter(parts)))
    assert joined(iter(batched)) == joined(iter(parts))
    # Bytes come where they were, as they were; no run of text is cut, and text is joined only
    # up to the batch's size.
    assert [part for part in batched if isinstance(part, bytes)] == [b"\xe2\x9c\x94", b"", b"g"]
    texts = [part for part in batched if isinstance(part, str)]
    assert all(len(text) < batch + 70 for text in texts)
    assert len(texts) == writes_of_text
