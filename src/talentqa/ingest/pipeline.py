"""load -> chunk -> embed -> store, in bounded batches, with a report.

Properties kept here:
- Idempotent: an article whose content hash is already stored, with all the chunks its record claims, is
  "unchanged" and never re-embedded; one whose record claims chunks the store lacks is embedded again.
- Replace-after-write: a changed article's new chunks (new ids, from the new hash) are stored, then its
  record, and only then are the old chunks deleted. A crash at any point leaves the old version findable.
- Crash repair: every run leaves a marker in the store while it works (`Store.begin_run`). One that
  outlives its run (kill -9, an error) makes the next run sweep the orphans it left and restore, from the
  stored texts, every article that lacks chunks (an interrupted reindex leaves many).
- Concurrent writers (server mode) never delete each other's work: a run's marker protects its chunks
  until it is provably gone.
- Streaming: at most `docs_per_batch` articles are held, so memory stays flat as the corpus grows.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from talentqa.embeddings import Embedder
from talentqa.errors import LoadError, SkippedInput
from talentqa.ingest.chunking import chunk_article, chunk_id
from talentqa.ingest.loaders import FileArticle, LoadResult, iter_files, load_file
from talentqa.models import Article, Chunk, IngestItem, IngestReport
from talentqa.settings import Settings
from talentqa.store import HEARTBEAT_SECONDS, RunKind, Store, StoredRecord

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int], None]
"""Called with ("article", 1) per article handled and ("chunks", n) per n chunks embedded."""


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://")) or "://" in source[:12]


def iter_sources(
    sources: Sequence[str], settings: Settings, glob: str | None = None, since: dt.date | None = None
) -> Iterator[LoadResult]:
    """Articles (or per-input errors) from paths, folders and URLs, lazily.

    Each file is read once however often it is reached (`x` and `./x`, a folder and a file in it):
    reading it twice would refuse the second as a duplicate id. A file skipped inside a folder (an
    image, an empty file) is a report line; the same file named on its own is a failure, as it was
    asked for and nothing was read.
    """
    pattern = glob or settings.ingest.glob
    read: set[Path] = set()
    for source in sources:
        if is_url(source):
            yield from _load_url(source, settings, since)
            continue
        for item in iter_files([source], pattern):
            if isinstance(item, LoadError):
                yield item
                continue
            resolved = _resolved(item)
            if resolved in read:
                continue
            read.add(resolved)
            named = item == Path(source)
            for result in load_file(item, settings):
                if named and isinstance(result, SkippedInput):
                    result = LoadError(result.source, result.reason)
                yield result


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()  # reported when it is opened


def _load_url(url: str, settings: Settings, since: dt.date | None) -> Iterator[LoadResult]:
    try:
        from talentqa.ingest import web
    except ImportError:  # pragma: no cover - web ingestion ships with the package
        yield LoadError(url, "URL ingestion is not available")
        return
    yield from web.load_url(url, settings, since=since)


def stored_articles(store: Store, doc_ids: Sequence[str] | None = None) -> Iterator[Article]:
    """Articles as the store holds them (text and metadata), to embed again; all when `doc_ids` is None."""
    for doc_id, record in store.records(doc_ids).items():
        info = record.info
        fields: dict[str, Any] = {
            "doc_id": doc_id,
            "title": info.title,
            "text": store.text(doc_id),
            "url": info.url,
            "author": info.author,
            "published": info.published,
            "outlet": info.outlet,
            "source": info.source,
            "content_hash": info.content_hash,
        }
        yield FileArticle(**fields, origin=record.origin) if record.origin else Article(**fields)


def _file_of(record: StoredRecord) -> str:
    """The file a stored article's name-derived id came from. Records from before origins were kept
    have only their source as given then (relative to the folder ingest ran in; a JSONL record's source
    ends in its line number)."""
    source = record.info.source
    if record.origin or not source or is_url(source):
        return record.origin
    return source if Path(source).exists() else re.sub(r":\d+$", "", source)


def _same_file(previous: str, article: FileArticle, *, legacy: bool) -> bool | None:
    """Whether `previous` is this article's file; None when it is gone and nothing tells."""
    try:
        return os.path.samefile(previous, article.origin)
    except OSError:
        pass
    parts = Path(previous).parts
    if legacy and parts and not Path(previous).is_absolute() and ".." not in parts:
        # A relative source from another working folder: the same file if its path ends so.
        return Path(article.origin).parts[-len(parts) :] == parts or None
    return None


def _new_origin(article: Article, record: StoredRecord | None) -> str | None:
    """For an unchanged file-named article: this file's path, when the record should now point at it.
    It moved (or was stored before origins were kept), so a later file at the old place is another
    article. An identical copy while the first file is still there leaves the record be."""
    if not isinstance(article, FileArticle) or record is None or record.origin == article.origin:
        return None
    if _same_file(_file_of(record), article, legacy=not record.origin) is False:
        return None
    return article.origin


