"""Fit the extractive answerer's sentence weights and abstention threshold on calibration questions.

For every question the retrieved passages' candidate sentences are collected with their features
(`talentqa.answer.extractive.FEATURES`) exactly as the answerer computes them. A sentence is a positive when
it contains a gold answer string of an answerable question; every sentence retrieved for an unanswerable
question is a negative, which is what teaches the model the adversarial near-misses. The weights are an
L2-regularised logistic regression fitted by Newton's method in numpy (eight features: no library needed).

The threshold is then chosen on each question's best confidence: abstaining below it, maximise
(share of unanswerable abstained - share of answerable abstained) with the latter at most `max_wrong`.

Fit only on the calibration split (the first half of the articles); report on the other half.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from talentqa.answer.extractive import FEATURES, ScoringWeights, gated
from talentqa.errors import ConfigError
from talentqa.evaluation import EvalQuestion, contains_answer

if TYPE_CHECKING:
    from talentqa.app import TalentQA

Matrix = npt.NDArray[np.float64]


class QuestionCandidates(BaseModel):
    """The candidate sentences of one question: features (rows in `FEATURES` order) and labels."""

    id: str
    answerable: bool
    features: list[list[float]]
    labels: list[int]


class Figures(BaseModel):
    """How a set of weights and a threshold do on the questions they are judged on."""

    top_sentence_has_answer: float = Field(
        description="Answerable questions whose best sentence holds a gold string."
    )
    abstained_unanswerable: float | None
    wrongly_abstained: float | None
    log_loss: float


class CalibrationResult(BaseModel):
    weights: ScoringWeights
    abstain_threshold: float
    max_wrong: float
    questions: int
    answerable: int
    unanswerable: int
    candidates: int
    positives: int
    current_weights_threshold: float = Field(
        description="The threshold calibrated for the weights in use (kept when their ranking is preferred)."
    )
    before: Figures = Field(description="The weights and threshold in use before fitting.")
    recalibrated: Figures = Field(description="The weights in use with `current_weights_threshold`.")
    after: Figures = Field(description="The fitted weights and threshold (in-sample).")

    def save(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")


class WeightsFile(BaseModel):
    """What `talentqa eval --weights FILE` reads: a calibration result or just weights and a threshold."""

    weights: ScoringWeights
    abstain_threshold: float | None = None


def load_weights(path: Path) -> WeightsFile:
    try:
        return WeightsFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read weights from {path}: {exc}") from exc


def collect_candidates(
    qa: TalentQA,
    questions: Sequence[EvalQuestion],
    *,
    k: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[QuestionCandidates]:
    """Retrieve and featurise every question exactly as `TalentQA.ask` does with the extractive answerer."""
    from talentqa.app import check_question

    collected: list[QuestionCandidates] = []
    for i, question in enumerate(questions, start=1):
        text = check_question(question.question, qa.settings.answer.max_question_chars)
        retrieved = qa.retriever.retrieve(text, k)
        found = qa.extractive.candidates(text, retrieved.question_vector, retrieved.passages)
        collected.append(
            QuestionCandidates(
                id=question.id,
                answerable=question.answerable,
                features=[list(c.features) for c in found],
                labels=[
                    int(question.answerable and contains_answer(c.text, question.answers)) for c in found
                ],
            )
        )
        if progress:
            progress(i, len(questions))
    return collected


class _CandidateCache(BaseModel):
    question_ids: list[str]
    feature_names: list[str] = Field(default_factory=list)
    candidates: list[QuestionCandidates]


def save_candidates(path: Path, candidates: Sequence[QuestionCandidates]) -> None:
    """Keep collected features so fits can be repeated without retrieving again."""
    cache = _CandidateCache(
        question_ids=[q.id for q in candidates], feature_names=list(FEATURES), candidates=list(candidates)
    )
    path.write_text(cache.model_dump_json(), encoding="utf-8")


def load_candidates(path: Path, questions: Sequence[EvalQuestion]) -> list[QuestionCandidates] | None:
    """Features saved for exactly these questions and features; None when absent or stale."""
    if not path.exists():
        return None
    try:
        cache = _CandidateCache.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read candidate cache {path}: {exc}") from exc
    if cache.question_ids != [q.id for q in questions] or cache.feature_names != list(FEATURES):
        return None
    return cache.candidates


def _sigmoid(z: Matrix) -> Matrix:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def fit_logistic(
    x: Matrix, y: Matrix, *, l2: float = 1.0, iterations: int = 50, bias_column: int = -1
) -> Matrix:
    """Weights minimising logistic loss + l2/2 |w|^2; the bias column (a constant 1) is not penalised."""
    n_features = x.shape[1]
    w = np.zeros(n_features)
    penalty = np.full(n_features, l2)
    penalty[bias_column] = 0.0
    for _ in range(iterations):
        p = _sigmoid(x @ w)
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(n_features)
        step = np.linalg.solve(hessian, gradient)
        w = w - step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return w


def confidences(features: Matrix, w: Matrix) -> Matrix:
    """The answerer's confidence of each row: the logistic score with the same type and name gates."""
    return gated(_sigmoid(features @ w), features)


