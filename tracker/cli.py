"""The `tracker` command: parse arguments, make one library call, render the result.

Library errors (`TrackerError`) become one line on stderr and their exit code; nothing a
user types can produce a traceback.
"""

from __future__ import annotations

import codecs
import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer

if TYPE_CHECKING:
    # rich is imported where a command renders for a terminal, not at start-up (about 30 ms),
    # and the library where a command needs it.
    from rich.console import Console

    from tracker.extract import Candidate
    from tracker.ledger import Clock, Reversal
    from tracker.reports import Records, Report
    from tracker.store import Session, Store

from tracker import __version__, cli_values
from tracker.errors import BadInputError, ConditionFailedError, StoreError, TrackerError

cli_values.install()

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="tracker",
    help="Follow pledges made by governments and officials until they are kept, broken or forgotten.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
evidence_app = typer.Typer(help="Record and list dated, sourced evidence about a pledge.", no_args_is_help=True)
app.add_typer(evidence_app, name="evidence")


@dataclass
class Settings:
    db: Path | None = None

    @property
    def store_path(self) -> Path:
        if self.db is not None:
            return self.db
        from tracker.store import default_store_path

        return default_store_path()


settings = Settings()


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"tracker: error: {message}", err=True)
    raise typer.Exit(code)


def guarded(function: Callable[P, R]) -> Callable[P, R]:
    """Turn library errors into one line on stderr and the error's exit code."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except ConditionFailedError as error:
            # Not an error: the report printed; the exit code is the signal for cron.
            typer.echo(f"tracker: {error}", err=True)
            raise typer.Exit(error.exit_code) from None
        except TrackerError as error:
            fail(str(error), error.exit_code)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except BrokenPipeError:
            # The reader went away (`tracker list | head`): nothing left to say to it.
            sys.stderr.close()
            raise typer.Exit(0) from None
        except UnicodeEncodeError as error:
            fail(
                f"the output holds characters that the {error.encoding} encoding of this terminal or "
                "pipe cannot write; use a UTF-8 locale or set PYTHONIOENCODING=utf-8"
            )
        except OSError as error:
            # The library turns its own file errors into TrackerError: this is the output failing
            # (a full disk behind a redirection, a device that refuses writes).
            fail(f"cannot write the output: {error.strerror or error}")

    return wrapper


def now() -> datetime:
    """The current moment; TRACKER_NOW (an ISO date or time) fixes it for scripts and tests."""
    fixed = os.environ.get("TRACKER_NOW")
    if fixed:
        try:
            moment = datetime.fromisoformat(fixed)
        except ValueError:
            fail(f"TRACKER_NOW='{fixed}' is not an ISO date or time, like 2026-01-31 or 2026-01-31T09:00:00")
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    # Local time: "today" is the analyst's date, not Greenwich's.
    return datetime.now().astimezone()


def today() -> date:
    """Today's date where the analyst is (as `clock().today`, without importing the ledger)."""
    return now().date()


def clock() -> Clock:
    from tracker.ledger import Clock

    return Clock.at(now())


def lock_timeout() -> float:
    raw = os.environ.get("TRACKER_LOCK_TIMEOUT", "")
    if not raw:
        from tracker.store import DEFAULT_LOCK_TIMEOUT

        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise BadInputError(f"TRACKER_LOCK_TIMEOUT='{raw}' is not a number of seconds") from None
    if value < 0:
        raise BadInputError(f"TRACKER_LOCK_TIMEOUT='{raw}' is negative; give a number of seconds")
    return value


def store() -> Store:
    from tracker.store import Store

    return Store(settings.store_path, lock_timeout=lock_timeout())


@contextmanager
def writing(moment: Clock) -> Iterator[Session]:
    """A locked read-modify-write of the store; the journal records it at `moment`."""
    with store().transaction(recorded_at=moment.now) as session:
        yield session


def out() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def terminal() -> bool:
    """Whether standard output is a terminal, decided as rich decides it, but without importing
    rich when nothing forces the answer (piped output never needs rich)."""
    if os.environ.get("TTY_COMPATIBLE", "") in ("0", "1") or os.environ.get("FORCE_COLOR") is not None:
        return out().is_terminal
    try:
        return sys.stdout.isatty()
    except ValueError:  # a closed stream
        return False


def parse_day(text: str | None, today: date) -> date | None:
    from tracker.dates import parse_date

    return parse_date(text, today) if text is not None else None


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"tracker {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    db: Annotated[
        Path | None,
        typer.Option("--db", envvar="TRACKER_DB", help="Store file. Default: pledges.json in your user data folder."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    settings.db = db


# Options shared by several commands --------------------------------------------------------
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Compute overdue and progress as of this date (default today).")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON (a documented, stable shape).")]
SourceUrl = Annotated[str | None, typer.Option("--source", help="URL of the report this comes from.")]
SourceTitle = Annotated[str | None, typer.Option("--source-title", help="Title of the source.")]
Publisher = Annotated[str | None, typer.Option("--publisher", help="Who published the source.")]


