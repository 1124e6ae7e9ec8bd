"""benchmarks/news_threshold.py: the written news questions become eval questions asked on their article's
day, and the news threshold is fitted by `talentqa calibrate`'s rule."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from talentqa.eval.calibration import pick_threshold
from talentqa.eval.evaluation import EvalQuestion
from tests.integration.conftest import shared_path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _module() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module("news_threshold")
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_the_written_news_questions_are_asked_on_their_articles_publication_day() -> None:
    documents = shared_path("eval", "realtimeqa_news", "documents.jsonl")
    questions = _module().eval_questions(documents=documents)
    assert len(questions) == 864 and sum(q["answerable"] for q in questions) == 432
    parsed = [EvalQuestion.model_validate(q) for q in questions]
    assert all(q.asked_on is not None and len(q.doc_ids) == 1 for q in parsed)
    assert all(bool(q.answers) == q.answerable for q in parsed)


def test_the_news_fit_follows_calibrates_rule_within_the_budget_and_its_bootstrap_is_seeded() -> None:
    news = _module()
    rows: list[dict[str, Any]] = [
        {"id": f"q{i}", "answerable": i % 2 == 0, "confidence": (i % 10) / 10 + (0.05 if i % 2 == 0 else 0)}
        for i in range(40)
    ]
    yes = [r["confidence"] for r in rows if r["answerable"]]
    no = [r["confidence"] for r in rows if not r["answerable"]]
    assert news.fit(rows).abstain_threshold == round(pick_threshold(yes, no, 0.15), 4)
    _, withheld = news.figures(rows, news.fit(rows).abstain_threshold)
    assert withheld <= 0.15
    article_of = {r["id"]: f"a{int(r['id'][1:]) // 4}" for r in rows}
    assert news.bootstrap(rows, article_of) == news.bootstrap(rows, article_of)


def test_the_news_fit_reads_a_set_asked_in_parts_once_each_and_refuses_parts_asked_differently() -> None:
    news = _module()
    header = {"kind": "talentqa-eval-journal", "answerer": "accurate", "k": 5, "threshold": 0.6057}
    first = [
        {**header, "limit": 2, "seed": 0},
        {"id": "a", "confidence": 0.9},
        {"id": "b", "confidence": 0.2},
    ]
    rest = [{**header, "limit": None, "seed": 0}, {"id": "c", "confidence": 0.7}]
    rows, asked = news.journal_rows([first, rest])
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    assert [a["limit"] for a in asked] == [2, None]
    with pytest.raises(SystemExit):
        news.journal_rows([first, first])
    with pytest.raises(SystemExit):
        news.journal_rows([first, [{**header, "threshold": 0.5}, {"id": "c", "confidence": 0.7}]])
