"""Labelling training examples with the LLM judge, and a student taught from those labels."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from talentqa.reading.data import ReaderExample
from talentqa.reading.distil import JUDGE_CLIP, with_judgements
from talentqa.reading.judge_labels import (
    Judgement,
    example_key,
    judging_order,
    read_judgements,
    without_answered_near_misses,
)


def _example(i: int, kind: str = "squad", context: str = "The museum opened in 1850.") -> ReaderExample:
    return ReaderExample(id=f"q{i}", question="When did the museum open?", context=context, kind=kind)


def test_near_miss_variants_of_one_question_get_different_keys() -> None:
    answered = _example(1)
    deleted = _example(1, kind="deleted-sentence", context="The museum is in the old port.")
    assert example_key(answered) != example_key(deleted)
    assert example_key(answered) == example_key(_example(1))


def test_the_judging_order_is_seeded_so_a_stopped_run_resumes_the_same_sample() -> None:
    examples = [_example(i) for i in range(50)]
    first, again = judging_order(examples), judging_order(list(examples))
    assert [e.id for e in first] == [e.id for e in again]
    assert [e.id for e in first] != [e.id for e in examples]  # shuffled, so a prefix is a random sample


def test_recorded_judgements_are_read_back_by_key(tmp_path: Path) -> None:
    out = tmp_path / "judged.jsonl"
    assert read_judgements(out) == {}
    records = [Judgement(key=f"k{i}", p_yes=i / 10, fast=0.5, answerable=i % 2 == 0) for i in range(3)]
    out.write_text("".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8")
    assert read_judgements(out) == {r.key: r for r in records}


def test_a_judged_example_moves_its_answerability_target_toward_the_judge_and_others_keep_theirs() -> None:
    examples = [_example(i) for i in range(3)]
    soft: list[dict[str, np.ndarray]] = [
        {
            "start": np.zeros((3, 4), dtype=np.float16),
            "end": np.zeros((3, 4), dtype=np.float16),
            "answerable": np.array([2.0, 2.0, -1.0], dtype=np.float32),
        }
    ]
    judged = {example_key(examples[0]): 0.1, example_key(examples[2]): 1.0}
    mixed, count = with_judgements(soft, [examples], judged, weight=0.5)
    assert count == 2
    target = mixed[0]["answerable"]
    assert math.isclose(target[0], 0.5 * 2.0 + 0.5 * math.log(0.1 / 0.9), rel_tol=1e-5)
    assert target[1] == 2.0  # not judged: the teachers' target
    sure = math.log((1 - JUDGE_CLIP) / JUDGE_CLIP)  # a judge's certainty is clipped, not infinite
    assert math.isclose(target[2], 0.5 * -1.0 + 0.5 * sure, rel_tol=1e-5)
    assert soft[0]["answerable"][0] == 2.0  # the teachers' own targets are left as they were


def test_only_rule_made_near_misses_the_judge_reads_as_answered_are_left_out() -> None:
    paraphrased = _example(1, kind="deleted-sentence", context="He worked as a draftsman in the office.")
    doubtful = _example(2, kind="deleted-sentence", context="The company was not yet working.")
    people_wrote = _example(3, kind="unanswerable")  # SQuAD 2.0's own: checked by people, kept
    answered = _example(4)
    unjudged = _example(5, kind="swapped")
    judged = {
        example_key(e): Judgement(key=example_key(e), p_yes=p, fast=0.5, answerable=e.answerable)
        for e, p in ((paraphrased, 0.95), (doubtful, 0.3), (people_wrote, 0.97), (answered, 0.99))
    }
    kept, dropped = without_answered_near_misses(
        [paraphrased, doubtful, people_wrote, answered, unjudged], judged, at=0.8
    )
    assert dropped == [paraphrased]
    assert kept == [doubtful, people_wrote, answered, unjudged]
