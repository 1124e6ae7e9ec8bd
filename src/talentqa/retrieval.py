"""Hybrid retrieval: dense (Chroma) and keyword (bm25s) rankings fused by weighted reciprocal rank fusion,
with a cap on passages per article so one long article cannot crowd out the rest.

Across languages: a multilingual model's similarities are comparable within one language but not across
two, as it places every passage nearer to questions in the passage's own language. Measured with
multilingual-e5-small on the bilingual set (eval/bilingual): an English question is on average 0.03 closer
in cosine to English passages than to Chinese ones, a Chinese question 0.09 closer to Chinese ones, while
the passage that answers beats the best wrong one by about 0.02. In a store of English and Chinese articles
the Chinese passage that answers an English question then ranks below English passages about anything
(dense search alone found it in the top five for 35% of English questions; among Chinese passages only,
88%), and the keyword ranking, which matches words, cannot find it at all. So with a cross-lingual model and
a store of more than one script, the dense ranking is made per script: the passages of each script recorded
in the store (`talentqa.store.script`) are searched on their own, and each similarity is taken relative to
the mean of its script's candidates for this question, which removes that question's offset between the
languages without a constant tuned to any; the dense ranking orders passages by how far they stand above
their own script's candidates. An English-only model (MiniLM), a store of one script, and a store written
before scripts were recorded retrieve exactly as before.

`TalentQARetriever` wraps it as a LangChain `BaseRetriever`, so it composes with any LangChain chain.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from talentqa.embeddings import Embedder
from talentqa.models import Chunk, ReadFirst
from talentqa.outlets import named_outlets
from talentqa.settings import RetrievalSettings
from talentqa.store import ChunkHit, Store, build_where
from talentqa.store.keyword import KeywordIndexCache
from talentqa.store.script import text_script


@dataclass
class Passage:
    """A retrieved chunk with the evidence of how it was found."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    keyword_rank: int | None = None
    dense_score: float = 0.0
    keyword_score: float = 0.0


@dataclass
class Retrieved:
    passages: list[Passage]
    timings: dict[str, float] = field(default_factory=dict)
    question_vector: Any = None
    # The dates and outlets this question named whose passages were read first, when it named some.
    read_first: ReadFirst | None = None


@dataclass(frozen=True)
class Filters:
    sources: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None


def fuse(
    dense: Sequence[tuple[str, float]],
    keyword: Sequence[tuple[str, float]],
    settings: RetrievalSettings,
) -> list[tuple[str, float, int | None, int | None]]:
    """Weighted reciprocal rank fusion: (chunk id, fused score, dense rank, keyword rank), best first."""
    scores: dict[str, float] = {}
    dense_rank: dict[str, int] = {}
    keyword_rank: dict[str, int] = {}
    for rank, (chunk_id, _score) in enumerate(dense, start=1):
        dense_rank[chunk_id] = rank
        scores[chunk_id] = scores.get(chunk_id, 0.0) + settings.dense_weight / (settings.rrf_k + rank)
    for rank, (chunk_id, _score) in enumerate(keyword, start=1):
        keyword_rank[chunk_id] = rank
        scores[chunk_id] = scores.get(chunk_id, 0.0) + settings.keyword_weight / (settings.rrf_k + rank)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [(cid, score, dense_rank.get(cid), keyword_rank.get(cid)) for cid, score in ordered]


def diversify(passages: Sequence[Passage], k: int, max_per_doc: int) -> list[Passage]:
    """Top k with at most `max_per_doc` per article; the cap relaxes only if too few articles exist."""
    chosen: list[Passage] = []
    per_doc: dict[str, int] = {}
    held_back: list[Passage] = []
    for passage in passages:
        doc = passage.chunk.doc_id
        if per_doc.get(doc, 0) < max_per_doc:
            chosen.append(passage)
            per_doc[doc] = per_doc.get(doc, 0) + 1
        else:
            held_back.append(passage)
        if len(chosen) >= k:
            return chosen
    return chosen + held_back[: k - len(chosen)]


def keyword_best(
    candidates: Sequence[Passage], top: Sequence[Passage], best_id: str, read_first: ReadFirst
) -> Passage | None:
    """The keyword search's best passage when `top` lacks it: the one passage sharing the question's rarest
    words, which reciprocal rank fusion can push below k when the dense search does not find it (a long
    chunk about many things, a name the embedding does not know). None when it is already read, or when
    it meets fewer of the outlets and dates the question names than every passage in `top` does."""
    if any(p.chunk.id == best_id for p in top):
        return None
    passage = next((p for p in candidates if p.chunk.id == best_id), None)
    if passage is None:
        return None
    if read_first and top and read_first.met_by(passage.chunk) < min(read_first.met_by(p.chunk) for p in top):
        return None
    return passage


def rank_across_scripts(rankings: Sequence[Sequence[ChunkHit]], n: int) -> list[ChunkHit]:
    """One ranking from dense rankings of one script each (each best first): a passage ranks by how far
    its similarity stands above the mean similarity of its own ranking, so passages in a language the
    model does not favour for this question get an even chance. Hits keep their own similarity; ties go
    to the earlier ranking, then the chunk id."""
    scored: list[tuple[float, int, str, ChunkHit]] = []
    for order, hits in enumerate(rankings):
        if not hits:
            continue
        mean = sum(hit.score for hit in hits) / len(hits)
        scored.extend((hit.score - mean, order, hit.chunk.id, hit) for hit in hits)
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    return [hit for *_, hit in scored[:n]]


