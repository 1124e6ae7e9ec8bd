"""The second look: the window around the answer span is read again, alone, and both readings vote."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from talentqa.answer.reading import (
    ReadingAnswerer,
    accurate_ranker,
    default_reader,
    shared_own_second_look,
    shared_reader,
    shared_second_look,
)
from talentqa.reading.model import Reader, ReaderOutput
from talentqa.reading.second_look import SecondLook, both_views
from talentqa.settings import AnswerSettings
from talentqa.text import window

PASSAGE = (
    "The grocer opened ten stores last year. Its chief executive, Sue Gove, said sales grew. "
    "Analysts expect more cuts. The chain sells food and clothes across the country."
)


class WindowAware:
    """Reads by the text it is given: a whole passage is sure of Sue Gove, a window alone as sure as the
    test says; keeps every text it read."""

    def __init__(self, alone: float, whole: float = 0.9) -> None:
        self.alone, self.whole = alone, whole
        self.texts: list[list[str]] = []
        self.headers: list[list[str] | None] = []

    def read(
        self, question: str, passages: Sequence[str], headers: Sequence[str] | None = None
    ) -> list[ReaderOutput]:
        self.texts.append(list(passages))
        self.headers.append(list(headers) if headers is not None else None)
        outputs = []
        for text in passages:
            start = text.find("Sue Gove")
            p = self.whole if text == PASSAGE else self.alone
            outputs.append(ReaderOutput(p, start, start + len("Sue Gove"), "Sue Gove", 1.0))
        return outputs


def test_both_views_are_the_mean_of_their_log_odds() -> None:
    assert both_views(0.9, 0.9) == pytest.approx(0.9)
    assert both_views(0.8, 0.2) == pytest.approx(0.5)
    logit = math.log(0.9 / 0.1) / 2 + math.log(0.3 / 0.7) / 2
    assert both_views(0.9, 0.3) == pytest.approx(1 / (1 + math.exp(-logit)))
    assert 0.0 < both_views(0.0, 1.0) < 1.0  # a certain view does not overflow


def test_the_window_around_the_span_is_read_again_under_the_same_header() -> None:
    fake = WindowAware(alone=0.2)
    [output] = SecondLook(fake).read("Who runs the grocer?", [PASSAGE], ["Grocer news: "])
    # the span's sentence and one sentence each side, not the last one
    assert fake.texts[1] == [
        "The grocer opened ten stores last year. Its chief executive, Sue Gove, said sales grew. "
        "Analysts expect more cuts."
    ]
    assert fake.headers == [["Grocer news: "], ["Grocer news: "]]
    assert output.probability == pytest.approx(both_views(0.9, 0.2))
    assert PASSAGE[output.start : output.end] == "Sue Gove"  # the first reading's span, in the passage


def test_a_window_reader_reads_the_windows_and_the_first_reader_the_passages() -> None:
    first, windows = WindowAware(alone=0.99), WindowAware(alone=0.2)
    [output] = SecondLook(first, window_reader=windows).read("Who runs the grocer?", [PASSAGE])
    assert first.texts == [[PASSAGE]] and len(windows.texts) == 1 and windows.texts[0][0] != PASSAGE
    assert output.probability == pytest.approx(both_views(0.9, 0.2))


def test_a_window_that_does_not_answer_alone_lowers_the_passage_below_one_that_does() -> None:
    sure = SecondLook(WindowAware(alone=0.9)).read("Who runs the grocer?", [PASSAGE])[0]
    topical = SecondLook(WindowAware(alone=0.05)).read("Who runs the grocer?", [PASSAGE])[0]
    assert topical.probability < 0.5 < sure.probability


class ByWindow:
    """Reads a window by its last sentence: sure where the window ends at the span's sentence."""

    def __init__(self) -> None:
        self.texts: list[list[str]] = []

    def read(
        self, question: str, passages: Sequence[str], headers: Sequence[str] | None = None
    ) -> list[ReaderOutput]:
        self.texts.append(list(passages))
        outputs = []
        for text in passages:
            start = text.find("Sue Gove")
            p = 0.8 if text.endswith("sales grew.") else 0.3
            outputs.append(ReaderOutput(p, start, start + len("Sue Gove"), "Sue Gove", 1.0))
        return outputs


def test_further_views_of_the_window_are_read_in_one_call_and_averaged_in_log_odds() -> None:
    windows = WindowAware(alone=0.9)
    views = ByWindow()
    look = SecondLook(windows, window_reader=views, views=[(1, 0), (1, 1)])
    [output] = look.read("Who runs the grocer?", [PASSAGE])
    # one call, the repeated view not read twice: [1,1] then [1,0]
    assert views.texts == [
        [
            "The grocer opened ten stores last year. Its chief executive, Sue Gove, said sales grew. "
            "Analysts expect more cuts.",
            "The grocer opened ten stores last year. Its chief executive, Sue Gove, said sales grew.",
        ]
    ]
    logit = (math.log(0.3 / 0.7) * 2 + math.log(0.8 / 0.2)) / 3  # the repeated view counts again
    assert output.probability == pytest.approx(both_views(0.9, 1 / (1 + math.exp(-logit))))


