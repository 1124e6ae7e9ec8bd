"""Fit how sure the fast reader's span heads must be before its span leads an answer ("Sue Gove [1]").

A wrong short answer misleads even above a right quote, so the span leads only when the reader is sure
enough of its bounds: the start token's softmax probability times the end token's (`span_probability`).
Fitted on answerable questions of articles the reader never trained on, each read with its own paragraph
under its title (as training and `talentqa ask` read passages): a span is right when its token F1
against a gold answer is at least 0.5, and the threshold is the sureness at which a logistic fit of
right against log(sureness) crosses one half, where a shown span is as likely right as wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from talentqa.errors import ConfigError
from talentqa.eval.calibration import auc
from talentqa.eval.evaluation import SHORT_ANSWER_RIGHT_F1, EvalQuestion, token_f1
from talentqa.reading.model import PassageReader, passage_header

SURENESS_FLOOR = 1e-6  # log(0) guard: a span head can be all but certain it is wrong


class SpanReading(BaseModel):
    """One answerable question's best span, read with its own paragraph."""

    id: str
    sureness: float
    right: bool


class Shown(BaseModel):
    shown: float = Field(description="Share of the spans that would lead their answer.")
    right_of_shown: float | None = Field(description="Share of those that are right.")


class ShortAnswerFit(BaseModel):
    short_answer_min_span_probability: float
    questions: int
    right: int
    auc: float | None = Field(description="How well the sureness tells right spans from wrong ones.")
    current_threshold: float
    current: Shown
    calibrated: Shown


def paragraphs(document_paths: Sequence[Path]) -> dict[str, tuple[str, str]]:
    """Each SQuAD-style document's (title, text) by id, from the dataset's JSONL files."""
    found: dict[str, tuple[str, str]] = {}
    for path in document_paths:
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for file in files:
            with file.open(encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        record = json.loads(line)
                        found[str(record["id"])] = (str(record.get("title", "")), str(record["text"]))
    return found


def read_spans(
    reader: PassageReader,
    questions: Sequence[EvalQuestion],
    documents: dict[str, tuple[str, str]],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[SpanReading]:
    """The reader's span for each answerable question with gold answers and a paragraph of its own."""
    usable = [q for q in questions if q.answerable and q.answers and q.doc_ids and q.doc_ids[0] in documents]
    readings: list[SpanReading] = []
    for i, question in enumerate(usable, start=1):
        title, text = documents[question.doc_ids[0]]
        [output] = reader.read(question.question, [text], [passage_header(title)])
        right = token_f1(output.span, question.answers) >= SHORT_ANSWER_RIGHT_F1
        readings.append(SpanReading(id=question.id, sureness=output.span_probability or 0.0, right=right))
        if progress is not None:
            progress(i, len(usable))
    return readings


def _shown(readings: Sequence[SpanReading], threshold: float) -> Shown:
    shown = [r for r in readings if r.sureness >= threshold]
    return Shown(
        shown=len(shown) / len(readings),
        right_of_shown=sum(r.right for r in shown) / len(shown) if shown else None,
    )


def fit_short_answers(readings: Sequence[SpanReading], *, current_threshold: float) -> ShortAnswerFit:
    """The sureness at which a span is as likely right as wrong (see the module docstring)."""
    from sklearn.linear_model import LogisticRegression

    labels = np.array([r.right for r in readings])
    if len(readings) < 2 or labels.all() or not labels.any():
        raise ConfigError("short-answer calibration needs both right and wrong spans: give more questions")
    logs = np.log(np.maximum([r.sureness for r in readings], SURENESS_FLOOR))
    model = LogisticRegression(C=1e6).fit(logs[:, None], labels)  # effectively unregularised
    slope, intercept = float(model.coef_[0][0]), float(model.intercept_[0])
    if slope <= 0:
        raise ConfigError("the reader's span sureness does not rise with right spans on these questions")
    threshold = min(1.0, math.exp(-intercept / slope))
    return ShortAnswerFit(
        short_answer_min_span_probability=round(threshold, 4),
        questions=len(readings),
        right=int(labels.sum()),
        auc=auc(logs[labels].tolist(), logs[~labels].tolist()),
        current_threshold=current_threshold,
        current=_shown(readings, current_threshold),
        calibrated=_shown(readings, threshold),
    )
