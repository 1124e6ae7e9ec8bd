"""Start-up and shutdown: the token, intents, command sync, SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path

import discord
import pytest
from pydantic import SecretStr

from talentqa.bot import resolve_token, run_bot, serve
from talentqa.bot.client import TalentQABot
from talentqa.errors import ConfigError
from talentqa.feedback import FeedbackStore
from talentqa.settings import BotSettings, Settings

from .conftest import FakeQAService, eventually, make_settings, running_bot
from .fake_discord import MESSAGE_CONTENT, FakeDiscord

SECRET = "MTIzNDU2Nzg5.secret-token-value"


def test_token_comes_from_the_setting_then_the_token_file(tmp_path: Path) -> None:
    assert resolve_token(Settings(discord_token=SecretStr(f"  {SECRET}\n"))) == SECRET
    token_file = tmp_path / "token"
    token_file.write_text(SECRET + "\n")
    token_file.chmod(0o600)
    assert resolve_token(Settings(bot=BotSettings(token_file=token_file))) == SECRET


def test_token_is_read_from_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALENTQA_DISCORD_TOKEN", SECRET)
    assert resolve_token(Settings()) == SECRET


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(), "No Discord bot token: set TALENTQA_DISCORD_TOKEN"),
        (Settings(discord_token=SecretStr("   ")), "is empty"),
        (Settings(discord_token=SecretStr(f"Bot {SECRET}")), "malformed"),
        (Settings(discord_token=SecretStr(f"{SECRET} extra")), "malformed"),
        (Settings(bot=BotSettings(token_file=Path("/nonexistent/token"))), "Cannot read the token file"),
    ],
)
def test_a_missing_or_malformed_token_is_a_clear_config_error_that_never_echoes_it(
    settings: Settings, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        resolve_token(settings)
    assert SECRET not in str(caught.value)


def test_run_bot_without_a_token_fails_at_start_up_and_still_closes_the_service(tmp_path: Path) -> None:
    service = FakeQAService()
    with pytest.raises(ConfigError, match="No Discord bot token"):
        run_bot(make_settings(tmp_path), service)
    assert service.closed


@pytest.mark.asyncio
async def test_a_token_discord_rejects_is_a_clear_config_error_and_is_never_logged(
    fake_discord: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = make_settings(tmp_path)
    bot = TalentQABot(FakeQAService(), settings, FeedbackStore(settings.bot.feedback_db))
    with pytest.raises(ConfigError, match="rejected the bot token") as caught:
        await serve(bot, SECRET)
    assert SECRET not in str(caught.value)
    assert caplog.records and not [r for r in caplog.records if SECRET in r.getMessage()]
    assert fake_discord.find(lambda r: r.path == "/users/@me")


@pytest.mark.asyncio
async def test_a_refused_message_content_intent_is_a_clear_config_error(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    fake_discord.allow_message_content = False
    settings = make_settings(tmp_path)
    bot = TalentQABot(FakeQAService(), settings, FeedbackStore(settings.bot.feedback_db))
    with pytest.raises(ConfigError, match="Message Content intent"):
        await serve(bot, fake_discord.token)


@pytest.mark.asyncio
async def test_message_content_intent_is_identified_only_in_mention_mode(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    service = FakeQAService()
    async with running_bot(fake_discord, service, make_settings(tmp_path, mentions=False)):
        fake_discord.say(f"<@{fake_discord.app_id}> anyone?", mention_bot=True)
        iid = fake_discord.slash("ask", question="council?")
        await fake_discord.wait_for(lambda r: f"itoken-{iid}" in r.path and r.path.startswith("/webhooks"))
    async with running_bot(fake_discord, service, make_settings(tmp_path, mentions=True)):
        pass
    off, on = fake_discord.identifies
    assert not int(off["intents"]) & MESSAGE_CONTENT and int(off["intents"]) == 1  # GUILDS only
    assert int(on["intents"]) & MESSAGE_CONTENT
    assert [c.question for c in service.calls] == ["council?"]  # slash commands work without the intent


@pytest.mark.asyncio
async def test_commands_are_synced_only_when_asked_to_one_guild_or_globally(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    service = FakeQAService()
    async with running_bot(fake_discord, service, settings):
        pass
    assert not fake_discord.find(lambda r: r.method == "PUT")
    async with running_bot(fake_discord, service, settings, sync_guild=fake_discord.guild_id):
        pass
    [guild_sync] = fake_discord.find(lambda r: r.method == "PUT")
    assert guild_sync.path == f"/applications/{fake_discord.app_id}/guilds/{fake_discord.guild_id}/commands"
    assert sorted(c["name"] for c in guild_sync.body) == ["about", "ask", "forget", "ingest", "sources"]
    ask = next(c for c in guild_sync.body if c["name"] == "ask")
    assert [o["name"] for o in ask["options"]] == ["question", "source", "since", "private"]
    assert [o.get("required", False) for o in ask["options"]] == [True, False, False, False]
    async with running_bot(fake_discord, service, settings, sync_global=True):
        pass
    [_, global_sync] = fake_discord.find(lambda r: r.method == "PUT")
    assert global_sync.path == f"/applications/{fake_discord.app_id}/commands"


def test_sigterm_closes_the_bot_and_the_service_cleanly(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    service = FakeQAService()
    settings = make_settings(tmp_path).model_copy(update={"discord_token": SecretStr(fake_discord.token)})
    previous = signal.getsignal(signal.SIGTERM)
    running = threading.Event()

    def terminate_when_connected() -> None:
        deadline = time.monotonic() + 15
        while not (fake_discord.identifies and fake_discord.heartbeats) and time.monotonic() < deadline:
            time.sleep(0.02)
        if running.is_set():
            os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate_when_connected)
    running.set()
    killer.start()
    started = time.monotonic()
    try:
        run_bot(settings, service)
    finally:
        running.clear()
        killer.join()
        signal.signal(signal.SIGTERM, previous)
    assert time.monotonic() - started < 15
    assert service.closed
    for _ in range(100):
        if fake_discord.close_codes:
            break
        time.sleep(0.02)
    assert fake_discord.close_codes, "the gateway connection was not closed"


@pytest.mark.asyncio
async def test_the_token_never_appears_in_the_logs_of_a_whole_session(
    fake_discord: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_bot(fake_discord, FakeQAService(), make_settings(tmp_path)):
        iid = fake_discord.slash("ask", question="council?")
        await fake_discord.wait_for(lambda r: f"itoken-{iid}" in r.path and r.path.startswith("/webhooks"))
    assert fake_discord.identifies[0]["token"] == fake_discord.token  # it was used ...
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "IDENTIFY" in logged and fake_discord.token not in logged  # ... and never written down


def heartbeat_threads() -> list[threading.Thread]:
    return [
        t for t in threading.enumerate() if isinstance(t, discord.gateway.KeepAliveHandler) and t.is_alive()
    ]


@pytest.mark.asyncio
async def test_a_failing_test_still_closes_its_bot_so_no_heartbeat_outlives_the_loop(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    # A keep-alive thread left beating into a closed loop failed an unrelated test 41 s later with
    # "Exception in thread keep-alive-handler ... Event loop is closed".
    with pytest.raises(RuntimeError, match="the test failed here"):
        async with running_bot(fake_discord, FakeQAService(), make_settings(tmp_path)) as bot:
            assert heartbeat_threads()
            raise RuntimeError("the test failed here")
    assert bot.is_closed()
    await eventually(lambda: not heartbeat_threads(), what="the keep-alive thread to end")
    # The stand-in records the close frame when its own handler gets to it, after the bot has returned.
    await eventually(lambda: bool(fake_discord.close_codes), what="the gateway to see the bot close")