def records(session: Session) -> Records:
    from tracker.reports import Records

    # The session builds each record once and groups evidence and history by pledge once.
    return Records(session.pledges(), session.evidence_by_pledge(), session.history_by_pledge())


@app.command("add")
@guarded
def add_command(
    title: Annotated[str, typer.Argument(help="What was pledged, in a few words.")],
    actor: Annotated[list[str], typer.Option("--actor", "-a", help="Who is bound (repeat for a joint pledge).")] = [],  # noqa: B006
    recipient: Annotated[list[str], typer.Option("--recipient", "-r", help="Who benefits (repeatable).")] = [],  # noqa: B006
    made_on: Annotated[str | None, typer.Option("--made-on", help="When the pledge was made (default today).")] = None,
    deadline: Annotated[
        str | None,
        typer.Option("--deadline", "-d", help="When it falls due: '2021-12-31', 'Q3 2022', 'within six months', ..."),
    ] = None,
    target: Annotated[str | None, typer.Option("--target", help="A measurable target, like '150000 doses'.")] = None,
    condition: Annotated[
        str | None, typer.Option("--condition", help="What the pledge waits on ('once the protocol is signed').")
    ] = None,
    category: Annotated[
        str, typer.Option("--category", "-c", help="defence, security, trade, energy, health, diplomacy or other.")
    ] = "other",
    tag: Annotated[list[str], typer.Option("--tag", "-t", help="A free tag (repeatable).")] = [],  # noqa: B006
    source: SourceUrl = None,
    source_title: SourceTitle = None,
    publisher: Publisher = None,
    text: Annotated[str | None, typer.Option("--text", help="The exact words as reported.")] = None,
    venue: Annotated[str | None, typer.Option("--venue", help="Where it was made ('talks in Islamabad').")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Your own notes.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Initial status (default pending, or conditional with --condition).")
    ] = None,
) -> None:
    """Record a new pledge and print its id."""
    from tracker.ledger import SourceInput, add_pledge
    from tracker.model import parse_category, parse_status

    moment = clock()
    with writing(moment) as session:
        pledge = add_pledge(
            session,
            moment,
            title=title,
            actors=actor,
            recipients=recipient,
            made_on=parse_day(made_on, moment.today),
            deadline=deadline,
            target=target,
            condition=condition,
            category=parse_category(category),
            tags=tag,
            source=SourceInput(source, source_title, publisher),
            text=text,
            venue=venue,
            notes=notes,
            status=parse_status(status) if status is not None else None,
        )
    typer.echo(pledge.id)


@app.command("list")
@guarded
def list_command(
    status: Annotated[list[str], typer.Option("--status", "-s", help="Only these statuses (repeatable).")] = [],  # noqa: B006
    actor: Annotated[
        list[str], typer.Option("--actor", "-a", help="Only pledges binding this actor (repeatable).")
    ] = [],  # noqa: B006
    category: Annotated[list[str], typer.Option("--category", "-c", help="Only this category (repeatable).")] = [],  # noqa: B006
    tag: Annotated[list[str], typer.Option("--tag", "-t", help="Only pledges with this tag (repeatable).")] = [],  # noqa: B006
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue pledges.")] = False,
    as_of: AsOf = None,
    json: Json = False,
    show_all: ShowAll = False,
) -> None:
    """List pledges, with filters (on a terminal a screenful; --all shows every row)."""
    from tracker.model import PledgeFilter, parse_category, parse_status

    current = today()
    day = parse_day(as_of, current) or current
    pledge_filter = PledgeFilter(
        statuses=frozenset(parse_status(value) for value in status),
        actors=tuple(actor),
        categories=frozenset(parse_category(value) for value in category),
        tags=tuple(tag),
    )
    from tracker.reports import states_as_of

    states = states_as_of(records(store().snapshot()), day, pledge_filter)
    if overdue:
        states = [state for state in states if state.overdue]
    if json:
        from tracker.render.json import dumps, pledge_json

        typer.echo(dumps([pledge_json(state.pledge, state) for state in states]))
        return
    from tracker.render import text

    if not terminal():
        text.write_lines(text.pledge_lines(states))
        return
    console = out()
    if not states:
        console.print("No pledges match.", style="dim")
        return
    # A screenful on a terminal: rendering a rich table of every row of a large store costs far
    # more than finding them, and nobody reads thousands of rows scrolling past.
    shown = states if show_all else states[:SCREENFUL]
    console.print(text.pledge_table(shown))
    more = text.more_rows(len(shown), len(states))
    if more is not None:
        console.print(more)


@app.command("show")
@guarded
def show_command(
    pledge: Annotated[str, typer.Argument(help="Pledge id or uuid prefix (4+ characters).")],
    as_of: AsOf = None,
    json: Json = False,
) -> None:
    """Show one pledge with its evidence."""
    from tracker.rules import state_as_of

    current = today()
    day = parse_day(as_of, current) or current
    session = store().snapshot()
    found = session.resolve(pledge)
    evidence = session.evidence_for(found.id)
    history = session.history_for(found.id)
    state = state_as_of(found, history, evidence, day)
    if state is None:
        raise BadInputError(f"pledge {found.id} was made on {found.made_on.isoformat()}, after {day.isoformat()}")
    # As of a past date, show only what was known and in effect by then.
    history = [entry for entry in history if entry.effective_on <= day]
    if json:
        from tracker.render.json import dumps, pledge_detail_json

        typer.echo(dumps(pledge_detail_json(state, state.evidence, history)))
        return
    from tracker.render import text

    if terminal():
        out().print(text.pledge_detail(state, state.evidence))
    else:
        text.write_lines(text.pledge_detail_lines(state, state.evidence))


