"""The talentqa Discord bot (discord.py 2.x).

Entry point: `run_bot(settings, service)`. Layout:

    client.py      TalentQABot: dependencies in the constructor, extensions loaded in setup_hook
    runner.py      token, event loop, signals: run_bot / serve / resolve_token
    connection.py  reaching Discord: bounded retries on network failures, one log line each
    cogs/          one extension per feature: ask, answer_actions, mentions, sources, about
    formatting.py  pure functions from answers to embeds within Discord's limits
    components.py  buttons and the custom ids that route their clicks
    limits.py      Discord's limits, and a checker for message payloads
    throttle.py    worker threads, the concurrency bound and per-user cooldowns
    memory.py      recent answers and conversations, bounded
    replies.py     sending without pings and without leaving an interaction "thinking"
"""

from talentqa.bot.client import TalentQABot
from talentqa.bot.runner import resolve_token, run_bot, serve

__all__ = ["TalentQABot", "resolve_token", "run_bot", "serve"]
