"""Issue 3's quality bar: the seed article among the RealTimeQA news articles as distractors, answered by
the default (reading) answerer through the same code path users use."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from talentqa.app import TalentQA
from talentqa.embeddings import Embedder
from talentqa.settings import Settings
from tests.conftest import MODEL_CACHE, TEST_CACHE
from tests.integration.build_store import ChildFailed, build_in_child
from tests.integration.conftest import shared_path

# A cold cache builds the 15k-chunk store first (over 10 minutes on two busy cores, past pytest's default
# 600 s per test, which counts fixture setup); the builder has its own one-hour limit.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]
SEED_DOC_ID = "talent-returnees"


@pytest.fixture(scope="module")
def news_qa(real_embedder: Embedder) -> Iterator[TalentQA]:
    seed = shared_path("corpus", "seed", "talent-returnees.md")
    distractors = shared_path("eval", "realtimeqa_news", "documents.jsonl")
    # Embedding 15k news chunks takes many minutes on two cores. The store lives in a cache folder: ingest
    # is idempotent, so a later run only re-checks hashes, and any change to the corpus is re-ingested.
    # One cached store per embedding backend: a store answers only questions embedded its own way.
    backend = real_embedder.name.partition("+")[2]
    store = TEST_CACHE / ("seed-plus-realtimeqa" + (f"-{backend}" if backend else ""))
    # In a child process: a native crash while writing 15k chunks (SIGSEGV once, on a cold machine) is a
    # failure with a stack, not the end of the whole run.
    try:
        build_in_child(store, MODEL_CACHE, real_embedder.settings.backend, [seed, distractors])
    except ChildFailed as exc:
        pytest.fail(str(exc))
    with TalentQA.open(Settings(store=store), embedder=real_embedder, create=False) as qa:
        yield qa


def _seed_questions() -> list[dict[str, Any]]:
    lines = shared_path("eval", "seed-dev.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_seed_answerable_questions_quote_a_gold_string(news_qa: TalentQA) -> None:
    """Issue 3's bar, 11 of 12, which the feature-scoring answerer met tuned on these questions: the trained
    reader meets it since it also quotes the sentence its span heads nearly chose ("Which institutions
    carried out the study?")."""
    answerable = [q for q in _seed_questions() if q["answerable"]]
    assert len(answerable) >= 12
    misses = []
    for q in answerable:
        answer = news_qa.ask(q["question"])
        for citation in answer.citations + answer.related:
            assert news_qa.store.text(citation.doc_id)[citation.start : citation.end] == citation.quote
        quotes = " ".join(c.quote for c in answer.citations).lower()
        if not any(gold.lower() in quotes for gold in q["answers"]):
            misses.append((q["id"], answer.abstained, [c.quote[:80] for c in answer.citations]))
    assert len(misses) <= 1, misses


def test_seed_unanswerable_questions_never_quote_the_seed_article(news_qa: TalentQA) -> None:
    """seed-dev's unanswerable questions are unanswerable from the seed article; the distractor news can
    really answer one (a sports result, say), and quoting that article is a right answer, not a failure
    to abstain. What must not happen is a quote of the seed article that does not hold the asked fact."""
    unanswerable = [q for q in _seed_questions() if not q["answerable"]]
    assert len(unanswerable) >= 4
    kept_silent = 0
    for q in unanswerable:
        answer = news_qa.ask(q["question"])
        for citation in answer.citations + answer.related:
            assert news_qa.store.text(citation.doc_id)[citation.start : citation.end] == citation.quote
        kept_silent += answer.abstained or all(c.doc_id != SEED_DOC_ID for c in answer.citations)
    assert kept_silent >= len(unanswerable) - 1
