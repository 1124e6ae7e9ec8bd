"""The `talentqa` command: the typer app, and every command and group registered in the order `--help`
lists them. Each lives in its own module; this and the REPL and bot are the only places that turn errors
into user text."""

from __future__ import annotations

import typer

from talentqa.cli import ask as ask_commands
from talentqa.cli import bot as bot_commands
from talentqa.cli import eval as eval_commands
from talentqa.cli import feeds as feed_commands
from talentqa.cli import ingest as ingest_commands
from talentqa.cli import sources as source_commands
from talentqa.cli.common import reflow_help

app = typer.Typer(
    help="Answers questions about news articles with verbatim, verified quotes.\n\n"
    'Start with `talentqa ingest ingest/samples` then `talentqa ask "..."`.',
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(source_commands.sources_app, name="sources")  # sources list|show|remove
app.command()(ingest_commands.ingest)
app.command()(source_commands.stats)
app.command()(ingest_commands.reindex)
app.command()(ask_commands.ask)
app.command()(ask_commands.repl)
eval_commands.register(app)  # eval run|feedback, calibrate
feed_commands.register(app)  # feeds add|list|remove|update
bot_commands.register(app)  # bot
reflow_help(app)  # after every command is registered


def main() -> None:
    app()
