"""The metric functions on hand-made answers, with every expected figure worked out by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from talentqa.errors import ConfigError
from talentqa.eval.evaluation import (
    EvalQuestion,
    abstention_tradeoff,
    answer_text,
    compute_metrics,
    contains_answer,
    load_dataset,
    run_talentqa,
    sample_questions,
    score_answer,
    split_questions,
    squad_normalize,
    token_f1,
)
from talentqa.models import Answer, Citation
from tests.fake_service import FakeQAService

TEXTS = {
    "d1": "The Harbour Point lighthouse was built by Margaret Ellison in 1874.",
    "d2": "The lamp is bright. Loaves rise for 36 hours.",
    "d3": "The keeper did not know the builder.",
}


def cite(n: int, doc_id: str, quote: str) -> Citation:
    start = TEXTS[doc_id].find(quote)
    assert start >= 0
    return Citation(n=n, doc_id=doc_id, quote=quote, start=start, end=start + len(quote))


def test_normalisation_and_f1() -> None:
    assert contains_answer("Built by  MARGARET\nEllison.", ["margaret ellison"])
    assert not contains_answer("Built by Margaret.", ["Margaret Ellison", ""])
    assert squad_normalize("The  Cat, a dog!") == "cat dog"
    assert token_f1("the cat sat", ["cat"]) == pytest.approx(2 * (1 / 2) * 1 / (1 / 2 + 1))
    assert token_f1("", ["cat"]) == 0.0
    assert token_f1("cat", ["dog", "Cat."]) == 1.0
    answer = Answer(
        question="q", text="\u201cBuilt in 1874.\u201d [1] (as of 5 January 2023)", as_of=dt.date(2023, 1, 5)
    )
    assert answer_text(answer) == "\u201cBuilt in 1874.\u201d"
    assert answer_text(answer.model_copy(update={"abstained": True})) == ""


def test_a_gold_answer_is_found_whatever_quotation_marks_either_side_prints() -> None:
    assert contains_answer("the screening of \u201cAmerican Graffiti\u201d", ['"American Graffiti"'])
    assert contains_answer("his autobiography Spare tomorrow", ["\u201cSpare\u201d"])
    assert contains_answer("undercut Russia's innovative potential", ["Russia\u2019s innovative potential"])
    assert not contains_answer("a spare tyre", ['"Spare part"'])


def test_metrics_worked_by_hand() -> None:
    questions = [
        EvalQuestion(id="q1", question="Who built it?", answers=["Margaret Ellison"], doc_ids=["d1"]),
        EvalQuestion(id="q2", question="How long?", answers=["36 hours"], doc_ids=["d2"]),
        EvalQuestion(id="q3", question="Ticket price?", answerable=False),
        EvalQuestion(id="q4", question="Opening hours?", answerable=False),
    ]
    q1 = Answer(
        question="Who built it?",
        text="\u201cThe lamp is bright.\u201d [1] \u201cbuilt by Margaret Ellison\u201d [2]",
        citations=[cite(1, "d2", "The lamp is bright."), cite(2, "d1", "built by Margaret Ellison")],
    )
    q2 = Answer(
        question="How long?", text="The sources don't say.", abstained=True, related=[cite(1, "d2", "Loaves")]
    )
    # A quote that does not match its span: the metric must catch it.
    wrong = Citation(n=1, doc_id="d1", quote="built in 1900", start=0, end=13)
    q3 = Answer(question="Ticket price?", text="\u201cbuilt in 1900\u201d [1]", citations=[wrong])
    q4 = Answer(question="Opening hours?", text="The sources don't say.", abstained=True)
    results = [
        score_answer(questions[0], q1, ["d2", "d2", "d1"], 10.0, TEXTS.__getitem__),
        score_answer(questions[1], q2, ["d2"], 20.0, TEXTS.__getitem__),
        score_answer(questions[2], q3, ["d1"], 30.0, TEXTS.__getitem__),
        score_answer(questions[3], q4, [], 40.0, TEXTS.__getitem__),
    ]
    m = compute_metrics(results)
    figures = m.figures()
    # Gold document ranks 2 (d2's two passages count once) and 1 for the questions with gold documents.
    assert figures["recall@1"] == 0.5
    assert figures["recall@5"] == figures["recall@10"] == 1.0
    assert figures["mrr"] == pytest.approx(0.75)
    # q1 has the gold string in its second quote only; q2 abstained.
    assert figures["answer_in_quotes"] == 0.5
    assert figures["answer_in_top_quote"] == 0.0
    # q1: "lamp is bright built by margaret ellison" (7 tokens) against "margaret ellison": F1 4/9; q2: 0.
    assert figures["f1"] == pytest.approx(2 / 9)
    # Three exact quotes (two citations, one related passage) and one that does not match its span.
    assert figures["quote_exactness"] == 0.75
    # Citations on questions with gold documents: q1's two, one in d1.
    assert figures["citation_precision"] == 0.5
    assert figures["citation_recall"] == 0.5
    assert figures["abstained_unanswerable"] == 0.5
    assert figures["wrongly_abstained"] == 0.5
    assert figures["p50_ms"] == pytest.approx(25.0)
    assert figures["p95_ms"] == pytest.approx(38.5)
    assert (m.questions, m.answerable, m.unanswerable, m.with_gold_docs, m.quotes) == (4, 2, 2, 2, 4)
    assert m.recall_curve == [0.5] + [1.0] * 9
    # q1 answered with no short answer; q2 abstained: none shown, and no share of shown ones to judge.
    assert figures["short_answer_shown"] == 0.0 and figures["short_answer_right"] is None


def test_short_answers_are_counted_on_answered_questions_and_judged_by_token_f1() -> None:
    question = EvalQuestion(id="q", question="Who built it?", answers=["Margaret Ellison"], doc_ids=["d1"])
    quote = cite(1, "d1", "built by Margaret Ellison")

    def led_with(short: str | None) -> Answer:
        return Answer(question="Who built it?", text="...", citations=[quote], short_answer=short)

    results = [
        score_answer(question, led_with("Ellison"), ["d1"], 1.0, TEXTS.__getitem__),  # F1 2/3: right
        score_answer(question, led_with("1874"), ["d1"], 1.0, TEXTS.__getitem__),  # wrong
        score_answer(question, led_with(None), ["d1"], 1.0, TEXTS.__getitem__),  # the quote leads
        score_answer(  # abstained: not an answered question
            question,
            Answer(question="?", text="-", abstained=True, short_answer="x"),
            [],
            1.0,
            TEXTS.__getitem__,
        ),
    ]
    figures = compute_metrics(results).figures()
    assert figures["short_answer_shown"] == pytest.approx(2 / 3)
    assert figures["short_answer_right"] == 0.5


def test_answer_in_passages_is_the_share_whose_gold_answer_the_answerer_was_handed() -> None:
    found = EvalQuestion(id="a", question="Who built it?", answers=["Margaret Ellison"], doc_ids=["d1"])
    missed = EvalQuestion(id="b", question="How long?", answers=["36 hours"], doc_ids=["d2"])
    unanswerable = EvalQuestion(id="c", question="Ticket price?", answerable=False)
    abstain = Answer(question="q", text="The sources don't say.", abstained=True)
    results = [
        # read but abstained: the gold answer was in front of the answerer all the same
        score_answer(found, abstain, ["d1"], 1.0, TEXTS.__getitem__, [TEXTS["d2"], TEXTS["d1"]]),
        score_answer(missed, abstain, ["d1"], 1.0, TEXTS.__getitem__, [TEXTS["d1"]]),
        score_answer(unanswerable, abstain, ["d1"], 1.0, TEXTS.__getitem__, [TEXTS["d1"]]),
    ]
    assert [r.answer_in_passages for r in results] == [True, False, None]
    assert compute_metrics(results).figures()["answer_in_passages"] == 0.5
    # Without the passages (the baseline, old reports) the figure is unknown, not zero.
    unknown = score_answer(found, abstain, ["d1"], 1.0, TEXTS.__getitem__)
    assert compute_metrics([unknown]).figures()["answer_in_passages"] is None


def test_yes_no_gold_answers_count_out_of_the_answer_string_figures() -> None:
    """A yes/no verdict is not text a quote holds, and as a substring "no" is in "not" and "know"."""
    named = EvalQuestion(id="a", question="Who built it?", answers=["Margaret Ellison"], doc_ids=["d1"])
    verdict = EvalQuestion(id="b", question="Did he know the builder?", answers=["No"], doc_ids=["d3"])
    quoted = Answer(question="q", text="x", citations=[cite(1, "d3", TEXTS["d3"])])
    assert contains_answer(TEXTS["d3"], ["No"])  # the string match a verdict would get
    results = [
        score_answer(named, quoted, ["d3"], 1.0, TEXTS.__getitem__, [TEXTS["d3"]]),
        score_answer(verdict, quoted, ["d3"], 1.0, TEXTS.__getitem__, [TEXTS["d3"]]),
    ]
    assert results[0].answerer == "reader"  # who answered is kept for each question
    figures = compute_metrics(results).figures()
    assert figures["answer_in_quotes"] == 0.0  # the named answer's question alone counts
    assert figures["answer_in_passages"] == 0.0
    assert figures["citation_recall"] == 0.5 and figures["wrongly_abstained"] == 0.0  # both still count


def test_figures_without_a_denominator_are_none() -> None:
    question = EvalQuestion(id="q", question="?", answers=[], doc_ids=[])
    result = score_answer(question, Answer(question="?", text="x"), [], 5.0, TEXTS.__getitem__)
    figures = compute_metrics([result]).figures()
    assert figures["recall@5"] is None and figures["answer_in_quotes"] is None
    assert figures["abstained_unanswerable"] is None and figures["quote_exactness"] is None
    assert figures["wrongly_abstained"] == 0.0


def test_abstention_tradeoff_reads_confidences() -> None:
    question = EvalQuestion(id="a", question="?", answers=["x"], doc_ids=["d1"])
    unanswerable = EvalQuestion(id="u", question="?", answerable=False)
    results = [
        score_answer(
            question, Answer(question="?", text="", debug={"confidence": 0.8}), [], 1.0, TEXTS.__getitem__
        ),
        score_answer(
            unanswerable, Answer(question="?", text="", debug={"confidence": 0.3}), [], 1, TEXTS.__getitem__
        ),
    ]
    curve = {round(t, 2): (u, w) for t, u, w in abstention_tradeoff(results)}
    assert curve[0.0] == (0.0, 0.0)
    assert curve[0.5] == (1.0, 0.0)
    assert curve[1.0] == (1.0, 1.0)


def test_splits_are_disjoint_halves_by_article_and_samples_are_seeded() -> None:
    questions = [
        EvalQuestion(id=f"{article}-{i}", question="?", article_id=article)
        for article in "dcba"
        for i in range(3)
    ]
    calibration = split_questions(questions, "calibration")
    test = split_questions(questions, "test")
    assert {q.article_id for q in calibration} == {"a", "b"}
    assert {q.article_id for q in test} == {"c", "d"}
    assert split_questions(questions, "all") == questions
    sample = sample_questions(questions, 5, seed=1)
    assert sample == sample_questions(questions, 5, seed=1)
    assert len(sample) == 5 and [q for q in questions if q in sample] == sample
    assert sample_questions(questions, None, seed=1) == questions
    # Without article ids the questions themselves are split.
    loose = [EvalQuestion(id=str(i), question="?") for i in range(4)]
    assert [q.id for q in split_questions(loose, "test")] == ["2", "3"]


def test_load_dataset_forms_and_errors(tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"id": 7, "question": "Q?", "answers": ["a"], "extra": 1}) + "\n\n")
    docs = tmp_path / "docs.md"
    docs.write_text("Some text.")
    data = load_dataset(questions, [docs])
    assert data.questions[0].id == "7" and data.document_paths == [docs]
    with pytest.raises(ConfigError, match="--docs"):
        load_dataset(questions)
    with pytest.raises(ConfigError, match="no such"):
        load_dataset(tmp_path / "absent")
    questions.write_text("{not json\n")
    with pytest.raises(ConfigError, match="questions.jsonl:1"):
        load_dataset(questions, [docs])


def test_a_dataset_folder_given_as_distractors_stands_for_its_documents(tmp_path: Path) -> None:
    other = tmp_path / "other_set"
    other.mkdir()
    (other / "documents.jsonl").write_text(json.dumps({"id": "d", "text": "Other text."}) + "\n")
    (other / "questions.jsonl").write_text(json.dumps({"id": "q", "question": "Q?"}) + "\n")
    plain = tmp_path / "articles"  # a folder of articles stays a folder, whatever its files
    plain.mkdir()
    (plain / "documents.jsonl").write_text(json.dumps({"id": "e", "text": "More text."}) + "\n")
    questions = tmp_path / "mine.jsonl"
    questions.write_text(json.dumps({"id": 1, "question": "Q?", "answers": ["a"]}) + "\n")
    docs = tmp_path / "docs.md"
    docs.write_text("Some text.")
    data = load_dataset(questions, [docs], [other, plain])
    assert data.document_paths == [docs, other / "documents.jsonl", plain]


def test_a_quiz_questions_date_is_the_day_it_is_asked() -> None:
    quiz = EvalQuestion.model_validate(
        {"id": "1", "question": "Who won this week?", "question_date": "2023/01/05"}
    )
    assert quiz.asked_on == dt.date(2023, 1, 5)
    assert EvalQuestion(id="2", question="Who won?").asked_on is None


class DatedService(FakeQAService):
    """Records the day each question is asked on, in `ask` and in `retrieve`."""

    def __init__(self) -> None:
        super().__init__()
        self.days: list[tuple[str, dt.date | None]] = []

    def ask(self, question: str, **kwargs: Any) -> Answer:
        self.days.append(("ask", kwargs.pop("today", None)))
        return super().ask(question, **kwargs)

    def retrieve(self, question: str, **kwargs: Any) -> list[Any]:
        self.days.append(("retrieve", kwargs.pop("today", None)))
        return super().retrieve(question, **kwargs)


def test_the_eval_asks_each_question_on_its_own_date() -> None:
    service = DatedService()
    quiz = EvalQuestion(id="1", question="Who won this week?", asked_on=dt.date(2023, 1, 5))
    plain = EvalQuestion(id="2", question="Who won?")
    run_talentqa(service, [quiz, plain])
    asked = [day for call, day in service.days if call == "ask"]
    assert asked == [dt.date(2023, 1, 5), dt.date(2023, 1, 5), None]  # the untimed first ask, then each
    assert {day for call, day in service.days[1:4] if call == "retrieve"} == {dt.date(2023, 1, 5)}
