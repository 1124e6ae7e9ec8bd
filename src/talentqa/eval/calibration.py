"""Calibrate the reader's abstention threshold on calibration questions it never trained on.

Every question is retrieved and read exactly as `TalentQA.ask` does; what counts is the best passage's
answer probability. The threshold maximises (share of unanswerable abstained - share of answerable
abstained) with the latter at most `max_wrong`. Questions on articles the reader was trained on are left
out (the model card lists them): a model is surer of text it has learned from, and a threshold fitted there
would withhold too little elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from talentqa.errors import ConfigError
from talentqa.eval.evaluation import EvalQuestion, contains_answer
from talentqa.reading.model import MODEL_DIR, WINDOW_MODEL_DIR

if TYPE_CHECKING:
    from talentqa.app import TalentQA


class QuestionReading(BaseModel):
    """What the answerer would decide from: the best passage's probability, and whether its quote holds
    a gold answer (None for unanswerable questions)."""

    id: str
    answerable: bool
    best: float
    top_has_answer: bool | None = None


class Figures(BaseModel):
    abstained_unanswerable: float | None
    wrongly_abstained: float | None
    top_quote_has_answer: float | None = Field(
        description="Answerable questions whose best passage's quote holds a gold string."
    )


class CalibrationResult(BaseModel):
    abstain_threshold: float
    max_wrong: float
    questions: int
    answerable: int
    unanswerable: int
    left_out_trained: int = Field(description="Questions on articles the reader trained on, not used.")
    auc: float | None = Field(description="How well the best probability separates the two kinds.")
    current_threshold: float
    current: Figures = Field(description="The threshold in use.")
    calibrated: Figures = Field(description="The calibrated threshold (in-sample).")


def trained_articles() -> set[str]:
    """Articles whose questions the shipped reader or its window reader learned from (their cards say
    which): both readings make the probability that is calibrated."""
    articles: set[str] = set()
    for folder in (MODEL_DIR, WINDOW_MODEL_DIR):
        try:
            card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        articles |= set(card.get("training", {}).get("articles", []))
    return articles


def unseen(questions: Sequence[EvalQuestion]) -> tuple[list[EvalQuestion], int]:
    """The questions whose article the reader did not train on, and how many were left out."""
    trained = trained_articles()
    kept = [q for q in questions if q.article_id is None or q.article_id not in trained]
    return kept, len(questions) - len(kept)


def collect_readings(
    qa: TalentQA,
    questions: Sequence[EvalQuestion],
    *,
    k: int | None = None,
    accurate: bool = False,
    progress: Callable[[int, int], None] | None = None,
    done: Mapping[str, QuestionReading] | None = None,
    record: Callable[[QuestionReading], None] | None = None,
) -> list[QuestionReading]:
    """Each question's best reading, as the fast (or, with `accurate`, the accurate) answerer sees it.

    Questions in `done` (an interrupted run's journal) are not read again; each new reading goes to
    `record` as soon as it is made.
    """
    collected: list[QuestionReading] = []
    for i, question in enumerate(questions, start=1):
        if done and question.id in done:
            collected.append(done[question.id])
            if progress:
                progress(i, len(questions))
            continue
        readings = qa.read(question.question, k=k, accurate=accurate)
        top = readings[0] if readings else None
        has: bool | None = None
        if question.answerable:
            has = False
            if top is not None:
                start, end = top.quote_span()
                chunk = top.passage.chunk
                has = contains_answer(chunk.text[start - chunk.start : end - chunk.start], question.answers)
        collected.append(
            QuestionReading(
                id=question.id,
                answerable=question.answerable,
                best=top.probability if top else 0.0,
                top_has_answer=has,
            )
        )
        if record:
            record(collected[-1])
        if progress:
            progress(i, len(questions))
    return collected


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


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """The probability that a random positive scores above a random negative (ties count half)."""
    pos, neg = np.asarray(positives, dtype=float), np.asarray(negatives, dtype=float)
    if not pos.size or not neg.size:
        return None
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (pos.size * neg.size))


def figures(readings: Sequence[QuestionReading], threshold: float) -> Figures:
    yes = [r.best for r in readings if r.answerable]
    no = [r.best for r in readings if not r.answerable]
    # Claims (yes/no calibration) have no answer string to find: their figure is left out, not 0.
    hits = [r.top_has_answer for r in readings if r.answerable and r.top_has_answer is not None]
    return Figures(
        abstained_unanswerable=float(np.mean(np.asarray(no) < threshold)) if no else None,
        wrongly_abstained=float(np.mean(np.asarray(yes) < threshold)) if yes else None,
        top_quote_has_answer=float(np.mean(hits)) if hits else None,
    )


def calibrate(
    readings: Sequence[QuestionReading],
    *,
    current_threshold: float,
    max_wrong: float = 0.15,
    left_out_trained: int = 0,
) -> CalibrationResult:
    yes = [r.best for r in readings if r.answerable]
    no = [r.best for r in readings if not r.answerable]
    if not yes:
        raise ConfigError("calibration needs answerable questions")
    threshold = round(pick_threshold(yes, no, max_wrong), 4)
    return CalibrationResult(
        abstain_threshold=threshold,
        max_wrong=max_wrong,
        questions=len(readings),
        answerable=len(yes),
        unanswerable=len(no),
        left_out_trained=left_out_trained,
        auc=auc(yes, no),
        current_threshold=current_threshold,
        current=figures(readings, current_threshold),
        calibrated=figures(readings, threshold),
    )
