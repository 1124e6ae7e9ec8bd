"""Locating and verifying quotes against stored article text, and building citation links.

The one rule: a citation is only ever built from `text[start:end]` of the stored article, so
`citation.quote == stored_text[start:end]` holds by construction, whatever proposed the quote.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import quote as percent_quote

from rapidfuzz import fuzz

from talentqa.answer.texts import as_of_note
from talentqa.models import Chunk, Citation
from talentqa.text import fold_char_map, split_sentences

FUZZY_MIN = 0.9
_FRAGMENT_WORDS = 4


@dataclass(frozen=True)
class Located:
    start: int
    end: int
    exact: bool
    similarity: float


def locate_quote(text: str, quote: str, *, fuzzy_min: float = FUZZY_MIN) -> Located | None:
    """Where `quote` stands in `text`: exactly, after folding quotes/dashes/case/whitespace, or as a fuzzy
    match of at least `fuzzy_min` snapped to whole words of the source. None when it cannot be found."""
    needle = quote.strip()
    if len(needle) < 3:
        return None
    at = text.find(needle)
    if at >= 0:
        return Located(at, at + len(needle), True, 1.0)

    folded_text, index = fold_char_map(text)
    folded_needle = fold_char_map(needle)[0].strip()
    # A model often wraps a quote in quotation marks or ends it with an ellipsis; neither is in the source.
    folded_needle = folded_needle.strip("\"' ").removesuffix("...").strip()
    if len(folded_needle) < 3:
        return None
    at = folded_text.find(folded_needle)
    if at >= 0:
        start = index[at]
        end = index[at + len(folded_needle) - 1] + 1
        return Located(start, end, True, 1.0)

    if len(folded_needle) < 12:
        return None
    alignment = fuzz.partial_ratio_alignment(folded_needle, folded_text, score_cutoff=fuzzy_min * 100)
    if alignment is None or alignment.dest_end <= alignment.dest_start:
        return None
    # partial_ratio aligns a window as long as the needle; it can undershoot a longer source span.
    similarity = alignment.score / 100
    start = index[alignment.dest_start]
    end = index[min(alignment.dest_end, len(index)) - 1] + 1
    start, end = snap_to_words(text, start, end)
    if end - start < 0.8 * len(needle):
        return None
    return Located(start, end, False, similarity)


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span so it neither begins nor ends inside a word."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def text_fragment_link(url: str | None, quote: str) -> str | None:
    """A URL whose `#:~:text=` fragment makes a browser scroll to and highlight the quote."""
    if not url:
        return None
    words = quote.split()
    if not words:
        return url
    if len(words) <= 2 * _FRAGMENT_WORDS:
        directive = _fragment_part(" ".join(words))
    else:
        directive = (
            f"{_fragment_part(' '.join(words[:_FRAGMENT_WORDS]))},"
            f"{_fragment_part(' '.join(words[-_FRAGMENT_WORDS:]))}"
        )
    base = url.split("#", 1)[0]
    return f"{base}#:~:text={directive}"


def _fragment_part(text: str) -> str:
    # '-', ',' and '&' are syntax inside a text directive and must be percent-encoded.
    return percent_quote(text, safe="").replace("-", "%2D")


def make_citation(
    *,
    n: int,
    chunk: Chunk,
    text: str,
    start: int,
    end: int,
    score: float,
) -> Citation:
    """The only constructor of citations: the quote is cut from the stored text itself."""
    if not (0 <= start < end <= len(text)):
        raise ValueError(f"span {start}:{end} outside article {chunk.doc_id!r} of {len(text)} characters")
    quote = text[start:end]
    return Citation(
        n=n,
        doc_id=chunk.doc_id,
        title=chunk.title,
        url=chunk.url,
        link=text_fragment_link(chunk.url, quote),
        published=chunk.published,
        outlet=chunk.outlet,
        quote=quote,
        start=start,
        end=end,
        score=round(float(score), 4),
    )


def latest_date(citations: Sequence[Citation]) -> dt.date | None:
    dates = [c.published for c in citations if c.published]
    return max(dates) if dates else None


def compose_text(
    citations: Sequence[Citation], *, short_answer: str | None = None, short_answer_sources: int = 1
) -> str:
    """The answer text: the short answer when there is one ("Sue Gove [1]"; cited by the first
    `short_answer_sources` quotes where several state it: "Google [1][2]"), then the quotes themselves,
    each followed by its citation number, then "as of" the newest cited source."""
    body = " ".join(f"\u201c{c.quote}\u201d [{c.n}]" for c in citations)
    if short_answer and citations:
        marks = "".join(f"[{c.n}]" for c in citations[: max(1, short_answer_sources)])
        body = f"{short_answer} {marks}\n\n{body}"
    as_of = latest_date(citations)
    if as_of:
        body += as_of_note(as_of)
    return body


def verify_citations(citations: list[Citation], text_of: Callable[[str], str]) -> list[Citation]:
    """Keep only citations whose quote is exactly their stored span (a last gate before any user)."""
    return [c for c in citations if text_of(c.doc_id)[c.start : c.end] == c.quote]


_WS = re.compile(r"\s+")


def paragraph_around(text: str, start: int, end: int, *, max_chars: int = 1500) -> str:
    """The paragraph(s) holding [start, end), trimmed to about `max_chars` around the span."""
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    if para_end < 0:
        para_end = len(text)
    if para_end - para_start > max_chars:
        half = max(0, (max_chars - (end - start)) // 2)
        para_start = max(para_start, start - half)
        para_end = min(para_end, end + half)
        para_start, para_end = snap_to_words(text, para_start, para_end)
    return text[para_start:para_end]


_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,60}?\b(?:instructions?|prompts?|rules|guidelines)\b"
    r"|\bsystem prompt\b|\byou are now\b|\bnew instructions\b"
    r"|\b(?:ai|language model|assistant)s?,? (?:must|should)\b",
    re.I,
)


def instruction_like(text: str, start: int, end: int) -> bool:
    """Whether the sentences holding [start, end) read as instructions addressed to a model."""
    return any(_INSTRUCTION.search(sentence) for sentence in _sentences_holding(text, start, end))


def _sentences_holding(text: str, start: int, end: int) -> Iterator[str]:
    """The sentences of `text`'s paragraph that overlap [start, end)."""
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end < 0 else para_end
    paragraph = text[para_start:para_end]
    for span in split_sentences(paragraph):
        if para_start + span.start < end and start < para_start + span.end:
            yield paragraph[span.start : span.end]


