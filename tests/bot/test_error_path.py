"""The one error path: a command's failure reaches the tree's on_error, a click's failure the
`ActionItem` callback; either way the user gets the short text, where the answer would have been."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from talentqa.bot.format_replies import GENERIC_APOLOGY
from talentqa.errors import StoreError

from .conftest import FakeQAService, make_settings, running_bot
from .fake_discord import EPHEMERAL, FakeDiscord
from .test_protocol import QUESTION, answered, assert_clean, labelled

pytestmark = pytest.mark.asyncio


class BrokenService(FakeQAService):
    def passage(self, doc_id: str, start: int, end: int) -> str:
        raise StoreError("chroma at /srv/secret/vectorstore is locked")

    def about(self) -> dict[str, Any]:
        raise RuntimeError("an unexpected bug with internal detail /srv/secret")


async def test_a_private_ask_that_fails_is_answered_privately(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    async with running_bot(fake_discord, FakeQAService(), make_settings(tmp_path)):
        iid = fake_discord.slash("ask", question="please explode", private=True)
        [reply] = await answered(fake_discord, iid)
    assert reply.body["content"] == GENERIC_APOLOGY
    assert int(reply.body.get("flags", 0)) & EPHEMERAL
    assert_clean(fake_discord)


async def test_a_failing_command_and_a_failing_button_get_the_short_text(
    fake_discord: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="talentqa.bot")
    async with running_bot(fake_discord, BrokenService(), make_settings(tmp_path)):
        about = fake_discord.slash("about")
        [about_reply] = await answered(fake_discord, about)
        iid = fake_discord.slash("ask", question=QUESTION)
        await answered(fake_discord, iid)
        message = fake_discord.original_message(iid)
        click = fake_discord.click(message, labelled(message, "Show passage 1"))
        [click_reply] = await answered(fake_discord, click)
    assert about_reply.body["content"] == GENERIC_APOLOGY
    assert click_reply.body["content"] == (
        "The article store is unavailable right now. Please try again in a few minutes."
    )
    assert int(fake_discord.original_message(click)["flags"]) & EPHEMERAL
    assert "/srv/secret" not in str([r.body for r in fake_discord.snapshot()])
    messages = [r.getMessage() for r in caplog.records]
    assert any("/about failed unexpectedly" in m for m in messages)
    assert any(m.startswith("Show passage failed: StoreError") for m in messages)
    assert_clean(fake_discord)
