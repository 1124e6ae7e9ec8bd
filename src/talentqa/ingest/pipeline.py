"""load -> chunk -> embed -> store, in bounded batches, with a report.

Properties kept here:
- Idempotent: an article whose content hash is already stored is "unchanged" and never re-embedded.
- Replace-after-write: a changed article's new chunks (new ids, from the new hash) are stored, then its
  record, and only then are the old chunks deleted. A crash at any point leaves the old version findable.
- Crash repair: the store's `ingest_open` marker outlives a killed process or a failed run; the next run
  sweeps orphans.
- Streaming: at most `docs_per_batch` articles are held, so memory stays flat as the corpus grows.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from talentqa.embeddings import Embedder
from talentqa.errors import LoadError
from talentqa.ingest.chunking import chunk_article
from talentqa.ingest.loaders import LoadResult, iter_files, load_file
from talentqa.models import Article, Chunk, IngestItem, IngestReport
from talentqa.settings import Settings
from talentqa.store import Store

ProgressCallback = Callable[[str, int], None]
"""Called with ("article", 1) per article handled and ("chunks", n) per n chunks embedded."""


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://")) or "://" in source[:12]


def iter_sources(
    sources: Sequence[str], settings: Settings, glob: str | None = None, since: dt.date | None = None
) -> Iterator[LoadResult]:
    """Articles (or per-input errors) from paths, folders and URLs, lazily."""
    pattern = glob or settings.ingest.glob
    for source in sources:
        if is_url(source):
            yield from _load_url(source, settings, since)
            continue
        for item in iter_files([source], pattern):
            if isinstance(item, LoadError):
                yield item
            else:
                yield from load_file(item, settings)


def _load_url(url: str, settings: Settings, since: dt.date | None) -> Iterator[LoadResult]:
    try:
        from talentqa.ingest import web
    except ImportError:  # pragma: no cover - web ingestion ships with the package
        yield LoadError(url, "URL ingestion is not available")
        return
    yield from web.load_url(url, settings, since=since)


@dataclass
class _Pending:
    article: Article
    chunks: list[Chunk]
    status: str


@dataclass
class Ingestor:
    """Writes articles into a store. Reusable across batches (the bot keeps one)."""

    store: Store
    embedder: Embedder
    settings: Settings
    progress: ProgressCallback | None = None
    force: bool = False
    """Re-embed even unchanged articles (reindex after a model change)."""
    _seen: dict[str, str] = field(default_factory=dict)

    def run(self, results: Iterable[LoadResult]) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        self._seen = {}
        if self.store.begin_ingest():
            self.store.sweep_orphans()
        try:
            batch: list[Article] = []
            for result in results:
                if isinstance(result, LoadError):
                    report.items.append(
                        IngestItem(source=result.source, status="failed", reason=result.reason)
                    )
                    self._tick("article", 1)
                    continue
                duplicate = self._duplicate(result)
                if duplicate:
                    report.items.append(duplicate)
                    self._tick("article", 1)
                    continue
                batch.append(result)
                if len(batch) >= self.settings.ingest.docs_per_batch:
                    self._write(batch, report)
                    batch = []
            if batch:
                self._write(batch, report)
        except BaseException:
            # Chunks may be stored without their article record: the marker stays, so the next run
            # sweeps them (the same repair as after a crash); readers still see what was written.
            self.store.bump_revision()
            raise
        self.store.end_ingest()
        report.seconds = time.perf_counter() - started
        return report

    def _duplicate(self, article: Article) -> IngestItem | None:
        """Two inputs with one id in a batch: the first wins and the second is reported, not merged."""
        first = self._seen.get(article.doc_id)
        if first is None:
            self._seen[article.doc_id] = article.source
            return None
        return IngestItem(
            source=article.source,
            doc_id=article.doc_id,
            title=article.title,
            status="failed",
            reason=f"duplicate document id {article.doc_id!r} (already read from {first}); "
            "give one an `id:` in its front matter",
        )

    def _write(self, articles: list[Article], report: IngestReport) -> None:
        stored = self.store.stored_hashes([a.doc_id for a in articles])
        pending: list[_Pending] = []
        for article in articles:
            old = stored.get(article.doc_id)
            if old == article.content_hash and not self.force:
                report.items.append(
                    IngestItem(
                        source=article.source, doc_id=article.doc_id, title=article.title, status="unchanged"
                    )
                )
                self._tick("article", 1)
                continue
            chunks = chunk_article(article, self.settings.chunking)
            status = "updated" if old is not None and old != article.content_hash else "added"
            if self.force and old == article.content_hash:
                status = "reindexed"
            pending.append(_Pending(article, chunks, status))
        if not pending:
            return

        items = [(chunk, p.article.content_hash) for p in pending for chunk in p.chunks]
        vectors = self._embed([chunk.text for chunk, _ in items])
        self.store.upsert_chunks(items, vectors)
        self.store.upsert_articles([(p.article, len(p.chunks)) for p in pending])
        for p in pending:
            # Only a changed article has an old version's chunks: an added one has none, since any a
            # failed earlier run left behind were swept at the start. One delete per article is
            # expensive on a large store (a metadata scan in Chroma), so added articles skip it.
            if p.status == "updated":
                self.store.delete_stale_chunks(p.article.doc_id, p.article.content_hash)
            report.items.append(
                IngestItem(
                    source=p.article.source,
                    doc_id=p.article.doc_id,
                    title=p.article.title,
                    status=p.status,
                    chunks=len(p.chunks),
                )
            )
            self._tick("article", 1)
        report.chunks_embedded += len(items)
        self.store.bump_revision()

    def _embed(self, texts: list[str]):  # type: ignore[no-untyped-def]
        import numpy as np

        # Progress ticks per group; the model sorts each group by length, so groups are kept large.
        size = max(128, self.settings.embedding.batch_size * 4)
        parts = []
        for i in range(0, len(texts), size):
            part = texts[i : i + size]
            parts.append(self.embedder.embed(part))
            self._tick("chunks", len(part))
        if not parts:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return np.concatenate(parts)

    def _tick(self, kind: str, n: int) -> None:
        if self.progress is not None:
            self.progress(kind, n)


def ingest_paths(
    store: Store,
    embedder: Embedder,
    settings: Settings,
    sources: Sequence[str | Path],
    *,
    glob: str | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    results = iter_sources([str(s) for s in sources], settings, glob)
    return Ingestor(store, embedder, settings, progress).run(results)
