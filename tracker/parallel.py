"""A long output rendered in two processes at once, where the machine has the cores for it.

A briefing of a large store spends most of its time turning records into text, one pledge at a
time, each independent of the others. With more than one core, a forked child renders the last
items into an unnamed temporary file while this process works out and writes what comes before
them; the child's text follows. The output is the same as rendered in one process: if the child
fails, for whatever reason, this process renders its items itself.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO, NoReturn

# Below this many items the fork and the copy through the file cost about what they save (and
# one item, or none, is not split at all).
SPLIT_FROM = 2000
_CHUNK = 1 << 20  # bytes the child buffers, and read back at a time
# Encodings that encode text the same in parts as whole: no byte order mark to begin each part
# with (utf-8-sig, utf-16), no shift state to carry from one part to the next.
_PIECEWISE = frozenset({"utf-8", "ascii", "iso8859-1"})


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def in_two(
    render: Callable[[int, int], Iterable[str]],
    count: int,
    first: Callable[[], Iterable[str]] = tuple,
    share: float = 0.5,
    encoding: str = "utf-8",
    errors: str = "strict",
    split_from: int | None = None,
) -> Iterator[str | bytes]:
    """The parts of `first()`, then those of `render(0, count)` (items 0 to count - 1), in order.

    From `split_from` items on (`SPLIT_FROM` unless given), with a second core and `fork`, a
    child renders the items past this process's `share` of them meanwhile, from before `first()`
    is worked out (which may then take work the child's items do not need), and their parts come
    as bytes in `encoding` (with `errors`), as the output would encode them, to go to it as they
    are. A part the child cannot encode makes it fail, and this process then renders its items,
    to fail the same way.
    """
    if (
        count < max(2, SPLIT_FROM if split_from is None else split_from)
        or codecs.lookup(encoding).name not in _PIECEWISE
        or not hasattr(os, "fork")
        or cores() < 2
    ):
        yield from first()
        yield from render(0, count)
        return
    cut = min(max(int(count * share), 1), count - 1)
    with contextlib.ExitStack() as closing:
        try:
            spool = closing.enter_context(tempfile.TemporaryFile())
            child = os.fork()
        except OSError:  # no room for the file, or no process to spare
            yield from first()
            yield from render(0, count)
            return
        if child == 0:
            _render_into(spool, render, cut, count, encoding, errors)
        try:
            yield from first()
            yield from render(0, cut)
        except BaseException:  # the output failed, or the reader stopped reading
            _stop(child)
            raise
        _, status = os.waitpid(child, 0)
        if status != 0:
            yield from render(cut, count)
            return
        spool.seek(0)
        yield from iter(functools.partial(spool.read, _CHUNK), b"")


def _render_into(
    spool: BinaryIO, render: Callable[[int, int], Iterable[str]], start: int, stop: int, encoding: str, errors: str
) -> NoReturn:
    """In the child: render items `start` to `stop` - 1 into the spool, and end the process (its
    status says whether it all went in). Nothing else the parent holds is flushed or closed."""
    status = 1
    try:
        with open(spool.fileno(), "wb", buffering=_CHUNK, closefd=False) as out:
            for part in render(start, stop):
                out.write(part.encode(encoding, errors))
        status = 0
    finally:
        os._exit(status)


def _stop(child: int) -> None:
    import signal

    try:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    except OSError:
        pass
