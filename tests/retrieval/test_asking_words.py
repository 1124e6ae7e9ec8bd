"""The words that only ask ("what", "did", "how") are not keyword terms of a question: an interview that
repeats "What did he do?" no longer outranks the one passage naming what the question is about."""

from __future__ import annotations

from pathlib import Path

from talentqa.app import TalentQA
from talentqa.settings import Settings
from talentqa.store import keyword as keyword_module
from tests.conftest import FakeEmbedder
from tests.retrieval.keyword_store import article_store, keyword_docs

ARTICLES = {
    "interview": "What did he do? He left. What did she do? She stayed. What did they do next? "
    "Did you ask them? What did they find? Nothing. How did it end? What did it cost?",
    "answer": "A 2023 report published by the think tank MacroPolo found that half of top AI researchers "
    "did their undergraduate studies in China, and that many of them later worked in the United States.",
    "other": "The city council met on Tuesday and approved a new budget for roads, parks and schools after "
    "a long debate about taxes and the cost of repairs.",
}


def _store(tmp_path: Path) -> Path:
    return article_store(tmp_path, ARTICLES)


def test_the_passage_naming_the_subject_ranks_first_not_the_one_repeating_the_asking_words(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    assert keyword_docs(store, "What did MacroPolo find?")[0] == "answer"
    assert keyword_docs(store, "how did macropolo do it") == ["answer"]


def test_asked_with_every_word_the_interview_would_win(tmp_path: Path) -> None:
    """The store above is a fair test: with the asking words as terms, their repetition wins."""
    store = _store(tmp_path)
    with TalentQA.open(Settings(store=store), embedder=FakeEmbedder()) as qa:
        index = qa.retriever.keyword.current()
        rows = {chunk_id: i for i, chunk_id in enumerate(index.ids)}
        tokens = keyword_module._tokenize(["What did MacroPolo find?"], keyword_module._stemmer())
        results, _ = index.retriever.retrieve(tokens, k=2, show_progress=False, n_threads=1)
        assert str(index.doc_ids[rows[index.ids[int(results[0][0])]]]) == "interview"


def test_a_question_of_asking_words_alone_finds_nothing_by_keyword(tmp_path: Path) -> None:
    assert keyword_docs(_store(tmp_path), "What did they do?") == []
