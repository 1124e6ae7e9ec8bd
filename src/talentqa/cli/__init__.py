"""The `talentqa` command: the typer app and the core commands (commands.py), one module per further
command group (eval.py, feeds.py, bot.py), shared options and error text (common.py), the interactive
session (repl.py) and answer rendering (render.py)."""

from talentqa.cli.commands import app, main

__all__ = ["app", "main"]
