"""The window reader's examples (`talentqa.reading.window_train`): windows cut where the second look cuts
them, labelled by whether they hold the whole answer, and its committed card and held-out figures."""

from __future__ import annotations

import json
import random

import pytest

from talentqa.reading.data import ReaderExample
from talentqa.reading.judge_labels import example_key
from talentqa.reading.model import WINDOW_MODEL_DIR
from talentqa.reading.window_train import card_text, cut, relation_swapped, span_window, window_examples

CONTEXT = (
    "The grocer opened ten stores last year. Its chief executive, Sue Gove, said sales grew. "
    "Analysts expect more cuts. The chain sells food and clothes. It was founded in 1869. "
    "Its head office is in Leeds."
)
ANSWER = "Sue Gove"


def _example(answerable: bool = True, kind: str = "squad") -> ReaderExample:
    start = CONTEXT.index(ANSWER) if answerable else None
    return ReaderExample(
        id="q1",
        question="Who runs the grocer?",
        context=CONTEXT,
        answer_start=start,
        answer_text=ANSWER if answerable else "",
        kind=kind,
        title="Grocer",
    )


def _read_at(text: str) -> tuple[float, int, int]:
    start = CONTEXT.index(text)
    return 0.9, start, start + len(text)


def test_a_cut_is_answerable_only_where_it_holds_the_whole_answer() -> None:
    example = _example()
    start = CONTEXT.index(ANSWER)
    held = cut(example, 0, start + len(ANSWER), "x")
    assert held.answerable and held.context[held.answer_start or 0 :].startswith(ANSWER)
    assert not cut(example, 0, start + 3, "x").answerable  # "Sue" alone is not the answer
    assert not cut(_example(answerable=False), 0, len(CONTEXT), "x").answerable


def test_the_span_window_is_the_spans_sentence_and_one_each_side() -> None:
    own = span_window(_example(), _read_at(ANSWER))
    assert own.context == (
        "The grocer opened ten stores last year. Its chief executive, Sue Gove, said sales grew. "
        "Analysts expect more cuts."
    )
    assert own.answerable and own.kind == "squad/span"


def test_a_span_window_missing_the_answer_brings_the_answers_window_and_others_never_hold_it() -> None:
    example = _example()
    missed = _read_at("Leeds")  # the reader's span two sentences past the answer's window
    windows, judged = window_examples([example], [missed], {example_key(example): 0.3}, other_share=1.0)
    kinds = sorted(w.kind for w in windows)
    assert kinds == ["squad/gold", "squad/other", "squad/span"]
    by_kind = {w.kind: w for w in windows}
    assert not by_kind["squad/span"].answerable and by_kind["squad/gold"].answerable
    assert ANSWER not in by_kind["squad/other"].context and not by_kind["squad/other"].answerable
    # the judge's verdict was on the span window: it is that window's target, and no other's
    assert judged == {example_key(by_kind["squad/span"]): 0.3}


def test_relation_swapped_windows_are_added_unanswerable_and_judged_no_leaving_the_rest_unchanged() -> None:
    example = _example().model_copy(update={"question": "Who did the grocer hire?"})
    reads = [_read_at(ANSWER)]
    without, _ = window_examples([example], reads, {}, other_share=0.5, relation_share=0.0)
    with_them, judged = window_examples([example], reads, {}, other_share=0.5, relation_share=1.0)
    swapped = [w for w in with_them if w.kind == "squad/relation"]
    assert len(swapped) == 1 and not swapped[0].answerable
    assert swapped[0].context == span_window(example, reads[0]).context
    assert swapped[0].question != example.question and "grocer" in swapped[0].question
    assert judged == {example_key(swapped[0]): 0.0}
    assert sorted(w.id + w.kind for w in with_them if w.kind != "squad/relation") == sorted(
        w.id + w.kind for w in without
    )


def test_a_window_whose_question_has_no_listed_verb_gets_no_relation_swap() -> None:
    assert relation_swapped(span_window(_example(), _read_at(ANSWER)), random.Random(0)) is None


def test_window_examples_are_the_same_for_the_same_seed() -> None:
    examples = [_example(), _example(answerable=False, kind="swapped")]
    reads = [_read_at(ANSWER), _read_at("1869")]
    first, _ = window_examples(examples, reads, {}, other_share=0.5, seed=3)
    again, _ = window_examples(examples, reads, {}, other_share=0.5, seed=3)
    assert first == again


@pytest.mark.skipif(not (WINDOW_MODEL_DIR / "card.json").exists(), reason="no window reader committed")
def test_the_committed_window_card_is_what_the_script_writes_from_its_figures() -> None:
    card = json.loads((WINDOW_MODEL_DIR / "card.json").read_text(encoding="utf-8"))
    assert (WINDOW_MODEL_DIR / "CARD.md").read_text(encoding="utf-8") == card_text(card)


@pytest.mark.slow
def test_the_window_reader_reproduces_its_recorded_held_out_figures() -> None:
    """The held-out windows cut again from the shipped reader's spans, read by the committed window
    reader: its figures alone and as the second look (with the passage reading) are the card's."""
    from tests.integration.conftest import shared_path

    eval_root = shared_path("eval")
    from talentqa.reading.data import build
    from talentqa.reading.model import Reader, passage_header
    from talentqa.reading.train import holdout_metrics
    from talentqa.reading.window_train import both_views_metrics, shipped_reads

    card = json.loads((WINDOW_MODEL_DIR / "card.json").read_text(encoding="utf-8"))
    data = build(eval_root, seed=0)
    assert data.holdout_articles == card["holdout"]["articles"]
    reads = shipped_reads(Reader.load(), data.holdout)
    windows = [span_window(e, r) for e, r in zip(data.holdout, reads, strict=True)]
    reader = Reader.load(WINDOW_MODEL_DIR)
    alone = [reader.read(w.question, [w.context], [passage_header(w.title)])[0] for w in windows]
    measured = holdout_metrics(alone, windows)
    both = both_views_metrics([r[0] for r in reads], [o.probability for o in alone], data.holdout)
    recorded = card["holdout"]
    for key in ("auc", "unanswerable_rejected_at_15pct_withheld"):
        assert measured[key] == pytest.approx(recorded["window_alone"][key], abs=0.01), key
        assert both[key] == pytest.approx(recorded["second_look"][key], abs=0.01), key


@pytest.mark.skipif(not (WINDOW_MODEL_DIR / "card.json").exists(), reason="no window reader committed")
def test_calibration_leaves_out_the_articles_the_window_reader_trained_on() -> None:
    from talentqa.eval.calibration import trained_articles

    card = json.loads((WINDOW_MODEL_DIR / "card.json").read_text(encoding="utf-8"))
    assert card["training"]["articles"] and set(card["training"]["articles"]) <= trained_articles()
    assert not set(card["holdout"]["articles"]) & trained_articles()
