"""Starting and stopping the bot: the token, the event loop, signals.

The token is read from `settings.discord_token` (`TALENTQA_DISCORD_TOKEN`) or from the file
`settings.bot.token_file`. It is never logged, echoed or put in an error message.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import stat
from collections.abc import Sequence

import discord

from talentqa.bot.client import TalentQABot
from talentqa.bot.connection import RETRY_DELAYS, OneLineReconnects, login_with_retry, reach_gateway
from talentqa.errors import ConfigError
from talentqa.feedback import FeedbackStore
from talentqa.service import QAService
from talentqa.settings import Settings

log = logging.getLogger("talentqa.bot")

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def resolve_token(settings: Settings) -> str:
    """The bot token, or ConfigError saying where to put one. The message never contains the token."""
    if settings.discord_token is not None:
        token = settings.discord_token.get_secret_value().strip()
        origin = "TALENTQA_DISCORD_TOKEN"
    elif settings.bot.token_file is not None:
        path = settings.bot.token_file
        origin = f"the token file {path}"
        try:
            token = path.read_text(encoding="utf-8").strip()
            mode = path.stat().st_mode
        except OSError as exc:
            raise ConfigError(f"Cannot read {origin}: {exc.strerror or exc}.") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("%s is readable by other users; `chmod 600` it", origin)
    else:
        raise ConfigError(
            "No Discord bot token: set TALENTQA_DISCORD_TOKEN, or TALENTQA_BOT__TOKEN_FILE to a file "
            "holding it. See bot/README.md."
        )
    if not token:
        raise ConfigError(f"The Discord bot token from {origin} is empty.")
    if token.lower().startswith("bot ") or any(ch.isspace() for ch in token):
        raise ConfigError(
            f"The Discord bot token from {origin} is malformed: it must be the bare token from the Developer "
            "Portal (Bot > Reset Token), without a 'Bot ' prefix or spaces."
        )
    return token


async def serve(bot: TalentQABot, token: str, *, retry_delays: Sequence[float] = RETRY_DELAYS) -> None:
    """Log in and run until the bot is closed; SIGTERM and SIGINT close it cleanly.

    Logging in and reaching the gateway are retried on network failures (waiting `retry_delays` in
    turn), then raise DiscordUnreachableError; a rejected token or a refused intent is a ConfigError at once.
    """
    loop = asyncio.get_running_loop()
    closing: set[asyncio.Task[None]] = set()

    def request_close(sig: signal.Signals) -> None:
        log.info("received %s; closing", sig.name)
        task = asyncio.ensure_future(bot.close())
        closing.add(task)
        task.add_done_callback(closing.discard)

    installed: list[signal.Signals] = []
    for sig in _STOP_SIGNALS:
        try:
            loop.add_signal_handler(sig, request_close, sig)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            # Not the main thread, or a platform without loop signal handlers: closing is up to the caller.
            pass
    reconnects = OneLineReconnects()
    discord_log = logging.getLogger("discord.client")
    discord_log.addFilter(reconnects)
    try:
        async with bot:
            try:
                await login_with_retry(bot, token, delays=retry_delays)
                await reach_gateway(delays=retry_delays)
                await bot.connect(reconnect=True)
            except discord.LoginFailure:
                raise ConfigError(
                    "Discord rejected the bot token (401 Unauthorized). Reset it in the Developer Portal "
                    "(Bot > Reset Token) and update TALENTQA_DISCORD_TOKEN or the token file."
                ) from None
            except discord.PrivilegedIntentsRequired:
                raise ConfigError(
                    "Discord refused the Message Content intent. Enable it in the Developer Portal "
                    "(Bot > Privileged Gateway Intents), or turn mention mode off with "
                    "TALENTQA_BOT__MENTIONS=false."
                ) from None
    finally:
        discord_log.removeFilter(reconnects)
        for sig in installed:
            loop.remove_signal_handler(sig)
        if closing:
            await asyncio.wait(closing)


def run_bot(
    settings: Settings,
    service: QAService,
    *,
    sync_guild: int | None = None,
    sync_global: bool = False,
    retry_delays: Sequence[float] = RETRY_DELAYS,
) -> None:
    """Run the Discord bot until SIGTERM or SIGINT (blocking), then close it and `service`.

    `service` is created once by the caller and owned by the bot from here: it is closed on the way
    out, after every answer in progress has finished. Raises ConfigError for a missing, malformed or
    rejected token, or a refused privileged intent, and DiscordUnreachableError when Discord cannot be
    reached after retrying.
    """
    if not logging.getLogger().handlers:
        # Nothing configured logging (discord.py's own run() would have): log to stderr, which
        # systemd's journal collects.
        discord.utils.setup_logging(level=logging.INFO)
    try:
        token = resolve_token(settings)
        feedback = FeedbackStore(settings.bot.feedback_db)

        async def main() -> None:
            bot = TalentQABot(service, settings, feedback, sync_guild=sync_guild, sync_global=sync_global)
            await serve(bot, token, retry_delays=retry_delays)

        # asyncio.run waits for the worker threads, so no question is still using the service below.
        asyncio.run(main())
    finally:
        service.close()
        log.info("bot stopped")
