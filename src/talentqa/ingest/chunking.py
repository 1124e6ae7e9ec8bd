"""Sentence-aware chunking with character offsets into the stored article text."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from talentqa.cjk import IDEOGRAPH
from talentqa.models import Article, Chunk
from talentqa.settings import ChunkSettings
from talentqa.text import estimate_tokens

# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "no", "vs", "etc", "inc", "ltd", "co", "corp",
    "gen", "gov", "sen", "rep", "lt", "col", "capt", "sgt", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "fig", "al", "approx", "dept", "est", "vol", "pp", "ph.d", "e.g",
    "i.e", "u.s", "u.k", "u.n", "d.c", "a.m", "p.m",
}  # fmt: skip
# After a dotted abbreviation such as "U.S." these words usually start a new sentence.
_SENTENCE_STARTERS = {
    "the", "this", "that", "these", "those", "it", "he", "she", "they", "we", "i", "in", "on", "at", "but",
    "and", "a", "an", "as", "for", "last", "since", "when", "while", "after", "before", "according", "its",
    "his", "her", "their", "there", "what", "why", "how", "so", "yet", "however", "meanwhile",
}  # fmt: skip

# Hard caps, whatever the text: a quote is a whole sentence of a chunk, so a page that is one 50 MB line
# without spaces must not become one 50 MB chunk (embedded, stored, searched) or one 50 MB quote.
# Far above real news sentences and chunks of `max_tokens` (a few hundred to ~1,500 characters).
MAX_SENTENCE_CHARS = 1_500
MAX_CHUNK_CHARS = 4_000
# The longest abbreviation above, plus room: only this much before a period decides what it ends.
_WORD_WINDOW = 12

# A run of terminal punctuation is matched from its first character only (the lookbehind), and
# possessively: on "....." with no space after it, every start inside the run would otherwise rescan
# the rest of it, which is quadratic.
#
# Chinese ends a sentence with 。！？ (and ；, which joins clauses that read as sentences), with any closing
# quotes or brackets after them, and writes the next sentence without a space: no lookahead there. The
# same lookbehind keeps a run such as "！！！" one match.
_CJK_END = "\u3002\uff01\uff1f\uff1b"  # 。！？；
_CJK_CLOSE = "\u300d\u300f\u201d\u2019\uff09\u3011\u300b\u3009\"'"  # 」』”’）】》〉"'
_BOUNDARY = re.compile(
    r"(?<![.!?])[.!?]++[\"'\u201d\u2019)\]]*+(?=\s)"
    rf"|(?<![{_CJK_END}])[{_CJK_END}]++[{_CJK_CLOSE}]*+"
    r"|\n++"
)
_NEXT_WORD = re.compile(r"\s*+[\"'\u201c\u2018(\[]*+([\w\u00c0-\u024f]++)")
_WORD_BEFORE = re.compile(r"[\w.]+\Z")
_NON_SPACE = re.compile(r"\S")
# What `_split_long` may cut between: one ideograph, or a run of other non-space characters (a word).
_PIECE = re.compile(rf"{IDEOGRAPH.pattern}|(?:(?!{IDEOGRAPH.pattern})\S)+")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


def split_sentences(text: str) -> list[Span]:
    """Sentence spans over `text` (offsets exclude surrounding whitespace); paragraphs always split, and
    no span is longer than MAX_SENTENCE_CHARS (a longer run is cut at a space, or at the cap).

    Linear in the length of `text`, whatever it holds: every boundary is judged from a bounded window.
    """
    spans: list[Span] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if match.group().startswith("\n"):
            _add(spans, text, start, match.start())
            start = end
            continue
        if not _ends_sentence(text, start, match.start(), end):
            continue
        _add(spans, text, start, end)
        start = end
    _add(spans, text, start, len(text))
    return spans


def _ends_sentence(text: str, sentence_start: int, dot: int, end: int) -> bool:
    if text[dot] != ".":
        return True
    window_start = max(sentence_start, dot - _WORD_WINDOW)
    word_match = _WORD_BEFORE.search(text, window_start, dot)
    word = word_match.group().lower() if word_match else ""
    if word_match is not None and word_match.start() == window_start > sentence_start:
        word = "-"  # longer than the window: no abbreviation nor initial, just a long word
    following = _NEXT_WORD.match(text, end)
    next_word = following.group(1) if following else ""
    if next_word and not (next_word[0].isupper() or next_word[0].isdigit()):
        return False
    if len(word) == 1 and word.isalpha():  # an initial: "J. Smith"
        return False
    if word in _ABBREVIATIONS:
        return "." in word and next_word.lower() in _SENTENCE_STARTERS
    return True


def _add(spans: list[Span], text: str, start: int, end: int) -> None:
    first = _NON_SPACE.search(text, start, end)
    if first is None:
        return
    start = first.start()
    if text[end - 1].isspace():
        end = start + len(text[start:end].rstrip())
    # Cut an over-long span into pieces, each at the last space inside its window (in the window's
    # second half, so every piece is long), or at the cap when there is none.
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS + 1)
        piece_end = cut if cut > start else start + MAX_SENTENCE_CHARS
        stop = piece_end
        while text[stop - 1].isspace():
            stop -= 1
        spans.append(Span(start, stop))
        following = _NON_SPACE.search(text, piece_end, end)
        assert following is not None  # `end` is a non-space character
        start = following.start()
    spans.append(Span(start, end))


def _split_long(text: str, span: Span, max_tokens: int) -> Iterator[Span]:
    """A sentence longer than a chunk is cut at word boundaries; Chinese, written without spaces, between
    any two ideographs."""
    words = list(_PIECE.finditer(text[span.start : span.end]))
    piece_start: int | None = None
    tokens = 0
    last_end = span.start
    for word in words:
        count = estimate_tokens(word.group())
        if piece_start is not None and tokens + count > max_tokens:
            yield Span(piece_start, last_end)
            piece_start, tokens = None, 0
        if piece_start is None:
            piece_start = span.start + word.start()
        tokens += count
        last_end = span.start + word.end()
    if piece_start is not None:
        yield Span(piece_start, last_end)


def chunk_spans(text: str, settings: ChunkSettings) -> list[Span]:
    """Pack whole sentences into chunks of about `target_tokens`, repeating `overlap_tokens` at the seams."""
    sentences: list[Span] = []
    for sentence in split_sentences(text):
        if estimate_tokens(text[sentence.start : sentence.end]) > settings.max_tokens:
            sentences.extend(_split_long(text, sentence, settings.max_tokens))
        else:
            sentences.append(sentence)
    tokens = [estimate_tokens(text[s.start : s.end]) for s in sentences]

    chunks: list[Span] = []
    i = 0
    while i < len(sentences):
        j, total = i, 0
        while j < len(sentences) and (
            j == i
            or (
                total + tokens[j] <= settings.max_tokens
                # Long words are one token each: the token bound alone would not bound the characters.
                and sentences[j].end - sentences[i].start <= MAX_CHUNK_CHARS
            )
        ):
            total += tokens[j]
            j += 1
            if total >= settings.target_tokens:
                break
        chunks.append(Span(sentences[i].start, sentences[j - 1].end))
        if j >= len(sentences):
            break
        # Step back over trailing sentences worth at most `overlap_tokens`, but always move forward.
        back, overlap = j, 0
        while back - 1 > i and overlap + tokens[back - 1] <= settings.overlap_tokens:
            back -= 1
            overlap += tokens[back]
        i = back
    return chunks


def chunk_id(doc_id: str, content_hash: str, n: int) -> str:
    """Stable across runs; a changed article gets new ids, so its old chunks stay until replaced."""
    doc_key = hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:16]
    return f"{doc_key}-{content_hash[:12]}-{n:05d}"


def chunk_article(article: Article, settings: ChunkSettings) -> list[Chunk]:
    return [
        Chunk(
            id=chunk_id(article.doc_id, article.content_hash, n),
            doc_id=article.doc_id,
            n=n,
            start=span.start,
            end=span.end,
            text=article.text[span.start : span.end],
            title=article.title,
            url=article.url,
            published=article.published,
        )
        for n, span in enumerate(chunk_spans(article.text, settings))
    ]