def _takes_id(article: Article) -> bool:
    """Whether the input can name its own id (only Markdown front matter can, among files)."""
    return not isinstance(article, FileArticle) or Path(article.origin).suffix.lower() in {".md", ".markdown"}


def _refusal(article: Article, record: StoredRecord | None) -> str | None:
    """Why an article whose id comes from its file name must not replace the stored one, if it must not.

    That id belongs to the file it was first read from. The same file (by any path) may change it; another
    file may not, unless it is the same article (equal content: the file was moved or copied). When the
    first file is gone, this may be that file moved and edited, or another article: only the user knows.
    """
    if record is None or not isinstance(article, FileArticle):
        return None
    previous = _file_of(record)
    if not previous:
        return None
    same = _same_file(previous, article, legacy=not record.origin)
    if same or record.info.content_hash == article.content_hash:
        return None
    doc_id = article.doc_id
    fix = (
        "give this file its own `id:` in its front matter, or rename it"
        if _takes_id(article)
        else "rename this file"
    )
    if same is False:
        return (
            f"document id {doc_id!r} (from the file name) is already taken by another file, {previous}; {fix}"
        )
    return (
        f"document id {doc_id!r} (from the file name) is already taken by {previous}, which is no longer "
        f"there; if this file is that article moved, remove it first (`talentqa sources remove {doc_id}`), "
        f"otherwise {fix}"
    )


def _id_groups(records: Iterable[StoredRecord], limit: int = 20_000) -> Iterator[dict[str, list[str]]]:
    """The chunk ids each record lists, in groups of about `limit`: a whole store's are never all held."""
    group: dict[str, list[str]] = {}
    size = 0
    for record in records:
        info = record.info
        group[info.doc_id] = [chunk_id(info.doc_id, info.content_hash, n) for n in range(info.chunks)]
        size += info.chunks
        if size >= limit:
            yield group
            group, size = {}, 0
    if group:
        yield group