@app.command("log")
@guarded
def log_command(
    pledge: Annotated[str, typer.Argument(help="Pledge id or uuid prefix.")],
    json: Json = False,
) -> None:
    """Show every change to a pledge, oldest first, with when it took effect and why."""
    session = store().snapshot()
    pledge_id, title = session.logged_pledge(pledge)
    history = session.history_for(pledge_id)
    if json:
        from tracker.render.json import dumps, history_json

        typer.echo(dumps([history_json(entry) for entry in history]))
        return
    from tracker.render import text

    if terminal():
        console = out()
        console.print(f"#{pledge_id} {title}", style="bold", markup=False)
        console.print(text.history_table(history))
    else:
        text.write_lines(text.history_lines(history))


@app.command("edit")
@guarded
def edit_command(
    pledge: Annotated[str, typer.Argument(help="Pledge id or uuid prefix.")],
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    actor: Annotated[list[str] | None, typer.Option("--actor", "-a", help="Replace the actors (repeatable).")] = None,
    recipient: Annotated[
        list[str] | None, typer.Option("--recipient", "-r", help="Replace the recipients (repeatable).")
    ] = None,
    made_on: Annotated[str | None, typer.Option("--made-on", help="New date the pledge was made.")] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", "-d", help="New deadline ('none' removes it).")] = None,
    target: Annotated[str | None, typer.Option("--target", help="New target ('' removes it).")] = None,
    condition: Annotated[str | None, typer.Option("--condition", help="New condition ('' removes it).")] = None,
    category: Annotated[str | None, typer.Option("--category", "-c", help="New category.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Replace the tags (repeatable).")] = None,
    source: SourceUrl = None,
    source_title: SourceTitle = None,
    publisher: Publisher = None,
    text: Annotated[str | None, typer.Option("--text", help="New quote ('' removes it).")] = None,
    venue: Annotated[str | None, typer.Option("--venue", help="New venue.")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="New notes.")] = None,
    date_: Annotated[str | None, typer.Option("--date", help="When the change took effect (default today).")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why, for the log.")] = None,
) -> None:
    """Change fields of a pledge; each change is written to its log."""
    from tracker.ledger import PledgeEdit, SourceInput, edit_pledge
    from tracker.model import parse_category

    moment = clock()
    given_source = any(value is not None for value in (source, source_title, publisher))
    edit = PledgeEdit(
        title=title,
        actors=actor,
        recipients=recipient,
        made_on=parse_day(made_on, moment.today),
        deadline=deadline,
        target=target,
        condition=condition,
        category=parse_category(category) if category is not None else None,
        tags=tag,
        source=SourceInput(source, source_title, publisher) if given_source else None,
        text=text,
        venue=venue,
        notes=notes,
    )
    effective_on = parse_day(date_, moment.today)
    with writing(moment) as session:
        before = session.resolve(pledge)
        after = edit_pledge(session, moment, pledge, edit, effective_on, reason)
    typer.echo(f"pledge {after.id}: {'updated' if after != before else 'nothing changed'}")


