"""The bot over the stand-in Discord with the REAL service (talentqa.app.TalentQA) on the sample articles.

Every quote the bot shows must be the stored article text at the citation's offsets, and Show
passage must return the real paragraph around it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from talentqa.bot.format_text import unescape
from talentqa.settings import BotSettings, Settings

from ..conftest import SAMPLES
from .conftest import running_bot
from .fake_discord import FakeDiscord, for_interaction, is_followup

app = pytest.importorskip(
    "talentqa.app", reason="talentqa.app.TalentQA (the real service) is not available yet"
)

QUESTION = "Which area sent the most returning scientists back to China?"


@pytest.mark.asyncio
@pytest.mark.parametrize("embedder_kind", ["fake", pytest.param("real", marks=pytest.mark.slow)])
async def test_real_service_answers_through_discord_with_verbatim_quotes(
    embedder_kind: str, fake_discord: FakeDiscord, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    embedder = request.getfixturevalue("fake_embedder" if embedder_kind == "fake" else "real_embedder")
    settings = Settings(
        store=tmp_path / "vectorstore",
        bot=BotSettings(feedback_db=tmp_path / "feedback.sqlite3", cooldown_seconds=0),
    )
    service = app.TalentQA.open(settings, embedder=embedder)
    try:
        report = service.ingest_sources([str(SAMPLES)])
        assert report.count("failed") == 0
        async with running_bot(fake_discord, service, settings) as bot:
            iid = fake_discord.slash("ask", question=QUESTION)
            [reply] = await fake_discord.wait_for(
                lambda r: for_interaction(iid)(r) and is_followup(r), timeout=60
            )
            message = fake_discord.original_message(iid)
            first_button = message["components"][0]["components"][0]
            key = first_button["custom_id"].split(":")[2]  # tqa:<action>:<answer key>:<n>
            shown = bot.answers.get(key)
            assert shown is not None
            answer = shown.answer
            items = answer.related if answer.abstained else answer.citations
            fields = reply.body["embeds"][0].get("fields", [])
            for citation, field in zip(items, fields, strict=False):
                assert service.store.text(citation.doc_id)[citation.start : citation.end] == citation.quote
                assert citation.quote in unescape(field["value"])
            if items:
                click = fake_discord.click(message, first_button["custom_id"])
                [passage] = await fake_discord.wait_for(
                    lambda r: for_interaction(click)(r) and is_followup(r)
                )
                assert items[0].quote in unescape(passage.body["embeds"][0]["description"]).replace("**", "")
        if embedder_kind == "real":
            assert not answer.abstained and "Cambridge" in " ".join(c.quote for c in answer.citations)
    finally:
        service.close()