# An article's credits, which name its reporters and never state the story: "Elizabeth Weise contributed to
# this story.", "– Anna Nemtsova, Caren Bohan and Associated Press" (a live blog signs each update so),
# "Contributing: ...", Reuters' "Reporting by ...". Quoted, such a line answered "Which Russian official
# issued the warning?" with a reporter's name.
_NAME = r"(?:[A-Z][\w.'’&-]*(?:\s+(?:of|de|van|von|al|bin)\b)?(?:\s+[A-Z][\w.'’&-]*)*)"
_CREDITS = re.compile(
    r"^\W*(?:"
    r"[^.!?]*\b(?i:contributed\s+(?:to\s+)?this\s+(?:report|story|article|coverage))\b[^.!?]*"
    r"|(?i:contributing|additional\s+reporting|reporting|writing|editing)\s*(?:(?i:by)\b|:)[^.!?]*"
    r"|[–—-]{1,2}\s*(?:(?i:the)\s+)?" + _NAME + r"(?:\s*,\s*(?:(?i:the)\s+)?" + _NAME + r")*"
    r"(?:\s*,?\s+and\s+(?:(?i:the)\s+)?" + _NAME + r")?"
    r")\W*$"
)


def credits_line(text: str, start: int, end: int) -> bool:
    """Whether a sentence holding [start, end) is the article's credits, not its story."""
    return any(_CREDITS.match(sentence) for sentence in _sentences_holding(text, start, end))


# A line's label: a roundup's dateline ("Montgomery:A Department of Corrections narcotics dog died ...",
# "Lake Charles:Hurricane Barry brought ..."), a field's name ("Nominations: 2"), a transcript's speaker:
# capitalised words at a line's start, then a colon. It names the item, field or speaker, never the fact
# the line states; the LLM copied "Montgomery" for the name of the dog. No gold answer of the dev sets
# (about 7,500 answerable questions) is printed only in one.
_LINE_LABEL = re.compile(
    r"[ \t]*[A-Z][\w.'’&-]*(?:[ \t]+(?:[A-Z][\w.'’&-]*|of|the|and|de|la)){0,5}[ \t]*(?=:(?!//))"
)


def in_a_line_label(text: str, start: int, end: int) -> bool:
    """Whether [start, end) of `text` lies inside the label opening its line (`_LINE_LABEL`)."""
    line = text.rfind("\n", 0, start) + 1
    label = _LINE_LABEL.match(text, line)
    return label is not None and end <= label.end() and start < end


# How far a quote grows to take in the rest of a quotation it cuts: sentences and characters each way.
# A statement of several sentences is quoted whole where it is short, and left cut where it runs on.
_QUOTATION_SENTENCES = 2
_QUOTATION_CHARS = 300


def quotations(text: str) -> list[tuple[int, int]]:
    """The quotations of `text`, as (opening mark, closing mark) offsets: “ ... ” pairs, and straight
    double quotes taken in turns. Each paragraph on its own: a quotation running over paragraphs leaves
    its first paragraph open, as news prints it, and is not paired across them."""
    pairs: list[tuple[int, int]] = []
    curly: list[int] = []
    straight: int | None = None
    for at, char in enumerate(text):
        if char == "\n":
            curly, straight = [], None
        elif char == "“":
            curly.append(at)
        elif char == "”" and curly:
            pairs.append((curly.pop(), at))
        elif char == '"':
            if straight is None:
                straight = at
            else:
                pairs.append((straight, at))
                straight = None
    return pairs


def whole_quotation(
    text: str, sentences: Sequence[tuple[int, int]], first: int, last: int
) -> tuple[int, int]:
    """The sentence indices [first, last] of `text` grown to take in whole any quotation they cut: "Obama
    told Medvedev: “This is my last election." alone leaves out what he said next ("And after my
    election, I have more flexibility.”"), and a quote that opens inside a quotation leaves out who spoke.
    At most `_QUOTATION_SENTENCES` and `_QUOTATION_CHARS` more each way; further, the cut quote stands."""
    start, end = sentences[first][0], sentences[last][1]
    for opened, closed in quotations(text[: min(len(text), end + _QUOTATION_CHARS + 1)]):
        if opened < start < closed:
            grown = first
            while grown > 0 and sentences[grown][0] > opened:
                grown -= 1
            if first - grown <= _QUOTATION_SENTENCES and start - sentences[grown][0] <= _QUOTATION_CHARS:
                first = grown
        if opened < end - 1 < closed and closed >= end:
            grown = last
            while grown < len(sentences) - 1 and sentences[grown][1] <= closed:
                grown += 1
            if grown - last <= _QUOTATION_SENTENCES and sentences[grown][1] - end <= _QUOTATION_CHARS:
                last = grown
    return first, last