@app.command("rm")
@guarded
def rm_command(
    pledge: Annotated[str, typer.Argument(help="Pledge id or uuid prefix.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a pledge and its evidence (its log keeps a full copy)."""
    from tracker.ledger import remove_pledge

    moment = clock()
    if not yes:
        found = store().snapshot().resolve(pledge)
        if not sys.stdin.isatty():
            raise BadInputError(f"not removing pledge {found.id} without confirmation; add --yes")
        if not typer.confirm(f"Remove pledge {found.id} '{found.title}' and its evidence?"):
            fail(f"pledge {found.id} was not removed")
    with writing(moment) as session:
        removed = remove_pledge(session, moment, pledge)
    typer.echo(f"removed pledge {removed.id}")


@app.command("status")
@guarded
def status_command(
    pledge: Annotated[str, typer.Argument(help="Pledge id or uuid prefix.")],
    new_status: Annotated[
        str,
        typer.Argument(
            metavar="STATUS",
            help="pending, conditional, in_progress, stalled, partial, fulfilled, broken or withdrawn.",
        ),
    ],
    note: Annotated[str | None, typer.Option("--note", "-n", help="Why, for the log.")] = None,
    date_: Annotated[str | None, typer.Option("--date", help="When the change took effect (default today).")] = None,
) -> None:
    """Set a pledge's status, with the date it took effect."""
    from tracker.ledger import set_status
    from tracker.model import parse_status

    moment = clock()
    wanted = parse_status(new_status)
    effective_on = parse_day(date_, moment.today)
    with writing(moment) as session:
        changed = set_status(session, moment, pledge, wanted, note, effective_on)
    typer.echo(f"pledge {changed.id}: {changed.status.value}")


@evidence_app.command("add")
@guarded
def evidence_add_command(
    pledge: Annotated[str, typer.Argument(help="Pledge id or uuid prefix.")],
    summary: Annotated[str, typer.Argument(help="What happened, in a sentence.")],
    date_: Annotated[str | None, typer.Option("--date", help="When it happened (default today).")] = None,
    source: SourceUrl = None,
    source_title: SourceTitle = None,
    publisher: Publisher = None,
    quantity: Annotated[
        str | None, typer.Option("--quantity", "-q", help="A quantity delivered, like '50000 doses'.")
    ] = None,
    stance: Annotated[str, typer.Option("--stance", help="supports, contradicts or context.")] = "supports",
    status: Annotated[
        str | None, typer.Option("--status", help="Set the pledge's status, effective on the evidence date.")
    ] = None,
    meets_condition: Annotated[
        bool, typer.Option("--meets-condition", help="This event meets the pledge's condition.")
    ] = False,
    supersedes: Annotated[
        int | None, typer.Option("--supersedes", help="Id of an evidence item this one corrects.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", "-n", help="Why the status changes, for the log.")] = None,
) -> None:
    """Record dated, sourced evidence about a pledge."""
    from tracker.ledger import SourceInput, add_evidence
    from tracker.model import parse_stance, parse_status

    moment = clock()
    with writing(moment) as session:
        result = add_evidence(
            session,
            moment,
            pledge,
            summary,
            observed_on=parse_day(date_, moment.today),
            source=SourceInput(source, source_title, publisher),
            quantity=quantity,
            stance=parse_stance(stance),
            status=parse_status(status) if status is not None else None,
            meets_condition=meets_condition,
            supersedes=supersedes,
            note=note,
        )
    notes = "".join(f"; {change}" for change in result.changes)
    typer.echo(f"evidence {result.evidence.id} added to pledge {result.pledge.id}{notes}")


@evidence_app.command("list")
@guarded
def evidence_list_command(
    pledge: Annotated[str, typer.Argument(help="Pledge id or uuid prefix.")],
    json: Json = False,
) -> None:
    """List a pledge's evidence, oldest first."""
    session = store().snapshot()
    found = session.resolve(pledge)
    evidence = session.evidence_for(found.id)
    if json:
        from tracker.render.json import dumps, evidence_json

        typer.echo(dumps([evidence_json(item) for item in evidence]))
        return
    from tracker.render import text

    if not terminal():
        text.write_lines(text.evidence_lines(evidence))
        return
    console = out()
    if evidence:
        console.print(text.evidence_table(evidence))
    else:
        console.print(f"No evidence for pledge {found.id} yet.", style="dim")


# Characters of text written at once when the output comes in parts. Written as they come, a
# briefing of 100,000 pledges would be 16,000 writes of the stream's 8 KB, each waking whatever
# reads the other end of a pipe; in pieces of this size it finishes about 5% sooner.
_WRITE_BATCH = 1 << 20


def _batched(parts: Iterable[str | bytes]) -> Iterator[str | bytes]:
    """The parts in order, with text that comes one part after another joined into pieces of
    about `_WRITE_BATCH` characters."""
    batch: list[str] = []
    size = 0
    for part in parts:
        if isinstance(part, bytes):
            if batch:
                yield "".join(batch)
                batch, size = [], 0
            yield part
            continue
        batch.append(part)
        size += len(part)
        if size >= _WRITE_BATCH:
            yield "".join(batch)
            batch, size = [], 0
    if batch:
        yield "".join(batch)


def write_output(content: str | bytes | Iterable[str | bytes], output: Path | None) -> None:
    """Print to stdout, or write the file named by -o (a failure there is the user's to fix: exit 1).

    Content given in parts is written part by part, so it is never all in memory at once.
    """
    parts: Iterable[str | bytes] = [content] if isinstance(content, str | bytes) else _batched(content)
    if output is None:
        for part in parts:
            if isinstance(part, bytes):
                sys.stdout.flush()  # the text written before it goes first
                sys.stdout.buffer.write(part)
            else:
                sys.stdout.write(part)
        return
    try:
        with output.open("wb") as handle:
            for part in parts:
                handle.write(part if isinstance(part, bytes) else part.encode("utf-8"))
    except OSError as error:
        raise BadInputError(f"cannot write {output}: {error.strerror or error}") from None


def build(
    kind: str,
    as_of: str | None,
    since: str | None,
    actor: list[str],
    category: list[str],
    tag: list[str],
    window: int,
    stale_days: int,
) -> Report:
    """The report the options ask for, from one snapshot of the store."""
    from tracker.model import PledgeFilter, parse_category
    from tracker.reports import ReportKind, ReportOptions, build_report

    try:
        report_kind = ReportKind(kind.strip().lower())
    except ValueError:
        accepted = ", ".join(member.value for member in ReportKind)
        raise BadInputError(f"unknown report '{kind}'; accepted: {accepted}") from None
    if window < 0 or stale_days < 0:
        raise BadInputError("--window and --stale-days take a number of days, 0 or more")
    current = today()
    day = parse_day(as_of, current) or current
    options = ReportOptions(
        as_of=day,
        since=parse_day(since, current),
        window=window,
        stale_days=stale_days,
        pledge_filter=PledgeFilter(
            actors=tuple(actor), categories=frozenset(parse_category(value) for value in category), tags=tuple(tag)
        ),
    )
    if options.since and options.since > day:
        raise BadInputError(f"--since {options.since.isoformat()} is after the report date {day.isoformat()}")
    return build_report(records(store().snapshot()), report_kind, options)


ReportActor = Annotated[list[str], typer.Option("--actor", "-a", help="Only pledges binding this actor (repeatable).")]
ReportCategory = Annotated[list[str], typer.Option("--category", "-c", help="Only this category (repeatable).")]
ReportTag = Annotated[list[str], typer.Option("--tag", "-t", help="Only pledges with this tag (repeatable).")]
Since = Annotated[str | None, typer.Option("--since", help="Fulfilled since, and what changed since, this date.")]
Window = Annotated[int, typer.Option("--window", help="Days ahead that count as due soon.")]
StaleDays = Annotated[
    int, typer.Option("--stale-days", help="Days without evidence after which an open pledge is stale.")
]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of standard output.")]
FAIL_ON = ("overdue", "due", "stale")
ShowAll = Annotated[bool, typer.Option("--all", help="On a terminal, show every row, not a screenful.")]
# Rows per table on a terminal before "N more": a long report stays a screen, not a scroll.
SCREENFUL = 20


@app.command("report")
@guarded
def report_command(
    kind: Annotated[str, typer.Argument(help="summary, overdue, fulfilled, due or stale.")] = "summary",
    as_of: AsOf = None,
    since: Since = None,
    actor: ReportActor = [],  # noqa: B006
    category: ReportCategory = [],  # noqa: B006
    tag: ReportTag = [],  # noqa: B006
    window: Window = 30,
    stale_days: StaleDays = 180,
    format_: Annotated[str, typer.Option("--format", "-f", help="text, markdown, json or csv.")] = "text",
    output: Output = None,
    fail_on: Annotated[
        list[str],
        typer.Option("--fail-on", help="Exit 4 if the report has overdue, due or stale pledges (repeatable)."),
    ] = [],  # noqa: B006
    show_all: ShowAll = False,
) -> None:
    """What is overdue, due soon, stale or fulfilled, and how each actor keeps its word."""
    formats = ("text", "markdown", "json", "csv")
    if format_ not in formats:
        raise BadInputError(f"unknown format '{format_}'; accepted: {', '.join(formats)}")
    for condition in fail_on:
        if condition not in FAIL_ON:
            raise BadInputError(f"unknown --fail-on '{condition}'; accepted: {', '.join(FAIL_ON)}")
    report = build(kind, as_of, since, actor, category, tag, window, stale_days)
    if format_ == "json":
        from tracker.render.json import dumps, report_json

        write_output(dumps(report_json(report)) + "\n", output)
    elif format_ == "markdown":
        from tracker.render.markdown import report_markdown

        write_output(report_markdown(report), output)
    elif format_ == "csv":
        from tracker.render.csv import report_csv

        write_output(report_csv(report), output)
    else:
        from tracker.render import text

        if output is None and terminal():
            console = out()
            for part in text.report_renderables(report, limit=None if show_all else SCREENFUL):
                console.print(part)
        else:
            write_output("".join(line + "\n" for line in text.report_lines(report)), output)
    met = [condition for condition in fail_on if report.items(condition)]
    if met:
        counts = ", ".join(f"{len(report.items(condition))} {condition}" for condition in met)
        raise ConditionFailedError(f"--fail-on met: {counts}")


EXPORT_FORMATS = ("json", "markdown", "csv", "ics")


@app.command("export")
@guarded
def export_command(
    format_: Annotated[
        str, typer.Argument(metavar="FORMAT", help="json (lossless), markdown (a briefing), csv or ics.")
    ],
    output: Output = None,
    as_of: AsOf = None,
    actor: ReportActor = [],  # noqa: B006
    category: ReportCategory = [],  # noqa: B006
    tag: ReportTag = [],  # noqa: B006
) -> None:
    """Export the store: json keeps everything; markdown, csv and ics are views as of a date."""
    if format_ not in EXPORT_FORMATS:
        raise BadInputError(f"unknown export format '{format_}'; accepted: {', '.join(EXPORT_FORMATS)}")
    if format_ == "json":
        if actor or category or tag or as_of:
            raise BadInputError("export json is the whole store; --as-of, --actor, --category and --tag do not apply")
        from tracker.render.json import dumps
        from tracker.transfer import export_document

        write_output(dumps(export_document(store().snapshot())) + "\n", output)
        return
    report = build("summary", as_of, None, actor, category, tag, 30, 180)
    if format_ == "markdown":
        from tracker.parallel import in_two
        from tracker.render.markdown import briefing_parts

        # Parts rendered in a second process come encoded as `write_output` encodes text.
        encoding, errors = ("utf-8", "strict") if output else (sys.stdout.encoding, sys.stdout.errors or "strict")
        write_output(briefing_parts(report, functools.partial(in_two, encoding=encoding, errors=errors)), output)
    elif format_ == "csv":
        from tracker.transfer import export_csv

        write_output(export_csv(report.states), output)
    else:
        from tracker.transfer import export_ics

        write_output(export_ics(report.states), output)


@app.command("import")
@guarded
def import_command(
    file: Annotated[Path, typer.Argument(help="A .json file from `tracker export json`, or a .csv of pledges.")],
    force: Annotated[bool, typer.Option("--force", help="On conflicts, let the file's version win.")] = False,
) -> None:
    """Load pledges from a JSON export (merged by uuid) or a CSV spreadsheet (one row per pledge)."""
    try:
        data = file.read_bytes()
    except OSError as error:
        raise BadInputError(f"cannot read {file}: {error.strerror or error}") from None
    moment = clock()
    # A byte order mark, as some editors write, is no part of the text.
    text = memoryview(data)[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    if file.suffix.lower() == ".csv":
        from tracker.transfer import count_csv_rows, import_csv

        content = _utf8(text, file)
        with writing(moment) as session, _row_progress(count_csv_rows(content)) as on_row:
            result = import_csv(session, moment, content, on_row=on_row)
    else:
        from tracker.transfer import import_document, read_document

        # The bytes go to the JSON parser as they are: decoding them to a str first cost a copy
        # of the file several times its size, and the parser checks the UTF-8 itself.
        try:
            document = read_document(text)
        except BadInputError:
            _utf8(text, file)  # a file that is not UTF-8 is told as such, not as bad JSON
            raise
        del data, text
        with writing(moment) as session:
            result = import_document(session, moment, document, force=force, reuse_records=True)
    typer.echo(result.summary())


def _utf8(data: bytes | memoryview, file: Path) -> str:
    try:
        return str(data, "utf-8")
    except UnicodeDecodeError:
        raise BadInputError(f"{file} is not UTF-8 text") from None


@contextmanager
def _row_progress(rows: int) -> Iterator[Any]:
    """A progress bar on a terminal for large files; nothing when piped or small."""
    if rows < 500 or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("importing", total=rows)
        yield lambda done: progress.update(task, completed=done)


@app.command("timeline")
@guarded
def timeline_command(
    as_of: AsOf = None,
    actor: ReportActor = [],  # noqa: B006
    category: ReportCategory = [],  # noqa: B006
    tag: ReportTag = [],  # noqa: B006
) -> None:
    """Draw the pledges on a time axis: bars to their deadlines, evidence marks, today's line."""
    report = build("summary", as_of, None, actor, category, tag, 30, 180)
    if not terminal():  # piped: plain lines, no rich
        from tracker.render.text import piped_width, write_lines
        from tracker.render.timeline import timeline_plain

        write_lines(timeline_plain(report.states, report.as_of, piped_width(), closed_on=report.status_since))
        return
    from tracker.render.timeline import timeline

    console = out()
    drawing = timeline(
        report.states, report.as_of, console.width, color=console.is_terminal, closed_on=report.status_since
    )
    console.print(drawing)


@app.command("doctor")
@guarded
def doctor_command() -> None:
    """Check the store deeply; print every problem (exit 3) or say it is sound (exit 0)."""
    from tracker.doctor import diagnose_file

    problems = diagnose_file(settings.store_path)
    if not problems:
        # A missing file is a new, empty store to every command; say so, for a mistyped path.
        missing = not settings.store_path.exists()
        typer.echo(f"no store at {settings.store_path} yet: an empty store is sound" if missing else "store is sound")
        return
    for problem in problems:
        typer.echo(f"problem: {problem}")
    fail(f"{len(problems)} problem(s) found in store {settings.store_path}", 3)


@app.command("restore")
@guarded
def restore_command(
    backup: Annotated[
        str | None, typer.Argument(help="The backup to put back: its number in the list, or its path.")
    ] = None,
) -> None:
    """List the store's backups (no argument), or put one back; the current file is kept aside."""
    current = store()
    backups = current.backups()
    if backup is None:
        if not backups:
            typer.echo(f"no backups of {current.path}")
        for number, path in enumerate(backups):
            info = path.stat()
            moment = datetime.fromtimestamp(info.st_mtime, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            typer.echo(f"{number}\t{path}\t{moment}\t{info.st_size} bytes")
        return
    chosen = Path(backup)
    if backup.isascii() and backup.isdigit():
        if int(backup) >= len(backups):
            raise BadInputError(f"there is no backup {backup}; `tracker restore` lists them")
        chosen = backups[int(backup)]
    aside = current.restore(chosen, now().strftime("%Y%m%dT%H%M%S"))
    typer.echo(f"restored {chosen} as {current.path}; the replaced file was kept as {aside}")


@app.command("extract")
@guarded
def extract_command(
    file: Annotated[str, typer.Argument(help="The article's text file, or - for standard input.")],
    date_: Annotated[
        str | None, typer.Option("--date", help="The article's date (default: a date at its head, else today).")
    ] = None,
    source: SourceUrl = None,
    json: Json = False,
    add: Annotated[
        bool, typer.Option("--add", help="Store the pledges found (asks about each on a terminal).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --add, store every candidate without asking.")] = False,
) -> None:
    """Propose the pledges in a news report or joint statement, ready to review and store."""
    from tracker.extract import extract_candidates, find_article_date

    if file == "-":
        content = sys.stdin.read()
    else:
        try:
            content = Path(file).read_text(encoding="utf-8-sig")
        except OSError as error:
            raise BadInputError(f"cannot read {file}: {error.strerror or error}") from None
        except UnicodeDecodeError:
            raise BadInputError(f"{file} is not UTF-8 text") from None
    moment = clock()
    article_date = parse_day(date_, moment.today) or find_article_date(content) or moment.today
    candidates = extract_candidates(content, article_date=article_date)
    if json:
        from tracker.render.json import dumps

        typer.echo(dumps([candidate.to_dict() for candidate in candidates]))
    elif not add:
        _print_candidates(candidates, article_date)
    if not add:
        return
    interactive = not yes and not json and sys.stdin.isatty() and sys.stdout.isatty() and file != "-"
    if not yes and not interactive:
        raise BadInputError("not storing candidates without review; add --yes, or run at a terminal to review each")
    chosen = (
        [_review(candidate, index, len(candidates), article_date) for index, candidate in enumerate(candidates, 1)]
        if interactive
        else candidates
    )
    accepted = [candidate for candidate in chosen if candidate is not None]
    from tracker.ledger import SourceInput, add_pledge
    from tracker.model import Category, format_number

    with writing(moment) as session:
        added = [
            add_pledge(
                session,
                moment,
                title=candidate.title,
                actors=candidate.actors,
                recipients=candidate.recipients,
                made_on=article_date,
                deadline=candidate.deadline,
                target=(
                    f"{format_number(float(candidate.target['value']))} {candidate.target['unit']}"
                    if candidate.target
                    else None
                ),
                condition=candidate.condition,
                category=Category(candidate.category),
                source=SourceInput(source),
                text=candidate.span,
            )
            for candidate in accepted
        ]
    message = f"added {len(added)} pledges" + (f" (ids {', '.join(str(p.id) for p in added)})" if added else "")
    typer.echo(message, err=json)


def _print_candidates(candidates: list[Candidate], article_date: date) -> None:
    console = out()
    # Piped, a span stays on one line, whole, for grep and diff.
    console.soft_wrap = not console.is_terminal
    if not candidates:
        console.print("No pledges found.", style="dim")
        return
    console.print(f"{len(candidates)} candidate pledges (article of {article_date.isoformat()}):", markup=False)
    for index, candidate in enumerate(candidates, 1):
        _print_candidate(console, candidate, index)


def _print_candidate(console: Console, candidate: Candidate, index: int) -> None:
    from rich.text import Text

    line = Text(f"\n{index}. ", style="bold")
    line.append(candidate.title, style="bold")
    line.append(f"  ({candidate.confidence:.2f}: {', '.join(candidate.cues)})", style="dim")
    console.print(line)
    details = [
        ("actors", ", ".join(candidate.actors) or "?"),
        ("recipients", ", ".join(candidate.recipients)),
        ("deadline", candidate.deadline or ""),
        ("target", f"{candidate.target['value']:,.0f} {candidate.target['unit']}" if candidate.target else ""),
        ("condition", candidate.condition or ""),
        ("category", candidate.category),
        ("span", f"“{candidate.span}”"),
    ]
    for name, value in details:
        if value:
            console.print(Text(f"   {name}: ", style="dim") + Text(value))


def _review(candidate: Candidate, index: int, total: int, article_date: date) -> Candidate | None:
    """Ask about one candidate: accept, skip, or edit its title, actors, deadline or target."""
    import dataclasses

    console = out()
    while True:
        _print_candidate(console, candidate, index)
        answer = typer.prompt(f"[{index}/{total}] (a)ccept, (s)kip, (e)dit, (q)uit", default="a").strip().lower()
        if answer in ("a", "accept", "y", "yes"):
            return candidate
        if answer in ("s", "skip", "n", "no"):
            return None
        if answer in ("q", "quit"):
            fail("stopped; nothing was stored")
        if answer in ("e", "edit"):
            title = typer.prompt("title", default=candidate.title).strip() or candidate.title
            actors = typer.prompt("actors (; separated)", default="; ".join(candidate.actors))
            deadline = _ask_until_valid(
                "deadline ('none' for none)", candidate.deadline or "none", _deadline_check(article_date)
            )
            target = _ask_until_valid("target ('none' for none)", _target_text(candidate.target), _target_check)
            candidate = dataclasses.replace(
                candidate,
                title=title,
                actors=tuple(actor.strip() for actor in actors.split(";") if actor.strip()),
                deadline=None if deadline.lower() == "none" else deadline,
                target=None if target.lower() == "none" else _target_check(target),
            )


def _ask_until_valid(question: str, default: str, check: Callable[[str], Any]) -> str:
    """Ask again after a refusal, showing why, so one typo does not lose the review."""
    while True:
        answer = str(typer.prompt(question, default=default)).strip()
        if answer.lower() == "none":
            return answer
        try:
            check(answer)
        except TrackerError as error:
            typer.echo(f"  {error}", err=True)
            continue
        return answer


def _deadline_check(article_date: date) -> Callable[[str], Any]:
    from tracker.dates import parse_deadline

    return lambda text: parse_deadline(text, article_date)


def _target_check(text: str) -> dict[str, Any]:
    from tracker.model import Quantity

    quantity = Quantity.parse(text)
    return {"value": quantity.value, "unit": quantity.unit}


def _target_text(target: dict[str, float | str] | None) -> str:
    return f"{target['value']:g} {target['unit']}" if target else "none"


@app.command("undo")
@guarded
def undo_command(
    count: Annotated[int, typer.Argument(help="How many of the last changes to revert.")] = 1,
    dry_run: Annotated[bool, typer.Option("--dry-run", "-n", help="Only say what would be reverted.")] = False,
) -> None:
    """Revert the last change (or the last N) made by any writing command, saying what first."""
    from tracker.ledger import plan_undo, undo

    if dry_run:
        _say_reversal(plan_undo(store().snapshot(use_cache=False), count), done=False)
        return
    moment = clock()
    with writing(moment) as session:
        reversal = undo(session, count)
    _say_reversal(reversal, done=True)


@app.command("redo")
@guarded
def redo_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", "-n", help="Only say what would be put back.")] = False,
) -> None:
    """Put back what the last undo reverted."""
    from tracker.ledger import plan_redo, redo

    if dry_run:
        _say_reversal(plan_redo(store().snapshot(use_cache=False)), done=False)
        return
    moment = clock()
    with writing(moment) as session:
        reversal = redo(session)
    _say_reversal(reversal, done=True)


def _say_reversal(reversal: Reversal, *, done: bool) -> None:
    lead = {"undo": ("Undid", "Would undo"), "redo": ("Redid", "Would redo")}[reversal.verb][0 if done else 1]
    lines = []
    for description in reversal.descriptions:
        lines.append(f"{lead} {description[0]}")
        lines += description[1:]
    typer.echo("\n".join(lines))


def _invoked_command(args: list[str]) -> str | None:
    """The command named on the command line, past the options of `main` (None: none named)."""
    arguments = iter(args)
    for argument in arguments:
        if argument == "--db":
            next(arguments, None)
        elif argument in ("-h", "--help"):
            return None  # the help of the whole app, which lists every command
        elif not argument.startswith("-"):
            return argument
    return None


def _keep_only_invoked_command(args: list[str]) -> None:
    """Register only the command this process runs, when the command line names a known one.

    typer builds every registered command (its options, their types and help) before it parses
    the command line, and that is most of what `tracker list` costs on a small store beyond
    starting typer itself. The command that runs is built exactly as before, so its parsing,
    errors and `--help` are unchanged; an unknown name or bare `tracker` keeps the whole app for
    typer's own messages and the full help.
    """
    name = _invoked_command(args)
    # Every command is registered under an explicit name; one without would keep the whole app.
    commands = [info for info in app.registered_commands if info.name == name]
    groups = [info for info in app.registered_groups if info.name == name]
    if commands or groups:
        app.registered_commands[:] = commands
        app.registered_groups[:] = groups


def run() -> None:
    """Console entry point."""
    # One command per process, over data that holds no reference cycles worth collecting: the
    # cyclic garbage collector would only rescan the store's hundreds of thousands of parsed
    # objects again and again while they are built (a third of the time of reading the store).
    import gc

    gc.disable()
    # Started with stdout or stderr closed (`tracker add ... >&-`): what would go there goes nowhere.
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
    _keep_only_invoked_command(sys.argv[1:])
    from tracker import cache

    # Keeping the records read for the next command is done after this one has answered.
    cache.defer_saves()
    cache.hold_to_exit()
    code: object = 0
    try:
        app()
    except StoreError as error:  # raised outside a command, e.g. while resolving the store path
        typer.echo(f"tracker: error: {error}", err=True)
        code = error.exit_code
    except SystemExit as done:
        code = done.code
    finally:
        # The forked child that saves must not inherit output still to be written; output that
        # cannot be written is a failed command, said in one line.
        try:
            sys.stdout.flush()
        except (OSError, ValueError) as error:
            why = getattr(error, "strerror", None) or error
            with suppress(OSError, ValueError):
                sys.stderr.write(f"tracker: error: cannot write the output: {why}\n")
            code = code or 1
        with suppress(OSError, ValueError):
            sys.stderr.flush()
        cache.run_deferred()
    if code is None or isinstance(code, int):
        # The command is over and its output flushed; its files were closed as it went. Freeing
        # the store's records one by one on the way out is work for nothing (about 30 ms at
        # 10,000 pledges), after a fork it would copy every page they are on into this process,
        # and after output failed the interpreter's own last flush would fail again, with a trace.
        os._exit(code or 0)
    raise SystemExit(code)