@dataclass
class _Pending:
    article: Article
    chunks: list[Chunk]
    status: str
    reason: str | None = None


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
    _run: str = ""
    _written: dict[str, str] = field(default_factory=dict)
    """Article id -> content hash of every article this run wrote."""
    _broken: set[str] = field(default_factory=set)
    """Articles an unfinished earlier run left without (all) their chunks, still to restore."""
    _beat: float = 0.0

    def run(self, results: Iterable[LoadResult], *, kind: RunKind = "ingest") -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        self._seen, self._written, self._broken = {}, {}, set()
        start = self.store.begin_run(kind)
        self._run, self._beat = start.run_id, time.monotonic()
        try:
            # A reindex rebuilds every chunk anyway; an ingest repairs what unfinished runs left first.
            if start.interrupted and kind != "reindex":
                self._begin_repair()
            batch: list[Article] = []
            for result in results:
                if isinstance(result, LoadError):
                    status = "skipped" if isinstance(result, SkippedInput) else "failed"
                    report.items.append(IngestItem(source=result.source, status=status, reason=result.reason))
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
            self._restore(report)
        except BaseException:
            # Chunks may be stored without their article record: the marker stays, marked failed, so
            # the next run repairs (the same repair as after a crash); readers see what was written.
            self.store.fail_run(self._run)
            raise
        self.store.end_run(self._run, settled=start.unfinished, legacy=start.legacy)
        # Only once this run's marker is gone: a run that replaced one of our records while we worked
        # left our chunks of it alone (we were still at work), so they are ours to drop.
        self.store.drop_superseded(self._written, self._run)
        report.seconds = time.perf_counter() - started
        return report

    def reindex(self) -> IngestReport:
        """Rebuild every chunk and vector from the stored article texts with this ingestor's embedder.

        Article records and texts are never deleted, and the run's marker is open before the old
        vectors go: if the reindex is killed at any point, the next ingest or reindex restores every
        article's chunks from its stored text.
        """
        self.force = True

        def rebuilt() -> Iterator[Article]:
            # Inside the run: the texts are read and the vectors dropped only once the marker is open.
            articles = list(stored_articles(self.store))
            self.store.reset_chunks(model_name=self.embedder.name, dimension=self.embedder.dimension)
            yield from articles

        return self.run(rebuilt(), kind="reindex")

    def _begin_repair(self) -> None:
        swept = self.store.sweep_orphans()
        self._broken = set(self._missing_chunks(self.store.records().values()))
        if swept or self._broken:
            log.warning(
                "an earlier ingest or reindex of %s did not finish: removed %d orphaned passages; "
                "%d articles lack passages and are embedded again from their stored text",
                self.store.location,
                swept,
                len(self._broken),
            )

    def _missing_chunks(self, records: Iterable[StoredRecord]) -> dict[str, int]:
        """Article id -> how many of the chunks its record lists are not stored (only those short)."""
        missing: dict[str, int] = {}
        for group in _id_groups(records):
            present = self.store.present_chunk_ids([cid for ids in group.values() for cid in ids])
            for doc_id, ids in group.items():
                lost = sum(cid not in present for cid in ids)
                # A record listing no chunks at all is as broken: every stored article has text.
                if lost or not ids:
                    missing[doc_id] = lost
        return missing

    def _restore(self, report: IngestReport) -> None:
        """Articles an unfinished run left without their chunks that were not among this run's inputs."""
        remaining = sorted(self._broken)
        size = self.settings.ingest.docs_per_batch
        for i in range(0, len(remaining), size):
            self._write(list(stored_articles(self.store, remaining[i : i + size])), report, restoring=True)
        self._broken = set()

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
            + ("give one an `id:` in its front matter" if _takes_id(article) else "rename one of the files"),
        )

    def _write(self, articles: list[Article], report: IngestReport, *, restoring: bool = False) -> None:
        records = self.store.records([a.doc_id for a in articles])
        lost: dict[str, int] = {}
        if not self.force:
            # "Unchanged" needs the chunks as well as the record: a crash, or (before per-run markers)
            # another writer's sweep, can leave a record whose chunks are gone, and nothing else would
            # ever restore them.
            lost = self._missing_chunks(
                records[a.doc_id]
                for a in articles
                if a.doc_id in records and records[a.doc_id].info.content_hash == a.content_hash
            )
        pending: list[_Pending] = []
        moved: dict[str, str] = {}
        for article in articles:
            record = records.get(article.doc_id)
            refusal = _refusal(article, record)
            if refusal is not None:
                report.items.append(
                    IngestItem(
                        source=article.source,
                        doc_id=article.doc_id,
                        title=article.title,
                        status="failed",
                        reason=refusal,
                    )
                )
                self._tick("article", 1)
                continue
            # Handled here (verified, or written), so not restored again at the end of the run.
            self._broken.discard(article.doc_id)
            old = record.info.content_hash if record else None
            if old == article.content_hash and not self.force and article.doc_id not in lost:
                origin = _new_origin(article, record)
                if origin:
                    moved[article.doc_id] = origin
                if not restoring:
                    report.items.append(
                        IngestItem(
                            source=article.source,
                            doc_id=article.doc_id,
                            title=article.title,
                            status="unchanged",
                        )
                    )
                    self._tick("article", 1)
                continue
            chunks = chunk_article(article, self.settings.chunking)
            reason = None
            if old is None:
                status = "added"
            elif old != article.content_hash:
                status = "updated"
            elif self.force:
                status = "reindexed"
            else:
                status = "updated"
                claimed = record.info.chunks if record else 0
                reason = (
                    f"{lost[article.doc_id]} of the {claimed} passages its record lists were missing "
                    "from the store; embedded again"
                )
            pending.append(_Pending(article, chunks, status, reason))
        if moved:
            self.store.set_origins(moved)
        if not pending:
            return

        items = [(chunk, p.article.content_hash) for p in pending for chunk in p.chunks]
        vectors = self._embed([chunk.text for chunk, _ in items])
        self.store.upsert_chunks(items, vectors, run_id=self._run)
        self.store.upsert_articles([(p.article, len(p.chunks)) for p in pending])
        for p in pending:
            self._written[p.article.doc_id] = p.article.content_hash
        # Old versions' chunks go now that the new ones and their records are stored. Every article is
        # checked, not only changed ones: another process may have written one at the same time. (One
        # query per batch, since a per-article metadata delete is expensive on a large store.)
        self.store.delete_stale_chunks([p.article.doc_id for p in pending], self._run)
        for p in pending:
            report.items.append(
                IngestItem(
                    source=p.article.source,
                    doc_id=p.article.doc_id,
                    title=p.article.title,
                    status=p.status,
                    chunks=len(p.chunks),
                    reason=p.reason,
                )
            )
            self._tick("article", 1)
        report.chunks_embedded += len(items)
        self.store.bump_revision()
        self._heartbeat()

    def _embed(self, texts: list[str]):  # type: ignore[no-untyped-def]
        import numpy as np

        # Progress ticks per group; the model sorts each group by length, so groups are kept large.
        size = max(128, self.settings.embedding.batch_size * 4)
        parts = []
        for i in range(0, len(texts), size):
            part = texts[i : i + size]
            parts.append(self.embedder.embed(part))
            self._tick("chunks", len(part))
            self._heartbeat()
        if not parts:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return np.concatenate(parts)

    def _heartbeat(self) -> None:
        # Throttled: embedding one large batch can take minutes, and other writers must not take this
        # run for dead meanwhile.
        if time.monotonic() - self._beat >= HEARTBEAT_SECONDS:
            self.store.heartbeat(self._run)
            self._beat = time.monotonic()

    def _tick(self, kind: str, n: int) -> None:
        if self.progress is not None:
            self.progress(kind, n)
