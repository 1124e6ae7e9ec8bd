"""The shipped bilingual eval set (eval/bilingual) is consistent: every gold answer is in its document as
talentqa stores it, every Chinese question has its English twin, and the zh->en gold strings are in the
seed article (benchmarks/bilingual_eval.py runs it)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from talentqa.eval.evaluation import read_questions
from talentqa.ingest.pipeline import iter_sources
from talentqa.models import Article
from talentqa.settings import Settings
from tests.integration.conftest import shared_path

BILINGUAL = Path(__file__).resolve().parents[2] / "eval" / "bilingual"


def _records(name: str) -> list[dict[str, Any]]:
    lines = (BILINGUAL / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_files_and_provenance_are_shipped() -> None:
    source = (BILINGUAL / "SOURCE.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in source and "ymcui/cmrc2018" in source
    documents = _records("documents.jsonl")
    assert len({d["id"] for d in documents}) == len(documents) == 40
    assert all(d["licence"] == "CC BY-SA 4.0" and d["source"].startswith("CMRC 2018") for d in documents)


def test_gold_answers_are_in_the_stored_chinese_text() -> None:
    articles = {
        item.doc_id: item
        for item in iter_sources([str(BILINGUAL / "documents.jsonl")], Settings())
        if isinstance(item, Article)
    }
    assert len(articles) == 40
    questions = read_questions(BILINGUAL / "questions.jsonl")
    questions = [q for q in questions if q.doc_ids != ["talent-returnees"]]
    assert questions
    for question in questions:
        (doc_id,) = question.doc_ids
        assert question.answers
        assert all(answer in articles[doc_id].text for answer in question.answers), question.id


def test_every_chinese_question_has_its_english_twin() -> None:
    records = _records("questions.jsonl")
    directions = Counter(r["direction"] for r in records)
    assert directions["zh-zh"] == directions["en-zh"] >= 20 and directions["zh-en"] >= 8
    twins = {r["id"].removeprefix("zh-zh-"): r for r in records if r["direction"] == "zh-zh"}
    for record in records:
        if record["direction"] == "en-zh":
            twin = twins[record["id"].removeprefix("en-zh-")]
            assert (record["answers"], record["doc_ids"]) == (twin["answers"], twin["doc_ids"])
            assert record["question"].isascii() and not twin["question"].isascii()


def test_zh_en_gold_strings_are_in_the_seed_article() -> None:
    seed = shared_path("corpus", "seed", "talent-returnees.md").read_text(encoding="utf-8").casefold()
    zh_en = [r for r in _records("questions.jsonl") if r["direction"] == "zh-en"]
    for record in zh_en:
        assert record["doc_ids"] == ["talent-returnees"]
        assert any(answer.casefold() in seed for answer in record["answers"]), record["id"]
