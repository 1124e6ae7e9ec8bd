"""Importing the bot package loads nothing: discord.py stays unloaded until the bot runs."""

from __future__ import annotations

import subprocess
import sys


def test_importing_talentqa_bot_does_not_import_discord() -> None:
    code = "import sys, talentqa.bot; print('discord' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_package_names_resolve_on_first_use() -> None:
    import talentqa.bot as bot
    from talentqa.bot.client import TalentQABot
    from talentqa.bot.runner import resolve_token, run_bot, serve

    assert bot.TalentQABot is TalentQABot
    assert (bot.run_bot, bot.serve, bot.resolve_token) == (run_bot, serve, resolve_token)
    assert set(bot.__all__) <= set(dir(bot))
