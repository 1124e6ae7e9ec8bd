"""Written SQuAD-style questions become reader examples on their whole paragraph, only on articles the
reader already trains on, and are taught by their labels alone when a reader is distilled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from talentqa.reading.data import ReaderData, ReaderExample
from talentqa.reading.train import LABELS_ONLY_KINDS, with_wiki
from talentqa.reading.wiki_data import (
    WIKI_KIND,
    WIKI_NO_ANSWER_KIND,
    WikiQuestion,
    build_wiki,
    read_questions,
)

TEXT = "The Apollo program landed the first humans on the Moon in 1969. It was run by NASA."
PARAGRAPHS = [
    {"id": "Apollo_program::p0", "title": "Apollo_program", "text": TEXT},
    {"id": "Kenya::p4", "title": "Kenya", "text": "Nairobi is the capital of Kenya."},
]


def _write(tmp_path: Path, parts: dict[str, list[dict[str, object]]]) -> tuple[Path, Path]:
    documents = tmp_path / "documents.jsonl"
    documents.write_text("".join(json.dumps(p) + "\n" for p in PARAGRAPHS), encoding="utf-8")
    folder = tmp_path / "reader-wiki"
    folder.mkdir()
    for name, rows in parts.items():
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder, documents


def _answerable(qid: str, answer: str, paragraph: str = "Apollo_program::p0") -> dict[str, object]:
    return {"id": qid, "paragraph_id": paragraph, "question": "When did people first land on the Moon?",
            "answerable": True, "answer": answer}  # fmt: skip


def _twin(qid: str, paragraph: str = "Apollo_program::p0") -> dict[str, object]:
    return {"id": qid, "paragraph_id": paragraph, "question": "When did people last land on the Moon?",
            "answerable": False, "plausible": "1969", "missing": "the last landing",
            "shape": "antonym"}  # fmt: skip


def _data(train_articles: list[str]) -> ReaderData:
    squad = ReaderExample(id="s", question="Who ran it?", context=TEXT, answer_start=79, answer_text="NASA")
    return ReaderData(train=[squad], holdout=[], holdout_articles=["Kenya"], train_articles=train_articles)


def test_an_answerable_question_is_read_on_its_paragraph_with_the_answer_located(tmp_path: Path) -> None:
    folder, documents = _write(tmp_path, {"part1": [_answerable("a", "1969")]})
    (example,) = build_wiki(folder, documents).train
    assert example.kind == WIKI_KIND and example.answerable
    assert example.context == TEXT and example.title == "Apollo_program"
    assert example.answer_start is not None
    assert TEXT[example.answer_start : example.answer_start + 4] == "1969"


def test_an_unanswerable_twin_is_a_no_answer_example_on_the_same_paragraph(tmp_path: Path) -> None:
    folder, documents = _write(tmp_path, {"part1": [_twin("u")]})
    built = build_wiki(folder, documents)
    (example,) = built.train
    assert example.kind == WIKI_NO_ANSWER_KIND and not example.answerable
    assert example.context == TEXT
    assert built.articles == ["Apollo_program"]


def test_an_answer_the_paragraph_does_not_hold_is_skipped_not_guessed(tmp_path: Path) -> None:
    folder, documents = _write(tmp_path, {"part1": [_answerable("a", "1969"), _answerable("gone", "1972")]})
    built = build_wiki(folder, documents)
    assert [e.id for e in built.train] == ["a"]
    assert built.skipped == ["gone"]


def test_a_paragraph_missing_from_the_documents_is_an_error(tmp_path: Path) -> None:
    folder, documents = _write(tmp_path, {"part1": [_answerable("a", "x", paragraph="Nowhere::p9")]})
    with pytest.raises(ValueError, match="Nowhere::p9"):
        build_wiki(folder, documents)


def test_questions_are_read_across_parts_in_file_order(tmp_path: Path) -> None:
    folder, _ = _write(tmp_path, {"part2": [_twin("b")], "part1": [_twin("a")]})
    questions = read_questions(folder)
    assert [q.id for q in questions] == ["a", "b"]
    assert isinstance(questions[0], WikiQuestion)


def test_written_examples_are_added_with_their_copies_on_articles_already_trained_on(tmp_path: Path) -> None:
    folder, documents = _write(tmp_path, {"part1": [_answerable("a", "1969"), _twin("u")]})
    data = with_wiki(_data(["Apollo_program"]), folder, documents, seed=0, copies=2)
    assert sorted(e.id for e in data.train) == ["a", "a", "s", "u", "u"]
    assert data.holdout == [] and data.train_articles == ["Apollo_program"]


def test_questions_written_on_a_held_out_or_test_article_are_refused(tmp_path: Path) -> None:
    folder, documents = _write(tmp_path, {"part1": [_twin("u"), _answerable("k", "Nairobi", "Kenya::p4")]})
    with pytest.raises(ValueError, match="not trained on: Kenya"):
        with_wiki(_data(["Apollo_program"]), folder, documents, seed=0, copies=1)


def test_written_examples_learn_from_their_labels_alone_when_a_reader_is_distilled() -> None:
    """The teacher never read such questions: a batch marks them untaught, as it marks news near-misses
    (tests/reading/test_news_data.py proves that an untaught example's loss ignores the teacher)."""
    pytest.importorskip("torch")
    from transformers import AutoTokenizer

    from talentqa.reading.model import encoder_path
    from talentqa.reading.train import HYPER, _features

    tokenizer = AutoTokenizer.from_pretrained(str(encoder_path()), local_files_only=True)
    kinds = [WIKI_KIND, WIKI_NO_ANSWER_KIND, "squad", "unanswerable"]
    batch = [ReaderExample(id=k, question="When?", context=TEXT, kind=k) for k in kinds]
    taught = _features(tokenizer, batch, {**HYPER, "read_headers": False})["taught"]
    assert taught.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert {WIKI_KIND, WIKI_NO_ANSWER_KIND} <= LABELS_ONLY_KINDS


def test_a_training_command_line_reads_the_written_questions_it_names_with_its_copies(tmp_path: Path) -> None:
    from talentqa.reading.train import data_from_args, examples_parser

    folder, documents = _write(tmp_path, {"part1": [_answerable("a", "1969"), _twin("u")]})
    (tmp_path / "squad11_dev").mkdir()
    documents.rename(tmp_path / "squad11_dev" / "documents.jsonl")
    dumped = tmp_path / "examples.json"
    dumped.write_text(_data(["Apollo_program"]).model_dump_json(), encoding="utf-8")
    args = examples_parser(None).parse_args(
        ["--examples", str(dumped), "--eval-root", str(tmp_path), "--wiki", str(folder), "--wiki-copies", "3"]
    )
    assert sorted(e.id for e in data_from_args(args).train) == ["a"] * 3 + ["s"] + ["u"] * 3
    assert sorted(e.id for e in data_from_args(args, copies=1).train) == ["a", "s", "u"]
