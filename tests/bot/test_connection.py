"""Reaching Discord: a network failure is one line and a bounded retry, a bad token one line and no retry,
and nothing about voice libraries the bot never uses. "No route to Discord" is a closed local port."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import discord
import pytest
import yarl

from talentqa.bot import serve
from talentqa.bot.client import TalentQABot
from talentqa.bot.connection import DiscordUnreachableError, OneLineReconnects, describe, is_network_error
from talentqa.errors import ConfigError
from talentqa.feedback import FeedbackStore
from talentqa.settings import Settings

from .conftest import FakeQAService, eventually, make_settings, running_bot
from .fake_discord import FakeDiscord

FAST = (0.01, 0.02)


def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once, as with no route."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def new_bot(settings: Settings) -> TalentQABot:
    return TalentQABot(FakeQAService(), settings, FeedbackStore(settings.bot.feedback_db))


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.exc_text]


@pytest.mark.asyncio
async def test_no_route_to_discord_is_retried_with_backoff_then_one_line_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{closed_port()}/api/v10")

    with pytest.raises(DiscordUnreachableError) as caught:
        await serve(new_bot(make_settings(tmp_path)), "fake.token", retry_delays=FAST)

    message = str(caught.value)
    assert message.startswith("cannot reach Discord (127.0.0.1): Cannot connect to host")
    assert "Gave up after 3 attempts" in message and "\n" not in message
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) == 2
    assert "retrying in 0.01 s (attempt 1 of 3)" in retries[0]
    assert "retrying in 0.02 s (attempt 2 of 3)" in retries[1]
    assert all(r.startswith("cannot reach Discord (127.0.0.1): ") and "\n" not in r for r in retries)
    assert tracebacks(caplog) == []
    gc.collect()  # an HTTP session a failed attempt left open would complain when collected
    assert not [r for r in caplog.records if "Unclosed" in r.getMessage()]


@pytest.mark.asyncio
async def test_a_rejected_token_is_not_retried(
    fake_discord: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ConfigError, match="rejected the bot token"):
        await serve(new_bot(make_settings(tmp_path)), "wrong.token", retry_delays=FAST)

    assert len(fake_discord.find(lambda r: r.path == "/users/@me")) == 1
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]


class FlakyNetworkBot(TalentQABot):
    """The network fails twice: once after a complete login (setup already ran), once before it."""

    logins = 0

    async def login(self, token: str) -> None:
        self.logins += 1
        if self.logins == 1:
            await super().login(token)
            raise ConnectionResetError(104, "Connection reset by peer")
        if self.logins == 2:
            raise OSError(113, "No route to host")
        await super().login(token)


@pytest.mark.asyncio
async def test_a_login_that_recovers_after_network_failures_serves_with_each_extension_once(
    fake_discord: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path)
    bot = FlakyNetworkBot(FakeQAService(), settings, FeedbackStore(settings.bot.feedback_db))
    serving = asyncio.create_task(serve(bot, fake_discord.token, retry_delays=FAST))
    try:

        def connected() -> bool:
            if serving.done():
                serving.result()
                raise AssertionError("serve() returned before the bot connected")
            return bot.get_guild(fake_discord.guild_id) is not None

        await eventually(connected, what="the bot to connect after two network failures")
        assert len(bot.extensions) == 6 and len(bot.cogs) == len({type(c) for c in bot.cogs.values()})
        iid = fake_discord.slash("ask", question="council?")
        await fake_discord.wait_for(lambda r: f"itoken-{iid}" in r.path and r.path.startswith("/webhooks"))
    finally:
        await bot.close()
        await asyncio.wait_for(serving, 60)
    assert bot.logins == 3
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert [m.split(": ", 1)[1].split(";")[0] for m in retries] == [
        "[Errno 104] Connection reset by peer",
        "[Errno 113] No route to host",
    ]


@pytest.mark.asyncio
async def test_an_unreachable_gateway_at_start_is_retried_then_one_line_error(
    fake_discord: FakeDiscord,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    gateway = yarl.URL(f"ws://127.0.0.1:{closed_port()}/")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", gateway)

    with pytest.raises(
        DiscordUnreachableError, match=r"^cannot reach Discord \(127\.0\.0\.1\): .*Connect call failed"
    ):
        await serve(new_bot(make_settings(tmp_path)), fake_discord.token, retry_delays=FAST)

    assert len([r for r in caplog.records if "retrying in" in r.getMessage()]) == 2
    assert tracebacks(caplog) == []
    assert fake_discord.identifies == []


@pytest.mark.asyncio
async def test_a_gateway_lost_after_connecting_is_one_line_per_reconnect(
    fake_discord: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    discord_log = logging.getLogger("discord.client")
    one_line = OneLineReconnects()  # serve() installs it; running_bot starts the bot itself

    def reconnects() -> list[str]:
        return [r.getMessage() for r in caplog.records if "Attempting a reconnect" in r.getMessage()]

    discord_log.addFilter(one_line)
    try:
        async with running_bot(fake_discord, FakeQAService(), make_settings(tmp_path)) as bot:
            # Fully ready first: discord.py's pending "ready" would otherwise outlive the closed bot.
            await asyncio.wait_for(bot.wait_until_ready(), 60)
            await asyncio.to_thread(fake_discord.stop)  # Discord goes away: the socket closes, then refuses
            await eventually(lambda: len(reconnects()) >= 2, what="two reconnect attempts to be logged")
    finally:
        discord_log.removeFilter(one_line)
    # discord.py resumes a closed socket at once, silently; each refused attempt after that is one line.
    for line in reconnects():
        assert line.startswith("cannot reach Discord (127.0.0.1): Cannot connect to host 127.0.0.1:")
    assert tracebacks(caplog) == []


def test_the_reconnect_filter_leaves_other_records_and_unexpected_errors_alone() -> None:
    def record(exc: BaseException | None) -> logging.LogRecord:
        exc_info = (type(exc), exc, exc.__traceback__) if exc else None
        return logging.LogRecord(
            "discord.client", logging.ERROR, __file__, 1, "Attempting a %s", ("x",), exc_info
        )

    bug = record(KeyError("bug"))
    plain = record(None)
    network = record(ConnectionRefusedError(111, "Connect call failed 100%"))
    for r in (bug, plain, network):
        assert OneLineReconnects().filter(r)
    assert bug.exc_info is not None  # a programming error keeps its traceback
    assert plain.getMessage() == "Attempting a x"
    assert network.exc_info is None
    assert network.getMessage().endswith(": [Errno 111] Connect call failed 100%; Attempting a x")


@pytest.mark.parametrize(
    ("exc", "network"),
    [
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError(), True),
        (socket.gaierror(-2, "Name or service not known"), True),
        (discord.LoginFailure("Improper token has been passed."), False),
        (discord.PrivilegedIntentsRequired(None), False),
        (KeyError("bug"), False),
    ],
)
def test_only_network_failures_are_retried(exc: BaseException, network: bool) -> None:
    assert is_network_error(exc) is network


def test_a_timeout_is_described_in_words() -> None:
    assert describe(TimeoutError()) == "no answer in time"
    assert describe(OSError("a\nb")) == "a b"


def test_no_warning_about_voice_libraries_the_bot_never_uses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # As in a fresh process where PyNaCl and davey are missing: discord.py would warn on the first client.
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)
    caplog.set_level(logging.DEBUG)

    new_bot(make_settings(tmp_path))

    assert not [r for r in caplog.records if "voice" in r.getMessage().lower()]


def test_the_bot_process_with_no_route_prints_a_few_lines_and_exits_non_zero(tmp_path: Path) -> None:
    # The whole start-up path as `talentqa bot` runs it (logging set up by run_bot, errors turned into
    # text by the CLI's friendly_errors), in a process of its own, with a fake service instead of the store.
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path

        import discord
        import typer
        from pydantic import SecretStr

        from talentqa.bot import run_bot
        from talentqa.cli.common import friendly_errors
        from tests.bot.conftest import FakeQAService, make_settings

        discord.http.Route.BASE = sys.argv[1]
        settings = make_settings(Path(sys.argv[2]))
        settings = settings.model_copy(update={"discord_token": SecretStr("fake.token")})
        try:
            with friendly_errors():
                run_bot(settings, FakeQAService(), retry_delays=(0.01, 0.02))
        except typer.Exit as exit:
            sys.exit(exit.exit_code)
        """
    )
    base = f"http://127.0.0.1:{closed_port()}/api/v10"
    done = subprocess.run(
        [sys.executable, "-c", script, base, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
        # Wide, so that the console does not wrap the one error line at 80 columns.
        env={**os.environ, "COLUMNS": "400"},
    )

    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(lines) <= 10, done.stderr
    assert "error: cannot reach Discord (127.0.0.1)" in lines[-1]
    assert sum("cannot reach Discord" in line for line in lines) == 3  # two retries, then the error
    assert not [line for line in lines if "PyNaCl" in line or "davey" in line or "Unclosed" in line]
