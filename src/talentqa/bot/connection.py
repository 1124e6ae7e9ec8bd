"""Reaching Discord: bounded retries on network failures, one line for each.

A bot whose machine has no route to Discord used to print about 90 lines of aiohttp traceback and stop.
Here a network failure is one log line saying what failed, retried with exponential backoff, and after a
bounded number of attempts one `DiscordUnreachableError` (so `talentqa bot` exits non-zero and systemd's
`Restart=` takes over). A rejected token is never retried: no wait makes it valid.

Logging in and the first route to the gateway are retried here. Once connected, discord.py itself
reconnects the gateway with its own backoff; `OneLineReconnects` turns the traceback it logs for each
attempt into one line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

import aiohttp
import discord
import yarl

from talentqa.errors import TalentQAError

log = logging.getLogger("talentqa.bot")

# Seconds between attempts to log in or to reach the gateway: doubling, and bounded, so a bot started
# before the network is up waits about a minute in all before it gives up.
RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
# One attempt may not hang longer than this (a firewall that drops packets gives no error at all).
ATTEMPT_SECONDS = 30.0


class DiscordUnreachableError(TalentQAError):
    """Discord could not be reached over the network, after retrying."""


def is_network_error(exc: BaseException) -> bool:
    """Failures that waiting can cure: no route, DNS, refused or reset connections, timeouts, Discord's
    own 5xx, a dropped gateway connection. Not a rejected token (`LoginFailure`) nor any other 4xx."""
    if isinstance(exc, discord.DiscordServerError | discord.GatewayNotFound | discord.ConnectionClosed):
        return True
    if isinstance(exc, discord.HTTPException | discord.ClientException):
        return False
    return isinstance(exc, OSError | aiohttp.ClientError | TimeoutError)


def describe(exc: BaseException) -> str:
    """One line saying what went wrong, without a traceback."""
    if isinstance(exc, TimeoutError) and not str(exc):
        return "no answer in time"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:300] + "\u2026"


def api_host() -> str:
    return yarl.URL(discord.http.Route.BASE).host or "discord.com"


def gateway_host() -> str:
    return discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY.host or "gateway.discord.gg"


async def login_with_retry(
    bot: discord.Client,
    token: str,
    *,
    delays: Sequence[float] = RETRY_DELAYS,
    attempt_seconds: float = ATTEMPT_SECONDS,
) -> None:
    """`bot.login(token)`, retried after each network failure with the waits in `delays`.

    Raises DiscordUnreachableError when every attempt failed on the network; `discord.LoginFailure`
    (and any other error) at once.
    """

    async def log_in() -> None:
        await bot.login(token)

    async def drop_session() -> None:
        await _drop_http_session(bot)

    await _retried(log_in, api_host(), delays, attempt_seconds, after_failure=drop_session)


async def reach_gateway(
    *, delays: Sequence[float] = RETRY_DELAYS, attempt_seconds: float = ATTEMPT_SECONDS
) -> None:
    """Open (and close) a TCP connection to the gateway, retried like a login.

    discord.py reconnects a gateway connection that drops, but one that fails before it ever connected
    ends in an AttributeError from its reconnect loop (it resumes from a connection that never was), so
    the first connection's route is proved here."""
    url = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    port = url.port or (443 if url.scheme in ("wss", "https") else 80)

    async def connect() -> None:
        _reader, writer = await asyncio.open_connection(url.host, port)
        writer.close()
        await writer.wait_closed()

    await _retried(connect, gateway_host(), delays, attempt_seconds)


async def _retried(
    attempt: Callable[[], Awaitable[None]],
    host: str,
    delays: Sequence[float],
    attempt_seconds: float,
    *,
    after_failure: Callable[[], Awaitable[None]] | None = None,
) -> None:
    attempts = len(delays) + 1
    for number in range(1, attempts + 1):
        try:
            async with asyncio.timeout(attempt_seconds):
                await attempt()
            return
        except Exception as exc:
            if not is_network_error(exc):
                raise
            reason = describe(exc)
        if after_failure is not None:
            await after_failure()
        if number == attempts:
            break
        delay = delays[number - 1]
        log.warning(
            "cannot reach Discord (%s): %s; retrying in %g s (attempt %d of %d)",
            host,
            reason,
            delay,
            number,
            attempts,
        )
        await asyncio.sleep(delay)
    raise DiscordUnreachableError(
        f"cannot reach Discord ({host}): {reason}. Gave up after {attempts} attempts; check the "
        "machine's network, DNS, firewall or proxy."
    )


async def _drop_http_session(bot: discord.Client) -> None:
    """Close the HTTP session a failed login opened, so that retries leave no unclosed session behind.
    Closing it closes its connector too, so the next login must build a fresh one."""
    await bot.http.close()
    bot.http.connector = discord.utils.MISSING


class OneLineReconnects(logging.Filter):
    """Installed on discord.py's client logger: its "Attempting a reconnect" record carries the whole
    traceback of a network failure, every few seconds for as long as the network is down. The record
    keeps its message and level; a network failure's traceback becomes one line naming the host."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and is_network_error(exc):
            said = f"cannot reach Discord ({gateway_host()}): {describe(exc)}".replace("%", "%%")
            record.msg = f"{said}; {record.msg}"
            record.exc_info = None
            record.exc_text = None
        return True
