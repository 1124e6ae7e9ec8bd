"""Fitting weights and picking the abstention threshold, on synthetic candidates with known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from talentqa.answer.extractive import FEATURES, ScoringWeights
from talentqa.calibration import (
    QuestionCandidates,
    calibrate,
    confidences,
    fit_logistic,
    load_candidates,
    pick_threshold,
    save_candidates,
)
from talentqa.errors import ConfigError
from talentqa.evaluation import EvalQuestion


def test_logistic_fit_recovers_known_weights() -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(size=4000), rng.normal(size=4000), np.ones(4000)])
    true = np.array([2.0, -1.0, 0.5])
    y = (rng.random(4000) < 1 / (1 + np.exp(-x @ true))).astype(float)
    w = fit_logistic(x, y, l2=0.0)
    assert np.allclose(w, true, atol=0.2)
    # The penalty shrinks the features but never the bias.
    shrunk = fit_logistic(x, y, l2=1e4)
    assert np.all(np.abs(shrunk[:2]) < 0.2) and abs(shrunk[2]) > 0.2


def test_threshold_maximises_the_gain_within_the_wrong_abstention_budget() -> None:
    answerable = [0.9, 0.8, 0.7, 0.6, 0.2]  # 0.2 is the one answerable question it may withhold (20%)
    unanswerable = [0.1, 0.3, 0.5, 0.65, 0.95]
    # At 0.3: 1/5 - 1/5 = 0; at 0.6: 3/5 - 1/5 = 0.4 (best); 0.65 withholds 2/5. Returned: midway to 0.5.
    assert pick_threshold(answerable, unanswerable, max_wrong=0.2) == pytest.approx(0.55)
    # With no room for wrong abstentions it stops below the lowest answerable confidence.
    assert pick_threshold(answerable, unanswerable, max_wrong=0.0) == pytest.approx(0.15)
    assert pick_threshold([], [0.4], max_wrong=0.15) > 0.4  # nothing to withhold wrongly: abstain on all


def _question(qid: str, answerable: bool, rows: list[tuple[float, int]]) -> QuestionCandidates:
    """Candidates whose only informative feature is the cosine; the rest are zero, the bias one (and the
    question names nothing the article lacks)."""
    features = []
    for cos, _ in rows:
        x = [0.0] * len(FEATURES)
        x[FEATURES.index("cos")], x[FEATURES.index("bias")] = cos, 1.0
        x[FEATURES.index("name_coverage_article")] = 1.0
        features.append(x)
    return QuestionCandidates(id=qid, answerable=answerable, features=features, labels=[y for _, y in rows])


def test_calibrate_separates_answers_and_abstains_on_weak_evidence() -> None:
    candidates = [_question(f"a{i}", True, [(0.9 - 0.01 * i, 1), (0.2, 0), (0.1, 0)]) for i in range(10)] + [
        _question(f"u{i}", False, [(0.3 + 0.01 * i, 0), (0.1, 0)]) for i in range(10)
    ]
    result = calibrate(candidates, current=ScoringWeights(), current_threshold=0.5, max_wrong=0.15)
    assert result.weights.weights["cos"] > 0
    assert set(result.weights.weights) == set(FEATURES)
    assert result.after.top_sentence_has_answer == 1.0
    assert result.after.abstained_unanswerable == 1.0
    assert result.after.wrongly_abstained == 0.0
    assert (result.questions, result.answerable, result.candidates, result.positives) == (20, 10, 50, 10)
    # The weights in use get their own calibrated threshold, with their own figures.
    assert result.recalibrated.wrongly_abstained is not None and result.recalibrated.wrongly_abstained <= 0.15
    assert result.recalibrated.top_sentence_has_answer == result.before.top_sentence_has_answer
    with pytest.raises(ConfigError):
        calibrate(candidates[10:], current=ScoringWeights(), current_threshold=0.5)


def test_calibration_scores_sentences_exactly_as_the_answerer_does() -> None:
    rng = np.random.default_rng(1)
    rows = rng.random((200, len(FEATURES)))
    rows[:, FEATURES.index("type")] = rng.integers(0, 2, 200)  # 0 = the kind of thing asked for is missing
    rows[:, FEATURES.index("typed_question")] = rng.integers(0, 2, 200)
    weights = ScoringWeights()
    w = np.array([weights.weights.get(name, 0.0) for name in FEATURES])
    expected = [weights.score(row.tolist()) for row in rows]
    assert np.allclose(confidences(rows, w), expected)
    gated = (rows[:, FEATURES.index("typed_question")] == 1) & (rows[:, FEATURES.index("type")] == 0)
    assert gated.any() and (rows[:, FEATURES.index("name_coverage_article")] < 0.5).any()


def test_candidate_cache_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "cands.json"
    collected = [_question("a", True, [(0.5, 1)])]
    save_candidates(path, collected)
    assert load_candidates(path, [EvalQuestion(id="a", question="?")]) == collected
    assert load_candidates(path, [EvalQuestion(id="b", question="?")]) is None
    assert load_candidates(tmp_path / "absent.json", []) is None