def test_the_window_views_setting_reaches_the_second_look() -> None:
    reader = default_reader(AnswerSettings(window_views=[(1, 0)]))()
    assert isinstance(reader, SecondLook) and reader.views == ((1, 0),)
    assert default_reader(AnswerSettings(window_views=[(1, 0)]))() is reader  # shared, not rebuilt


def test_the_window_share_weighs_the_window_against_the_passage() -> None:
    fake = WindowAware(alone=0.2)
    [mean] = SecondLook(fake).read("Who runs the grocer?", [PASSAGE])
    [heavier] = SecondLook(fake, window_share=0.7).read("Who runs the grocer?", [PASSAGE])
    logit = 0.3 * math.log(0.9 / 0.1) + 0.7 * math.log(0.2 / 0.8)
    assert heavier.probability == pytest.approx(1 / (1 + math.exp(-logit)))
    assert heavier.probability < mean.probability == pytest.approx(both_views(0.9, 0.2))


def test_the_window_share_setting_reaches_the_second_look() -> None:
    reader = default_reader(AnswerSettings(window_share=0.7))()
    assert isinstance(reader, SecondLook) and reader.window_share == 0.7 and reader.views == ()
    assert default_reader(AnswerSettings(window_share=0.7))() is reader  # shared, not rebuilt
    assert shared_second_look().window_share == 0.5


def test_questions_it_does_not_apply_to_keep_the_first_reading() -> None:
    fake = WindowAware(alone=0.1)
    looked = SecondLook(fake, applies=lambda q: not q.startswith("Did"))
    [output] = looked.read("Did Sue Gove say so?", [PASSAGE])
    assert output.probability == 0.9 and len(fake.texts) == 1
    assert SecondLook(fake).read("Who?", []) == []


def test_the_answerer_takes_a_second_look_unless_switched_off() -> None:
    assert default_reader(AnswerSettings()) is shared_second_look
    assert default_reader(AnswerSettings(window_reader=False)) is shared_own_second_look
    assert default_reader(AnswerSettings(second_look=False)) is shared_reader
    # a reader handed to the answerer is used as it is (the tests' fakes, the accurate cascade)
    fake = WindowAware(alone=0.1)
    answerer = ReadingAnswerer(AnswerSettings(), reader=lambda: fake)
    assert answerer._reader() is fake


def test_the_accurate_reader_is_ranked_with_the_second_look_where_the_setting_asks() -> None:
    assert accurate_ranker(AnswerSettings(accurate_rank_second_look=True)) is shared_second_look()
    assert accurate_ranker(AnswerSettings(accurate_rank_second_look=False)) is shared_reader()
    # switched off, the second look ranks nothing: the fast reader's own passage reading does
    settings = AnswerSettings(accurate_rank_second_look=True, second_look=False)
    assert accurate_ranker(settings) is shared_reader()


@pytest.mark.slow
def test_the_shipped_reader_doubts_a_topical_sentence_more_on_a_second_look() -> None:
    """A near-miss: the passage is about the grocer's chief executive, but never gives her age. Read whole
    and read as a window, the real reader's two views are combined into one probability between them."""
    reader = Reader.load()
    looked = SecondLook(reader)
    question = "Who is the grocer's chief executive?"
    [first] = reader.read(question, [PASSAGE])
    [both] = looked.read(question, [PASSAGE])
    assert both.span == first.span and "Sue Gove" in both.span
    assert both.probability > 0.5  # the window alone still answers
    near_miss = "How old is the grocer's chief executive?"
    [whole] = reader.read(near_miss, [PASSAGE])
    [combined] = looked.read(near_miss, [PASSAGE])
    start, end = window(PASSAGE, whole.start, whole.end)
    [alone] = reader.read(near_miss, [PASSAGE[start:end]])
    assert combined.probability == pytest.approx(both_views(whole.probability, alone.probability), abs=1e-4)
    assert combined.probability < both.probability


class ByPassage:
    """Reads a passage it was given whole at the probability set for it, anything else (a window) at
    `alone`; keeps what each call read."""

    def __init__(self, whole: dict[str, float], alone: float) -> None:
        self.whole, self.alone = whole, alone
        self.texts: list[list[str]] = []

    def read(
        self, question: str, passages: Sequence[str], headers: Sequence[str] | None = None
    ) -> list[ReaderOutput]:
        self.texts.append(list(passages))
        return [ReaderOutput(self.whole.get(t, self.alone), 0, 3, t[:3], 1.0) for t in passages]


def test_only_the_likeliest_passages_windows_are_read_again() -> None:
    tail = " Two. Three. Four."
    whole = {"Low one." + tail: 0.1, "Best one." + tail: 0.9, "Mid one." + tail: 0.3, "Next one." + tail: 0.6}
    fake = ByPassage(whole, alone=0.2)
    outputs = SecondLook(fake, most=2).read("Who?", list(whole))
    # the windows of the two likeliest, likeliest first: the span's sentence and the next
    assert fake.texts[1] == ["Best one. Two.", "Next one. Two."]
    assert [o.probability for o in outputs] == pytest.approx(
        [both_views(0.1, 0.5), both_views(0.9, 0.2), both_views(0.3, 0.5), both_views(0.6, 0.2)]
    )
