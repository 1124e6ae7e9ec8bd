"""Sentence-aware chunking with character offsets into the stored article text."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from talentqa.cjk import IDEOGRAPH
from talentqa.models import Article, Chunk
from talentqa.settings import ChunkSettings
from talentqa.text import Span, estimate_tokens, split_sentences

# Hard cap on a chunk, whatever the text (see MAX_SENTENCE_CHARS in talentqa.text).
MAX_CHUNK_CHARS = 4_000
# What `_split_long` may cut between: one ideograph, or a run of other non-space characters (a word).
_PIECE = re.compile(rf"{IDEOGRAPH.pattern}|(?:(?!{IDEOGRAPH.pattern})\S)+")


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
            outlet=article.outlet,
        )
        for n, span in enumerate(chunk_spans(article.text, settings))
    ]
