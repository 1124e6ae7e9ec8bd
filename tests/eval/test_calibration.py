"""Picking the reader's abstention threshold, on synthetic readings with known answers."""

from __future__ import annotations

import pytest

from talentqa.errors import ConfigError
from talentqa.eval.calibration import (
    QuestionReading,
    auc,
    calibrate,
    collect_readings,
    pick_threshold,
    trained_articles,
    unseen,
)
from talentqa.eval.evaluation import EvalQuestion


def test_threshold_maximises_the_gain_within_the_wrong_abstention_budget() -> None:
    answerable = [0.9, 0.8, 0.7, 0.6, 0.2]  # 0.2 is the one answerable question it may withhold (20%)
    unanswerable = [0.1, 0.3, 0.5, 0.65, 0.95]
    # At 0.3: 1/5 - 1/5 = 0; at 0.6: 3/5 - 1/5 = 0.4 (best); 0.65 withholds 2/5. Returned: midway to 0.5.
    assert pick_threshold(answerable, unanswerable, max_wrong=0.2) == pytest.approx(0.55)
    # With no room for wrong abstentions it stops below the lowest answerable confidence.
    assert pick_threshold(answerable, unanswerable, max_wrong=0.0) == pytest.approx(0.15)
    assert pick_threshold([], [0.4], max_wrong=0.15) > 0.4  # nothing to withhold wrongly: abstain on all


def test_auc_counts_ordered_pairs_and_ties_half() -> None:
    assert auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auc([0.1], [0.9]) == 0.0
    assert auc([0.5], [0.5]) == 0.5
    assert auc([], [0.5]) is None


def _reading(qid: str, answerable: bool, best: float, hit: bool | None = None) -> QuestionReading:
    return QuestionReading(id=qid, answerable=answerable, best=best, top_has_answer=hit)


def test_calibrate_reports_current_and_calibrated_figures() -> None:
    readings = [_reading(f"a{i}", True, 0.9 - 0.02 * i, hit=i != 0) for i in range(10)] + [
        _reading(f"u{i}", False, 0.3 + 0.02 * i) for i in range(10)
    ]
    result = calibrate(readings, current_threshold=0.95, max_wrong=0.15)
    assert 0.48 < result.abstain_threshold <= 0.72
    assert result.calibrated.abstained_unanswerable == 1.0
    assert result.calibrated.wrongly_abstained == 0.0
    assert result.current.wrongly_abstained == 1.0  # 0.95 withholds every answer
    assert result.calibrated.top_quote_has_answer == pytest.approx(0.9)
    assert result.auc == 1.0
    assert (result.questions, result.answerable, result.unanswerable) == (20, 10, 10)
    with pytest.raises(ConfigError):
        calibrate(readings[10:], current_threshold=0.5)


class NothingToRead:
    """A TalentQA stand-in for a resumed calibration: every question is journalled, so none is read."""

    def read(self, question: str, **kwargs: object) -> list[object]:
        raise AssertionError(f"read again: {question}")


def test_journalled_readings_are_reused_in_question_order_without_reading_again() -> None:
    questions = [EvalQuestion(id=f"q{i}", question=f"Question {i}?", answers=["x"]) for i in range(3)]
    done = {
        r.id: r for r in (_reading("q2", True, 0.2), _reading("q0", True, 0.9), _reading("q1", True, 0.5))
    }
    recorded: list[QuestionReading] = []
    ticks: list[int] = []
    readings = collect_readings(
        NothingToRead(),  # type: ignore[arg-type]
        questions,
        done=done,
        record=recorded.append,
        progress=lambda i, n: ticks.append(i),
    )
    assert [r.id for r in readings] == ["q0", "q1", "q2"]
    assert recorded == [] and ticks == [1, 2, 3]  # nothing new to record; progress still counts them


def test_questions_on_articles_the_reader_trained_on_are_left_out() -> None:
    trained = trained_articles()
    assert trained, "the shipped reader's card lists the articles it trained on"
    some = sorted(trained)[0]
    questions = [
        EvalQuestion(id="seen", question="?", article_id=some),
        EvalQuestion(id="unseen", question="?", article_id="an-article-nobody-trained-on"),
        EvalQuestion(id="no-article", question="?"),
    ]
    kept, left_out = unseen(questions)
    assert [q.id for q in kept] == ["unseen", "no-article"] and left_out == 1


def test_the_shipped_abstention_threshold_is_the_recorded_calibration() -> None:
    import json

    from talentqa.reading.model import MODEL_DIR
    from talentqa.settings import AnswerSettings

    recorded = json.loads((MODEL_DIR / "calibration.json").read_text())
    assert AnswerSettings().abstain_threshold == recorded["abstain_threshold"]
    assert recorded["calibrated"]["wrongly_abstained"] <= recorded["max_wrong"]


def test_the_shipped_accurate_threshold_is_the_recorded_calibration() -> None:
    import json

    from talentqa.reading.llm_reader import CALIBRATION_FILE
    from talentqa.settings import AnswerSettings

    recorded = json.loads(CALIBRATION_FILE.read_text())
    assert AnswerSettings().accurate_threshold == recorded["abstain_threshold"]
    assert recorded["questions"] == 1000 and recorded["left_out_trained"] > 0  # unseen articles only
    assert recorded["calibrated"]["wrongly_abstained"] <= recorded["max_wrong"]


def test_the_shipped_accurate_news_threshold_is_the_recorded_news_calibration() -> None:
    import json

    from talentqa.reading.llm_reader import NEWS_CALIBRATION_FILE
    from talentqa.settings import AnswerSettings

    recorded = json.loads(NEWS_CALIBRATION_FILE.read_text())
    assert AnswerSettings().accurate_news_threshold == recorded["abstain_threshold"]
    assert recorded["calibrated"]["wrongly_abstained"] <= recorded["max_wrong"]
    assert recorded["articles"] > 50  # spread over the written news questions' 72 articles
    assert all(part["answerer"] == "accurate" for part in recorded["asked"])
