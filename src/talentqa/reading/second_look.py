"""A second look: the reader reads the window around its own answer span again, alone, and both views vote.

Read in a whole passage, the 22M reader is often sure of a sentence because the passage around it is on
the question's topic (a near-miss: the right people, a fact the article never gives). Read again with
only the span's sentence and one sentence each side (under the same title and date), the same reader
judges what that window itself says. The passage's probability becomes the mean of the two views in
log-odds, sigmoid((logit(p_passage) + logit(p_window)) / 2), and the abstention threshold is calibrated
on that (`talentqa calibrate`). Fitted on the 1,870 SQuAD 2.0 calibration questions the reader never
trained on, replayed on the held-out sets at that threshold (non-yes/no questions):

- SQuAD 2.0 calibration: unanswerable abstained at 15% withheld 0.456 -> 0.512 (AUC 0.737 -> 0.757);
- SQuAD 2.0 test half (1,000, seed 0): abstained 0.346 -> 0.371, withheld 0.096 -> 0.097, gold in the
  top quote 0.745 -> 0.747;
- RealTimeQA (240): abstained 0.433 -> 0.467, withheld 0.305 -> 0.276, gold in the top quote 0.343 -> 0.357;
- NewsQA pilot (42): withheld 0.048 -> 0.071, gold in the top quote 0.524 -> 0.548.

Since then the window is read by a model of its own (`talentqa.reading.window_train`, `window_model/`),
trained on such windows with the accurate reader's LLM judge as a teacher; the fast reader reads it itself
where none is given (`TALENTQA_ANSWER__WINDOW_READER=false`). Figures: docs/measured.md.

Yes/no questions keep the passage's own probability: their threshold is fitted on it (SciFact claims),
and a yes/no question's evidence is often a whole passage rather than a window. A window costs one more
reader call over short texts (about a fifth of the first read's tokens).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

from talentqa.reading.model import PassageReader, ReaderOutput
from talentqa.text import WINDOW_SENTENCES, window

_EPSILON = 1e-6
# Windows read again: those of the passages the first reading found likeliest. Replayed on recorded
# readings of every window, looking at the best three decided the calibration and held-out questions
# exactly as looking at all five or six did, at about half the cost (the best two: one SQuAD test
# question fewer with the gold answer).
SECOND_LOOKS = 3


def _logit(p: float) -> float:
    p = min(max(p, _EPSILON), 1 - _EPSILON)
    return math.log(p / (1 - p))


def log_odds_mix(first: float, second: float, second_share: float) -> float:
    """Two probabilities combined in log-odds, `second_share` of it the second's, as a probability."""
    return 1 / (1 + math.exp(-((1 - second_share) * _logit(first) + second_share * _logit(second))))


def mean_log_odds(probabilities: Sequence[float]) -> float:
    """Probabilities combined as the mean of their log-odds (one alone is returned unchanged)."""
    if len(probabilities) == 1:
        return probabilities[0]
    return 1 / (1 + math.exp(-sum(_logit(p) for p in probabilities) / len(probabilities)))


# The window's share of the combined log-odds: the mean (docs/measured.md, "A second look at the answer's
# window"; "The window's share of the second look" for the shares measured since).
WINDOW_SHARE = 0.5


def both_views(passage: float, window_alone: float, window_share: float = WINDOW_SHARE) -> float:
    """The two readings' probabilities combined in log-odds, `window_share` of it the window's."""
    return log_odds_mix(passage, window_alone, window_share)


class SecondLook:
    """A `PassageReader` that reads every passage, then the window around the answer span of the `most`
    passages it found likeliest, and gives each passage both views' probability (`both_views`; a window
    not read counts as 0.5); spans are the first read's. The windows are read by `window_reader` (the
    window reader trained for this view, `talentqa.reading.window_train`), or by `reader` itself where none
    is given. Questions for which `applies` is false keep the first read alone."""

    def __init__(
        self,
        reader: PassageReader,
        applies: Callable[[str], bool] = lambda question: True,
        sentences: tuple[int, int] = WINDOW_SENTENCES,
        most: int = SECOND_LOOKS,
        window_reader: PassageReader | None = None,
        views: Sequence[tuple[int, int]] = (),
        window_share: float = WINDOW_SHARE,
    ) -> None:
        self.reader = reader
        self.window_share = window_share
        self.views = tuple(views)
        self.window_reader = window_reader if window_reader is not None else reader
        self.applies = applies
        self.sentences = sentences
        self.most = most

    def read(
        self, question: str, passages: Sequence[str], headers: Sequence[str] | None = None
    ) -> list[ReaderOutput]:
        first = self.reader.read(question, passages, headers)
        if not passages or not self.applies(question):
            return first
        looked = sorted(range(len(passages)), key=lambda i: -first[i].probability)[: self.most]
        # Each looked-at passage's windows: the first, then each further view; a view that is the same
        # text as one already listed (the span's sentence ends the passage) counts again, unread again.
        texts: list[str] = []
        heads: list[str] = []
        slots: dict[tuple[int, int, int], int] = {}
        read_as: dict[int, list[int]] = {}
        for i in looked:
            read_as[i] = []
            for sentences in (self.sentences, *self.views):
                start, end = window(passages[i], first[i].start, first[i].end, sentences)
                if (i, start, end) not in slots:
                    slots[(i, start, end)] = len(texts)
                    texts.append(passages[i][start:end])
                    heads.append(headers[i] if headers is not None else "")
                read_as[i].append(slots[(i, start, end)])
        second = self.window_reader.read(question, texts, heads if headers is not None else None)
        alone = {i: mean_log_odds([second[k].probability for k in read_as[i]]) for i in looked}
        # A window not read counts as undecided: the passage keeps its place below those looked at.
        return [
            replace(o, probability=both_views(o.probability, alone.get(i, 0.5), self.window_share))
            for i, o in enumerate(first)
        ]
