"""The talentqa Discord bot (discord.py 2.x).

Entry point: `run_bot(settings, service)`. Importing this package loads nothing (not even
discord.py): the names below are imported on first use. Layout:

    client.py          TalentQABot: dependencies in the constructor, extensions loaded in setup_hook;
                       the command tree's on_error, the one error path of every slash command
    runner.py          token, event loop, signals: run_bot / serve / resolve_token
    connection.py      reaching Discord: bounded retries on network failures, one log line each
    cogs/              one extension per feature: ask, answer_actions, mentions, sources, about, ingest
    format_answer.py   answers, their citations (paged) and the passage around a quote, as embeds
    format_library.py  /sources pages, /about, and the /ingest and /forget replies
    format_replies.py  what a failure says to the user, and the fixed short replies
    format_text.py     escaping, clipping, splitting long text (Chinese too), safe links, colours
    components.py      buttons, the custom ids that route their clicks, and their one error path
    limits.py          Discord's limits, and a checker for message payloads
    throttle.py        worker threads, the concurrency bound and per-user cooldowns
    memory.py          recent answers and conversations, bounded
    replies.py         sending without pings and without leaving an interaction "thinking"
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from talentqa.bot.client import TalentQABot
    from talentqa.bot.runner import resolve_token, run_bot, serve

__all__ = ["TalentQABot", "resolve_token", "run_bot", "serve"]

_HOMES = {
    "TalentQABot": "talentqa.bot.client",
    "resolve_token": "talentqa.bot.runner",
    "run_bot": "talentqa.bot.runner",
    "serve": "talentqa.bot.runner",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
