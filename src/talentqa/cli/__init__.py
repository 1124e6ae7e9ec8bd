"""The `talentqa` command: the typer app (commands.py), one module per command group (ingest.py ingest
and reindex, sources.py sources and stats, ask.py ask and repl, eval.py eval and calibrate, feeds.py,
bot.py), shared options and error text (common.py), the interactive session (repl.py) and answer
rendering (render.py)."""

from talentqa.cli.commands import app, main

__all__ = ["app", "main"]
