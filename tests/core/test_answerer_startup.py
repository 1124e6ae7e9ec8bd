"""The answerers built on first use: one per app however many questions ask at once, and a server
front-end configured for the accurate reader builds it at start-up, not on its first question."""

from __future__ import annotations

import threading
from pathlib import Path

from talentqa.app import TalentQA
from talentqa.settings import AnswerSettings, LLMSettings, Settings
from tests.conftest import FakeEmbedder

# An endpoint that is never contacted: building the chat model connects to nothing.
ENDPOINT = LLMSettings(base_url="http://127.0.0.1:9/v1", model="qwen")


def _app(tmp_path: Path, answerer: str = "extractive") -> TalentQA:
    settings = Settings(store=tmp_path / "vs", llm=ENDPOINT, answer=AnswerSettings(answerer=answerer))
    return TalentQA.open(settings, embedder=FakeEmbedder())


def test_questions_arriving_together_share_one_accurate_answerer(tmp_path: Path) -> None:
    with _app(tmp_path) as qa:
        built = []
        start = threading.Barrier(8)

        def first_question() -> None:
            start.wait()
            built.append(qa.accurate_answerer())

        threads = [threading.Thread(target=first_question) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(built) == 8 and all(a is built[0] for a in built)
        assert built[0].name == "accurate"


def test_warm_up_builds_the_configured_accurate_answerer_before_any_question(tmp_path: Path) -> None:
    with _app(tmp_path, "accurate") as qa:
        assert qa._accurate is None
        qa.warm_up()
        assert qa._accurate is not None
    with _app(tmp_path / "fast") as fast:
        fast.warm_up()
        assert fast._accurate is None  # the fast default starts no LLM


def test_the_accurate_answerer_holds_news_to_its_own_news_threshold_and_the_fast_reader_does_not(
    tmp_path: Path,
) -> None:
    answer = AnswerSettings(accurate_threshold=0.6, accurate_news_threshold=0.45)
    settings = Settings(store=tmp_path / "vs", llm=ENDPOINT, answer=answer)
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        accurate = qa.accurate_answerer().settings
        assert (accurate.abstain_threshold, accurate.news_abstain_threshold) == (0.6, 0.45)
        assert qa.extractive.settings.news_abstain_threshold is None
