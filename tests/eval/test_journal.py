"""An eval run's journal: an interrupted run resumes where it stopped and never mixes two runs' results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from talentqa.errors import ConfigError
from talentqa.eval.evaluation import EvalQuestion, QuestionResult, run_talentqa
from talentqa.eval.journal import EvalJournal, JournalHeader
from talentqa.models import Answer
from tests.fake_service import FakeQAService

HEADER = JournalHeader(
    dataset="/sets/tiny/questions.jsonl",
    split="test",
    limit=None,
    seed=0,
    answerer="accurate",
    k=5,
    threshold=0.6,
)
QUESTIONS = [
    EvalQuestion(id="q1", question="Who built the lighthouse?", answers=["Margaret Ellison"]),
    EvalQuestion(id="q2", question="How long do the loaves rise?", answers=["36 hours"]),
    EvalQuestion(id="q3", question="Who is the keeper?", answerable=False),
]


class InterruptedService(FakeQAService):
    """Fails on the `stop_at`-th timed question, as a killed run would stop there."""

    def __init__(self, stop_at: int) -> None:
        super().__init__()
        self.stop_at = stop_at
        self.asked: list[str] = []

    def ask(self, question: str, **kwargs: Any) -> Answer:
        self.asked.append(question)
        if len(self.asked) == self.stop_at + 1:  # the untimed warm-up ask comes first
            raise KeyboardInterrupt
        return super().ask(question, **kwargs)


def test_an_interrupted_run_resumes_without_asking_its_answered_questions_again(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with EvalJournal.open(path, HEADER, QuestionResult) as journal, pytest.raises(KeyboardInterrupt):
        run_talentqa(InterruptedService(stop_at=2), QUESTIONS, record=journal.record)

    service = InterruptedService(stop_at=99)
    with EvalJournal.open(path, HEADER, QuestionResult) as journal:
        assert set(journal.done) == {"q1"}
        run = run_talentqa(service, QUESTIONS, done=journal.done, record=journal.record)
    # one warm-up ask on the first question still to do, then only the two not yet answered
    assert service.asked == [QUESTIONS[1].question, QUESTIONS[1].question, QUESTIONS[2].question]
    assert [r.id for r in run.results] == ["q1", "q2", "q3"]
    assert run.metrics.questions == 3

    with EvalJournal.open(path, HEADER, QuestionResult) as journal:
        assert set(journal.done) == {"q1", "q2", "q3"}
    finished = InterruptedService(stop_at=99)
    run_talentqa(finished, QUESTIONS, done=journal.done)
    assert finished.asked == []  # a finished run is reported again without a single question asked


def test_a_result_cut_off_mid_write_is_dropped_and_asked_again(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with EvalJournal.open(path, HEADER, QuestionResult) as journal:
        run_talentqa(FakeQAService(), QUESTIONS[:2], record=journal.record)
    whole = path.read_text()
    path.write_text(whole[: whole.rindex('"answerable"')])  # the second result torn mid-line

    with EvalJournal.open(path, HEADER, QuestionResult) as journal:
        assert set(journal.done) == {"q1"}
        run_talentqa(FakeQAService(), QUESTIONS, done=journal.done, record=journal.record)
    lines = path.read_text().splitlines()
    assert len(lines) == 4  # header and three whole results, no torn line left between them
    with EvalJournal.open(path, HEADER, QuestionResult) as journal:
        assert set(journal.done) == {"q1", "q2", "q3"}


def test_a_journal_of_another_run_is_refused_rather_than_mixed(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with EvalJournal.open(path, HEADER, QuestionResult) as journal:
        run_talentqa(FakeQAService(), QUESTIONS[:1], record=journal.record)
    other = HEADER.model_copy(update={"seed": 1, "threshold": 0.7})
    with pytest.raises(ConfigError, match=r"another run \(seed 0, not 1, threshold 0.6, not 0.7\)"):
        EvalJournal.open(path, other, QuestionResult)
    assert len(path.read_text().splitlines()) == 2  # left as it was


def test_a_file_that_is_no_journal_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text('{"id": "1", "question": "Who?"}\n')
    with pytest.raises(ConfigError, match="is not a talentqa journal"):
        EvalJournal.open(path, HEADER, QuestionResult)
    assert path.read_text() == '{"id": "1", "question": "Who?"}\n'


def test_a_corrupt_result_before_the_last_line_is_an_error_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with EvalJournal.open(path, HEADER, QuestionResult) as journal:
        run_talentqa(FakeQAService(), QUESTIONS[:2], record=journal.record)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + "{not json\n" + lines[2])
    with pytest.raises(ConfigError, match=r"run.jsonl:2: not a recorded result"):
        EvalJournal.open(path, HEADER, QuestionResult)