def best_confidences(candidates: Sequence[QuestionCandidates], w: Matrix) -> list[float]:
    """Each question's highest sentence confidence under weights `w` (0 when nothing was retrieved)."""
    return [float(np.max(confidences(np.asarray(q.features), w))) if q.features else 0.0 for q in candidates]


def pick_threshold(
    answerable: Sequence[float], unanswerable: Sequence[float], max_wrong: float = 0.15
) -> float:
    """The threshold maximising abstained-unanswerable minus wrongly-abstained, the latter <= `max_wrong`.

    A question abstains when its confidence is strictly below the threshold, so the candidates are the
    observed confidences. Ties go to the lowest (fewest answers withheld), and the threshold returned lies
    midway between the chosen confidence and the next lower one, so rounding cannot flip a question.
    """
    yes = np.asarray(answerable, dtype=float)
    no = np.asarray(unanswerable, dtype=float)
    observed = sorted({0.0, 1.0, *yes.tolist(), *no.tolist()})
    best, best_gain = 0, -np.inf
    for i, t in enumerate(observed):
        wrong = float(np.mean(yes < t)) if yes.size else 0.0
        if wrong > max_wrong + 1e-12:
            break  # wrong abstentions only grow with the threshold
        gain = (float(np.mean(no < t)) if no.size else 0.0) - wrong
        if gain > best_gain + 1e-12:
            best, best_gain = i, gain
    return float(observed[best] if best == 0 else (observed[best - 1] + observed[best]) / 2)


def _figures(candidates: Sequence[QuestionCandidates], w: Matrix, threshold: float) -> Figures:
    best = best_confidences(candidates, w)
    hits: list[bool] = []
    losses: list[float] = []
    for q in candidates:
        if not q.features:
            if q.answerable:
                hits.append(False)
            continue
        p = confidences(np.asarray(q.features), w)
        y = np.asarray(q.labels, dtype=float)
        losses.extend((-(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).tolist())
        if q.answerable:
            hits.append(bool(q.labels[int(np.argmax(p))]))
    yes = [c for c, q in zip(best, candidates, strict=True) if q.answerable]
    no = [c for c, q in zip(best, candidates, strict=True) if not q.answerable]
    return Figures(
        top_sentence_has_answer=float(np.mean(hits)) if hits else 0.0,
        abstained_unanswerable=float(np.mean(np.asarray(no) < threshold)) if no else None,
        wrongly_abstained=float(np.mean(np.asarray(yes) < threshold)) if yes else None,
        log_loss=float(np.mean(losses)) if losses else 0.0,
    )


def _threshold_for(candidates: Sequence[QuestionCandidates], w: Matrix, max_wrong: float) -> float:
    best = best_confidences(candidates, w)
    return pick_threshold(
        [c for c, q in zip(best, candidates, strict=True) if q.answerable],
        [c for c, q in zip(best, candidates, strict=True) if not q.answerable],
        max_wrong,
    )


def _as_vector(weights: ScoringWeights) -> Matrix:
    return np.array([weights.weights.get(name, 0.0) for name in FEATURES])


def calibrate(
    candidates: Sequence[QuestionCandidates],
    *,
    current: ScoringWeights,
    current_threshold: float,
    max_wrong: float = 0.15,
    l2: float = 1.0,
) -> CalibrationResult:
    """Fit weights and threshold on collected candidates and compare with the ones in use."""
    rows = [row for q in candidates for row in q.features]
    labels = [label for q in candidates for label in q.labels]
    if not rows or not any(labels) or all(labels):
        raise ConfigError("calibration needs candidate sentences with and without gold answers")
    x = np.asarray(rows, dtype=float)
    y = np.asarray(labels, dtype=float)
    fitted = ScoringWeights(
        weights={
            name: round(float(v), 4)
            for name, v in zip(
                FEATURES, fit_logistic(x, y, l2=l2, bias_column=FEATURES.index("bias")), strict=True
            )
        }
    )
    w = _as_vector(fitted)  # the threshold is chosen for the weights as they will be stored
    threshold = _threshold_for(candidates, w, max_wrong)
    current_calibrated = _threshold_for(candidates, _as_vector(current), max_wrong)
    return CalibrationResult(
        weights=fitted,
        current_weights_threshold=current_calibrated,
        abstain_threshold=threshold,
        max_wrong=max_wrong,
        questions=len(candidates),
        answerable=sum(q.answerable for q in candidates),
        unanswerable=sum(not q.answerable for q in candidates),
        candidates=len(rows),
        positives=int(y.sum()),
        before=_figures(candidates, _as_vector(current), current_threshold),
        recalibrated=_figures(candidates, _as_vector(current), current_calibrated),
        after=_figures(candidates, w, threshold),
    )
