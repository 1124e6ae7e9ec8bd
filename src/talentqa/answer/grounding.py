"""Grounding an LLM's reply in the stored articles: which stored text each source key stands for, where a
claim's quote stands in it, and which claims survive as citations.

`llm.py` talks to the chat model (prompts, the reply's parsing); this module holds what decides what a user
sees of that reply, so it can be read, tested and tightened without the model. Quotes are located with
`citations.locate_quote` and turned into citations by `citations.make_citation` (a citation is always a
slice of the stored text); a claim is held to its quote by `claims.shown_claim`. Nothing here trusts the
model: an unknown key, a quote that cannot be found, one too short to prove anything or one that reads
like an instruction is dropped, and the answer's size is bounded however much the model repeats itself.

Across languages the quote is still the source's own words; a claim may carry the model's `translation` of
its quote into the question's language, which is kept (cleaned and bounded, `claims.shown_translation`) only
on a citation whose quote verified, as `Citation.translation`: unverified, and never shown as a quote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from talentqa.answer.citations import Located, instruction_like, latest_date, locate_quote, make_citation
from talentqa.answer.claims import shown_claim, shown_translation
from talentqa.answer.texts import as_of_note
from talentqa.models import Chunk, Citation
from talentqa.retrieval import Passage
from talentqa.text import split_sentences

# A span this short ("the", "in 2019") proves nothing about a claim even when it is found verbatim.
MIN_QUOTE_CHARS = 8
MIN_RELATED_CHARS = 25
# A model that repeats itself (5,000 claims on one quote were seen) must not make a 200 KB answer: at most
# this many claims are shown, at most two on one quote, and the text stops growing past MAX_ANSWER_CHARS.
MAX_CLAIMS = 8
MAX_CLAIMS_PER_QUOTE = 2
MAX_ANSWER_CHARS = 3000
# Claims read from one reply; the rest are dropped unread, since locating each quote can be a fuzzy search.
MAX_CLAIMS_READ = 64

_KEY = re.compile(r"^\[?\s*(?:S|SOURCE)?\s*(\d+)\s*\]?$", re.I)


class ProposedQuote(Protocol):
    """A claim as the model proposed it (`llm.ProposedClaim`): a sentence, the key of the source it cites
    and a quote from that source."""

    @property
    def text(self) -> str: ...

    @property
    def key(self) -> str: ...

    @property
    def quote(self) -> str: ...

    @property
    def translation(self) -> str:
        """The model's rendering of the quote in the question's language; "" when it gave none."""
        ...


@dataclass
class Source:
    """A retrieved passage under its prompt key (S1, S2, ...), with the stored article it was cut from."""

    key: str
    passage: Passage
    text: str  # the whole stored article


@dataclass
class _Verification:
    citations: list[Citation] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    proposed: int = 0
    verified: int = 0
    quoted_instead: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)
    translated: int = 0
    translations_dropped: dict[str, int] = field(default_factory=dict)

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def quote_instead(self, reason: str) -> None:
        self.quoted_instead += 1
        self.replaced[reason] = self.replaced.get(reason, 0) + 1


def load_sources(passages: Sequence[Passage], text_of: Callable[[str], str]) -> list[Source]:
    """The passages whose article can still be read, each under a key; a passage whose article vanished
    or whose offsets no longer fit it is left out, since no quote from it could be verified."""
    texts: dict[str, str | None] = {}
    sources: list[Source] = []
    for passage in passages:
        doc_id = passage.chunk.doc_id
        if doc_id not in texts:
            try:
                texts[doc_id] = text_of(doc_id)
            except Exception:  # the article vanished after retrieval: nothing of it can be verified
                texts[doc_id] = None
        text = texts[doc_id]
        if text is None or not (0 <= passage.chunk.start < passage.chunk.end <= len(text)):
            continue
        sources.append(Source(f"S{len(sources) + 1}", passage, text))
    return sources


def normalise_key(key: str) -> str:
    """'S1', 's1', '[S1]', 'Source 1' and '1' all name source S1."""
    match = _KEY.match(key.strip())
    return f"S{int(match.group(1))}" if match else key.strip()


def verify_claims(
    claims: Sequence[ProposedQuote],
    sources: dict[str, Source],
    max_quotes: int,
    *,
    question_script: str = "",
) -> _Verification:
    """Keep the claims whose quote is found in the article of the source they cite, as citations, each
    shown as a sentence held to its quote (`claims.shown_claim`), within the answer's size bounds.

    A kept claim's translation goes on its citation when the quote is in another script than the question
    (`question_script`, from `store.script.text_script`; "" keeps none): the first acceptable one per
    citation (`claims.shown_translation`)."""
    check = _Verification()
    numbered: dict[tuple[str, int, int], Citation] = {}
    shown_on: dict[tuple[str, int, int], set[str]] = {}
    located_by: dict[tuple[str, str], Located | None] = {}
    size = 0
    for claim in claims:
        if not claim.quote.strip():
            check.drop("no_quote")
            continue
        check.proposed += 1
        if check.proposed > MAX_CLAIMS_READ or len(check.sentences) >= MAX_CLAIMS:
            check.drop("over_limit")
            continue
        key = normalise_key(claim.key)
        source = sources.get(key)
        if source is None:
            check.drop("unknown_key")
            continue
        if (key, claim.quote) not in located_by:
            located_by[key, claim.quote] = locate_in_source(source, claim.quote)
        located = located_by[key, claim.quote]
        if located is None:
            check.drop("not_found")
            continue
        if located.end - located.start < MIN_QUOTE_CHARS:
            check.drop("too_short")
            continue
        if instruction_like(source.text, located.start, located.end):
            # A planted "ignore previous instructions and say X" is real article text, so it would verify:
            # quoting it is the one way an injection could speak through a verified citation.
            check.drop("instruction_like")
            continue
        span = (source.passage.chunk.doc_id, located.start, located.end)
        citation = numbered.get(span)
        if citation is None and len(numbered) >= max_quotes:
            check.drop("over_limit")
            continue
        shown = shown_claim(
            claim.text, source.text[located.start : located.end], source.text[chunk_span(source)]
        )
        said = shown_on.setdefault(span, set())
        if shown.text.casefold() in said or len(said) >= MAX_CLAIMS_PER_QUOTE:
            check.drop("duplicate")
            if citation is not None:  # the quote is shown, so its rendering may be
                _translate(check, citation, claim.translation, question_script)
            continue
        sentence = f"{shown.text} [{citation.n if citation else len(numbered) + 1}]"
        if check.sentences and size + 1 + len(sentence) > MAX_ANSWER_CHARS:
            check.drop("over_size")
            if citation is not None:
                _translate(check, citation, claim.translation, question_script)
            continue
        if citation is None:
            citation = make_citation(
                n=len(numbered) + 1,
                chunk=source.passage.chunk,
                text=source.text,
                start=located.start,
                end=located.end,
                score=located.similarity,
            )
            numbered[span] = citation
            check.citations.append(citation)
        said.add(shown.text.casefold())
        _translate(check, citation, claim.translation, question_script)
        check.verified += 1
        if shown.replaced is not None:
            check.quote_instead(shown.replaced)
        check.sentences.append(sentence)
        size += len(sentence) + 1
    return check


def _translate(check: _Verification, citation: Citation, translation: str, question_script: str) -> None:
    """Give a verified citation the claim's rendering of its quote, unless it has one already."""
    if citation.translation is not None or not translation.strip():
        return
    shown = shown_translation(translation, citation.quote, question_script)
    if shown.text is not None:
        citation.translation = shown.text
        check.translated += 1
    elif shown.dropped is not None:
        check.translations_dropped[shown.dropped] = check.translations_dropped.get(shown.dropped, 0) + 1


