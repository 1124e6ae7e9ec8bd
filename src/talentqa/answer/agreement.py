"""Independent reports that agree on a name: the evidence for "Which company ...?" spread over articles.

A question that describes its answer by several reports ("Which company, reported by TechCrunch for its
default-search deals and by The Age for manipulating search results, ...?") is answered by no one passage:
each article states one part, and the reader, which reads one passage at a time, is only half sure of
each. Where two or more articles' quoted sentences name the same candidate answer, the reports agree, and
the passage probabilities combine as independent evidence (noisy-or): 1 - the product of (1 - p) over
the agreeing articles, each counted once by its best passage. The answerer asks for agreement only where
no passage answers alone (`talentqa.answer.reading`): a passage sure of its answer keeps it, since news
repeats a popular name ("New Orleans" in three Mardi Gras reports) where one report states the asked fact
("first held in Mobile, Alabama").

Only questions asking for a name (who, which company, ...) are aggregated: a name is the one kind of
answer whose agreement across articles is unlikely by chance, and the candidates are the reader's own short
spans, so a name it never picked is never proposed. A candidate the question itself names is not its
answer ("Caroline Ellison" for "Who instructed Caroline Ellison to ...?"). Passages of one article (one
title) count once: the paragraphs of a Wikipedia article, or one report syndicated under its headline,
are not independent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from talentqa.answer.asked import Asked, asked_for, can_answer, is_yes_no

if TYPE_CHECKING:
    from talentqa.answer.reading import Reading

# A candidate is a short span, as names are: the reader's sentence-long spans are not names.
MAX_NAME_WORDS = 6
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Support:
    """One agreeing article's best reading, and where its quoted sentence names the candidate (offsets
    into the passage)."""

    reading: Reading
    start: int
    end: int


@dataclass(frozen=True)
class Agreement:
    """The candidate `name`, the combined `probability`, and one supporting reading per article, most
    probable first."""

    name: str
    probability: float
    supports: tuple[Support, ...]
    # How many clues of the question were read as questions of their own (`talentqa.answer.clues`).
    clues: int = 0


def asks_for_a_name(question: str) -> bool:
    """Whether agreement can answer the question: it asks for a name and is no yes/no question."""
    return not is_yes_no(question) and asked_for(question) is Asked.NAME


def agreements(question: str, readings: Sequence[Reading]) -> list[Agreement]:
    """Every candidate name that two or more articles' quotes name, however unsure the reader is of
    them, with its combined probability, the strongest first; [] for questions not asking for a name."""
    if not asks_for_a_name(question):
        return []
    found: list[Agreement] = []
    for name in _candidates(question, readings):
        supports = _supports(name, readings)
        if len(supports) < 2:
            continue
        doubt = 1.0
        for support in supports:
            doubt *= 1.0 - support.reading.probability
        found.append(Agreement(name=name, probability=1.0 - doubt, supports=supports))
    found.sort(key=lambda a: -a.probability)  # stable: ties keep the more probable reading's name first
    return found


def strongest(found: Sequence[Agreement], readings: Sequence[Reading]) -> Agreement | None:
    """The strongest of `found` where its combined probability is above every single passage's."""
    single = max((r.probability for r in readings), default=0.0)
    return found[0] if found and found[0].probability > single else None


def agreeing_reports(question: str, readings: Sequence[Reading]) -> Agreement | None:
    """The name that the most evidence across two or more articles supports, where its combined
    probability is above every single passage's; None for questions not asking for a name, and where
    no candidate is named by two articles' quotes."""
    return strongest(agreements(question, readings), readings)


def _candidates(question: str, readings: Sequence[Reading]) -> list[str]:
    """The readers' short name-like spans, most probable reading first, once each."""
    folded_question = fold(question)
    names: dict[str, str] = {}
    for reading in readings:
        span = reading.output.span.strip().strip(".,;:").strip()
        words = span.split()
        if not words or len(words) > MAX_NAME_WORDS or not span[0].isupper() or "\n" in span:
            continue
        if names_in(folded_question, span) or not can_answer(question, span):
            continue
        names.setdefault(fold(span), span)
    return list(names.values())


def _supports(name: str, readings: Sequence[Reading]) -> tuple[Support, ...]:
    """For each article, its most probable reading whose quoted sentence names `name`."""
    found: dict[str, Support] = {}
    for reading in readings:  # most probable first
        if reading.probability <= 0.0:
            continue  # ruled out by a rule: no evidence
        chunk = reading.passage.chunk
        article = chunk.title.strip() or chunk.doc_id
        if article in found:
            continue
        start, end = reading.quote_span()
        sentence = chunk.text[start - chunk.start : end - chunk.start]
        at = _find(sentence, name)
        if at is None:
            continue
        offset = start - chunk.start
        found[article] = Support(reading, offset + at[0], offset + at[1])
    return tuple(sorted(found.values(), key=lambda s: -s.reading.probability))


def fold(text: str) -> str:
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip().casefold()


def names_in(folded: str, name: str) -> bool:
    """Whether folded text names `name` as whole words."""
    return _word_pattern(name).search(folded) is not None


def _find(text: str, name: str) -> tuple[int, int] | None:
    """Where `text` names `name` as whole words, case-insensitively (offsets into `text`)."""
    match = re.search(_word_pattern(name).pattern, text, re.IGNORECASE)
    return (match.start(), match.end()) if match else None


def _word_pattern(name: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in fold(name).split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")