class HybridRetriever:
    def __init__(
        self, store: Store, embedder: Embedder, keyword: KeywordIndexCache, settings: RetrievalSettings
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.keyword = keyword
        self.settings = settings

    def retrieve(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        prefer: ReadFirst | None = None,
    ) -> Retrieved:
        """The k best passages, at most `max_per_doc` an article. The candidates from outlets the question
        names, and with `prefer` those published on the dates it names ("this week", "October 22, 2023"),
        come first: those meeting both, then either, then the rest, each group in its own order. No
        second search, and never fewer passages than without it."""
        settings = self.settings
        k = k or settings.k
        filters = filters or Filters()
        depth = max(settings.candidates, k)
        timings: dict[str, float] = {}

        t0 = time.perf_counter()
        vector = self.embedder.embed_query(question)
        t1 = time.perf_counter()
        where = build_where(filters.sources, filters.since, filters.until)
        dense_hits: list[ChunkHit] = []
        other_scripts = self.other_scripts(question)
        if other_scripts:
            # The question's own script first (with any chunk of no recorded script), then each other.
            wheres = [
                build_where(filters.sources, filters.since, filters.until, not_scripts=other_scripts),
                *(
                    build_where(filters.sources, filters.since, filters.until, script=script)
                    for script in other_scripts
                ),
            ]
            rankings = [
                self.store.dense_search(vector, depth, clause, explore=settings.dense_explore)
                for clause in wheres
            ]
            dense_hits = rank_across_scripts(rankings, depth)
        elif settings.dense_weight > 0:
            dense_hits = self.store.dense_search(vector, depth, where, explore=settings.dense_explore)
        t2 = time.perf_counter()
        keyword_hits: list[tuple[str, float]] = []
        if settings.keyword_weight > 0:
            keyword_hits = self.keyword.current().search(
                question,
                depth,
                sources=filters.sources or None,
                since_ord=filters.since.toordinal() if filters.since else None,
                until_ord=filters.until.toordinal() if filters.until else None,
            )
        t3 = time.perf_counter()

        dense_pairs = [(hit.chunk.id, hit.score) for hit in dense_hits]
        fused = fuse(dense_pairs, keyword_hits, settings)
        known = {hit.chunk.id: hit.chunk for hit in dense_hits}
        dense_scores = dict(dense_pairs)
        keyword_scores = dict(keyword_hits)
        # Only keyword-only hits that can still make the cut need fetching from Chroma.
        wanted = [cid for cid, *_ in fused[:depth] if cid not in known]
        if settings.keyword_slot and keyword_hits and keyword_hits[0][0] not in known:
            wanted = list(dict.fromkeys([*wanted, keyword_hits[0][0]]))
        for chunk in self.store.get_chunks(wanted):
            known[chunk.id] = chunk
        passages = [
            Passage(
                chunk=known[cid],
                score=score,
                dense_rank=d_rank,
                keyword_rank=k_rank,
                dense_score=dense_scores.get(cid, 0.0),
                keyword_score=keyword_scores.get(cid, 0.0),
            )
            for cid, score, d_rank, k_rank in fused
            if cid in known
        ]
        outlets = named_outlets(question, (p.chunk.outlet for p in passages))
        read_first = (prefer or ReadFirst()).model_copy(update={"outlets": tuple(sorted(outlets))})
        if read_first:
            passages.sort(key=lambda p: -read_first.met_by(p.chunk))  # stable: each group keeps its order
        top = diversify(passages, k, settings.max_per_doc)
        if settings.keyword_slot and keyword_hits:
            extra = keyword_best(passages, top, keyword_hits[0][0], read_first)
            if extra is not None:
                top.append(extra)
        t4 = time.perf_counter()
        timings.update(
            embed_ms=(t1 - t0) * 1000,
            dense_ms=(t2 - t1) * 1000,
            keyword_ms=(t3 - t2) * 1000,
            fusion_ms=(t4 - t3) * 1000,
        )
        return Retrieved(top, timings, vector, read_first or None)

    def other_scripts(self, question: str) -> list[str]:
        """The scripts whose passages are ranked on their own for `question` (see the module's doc): with a
        cross-lingual model, those the store records other than the question's; none with an English-only
        model, for a question of no letters, or in a store of one script (or written before scripts were
        recorded)."""
        if self.settings.dense_weight <= 0 or not self.embedder.cross_lingual:
            return []
        stored = self.keyword.current().scripts
        if len(stored) < 2:
            return []
        asked = text_script(question)
        if not asked:
            return []
        return sorted(script for script in stored if script != asked)


def passage_to_document(passage: Passage) -> Document:
    chunk = passage.chunk
    return Document(
        page_content=chunk.text,
        id=chunk.id,
        metadata={
            "doc_id": chunk.doc_id,
            "chunk": chunk.n,
            "start": chunk.start,
            "end": chunk.end,
            "title": chunk.title,
            "url": chunk.url,
            "outlet": chunk.outlet,
            "published": chunk.published.isoformat() if chunk.published else None,
            "score": passage.score,
            "dense_rank": passage.dense_rank,
            "keyword_rank": passage.keyword_rank,
        },
    )


class TalentQARetriever(BaseRetriever):
    """The hybrid retriever as a LangChain retriever (a Runnable: `invoke`, `batch`, composition): the
    passages `ask` reads, k of them and the keyword search's best when the fusion left it out."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    hybrid: HybridRetriever
    k: int | None = None
    filters: Filters = Filters()

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        retrieved = self.hybrid.retrieve(query, self.k, self.filters)
        return [passage_to_document(p) for p in retrieved.passages]
