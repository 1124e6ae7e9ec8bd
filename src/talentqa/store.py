"""The Chroma store behind one small interface, in embedded or server mode.

Two collections: `<name>-chunks` (passages with their vectors and offsets) and `<name>-documents` (one
record per article holding its full normalised text, against which quotes are verified).

Embedded mode (`PersistentClient`) is not safe for two processes on one folder, so it takes an exclusive
lock and a second process fails at once. Server mode (`HttpClient`) is how several processes share a store.

The chunks collection's metadata records the embedding model and dimension, a `revision` token replaced
after every write (so a keyword index can tell it is stale, even when another process wrote), and an
`ingest_open` marker that survives a crash and makes the next ingest sweep orphans.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

import numpy as np
from filelock import FileLock, Timeout

from talentqa.errors import DocumentNotFoundError, ModelMismatchError, StoreError, StoreLockedError
from talentqa.models import Article, Chunk, DocumentInfo
from talentqa.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from talentqa.embeddings import Vectors

LOCK_NAME = ".talentqa.lock"
# Chroma needs a vector per record; article records are looked up by id only, so one constant suffices.
_RECORD_VECTOR = [1.0]


@dataclass(frozen=True)
class ChunkHit:
    chunk: Chunk
    score: float


def _date_str(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _parse_date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def sanitise_metadata(meta: dict[str, Any]) -> dict[str, str | int | float | bool]:
    """Chroma accepts only str, int, float and bool values: drop None, stringify the rest."""
    clean: dict[str, str | int | float | bool] = {}
    for key, value in meta.items():
        if value is None:
            continue
        if isinstance(value, bool | int | float | str):
            clean[key] = value
        elif isinstance(value, dt.date):
            clean[key] = value.isoformat()
        else:
            clean[key] = str(value)
    return clean


def chunk_metadata(chunk: Chunk, content_hash: str) -> dict[str, str | int | float | bool]:
    return sanitise_metadata(
        {
            "doc_id": chunk.doc_id,
            "n": chunk.n,
            "start": chunk.start,
            "end": chunk.end,
            "title": chunk.title,
            "url": chunk.url,
            "published": _date_str(chunk.published),
            # Ordinal days: Chroma's range operators only compare numbers.
            "published_ord": chunk.published.toordinal() if chunk.published else 0,
            "content_hash": content_hash,
        }
    )


def _chunk_from(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    return Chunk(
        id=chunk_id,
        doc_id=str(meta["doc_id"]),
        n=int(meta.get("n", 0)),
        start=int(meta["start"]),
        end=int(meta["end"]),
        text=text,
        title=str(meta.get("title", "")),
        url=meta.get("url") or None,
        published=_parse_date(meta.get("published")),
    )


def _info_from(doc_id: str, meta: dict[str, Any]) -> DocumentInfo:
    return DocumentInfo(
        doc_id=doc_id,
        title=str(meta.get("title", "")),
        url=meta.get("url") or None,
        author=meta.get("author") or None,
        published=_parse_date(meta.get("published")),
        source=str(meta.get("source", "")),
        chunks=int(meta.get("chunks", 0)),
        chars=int(meta.get("chars", 0)),
        content_hash=str(meta.get("content_hash", "")),
        ingested_at=str(meta.get("ingested_at", "")),
    )


def build_where(
    sources: Sequence[str] | None = None, since: dt.date | None = None, until: dt.date | None = None
) -> dict[str, Any] | None:
    """A Chroma `where` filter for chunk metadata."""
    clauses: list[dict[str, Any]] = []
    if sources:
        clauses.append({"doc_id": {"$in": list(sources)}})
    if since:
        clauses.append({"published_ord": {"$gte": since.toordinal()}})
    if until:
        clauses.append({"published_ord": {"$lte": until.toordinal()}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class Store:
    """Articles and chunks in Chroma. Open with `Store.open(settings, ...)`; close when done."""

    def __init__(
        self,
        client: ClientAPI,
        settings: Settings,
        *,
        model_name: str,
        dimension: int,
        lock: FileLock | None = None,
        check_model: bool = True,
    ) -> None:
        self.client = client
        self.settings = settings
        self.model_name = model_name
        self.dimension = dimension
        self._lock = lock
        self._closed = False
        self.max_batch = max(1, int(client.get_max_batch_size()))
        prefix = settings.collection
        self.chunks: Collection = client.get_or_create_collection(
            f"{prefix}-chunks",
            metadata={"embedding_model": model_name, "embedding_dim": dimension, "revision": "empty"},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        self.documents: Collection = client.get_or_create_collection(
            f"{prefix}-documents", metadata={"kind": "articles"}, embedding_function=None
        )
        if check_model:
            self.check_model()
        self._text_cache = lru_cache(maxsize=256)(self._load_text)

    # --- opening ------------------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        model_name: str | None = None,
        dimension: int = 384,
        check_model: bool = True,
    ) -> Store:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        name = model_name or settings.embedding.model
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if settings.chroma_url:
            parsed = urlparse(settings.chroma_url)
            if parsed.scheme not in {"http", "https"} or not parsed.hostname:
                raise StoreError(f"invalid Chroma URL {settings.chroma_url!r}: expected http://host:port")
            try:
                client = chromadb.HttpClient(
                    host=parsed.hostname,
                    port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https",
                    settings=chroma_settings,
                )
                client.heartbeat()
            except Exception as exc:  # chromadb raises assorted transport errors
                raise StoreError(
                    f"cannot reach the Chroma server at {settings.chroma_url} ({exc.__class__.__name__}); "
                    "is `chroma run --path vectorstore` running?"
                ) from exc
            return cls(client, settings, model_name=name, dimension=dimension, check_model=check_model)

        folder = Path(settings.store)
        folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(folder / LOCK_NAME), is_singleton=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise StoreLockedError(
                f"the store {folder} is in use by another talentqa process "
                "(embedded Chroma is single-process). "
                "Stop the other process, or run a Chroma server (`chroma run --path "
                f"{folder}`) and point every process at it with TALENTQA_CHROMA_URL=http://localhost:8000 "
                "or --chroma-url."
            ) from None
        try:
            client = chromadb.PersistentClient(path=str(folder), settings=chroma_settings)
            return cls(
                client, settings, model_name=name, dimension=dimension, lock=lock, check_model=check_model
            )
        except Exception:
            lock.release()
            raise

    @property
    def mode(self) -> Literal["embedded", "server"]:
        return self.settings.mode

    @property
    def location(self) -> str:
        return self.settings.chroma_url or str(Path(self.settings.store).resolve())

    def recorded_model(self) -> str | None:
        """The embedding model (and backend) the store's vectors were made with; None when empty."""
        stored = (self.chunks.metadata or {}).get("embedding_model")
        return str(stored) if stored else None

    def check_model(self) -> None:
        meta = self.chunks.metadata or {}
        stored_model = meta.get("embedding_model")
        stored_dim = meta.get("embedding_dim")
        if stored_model and (stored_model != self.model_name or int(stored_dim or 0) != self.dimension):
            raise ModelMismatchError(
                f"this store was built with the embedding model {stored_model!r} ({stored_dim} dimensions) "
                f"but {self.model_name!r} ({self.dimension}) is configured. Configure the original model, "
                "or rebuild the vectors with `talentqa reindex`."
            )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self.mode == "embedded":
                # chromadb >= 1.1 releases the folder's files; older clients lack close().
                close = getattr(self.client, "close", None)
                if close is not None:
                    close()
        finally:
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- collection metadata --------------------------------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        # Re-read: another process may have written since this one opened the collection.
        fresh = self.client.get_collection(self.chunks.name, embedding_function=None)
        return dict(fresh.metadata or {})

    def _set_meta(self, **changes: Any) -> None:
        meta = self._meta()
        meta.update(changes)
        meta["embedding_model"] = self.model_name
        meta["embedding_dim"] = self.dimension
        self.chunks.modify(metadata=sanitise_metadata(meta))

    def revision(self) -> str:
        return str(self._meta().get("revision", "empty"))

    def bump_revision(self) -> None:
        self._set_meta(revision=uuid.uuid4().hex)

    def begin_ingest(self) -> bool:
        """Mark a write in progress; returns True when the previous one never finished (crash)."""
        crashed = bool(self._meta().get("ingest_open"))
        self._set_meta(ingest_open=uuid.uuid4().hex)
        return crashed

    def end_ingest(self) -> None:
        self._set_meta(ingest_open="", revision=uuid.uuid4().hex)

    # --- writing ------------------------------------------------------------------------------------------

    def stored_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """Content hash per stored article among `doc_ids`."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(doc_ids))
        for i in range(0, len(unique), self.max_batch):
            result = self.documents.get(ids=unique[i : i + self.max_batch], include=["metadatas"])
            for doc_id, meta in zip(result["ids"], result["metadatas"] or [], strict=True):
                found[doc_id] = str((meta or {}).get("content_hash", ""))
        return found

    def upsert_chunks(self, items: Sequence[tuple[Chunk, str]], vectors: Vectors) -> None:
        """Write chunks (with their article's content hash) in batches Chroma accepts."""
        if len(items) != len(vectors):
            raise StoreError("chunks and vectors differ in number")
        for i in range(0, len(items), self.max_batch):
            part = items[i : i + self.max_batch]
            self.chunks.upsert(
                ids=[chunk.id for chunk, _ in part],
                embeddings=np.asarray(vectors[i : i + self.max_batch], dtype=np.float32),
                documents=[chunk.text for chunk, _ in part],
                metadatas=[chunk_metadata(chunk, digest) for chunk, digest in part],
            )

    def upsert_articles(self, articles: Sequence[tuple[Article, int]]) -> None:
        """Write article records (full text + metadata) after their chunks are stored."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for i in range(0, len(articles), self.max_batch):
            part = articles[i : i + self.max_batch]
            self.documents.upsert(
                ids=[article.doc_id for article, _ in part],
                embeddings=np.asarray([_RECORD_VECTOR] * len(part), dtype=np.float32),
                documents=[article.text for article, _ in part],
                metadatas=[
                    sanitise_metadata(
                        {
                            "title": article.title,
                            "url": article.url,
                            "author": article.author,
                            "published": _date_str(article.published),
                            "source": article.source,
                            "content_hash": article.content_hash,
                            "chunks": count,
                            "chars": len(article.text),
                            "ingested_at": now,
                        }
                    )
                    for article, count in part
                ],
            )
        for article, _ in articles:
            self._forget_text(article.doc_id)

    def delete_stale_chunks(self, doc_id: str, keep_hash: str) -> None:
        """Old versions' chunks go only once the new ones (with a different hash) are stored."""
        where: Any = {"$and": [{"doc_id": doc_id}, {"content_hash": {"$ne": keep_hash}}]}
        self.chunks.delete(where=where)

    def remove(self, doc_id: str) -> None:
        if not self.documents.get(ids=[doc_id], include=[])["ids"]:
            raise DocumentNotFoundError(f"no document with id {doc_id!r} (see `talentqa sources list`)")
        # Chunks first: a crash in between leaves the record, and a retry finishes the job.
        self.chunks.delete(where={"doc_id": doc_id})
        self.documents.delete(ids=[doc_id])
        self._forget_text(doc_id)
        self.bump_revision()

    def sweep_orphans(self) -> int:
        """Delete chunks that no article record accounts for (left by a crash). Returns how many."""
        valid = {doc_id: info.content_hash for doc_id, info in self._iter_document_meta()}
        orphans = [
            chunk_id
            for chunk_id, meta in self.iter_chunk_meta()
            if valid.get(str(meta.get("doc_id"))) != meta.get("content_hash")
        ]
        for i in range(0, len(orphans), self.max_batch):
            self.chunks.delete(ids=orphans[i : i + self.max_batch])
        return len(orphans)

    # --- reading ------------------------------------------------------------------------------------------

    def _iter_document_meta(self) -> Iterator[tuple[str, DocumentInfo]]:
        page = 1000
        offset = 0
        while True:
            result = self.documents.get(include=["metadatas"], limit=page, offset=offset)
            ids = result["ids"]
            for doc_id, meta in zip(ids, result["metadatas"] or [], strict=True):
                yield doc_id, _info_from(doc_id, dict(meta or {}))
            if len(ids) < page:
                return
            offset += page

    def iter_chunk_meta(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for chunk_id, _text, meta in self.iter_chunks(include_text=False):
            yield chunk_id, meta

    def iter_chunks(
        self, *, include_text: bool = True, page: int = 2000
    ) -> Iterator[tuple[str, str, dict[str, Any]]]:
        include: list[Any] = ["metadatas", "documents"] if include_text else ["metadatas"]
        offset = 0
        while True:
            result = self.chunks.get(include=include, limit=page, offset=offset)
            ids = result["ids"]
            texts = result["documents"] if include_text else None
            for i, (chunk_id, meta) in enumerate(zip(ids, result["metadatas"] or [], strict=True)):
                yield chunk_id, (texts[i] if texts else ""), dict(meta or {})
            if len(ids) < page:
                return
            offset += page

    def documents_info(self) -> list[DocumentInfo]:
        return sorted((info for _, info in self._iter_document_meta()), key=lambda d: d.doc_id)

    def document(self, doc_id: str) -> DocumentInfo:
        result = self.documents.get(ids=[doc_id], include=["metadatas"])
        if not result["ids"]:
            raise DocumentNotFoundError(f"no document with id {doc_id!r} (see `talentqa sources list`)")
        return _info_from(doc_id, dict((result["metadatas"] or [{}])[0] or {}))

    def text(self, doc_id: str) -> str:
        """The stored normalised article text that every offset and quote refers to."""
        return self._text_cache(doc_id)

    def _load_text(self, doc_id: str) -> str:
        result = self.documents.get(ids=[doc_id], include=["documents"])
        if not result["ids"]:
            raise DocumentNotFoundError(f"no document with id {doc_id!r}")
        return str((result["documents"] or [""])[0])

    def _forget_text(self, doc_id: str) -> None:
        # lru_cache cannot drop one key; clearing is cheap and writes are rare next to reads.
        self._text_cache.cache_clear()

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        if not ids:
            return []
        result = self.chunks.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {
            chunk_id: _chunk_from(chunk_id, text or "", dict(meta or {}))
            for chunk_id, text, meta in zip(
                result["ids"], result["documents"] or [], result["metadatas"] or [], strict=True
            )
        }
        return [by_id[i] for i in ids if i in by_id]

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        result = self.chunks.get(where={"doc_id": doc_id}, include=["documents", "metadatas"])
        chunks = [
            _chunk_from(chunk_id, text or "", dict(meta or {}))
            for chunk_id, text, meta in zip(
                result["ids"], result["documents"] or [], result["metadatas"] or [], strict=True
            )
        ]
        return sorted(chunks, key=lambda c: c.n)

    def dense_search(
        self, vector: Vectors, n: int, where: dict[str, Any] | None = None, *, explore: int = 0
    ) -> list[ChunkHit]:
        """The `n` chunks nearest to `vector`.

        Chroma's HNSW search explores max(ef_search, n_results) candidates, and with the default it can
        miss the true nearest passage entirely (measured: a chunk at cosine 0.48 absent from the top 400
        while found first with 600). Asking for `explore` ids (distances only, which is cheap) widens
        the search; only the best `n` are then read in full.
        """
        total = self.chunks.count()
        if total == 0 or n <= 0:
            return []
        wide = min(max(n, explore), total)
        result = self.chunks.query(
            query_embeddings=np.asarray([vector], dtype=np.float32),
            n_results=wide,
            where=where,
            include=["distances"],
        )
        ids = result["ids"][0][:n]
        similarity = {
            cid: 1.0 - float(d) for cid, d in zip(ids, (result["distances"] or [[]])[0], strict=False)
        }
        return [ChunkHit(chunk, similarity[chunk.id]) for chunk in self.get_chunks(ids)]

    def count_chunks(self) -> int:
        return int(self.chunks.count())

    def count_documents(self) -> int:
        return int(self.documents.count())

    def size_on_disk(self) -> int | None:
        if self.mode != "embedded":
            return None
        total = 0
        for folder, _dirs, files in os.walk(self.settings.store):
            for name in files:
                try:
                    total += os.path.getsize(os.path.join(folder, name))
                except OSError:
                    continue
        return total

    def reset_chunks(self, *, model_name: str, dimension: int) -> None:
        """Drop every vector and start the chunk collection again for another model (reindex)."""
        self.client.delete_collection(self.chunks.name)
        self.model_name = model_name
        self.dimension = dimension
        self.chunks = self.client.get_or_create_collection(
            f"{self.settings.collection}-chunks",
            metadata={"embedding_model": model_name, "embedding_dim": dimension, "revision": "empty"},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )

    def keyword_dir(self) -> Path:
        """Where the keyword index for this store is cached."""
        if self.mode == "embedded":
            return Path(self.settings.store) / "keyword-index"
        base = (
            self.settings.cache_dir
            or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "talentqa"
        )
        safe = "".join(ch if ch.isalnum() else "_" for ch in (self.settings.chroma_url or ""))
        return Path(base) / f"keyword-{safe}-{self.settings.collection}"


def delete_store_folder(path: Path) -> None:
    """Remove an embedded store folder (used by tests and `reindex --fresh`)."""
    shutil.rmtree(path, ignore_errors=True)