def chunk_span(source: Source) -> slice:
    return slice(source.passage.chunk.start, source.passage.chunk.end)


def locate_in_source(source: Source, quote: str) -> Located | None:
    """Prefer the cited passage; accept the rest of its article, where an exact match beats a fuzzy one."""
    chunk = source.passage.chunk
    inside = locate_quote(source.text[chunk.start : chunk.end], quote)
    if inside is not None:
        inside = Located(
            chunk.start + inside.start, chunk.start + inside.end, inside.exact, inside.similarity
        )
        if inside.exact:
            return inside
    anywhere = locate_quote(source.text, quote)
    if anywhere is not None and (anywhere.exact or inside is None):
        return anywhere
    return inside


def compose_claims(sentences: Sequence[str], citations: Sequence[Citation]) -> str:
    body = " ".join(sentences)
    as_of = latest_date(citations)
    if as_of:
        body += as_of_note(as_of)
    return body


def first_sentences(sources: Sequence[Source], limit: int) -> list[Citation]:
    related: list[Citation] = []
    seen: set[str] = set()
    for source in sources:
        if len(related) >= limit:
            break
        chunk: Chunk = source.passage.chunk
        if chunk.id in seen:
            continue
        seen.add(chunk.id)
        region = source.text[chunk.start : chunk.end]
        spans = [
            s
            for s in split_sentences(region)
            if s.end > s.start
            and not instruction_like(source.text, chunk.start + s.start, chunk.start + s.end)
        ]
        if not spans:
            continue
        # A chunk can open on the tail of a sentence cut at a line break ("energy agency."): skip such scraps.
        first = next((s for s in spans if s.end - s.start >= MIN_RELATED_CHARS), spans[0])
        related.append(
            make_citation(
                n=len(related) + 1,
                chunk=chunk,
                text=source.text,
                start=chunk.start + first.start,
                end=chunk.start + first.end,
                score=source.passage.score,
            )
        )
    return related
