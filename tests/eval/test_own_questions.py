"""Our own question sets (eval/own) are consistent: every answerable question's gold strings are printed in
its article as talentqa stores it, near-misses have none, and ids and questions are unique."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from talentqa.eval.evaluation import read_questions
from talentqa.ingest.pipeline import iter_sources
from talentqa.models import Article
from talentqa.settings import Settings
from tests.integration.conftest import shared_path

REPO = Path(__file__).resolve().parents[2]
OWN = REPO / "eval" / "own"


def _records(name: str) -> list[dict[str, Any]]:
    lines = (OWN / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _stored_texts(path: Path) -> dict[str, str]:
    return {
        item.doc_id: item.text for item in iter_sources([str(path)], Settings()) if isinstance(item, Article)
    }


def _check(
    name: str, texts: dict[str, str], *, answerable_at_least: int = 30, near_misses_at_least: int = 25
) -> None:
    records = _records(name)
    assert len({r["id"] for r in records}) == len(records)
    assert len({r["question"].casefold() for r in records}) == len(records)
    assert all(r["round"] in range(1, 42) for r in records)
    questions = read_questions(OWN / name)
    answerable = [q for q in questions if q.answerable]
    near_misses = [q for q in questions if not q.answerable]
    assert len(answerable) >= answerable_at_least and len(near_misses) >= near_misses_at_least
    assert all(not q.answers and not q.doc_ids for q in near_misses)
    for question in answerable:
        assert question.answers and question.doc_ids
        for doc_id in question.doc_ids:  # a question about several articles: each states the answer
            assert all(answer in texts[doc_id] for answer in question.answers), question.id


def test_sample_questions_gold_answers_are_in_the_stored_sample_articles() -> None:
    _check("samples.jsonl", _stored_texts(REPO / "ingest" / "samples"))


def test_seed_questions_gold_answers_are_in_the_stored_seed_article() -> None:
    _check("seed.jsonl", _stored_texts(shared_path("corpus", "seed")))


def test_news_questions_gold_answers_are_in_the_stored_news_articles(tmp_path: Path) -> None:
    records = _records("news.jsonl")
    wanted = {doc_id for r in records for doc_id in r["doc_ids"]}
    documents = shared_path("eval", "realtimeqa_news") / "documents.jsonl"
    picked = tmp_path / "articles.jsonl"
    with documents.open(encoding="utf-8") as lines:
        picked.write_text(
            "".join(line for line in lines if json.loads(line)["id"] in wanted), encoding="utf-8"
        )
    texts = _stored_texts(picked)
    assert wanted <= set(texts)
    _check("news.jsonl", texts, answerable_at_least=25, near_misses_at_least=10)
