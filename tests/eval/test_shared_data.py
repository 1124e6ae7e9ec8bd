"""The team's eval sets load and split as the harness expects (skipped in a clone without ../shared)."""

from __future__ import annotations

from talentqa.eval.evaluation import EvalQuestion, load_dataset, split_questions
from tests.integration.conftest import shared_path


def _article(question: EvalQuestion) -> str:
    """What the split divides by: the question's article, or the question itself where it has none."""
    return question.article_id if question.article_id is not None else question.id


def test_squad2_splits_are_disjoint_article_halves() -> None:
    data = load_dataset(shared_path("eval", "squad2_dev"))
    assert len(data.questions) == 11_873
    calibration = split_questions(data.questions, "calibration")
    test = split_questions(data.questions, "test")
    assert len(calibration) + len(test) == len(data.questions)
    cal_articles = {_article(q) for q in calibration}
    test_articles = {_article(q) for q in test}
    assert not cal_articles & test_articles
    assert max(cal_articles) < min(test_articles)  # first half by sorted id
    assert (len(cal_articles), len(test_articles)) == (17, 18)


def test_realtimeqa_gold_includes_silver_documents() -> None:
    data = load_dataset(shared_path("eval", "realtimeqa_news"))
    assert len(data.questions) == 240
    assert sum(not q.answerable for q in data.questions) == 30
    with_silver = [q for q in data.questions if q.silver_doc_ids]
    assert with_silver and all(set(q.silver_doc_ids) <= q.gold_docs for q in with_silver)


def test_seed_questions_with_their_article_and_distractors() -> None:
    data = load_dataset(
        shared_path("eval", "seed-dev.jsonl"),
        [shared_path("corpus", "seed", "talent-returnees.md")],
        [shared_path("eval", "realtimeqa_news", "documents.jsonl")],
    )
    assert len(data.questions) == 16 and len(data.document_paths) == 2
    assert sum(q.answerable for q in data.questions) == 12
