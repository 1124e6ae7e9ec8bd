"""The feedback log the evaluation reads: schema, ids, replacement of repeated clicks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from talentqa.feedback import SCHEMA_VERSION, FeedbackStore, citation_id, list_feedback

from .conftest import FakeQAService


def test_feedback_records_question_answer_and_citation_ids_and_lists_them(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "feedback.sqlite3"
    store = FeedbackStore(path)
    answer = FakeQAService().ask("What did the council approve?")
    first, second = answer.citations
    store.record(kind="helpful", answer=answer, answer_key="k1", user_id=7, channel_id=10, guild_id=20)
    store.record(kind="wrong_citation", answer=answer, answer_key="k1", user_id=7, flagged=[second])
    records = list_feedback(path)
    assert [r.kind for r in records] == ["helpful", "wrong_citation"]
    helpful, wrong = records
    assert helpful.question == "What did the council approve?" and helpful.answer == answer.text
    assert helpful.citation_ids == [citation_id(first), citation_id(second)]
    assert citation_id(first) == f"council-budget:{first.start}-{first.end}"
    assert helpful.flagged_ids == [] and wrong.flagged_ids == [citation_id(second)]
    assert (helpful.user_id, helpful.channel_id, helpful.guild_id) == ("7", "10", "20")
    assert wrong.guild_id is None
    assert helpful.created_at.tzinfo is not None
    assert [r.kind for r in store.records(kind="wrong_citation")] == ["wrong_citation"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_clicking_the_same_feedback_twice_counts_once(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    answer = FakeQAService().ask("council?")
    for _ in range(3):
        store.record(kind="helpful", answer=answer, answer_key="k", user_id=1)
    store.record(kind="helpful", answer=answer, answer_key="k", user_id=2)
    assert len(store.records()) == 2


def test_listing_a_missing_log_returns_nothing_and_creates_nothing(tmp_path: Path) -> None:
    assert list_feedback(tmp_path / "absent.sqlite3") == []
    assert not (tmp_path / "absent.sqlite3").exists()
