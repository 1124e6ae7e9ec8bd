"""What every `talentqa` subcommand shares: options, consoles, settings and error handling."""

from __future__ import annotations

import datetime as dt
import inspect
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from talentqa.errors import ConfigError, TalentQAError
from talentqa.settings import Settings, load_settings

if TYPE_CHECKING:
    from talentqa.app import TalentQA

out = Console()
err = Console(stderr=True)

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        # Parentheses, not brackets: typer renders help as rich markup, where "[env ...]" vanishes.
        help="Embedded Chroma folder (env TALENTQA_STORE). Default, from any folder: the checkout's "
        "vectorstore/ inside the talentqa checkout, else $XDG_DATA_HOME/talentqa/vectorstore "
        "(~/.local/share/talentqa/vectorstore). Commands that only read never create it.",
        show_default=False,
    ),
]
ChromaOpt = Annotated[
    str | None,
    typer.Option(
        "--chroma-url",
        help="Use a Chroma server instead (http://host:port; env TALENTQA_CHROMA_URL).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DocIdArg = Annotated[str, typer.Argument(metavar="ID", help="Document id (see `sources list`).")]


def parse_day(value: str | None, option: str) -> dt.date | None:
    """The date given to `option` (None when not given); one that is no date is a usage error."""
    if value is None:
        return None
    from talentqa.dates import parse_date

    day = parse_date(value)
    if day is None:
        raise typer.BadParameter(f"not a date: {value!r} (use YYYY-MM-DD)", param_hint=option)
    return day


def make_settings(store: Path | None = None, chroma_url: str | None = None, **overrides: Any) -> Settings:
    """The settings from the environment and `.env`; an invalid value is one line and exit status 2."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    changes: dict[str, Any] = {}
    if store is not None:
        changes["store"] = store
    if chroma_url is not None:
        changes["chroma_url"] = chroma_url
    changes.update(overrides)
    return settings.model_copy(update=changes) if changes else settings


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Known errors become one red line and exit status 2; unexpected ones keep their traceback."""
    try:
        yield
    except TalentQAError as exc:
        # The message may quote a path or URL with brackets: text, never markup.
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]")
        raise typer.Exit(130) from None


def _open_app(settings: Settings, *, create: bool) -> TalentQA:
    """`create=True` only for commands that write (ingest, feeds update): a read command on a store that
    does not exist says so instead of making an empty one."""
    from talentqa.app import TalentQA

    qa = TalentQA.open(settings, create=create)
    build_folder = qa.pending_model_build() if err.is_terminal else None
    if build_folder is not None:
        err.print(
            "[dim]The first embedding prepares the int8 model from the packaged one (about 10 s, once); "
            f"it is kept in {escape(str(build_folder))}.[/]"
        )
    return qa


@contextmanager
def opened(settings: Settings, *, create: bool = False) -> Iterator[TalentQA]:
    """The app for one command: errors become friendly messages and the store is always closed."""
    with friendly_errors():
        qa = _open_app(settings, create=create)
        try:
            yield qa
        finally:
            qa.close()


def reflow_help(app: typer.Typer) -> None:
    """Give every command of `app` (and of its sub-apps) its docstring as help with each paragraph on one
    line. Typer keeps a docstring's line breaks after the first paragraph, so text wrapped for the source
    came out ragged when rich wrapped it again for the terminal. Lines starting a list item stay lines."""
    for info in app.registered_commands:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            info.help = _reflowed(info.callback.__doc__)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            reflow_help(group.typer_instance)


def _reflowed(doc: str) -> str:
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    joined = []
    for paragraph in paragraphs:
        lines: list[str] = []
        for line in paragraph.splitlines():
            if lines and not re.match(r"\s*(?:[-*•]|\d+[.)])\s", line):
                lines[-1] = f"{lines[-1]} {line.strip()}"
            else:
                lines.append(line.rstrip())
        joined.append("\n".join(lines))
    return "\n\n".join(joined)
