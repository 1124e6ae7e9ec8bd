"""Fixtures for the bot tests: a deterministic fake QAService (tests/fake_service.py) and the local
stand-in for Discord."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import KeepAliveHandler

from talentqa.bot.client import TalentQABot
from talentqa.feedback import FeedbackStore
from talentqa.service import QAService
from talentqa.settings import BotSettings, Settings
from tests.fake_service import COUNCIL as COUNCIL
from tests.fake_service import HARBOUR as HARBOUR
from tests.fake_service import FakeQAService as FakeQAService
from tests.fake_service import cite as cite

from .fake_discord import WAIT_SECONDS, FakeDiscord


def make_settings(tmp_path: Path, **bot: Any) -> Settings:
    values: dict[str, Any] = {"feedback_db": tmp_path / "feedback.sqlite3", "cooldown_seconds": 0.0}
    values.update(bot)
    return Settings(bot=BotSettings(**values))


@pytest.fixture()
def service() -> FakeQAService:
    return FakeQAService()


@pytest.fixture()
def fake_discord(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDiscord]:
    """The stand-in Discord; discord.py's base URLs point at it (configuration, not patching the bot)."""
    fake = FakeDiscord().start()
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    try:
        yield fake
    finally:
        fake.stop()


@asynccontextmanager
async def running_bot(
    fake: FakeDiscord,
    service: QAService,
    settings: Settings,
    *,
    clock: Callable[[], float] = time.monotonic,
    sync_guild: int | None = None,
    sync_global: bool = False,
) -> AsyncIterator[TalentQABot]:
    """A real TalentQABot logged in to the stand-in, with its guild cached; closed on exit."""
    bot = TalentQABot(
        service,
        settings,
        FeedbackStore(settings.bot.feedback_db),
        clock=clock,
        sync_guild=sync_guild,
        sync_global=sync_global,
    )
    task = asyncio.create_task(bot.start(fake.token))
    try:
        await _connected(bot, task, fake.guild_id)
        yield bot
    finally:
        # Closed whatever happened, a failed start included: an open gateway connection would leave its
        # keep-alive thread beating into this test's event loop after the loop is closed.
        await bot.close()
        await asyncio.wait([task], timeout=WAIT_SECONDS)
        # close() only tells the keep-alive thread to stop; one that woke just before may still be sending
        # a heartbeat through this loop. Waited for here, with the loop still running, so it never meets
        # the loop closed (a blocked-loop test met it: "Event loop is closed" in the thread).
        for beating in [t for t in threading.enumerate() if isinstance(t, KeepAliveHandler)]:
            await asyncio.to_thread(beating.join, WAIT_SECONDS)
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: what stopped the bot is reported by _connected, not again here


async def _connected(bot: TalentQABot, task: asyncio.Task[None], guild_id: int) -> None:
    """Wait until the bot has its guild cached (discord.py's own "ready" comes seconds later, after its
    wait for more guilds); raise what stopped the bot if it stopped first."""

    def connected() -> bool:
        if task.done():
            task.result()  # raises what stopped the bot
            raise AssertionError("the bot stopped before it was ready")
        return bot.get_guild(guild_id) is not None

    await eventually(connected, what="the bot to connect to the stand-in Discord")


async def eventually(condition: Callable[[], bool], *, what: str, timeout: float = WAIT_SECONDS) -> None:
    """Wait for state the bot changes without a request to observe (a counter, a cache): checked after
    every turn of the loop, failing only after a generous `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.01)


@pytest.fixture(autouse=True)
def no_heartbeat_thread_outlives_its_test() -> Iterator[None]:
    """A gateway connection left open keeps discord.py's keep-alive thread beating into a closed event
    loop, and its "Event loop is closed" then fails whichever test runs 41 s later."""
    yield
    leaked = [t for t in threading.enumerate() if isinstance(t, discord.gateway.KeepAliveHandler)]
    for thread in leaked:
        thread.join(5)  # a stopped handler ends at its next wake-up
    alive = [t.name for t in leaked if t.is_alive()]
    assert not alive, f"gateway keep-alive threads left running: {alive}"
