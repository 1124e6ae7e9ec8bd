"""A question that times out frees its answer slot (issue 13, item 5).

Four /ask questions go to a real LLM answerer whose endpoint (a real socket on loopback) drips one
byte every 0.3 s. Each user is told the question timed out; before, the four worker threads kept
reading the drip after that and held all four slots, so every later question, extractive ones too,
timed out as well until the bot restarted. The bot's timeout is now also its worker thread's deadline,
so those requests end with it and the next question is answered.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pytest

from talentqa.answer.llm import LLMAnswerer, build_chat_model
from talentqa.ingest.chunking import chunk_article
from talentqa.models import Answer, Article
from talentqa.retrieval import Passage
from talentqa.service import Turn
from talentqa.settings import AnswerSettings, ChunkSettings, LLMSettings
from tests.dripping import dripping_server

from .conftest import FakeQAService, eventually, make_settings, running_bot
from .fake_discord import FakeDiscord, is_followup

pytestmark = pytest.mark.asyncio

ARTICLE = Article(
    doc_id="grant",
    title="A grant",
    text="The university gave her a starting grant of 2.4 million euros. She starts in May.",
    content_hash="h",
)
TIMEOUT = 1.5


class LLMBackedService(FakeQAService):
    """The fake service, except that questions mentioning "llm" go to a real LLM answerer."""

    def __init__(self, llm: LLMAnswerer) -> None:
        super().__init__()
        self.llm = llm
        self.llm_passages = [
            Passage(chunk=chunk, score=1.0) for chunk in chunk_article(ARTICLE, ChunkSettings())
        ]

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        k: int | None = None,
        sources: Sequence[str] | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        answerer: Literal["extractive", "accurate", "llm"] | None = None,
        threshold: float | None = None,
        today: dt.date | None = None,
    ) -> Answer:
        if "llm" in question.lower():
            return self.llm.answer(question, self.llm_passages, lambda _doc_id: ARTICLE.text)
        return super().ask(question, history=history, sources=sources, since=since)


async def test_questions_that_time_out_on_a_dripping_llm_free_their_slots(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    with dripping_server("body", interval=0.3, lasts=30) as server:
        # The LLM's own timeout is far off: only the bot's answer timeout can end these requests.
        model = build_chat_model(LLMSettings(base_url=server.base_url, model="m", timeout=60))
        service = LLMBackedService(LLMAnswerer(model, AnswerSettings()))
        settings = make_settings(tmp_path, max_concurrent=4, answer_timeout=TIMEOUT)
        async with running_bot(fake_discord, service, settings) as bot:
            for i in range(4):
                fake_discord.slash("ask", question=f"What did the llm say? ({i})", user_id=20_000 + i)
            timed_out = await fake_discord.wait_for(is_followup, count=4, timeout=TIMEOUT + 10)
            assert all("embeds" not in r.body or not r.body["embeds"] for r in timed_out)
            assert server.requests == 4

            asked = time.monotonic()
            fake_discord.slash("ask", question="What did the council approve?", user_id=30_000)
            replies = await fake_discord.wait_for(is_followup, count=5, timeout=TIMEOUT + 10)
            answered = time.monotonic() - asked
            [answer] = [r for r in replies if r not in timed_out]
            assert answer.body.get("embeds"), f"the fifth question was not answered: {answer.body}"
            assert answered < TIMEOUT

            await eventually(lambda: bot.slots.active == 0, what="every answer slot to be freed")
