"""Multi-word names as keyword terms: a question naming "the China Initiative" finds the passage that names
it in a store where "China" and "initiative" are everywhere, which word-by-word BM25 did not."""

from __future__ import annotations

from pathlib import Path

import pytest

from talentqa.app import TalentQA
from talentqa.settings import Settings
from talentqa.store import keyword as keyword_module
from talentqa.store.name_pairs import passage_name_terms, question_name_terms
from tests.conftest import FakeEmbedder
from tests.retrieval.keyword_store import article_store, keyword_docs


def test_a_name_about_as_rare_as_its_rarer_word_adds_no_term(tmp_path: Path) -> None:
    """The answer alone prints "Justice Department" and "Justice": the name would only weigh twice."""
    store = _store(tmp_path)
    with TalentQA.open(Settings(store=store), embedder=FakeEmbedder()) as qa:
        index = qa.retriever.keyword.current()
        assert index.telling_names("Did Court filings name the China Initiative?") == ["china_initi_"]
        assert index.telling_names("Which scientists did the Justice Department target?") == []


def test_a_passage_names_its_adjacent_capitalised_words() -> None:
    text = (
        "The China Initiative was run by the Department of Justice. In January, Feng Tao sued the "
        "University of Kansas; Freedom House’s Yaqiu Wang said so."
    )
    assert passage_name_terms(text) == [
        "china_initi_",
        "depart_justic_",
        "feng_tao_",
        "universiti_kansa_",
        "freedom_hous_",
        "yaqiu_wang_",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "In January, Feng went home.",  # a comma ends a name; 'In' is a stopword
        "Chinese-born Tao left.",  # a hyphen joins no name
        "chip experts returned to china",  # lower case is no name in a passage
    ],
)
def test_punctuation_stopwords_and_lower_case_make_no_name(text: str) -> None:
    assert passage_name_terms(text) == []


def test_a_question_typed_in_lower_case_meets_the_names_in_any_case_and_number() -> None:
    asked = question_name_terms("when did the china initiatives end at the university of kansas?")
    assert {"china_initi_", "universiti_kansa_"} <= set(asked)


def test_a_question_with_capitals_names_only_what_it_capitalises() -> None:
    asked = question_name_terms("How many copies did Prince Harry's memoir sell in the first week?")
    assert asked == ["princ_harri_"]  # not "first week", nor the asking "How many"


# Every distractor says "China" and "initiative" more often than the answer says anything.
DISTRACTORS = {
    f"d{i}": f"China launched a new initiative on {topic}. The initiative in China covers {topic} and "
    f"China expects the initiative to end in {2030 + i}."
    for i, topic in enumerate(["trade", "roads", "ports", "solar", "rail", "farming", "schools", "water"])
}
ANSWER = {
    "answer": "Court filings say the now-defunct China Initiative, a Justice Department project, targeted "
    "scientists and ended after criticism from universities and civil rights groups over its record."
}


def _store(tmp_path: Path) -> Path:
    return article_store(tmp_path, {**DISTRACTORS, **ANSWER})


def test_the_passage_naming_the_asked_for_name_ranks_first(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert keyword_docs(store, "When did the China Initiative end?")[0] == "answer"
    assert keyword_docs(store, "when did the china initiative end")[0] == "answer"


def test_without_name_terms_the_words_alone_bury_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store above is a fair test: word by word, the distractors win."""
    monkeypatch.setattr(keyword_module, "passage_name_terms", lambda text: [])
    monkeypatch.setattr(keyword_module, "question_name_terms", lambda text: [])
    store = _store(tmp_path)
    assert keyword_docs(store, "When did the China Initiative end?")[0] != "answer"


def test_an_index_of_the_earlier_terms_is_rebuilt_with_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(keyword_module, "passage_name_terms", lambda text: [])
        patched.setattr(keyword_module, "TOKENIZER", "en-stem+zh-bigram-jieba/1")
        store = _store(tmp_path)
        assert keyword_docs(store, "When did the China Initiative end?")[0] != "answer"
    assert keyword_docs(store, "When did the China Initiative end?")[0] == "answer"


def test_a_question_naming_nothing_rare_ranks_exactly_as_by_its_words(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with TalentQA.open(Settings(store=store), embedder=FakeEmbedder()) as qa:
        index = qa.retriever.keyword.current()
        assert index.names is not None
        question = "Which initiative does China expect to end in 2033?"
        with_names = index.search(question, 9)
        index.names = None
        assert index.search(question, 9) == with_names


def test_filters_hold_when_names_score_too(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with TalentQA.open(Settings(store=store), embedder=FakeEmbedder()) as qa:
        index = qa.retriever.keyword.current()
        rows = {chunk_id: i for i, chunk_id in enumerate(index.ids)}
        found = index.search("When did the China Initiative end?", 9, sources=["d1", "d2"])
        assert found and {str(index.doc_ids[rows[cid]]) for cid, _ in found} <= {"d1", "d2"}
