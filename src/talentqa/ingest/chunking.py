"""Sentence-aware chunking with character offsets into the stored article text."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

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

_BOUNDARY = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+)|\n+")
_NEXT_WORD = re.compile(r"\s*[\"'\u201c\u2018(\[]*([\w\u00c0-\u024f]+)")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def split_sentences(text: str) -> list[Span]:
    """Sentence spans over `text` (offsets exclude surrounding whitespace); paragraphs always split."""
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
    word_match = re.search(r"([\w.]+)$", text[sentence_start:dot])
    word = word_match.group(1).lower() if word_match else ""
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
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start, end))


def _split_long(text: str, span: Span, max_tokens: int) -> Iterator[Span]:
    """A sentence longer than a chunk is cut at word boundaries."""
    words = list(re.finditer(r"\S+", text[span.start : span.end]))
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
        while j < len(sentences) and (j == i or total + tokens[j] <= settings.max_tokens):
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
