"""Fitting how sure the fast reader must be of a span before it leads the answer: the fit on hand-made
readings, the command on a tiny SQuAD-style set with a deterministic reader, and the shipped setting
reproduced from the calibration articles with the shipped reader."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from talentqa.cli import app
from talentqa.errors import ConfigError
from talentqa.eval.evaluation import EvalQuestion
from talentqa.eval.short_answers import SpanReading, fit_short_answers, read_spans
from talentqa.reading.model import MODEL_DIR, ReaderOutput
from talentqa.settings import AnswerSettings

RECORDED = MODEL_DIR / "calibration_short_answers.json"


def _readings(pairs: Sequence[tuple[float, bool]]) -> list[SpanReading]:
    return [SpanReading(id=str(i), sureness=s, right=r) for i, (s, r) in enumerate(pairs)]


def test_the_fit_crosses_one_half_where_right_and_wrong_spans_meet() -> None:
    # Wrong under 0.1, right over 0.4, and a mixed band between: the crossing lies in the band.
    pairs = [(0.01, False), (0.03, False), (0.05, False), (0.08, False)] * 5
    pairs += [(0.15, False), (0.2, True), (0.25, False), (0.3, True)] * 5
    pairs += [(0.5, True), (0.7, True), (0.9, True), (0.95, True)] * 5
    fitted = fit_short_answers(_readings(pairs), current_threshold=0.0)
    assert 0.1 < fitted.short_answer_min_span_probability < 0.4
    assert fitted.auc is not None and fitted.auc > 0.9
    assert fitted.current.shown == 1.0 and fitted.current.right_of_shown == pytest.approx(0.5)
    assert fitted.calibrated.right_of_shown is not None and fitted.calibrated.right_of_shown > 0.8


def test_a_fit_without_both_kinds_of_span_is_refused() -> None:
    with pytest.raises(ConfigError, match="both right and wrong"):
        fit_short_answers(_readings([(0.3, True), (0.6, True)]), current_threshold=0.16)


class ScriptedReader:
    """Reads by lookup: each question's span and how sure its heads are of it."""

    def __init__(self, spans: dict[str, tuple[str, float]]) -> None:
        self.spans = spans
        self.headers: list[str] = []

    def read(
        self, question: str, passages: Sequence[str], headers: Sequence[str] | None = None
    ) -> list[ReaderOutput]:
        span, sure = self.spans[question]
        self.headers += list(headers or ())
        start = passages[0].find(span)
        return [ReaderOutput(0.9, start, start + len(span), span, 1.0, span_probability=sure)]


def test_spans_are_read_with_their_own_paragraph_and_judged_against_every_gold_answer() -> None:
    documents = {"Port::p0": ("Port", "The port reopened in May under Ines Duarte.")}
    questions = [
        EvalQuestion(id="a", question="When?", answers=["June", "in May"], doc_ids=["Port::p0"]),
        EvalQuestion(id="b", question="Who?", answers=["Ines Duarte"], doc_ids=["Port::p0"]),
        EvalQuestion(id="c", question="Why?", answerable=False, doc_ids=["Port::p0"]),
        EvalQuestion(id="d", question="Elsewhere?", answers=["x"], doc_ids=["Other::p0"]),
    ]
    reader = ScriptedReader({"When?": ("May", 0.7), "Who?": ("The port", 0.05)})
    readings = read_spans(reader, questions, documents)
    assert [(r.id, r.sureness, r.right) for r in readings] == [("a", 0.7, True), ("b", 0.05, False)]
    assert reader.headers == ["Port: ", "Port: "]  # under its title, as the reader was trained


def test_calibrate_short_answers_on_a_squad_style_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [
        {"id": f"q{i}", "question": f"Question {i}?", "answers": ["Ines Duarte"], "doc_ids": ["Port::p0"]}
        for i in range(40)
    ]
    (tmp_path / "questions.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    (tmp_path / "documents.jsonl").write_text(
        json.dumps({"id": "Port::p0", "title": "Port", "text": "The port reopened under Ines Duarte."}) + "\n"
    )
    spans = {
        f"Question {i}?": ("Ines Duarte", 0.5 + i / 100) if i % 2 else ("The port", i / 400)
        for i in range(40)
    }
    reader = ScriptedReader(spans)
    out = tmp_path / "fit.json"
    monkeypatch.setattr("talentqa.answer.reading.shared_reader", lambda: reader)
    result = CliRunner().invoke(
        app, ["calibrate", str(tmp_path), "--split", "all", "--short-answers", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    fitted = json.loads(out.read_text())
    assert fitted["questions"] == 40 and fitted["right"] == 20
    assert 0.1 <= fitted["short_answer_min_span_probability"] <= 0.5
    assert "short_answer_min_span_probability" in result.output


def test_the_shipped_short_answer_setting_is_the_recorded_fit() -> None:
    recorded = json.loads(RECORDED.read_text())
    shipped = AnswerSettings().short_answer_min_span_probability
    assert shipped == pytest.approx(recorded["short_answer_min_span_probability"], abs=0.005)
    assert recorded["auc"] > 0.75


@pytest.mark.slow
def test_the_short_answer_fit_reproduces_on_the_calibration_articles() -> None:
    from talentqa.answer.reading import shared_reader
    from talentqa.eval.calibration import unseen
    from talentqa.eval.evaluation import load_dataset, split_questions
    from talentqa.eval.short_answers import paragraphs
    from tests.integration.conftest import shared_path

    data = load_dataset(shared_path("eval") / "squad2_dev")
    questions, _ = unseen(split_questions(data.questions, "calibration"))
    readings = read_spans(shared_reader(), questions, paragraphs(data.document_paths))
    recorded = json.loads(RECORDED.read_text())
    fitted = fit_short_answers(readings, current_threshold=recorded["current_threshold"])
    assert fitted.questions == recorded["questions"]
    assert fitted.auc == pytest.approx(recorded["auc"], abs=0.01)
    assert fitted.short_answer_min_span_probability == pytest.approx(
        recorded["short_answer_min_span_probability"], abs=0.02
    )
