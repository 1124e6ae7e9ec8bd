"""The Chroma store behind one small interface, in embedded or server mode.

Two collections: `<name>-chunks` (passages with their vectors and offsets) and `<name>-documents` (one
record per article holding its full normalised text, against which quotes are verified).

Embedded mode (`PersistentClient`) is not safe for two processes on one folder, so it takes an exclusive
lock and a second process fails at once. Server mode (`HttpClient`) is how several processes share a store.

The chunks collection's metadata records the embedding model and dimension, and a `revision` token
replaced after every write (so a keyword index can tell it is stale, even when another process wrote).

Writers (ingest, reindex) leave a marker each in `<name>-runs` while they work, and every chunk names the
run that wrote it. A marker that outlives its run (a crash, `kill -9`, an error) tells the next run to
repair: it deletes chunks that no record accounts for, but only those whose writer is provably gone (its
marker closed, or its process dead), so concurrent writers on one server never delete each other's work;
and it restores articles whose record claims chunks the store lacks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import ipaddress
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import urlparse

import numpy as np
from filelock import FileLock, Timeout

from talentqa.dates import parse_date
from talentqa.errors import (
    ConfigError,
    DocumentNotFoundError,
    ModelMismatchError,
    StoreError,
    StoreLockedError,
    StoreMissingError,
)
from talentqa.models import Article, Chunk, DocumentInfo
from talentqa.paths import how_to_ingest, user_cache_dir
from talentqa.settings import Settings
from talentqa.store.script import SCRIPT_KEY, text_script

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from talentqa.embeddings import Vectors

LOCK_NAME = ".talentqa.lock"
# Chroma needs a vector per record; article records are looked up by id only, so one constant suffices.
_RECORD_VECTOR = [1.0]

RunKind = Literal["ingest", "reindex"]

HEARTBEAT_SECONDS = 30.0
"""A writer re-announces itself at least this often while it works."""
RUN_LEASE_SECONDS = 900.0
"""A writer on another machine (whose process cannot be checked) that has not announced itself for this
long is taken for dead, and what it left unfinished is repaired."""

# The runs this process has open, across every store it holds (one process may hold several on a server).
_ACTIVE_RUNS: set[str] = set()
# Embedded stores (by folder) whose write failed on a full disk in this process. Chroma can keep that
# write's SQLite transaction open on a pooled connection, and its busy timeout is 1000 s: a later write
# of this process (the bot's next /ingest, say) would wait that long. Such writes are refused at once.
_STUCK_WRITES: dict[str, str] = {}


# --- failures ---------------------------------------------------------------------------------------------
#
# Whatever goes wrong below talentqa (a server that went away, a full disk, a read-only folder, a damaged
# database) surfaces from here as a StoreError saying what happened to which store, so the CLI prints one
# line and the bot its store reply. Programming errors (TypeError, AttributeError, a ValueError from
# Chroma's argument checks) are left alone: translating them would hide bugs behind a friendly message.

_SQLITE_DAMAGED = ("(code: 11)", "(code: 26)", "malformed", "not a database")
_SQLITE_READ_ONLY = ("(code: 8)", "readonly database", "read-only")
_SQLITE_FULL = ("(code: 13)", "disk is full")


def _is_disk_full(error: StoreError) -> bool:
    return "is full; free some space" in str(error)  # as `describe_failure` words a full disk


def _is_panic(exc: BaseException) -> bool:
    """Chroma's Rust core reports a failed invariant (a damaged database, say) as pyo3's PanicException,
    a BaseException that no `except Exception` sees. It has no importable home, so it is known by name."""
    return type(exc).__name__ == "PanicException" and type(exc).__module__ in {"pyo3_runtime", "builtins"}


def _is_store_failure(exc: BaseException) -> bool:
    import httpx
    from chromadb.errors import ChromaError

    if isinstance(exc, ChromaError | OSError | httpx.HTTPError | httpx.InvalidURL) or _is_panic(exc):
        return True
    # Chroma's HTTP client raises a bare Exception carrying the server's reply when it cannot map the
    # reply to one of its errors, and a ValueError ("Could not connect to a Chroma server") in place of
    # httpx's ConnectError when it checks the tenant.
    return type(exc) in {Exception, ValueError} and isinstance(exc.__context__, httpx.HTTPError)


def describe_failure(exc: BaseException, location: str, *, server: bool) -> str:
    """One line saying what happened to the store at `location`, and what to do about it."""
    import httpx

    text = str(exc).strip() or exc.__class__.__name__
    low = text.lower()
    if isinstance(exc, httpx.TransportError) or isinstance(exc.__context__, httpx.TransportError):
        return (
            f"lost the connection to the Chroma server at {location} ({exc.__class__.__name__}: {text}); "
            "is `chroma run` still running?"
        )
    if server:
        return f"the Chroma server at {location} failed: {text}"
    if (
        isinstance(exc, OSError)
        and exc.errno in {errno.ENOSPC, errno.EDQUOT}
        or any(mark in low for mark in _SQLITE_FULL)
    ):
        return f"the disk holding the store {location} is full; free some space and run the command again"
    if (
        isinstance(exc, OSError)
        and exc.errno in {errno.EROFS, errno.EACCES, errno.EPERM}
        or any(mark in low for mark in _SQLITE_READ_ONLY)
    ):
        return (
            f"the store {location} is read-only or not writable by this user ({text}); "
            "talentqa needs write access to it"
        )
    if _is_panic(exc) or any(mark in low for mark in _SQLITE_DAMAGED):
        return (
            f"the store {location} is damaged ({text.splitlines()[0][:200]}); restore it from a backup, "
            "or move it aside and ingest the articles again"
        )
    return f"the store {location} failed: {text.splitlines()[0][:300]}"


@contextlib.contextmanager
def translated(location: str, *, server: bool) -> Iterator[None]:
    """Store and transport failures inside become a StoreError; everything else passes untouched."""
    try:
        yield
    except StoreError:
        raise
    except BaseException as exc:
        if not _is_store_failure(exc):
            raise
        raise StoreError(describe_failure(exc, location, server=server)) from exc


class _Guarded:
    """A Chroma client or collection whose every call raises StoreError for store and transport failures.

    Wrapping the objects rather than each Store method covers every call, generators included, and the
    collections a guarded client hands out."""

    def __init__(
        self,
        target: Any,
        location: str,
        server: bool,
        failed: Callable[[StoreError], None] | None = None,
    ) -> None:
        self._target = target
        self._location = location
        self._server = server
        self._failed = failed
        """Told of every call that failed with a StoreError."""

    def __getattr__(self, name: str) -> Any:
        with translated(self._location, server=self._server):
            value = getattr(self._target, name)
        if not callable(value):
            return value

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                with translated(self._location, server=self._server):
                    result = value(*args, **kwargs)
            except StoreError as exc:
                if self._failed is not None:
                    self._failed(exc)
                raise
            from chromadb.api.models.Collection import Collection

            if isinstance(result, Collection):
                return _Guarded(result, self._location, self._server, self._failed)
            return result

        return call


@dataclass(frozen=True)
class ChunkHit:
    chunk: Chunk
    score: float


@dataclass(frozen=True)
class StoredRecord:
    """An article record's metadata, with the file its id was taken from ("" when not from a file name)."""

    info: DocumentInfo
    origin: str


@dataclass(frozen=True)
class RunMarker:
    run_id: str
    kind: str
    status: str
    """"open" while the run works; "failed" once it stopped on an error."""
    host: str
    machine: str
    pid: int
    pstart: str
    started: str
    heartbeat: float

    def describe(self) -> str:
        return f"{self.kind} by process {self.pid} on {self.host}, started {self.started}"


@dataclass(frozen=True)
class RunStart:
    """What `Store.begin_run` found: runs that stopped without finishing leave repairs to this one."""

    run_id: str
    unfinished: tuple[str, ...]
    legacy: bool
    """The crash marker of a talentqa from before per-run markers was set."""

    @property
    def interrupted(self) -> bool:
        return bool(self.unfinished) or self.legacy


def _machine() -> str:
    """This host, boot and PID namespace: where a process id names the same process as here."""
    parts = [socket.gethostname()]
    with contextlib.suppress(OSError):
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
    with contextlib.suppress(OSError):
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))
    return "/".join(parts)


_MACHINE = _machine()


def _process_start(pid: int) -> str:
    """When a process started (clock ticks since boot, Linux); "" if it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()
    if len(fields) < 20 or fields[0] in {"Z", "X"}:
        return ""
    return fields[19]


def _process_alive(pid: int, start: str) -> bool:
    if pid <= 0:
        return False
    if Path("/proc/self/stat").exists():
        # Process ids are reused: the start time tells the writer from a newcomer with its id.
        return bool(start) and _process_start(pid) == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _date_str(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


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


def chunk_metadata(chunk: Chunk, content_hash: str, run_id: str) -> dict[str, str | int | float | bool]:
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
            "outlet": chunk.outlet,
            "content_hash": content_hash,
            # The writing system ("han", "latin", ...): retrieval ranks each script's passages among
            # themselves too, as a multilingual model favours a question's own language (store/script.py).
            SCRIPT_KEY: text_script(chunk.text),
            # The writer: a repair deletes a chunk only when this run is provably gone, and names it in
            # the delete, so a chunk another process has rewritten since is left alone.
            "run": run_id,
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
        published=parse_date(meta.get("published")),
        outlet=meta.get("outlet") or None,
    )


def _info_from(doc_id: str, meta: dict[str, Any]) -> DocumentInfo:
    return DocumentInfo(
        doc_id=doc_id,
        title=str(meta.get("title", "")),
        url=meta.get("url") or None,
        author=meta.get("author") or None,
        published=parse_date(meta.get("published")),
        outlet=meta.get("outlet") or None,
        source=str(meta.get("source", "")),
        chunks=int(meta.get("chunks", 0)),
        chars=int(meta.get("chars", 0)),
        content_hash=str(meta.get("content_hash", "")),
        ingested_at=str(meta.get("ingested_at", "")),
    )


def build_where(
    sources: Sequence[str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    *,
    script: str | None = None,
    not_scripts: Sequence[str] = (),
) -> dict[str, Any] | None:
    """A Chroma `where` filter for chunk metadata. `script`: only chunks written in it; `not_scripts`: no
    chunks written in those (chunks stored before scripts were recorded pass, as do chunks of no letters)."""
    clauses: list[dict[str, Any]] = []
    if script:
        clauses.append({SCRIPT_KEY: script})
    if not_scripts:
        clauses.append({SCRIPT_KEY: {"$nin": list(not_scripts)}})
    if sources:
        clauses.append({"doc_id": {"$in": list(sources)}})
    if since:
        clauses.append({"published_ord": {"$gte": since.toordinal()}})
    if until:
        clauses.append({"published_ord": {"$lte": until.toordinal()}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def parse_chroma_url(url: str) -> tuple[str, int, bool]:
    """Host, port and TLS of a Chroma server URL; a ConfigError for anything else."""
    try:
        parsed = urlparse(url)
        host, port = parsed.hostname, parsed.port
    except ValueError as exc:  # urllib's own complaint: "Invalid IPv6 URL", "Port out of range"
        raise ConfigError(f"invalid Chroma URL {url!r} ({exc}): expected http://host:port") from None
    if parsed.scheme not in {"http", "https"} or not host:
        raise ConfigError(f"invalid Chroma URL {url!r}: expected http://host:port")
    if host.replace(".", "").isdigit():  # Chroma raises a bare ValueError for 256.256.256.256
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ConfigError(f"invalid Chroma URL {url!r}: {host} is not an IP address") from None
    return host, port or (443 if parsed.scheme == "https" else 8000), parsed.scheme == "https"


def _chroma_segment(path: Path) -> bool:
    """A folder Chroma keeps one collection's vector index in: its name is a UUID."""
    try:
        uuid.UUID(path.name)
    except ValueError:
        return False
    return path.is_dir()


def check_store_files(folder: Path) -> None:
    """Refuse a store folder whose database is gone while its other files remain: Chroma would quietly
    start an empty store there, and every read would say the sources don't say."""
    database = folder / "chroma.sqlite3"
    try:
        if not folder.is_dir() or (database.is_file() and database.stat().st_size > 0):
            return
        leftovers = [p.name for p in folder.iterdir() if _chroma_segment(p) or p.name == "keyword-index"]
    except OSError as exc:
        raise StoreError(describe_failure(exc, str(folder.resolve()), server=False)) from exc
    if leftovers:
        state = "is empty" if database.exists() else "is missing"
        raise StoreError(
            f"the store {folder.resolve()} is damaged: its database chroma.sqlite3 {state} but other store "
            "files remain; restore it from a backup, or move the folder aside and ingest the articles again"
        )


def _require_store_folder(folder: Path) -> None:
    """A StoreMissingError unless `folder` holds a store (its database; a bare folder, such as the
    checkout's `vectorstore/` before the first ingest, is no store yet)."""
    try:
        exists = (folder / "chroma.sqlite3").is_file()
    except OSError as exc:
        raise StoreError(describe_failure(exc, str(folder.resolve()), server=False)) from exc
    if not exists:
        raise StoreMissingError(
            f"no store exists at {folder.resolve()}: nothing has been ingested there yet; "
            f"{how_to_ingest()}, or point --store / TALENTQA_STORE at an existing store"
        )


def _require_server_store(client: ClientAPI, url: str, collection: str) -> None:
    """A StoreMissingError unless the server holds this store's chunks collection."""
    from chromadb.errors import NotFoundError

    with translated(url, server=True):  # lets the StoreMissingError through, translates the rest
        try:
            client.get_collection(f"{collection}-chunks", embedding_function=None)
        except NotFoundError:
            raise StoreMissingError(
                f"the Chroma server at {url} holds no talentqa store named {collection!r}: nothing "
                f"has been ingested there yet; {how_to_ingest()} with the same --chroma-url"
            ) from None


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
        self.settings = settings
        server = settings.mode == "server"
        where = settings.chroma_url or str(Path(settings.store).resolve())
        self._where = where
        self._store_failed = False
        """A call to the embedded store failed since the current run began (see `fail_run`)."""
        self.client: ClientAPI = cast(
            "ClientAPI", _Guarded(client, where, server, None if server else self._note_failure)
        )
        self.model_name = model_name
        self.dimension = dimension
        self._lock = lock
        self._closed = False
        self.max_batch = max(1, int(self.client.get_max_batch_size()))
        prefix = settings.collection
        self.chunks: Collection = self.client.get_or_create_collection(
            f"{prefix}-chunks",
            metadata={"embedding_model": model_name, "embedding_dim": dimension, "revision": "empty"},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        self.documents: Collection = self.client.get_or_create_collection(
            f"{prefix}-documents", metadata={"kind": "articles"}, embedding_function=None
        )
        self.runs: Collection = self.client.get_or_create_collection(
            f"{prefix}-runs", metadata={"kind": "writers"}, embedding_function=None
        )
        self._own_runs: dict[str, tuple[str, str]] = {}
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
        create: bool = True,
    ) -> Store:
        """Open the configured store. With `create=False` (every command that only reads) a store that
        does not exist yet is a StoreMissingError rather than a new empty one: a mistyped or unexpected
        path must not quietly answer "the sources don't say" from nothing."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        name = model_name or settings.embedding.model
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if settings.chroma_url:
            url = settings.chroma_url
            host, port, ssl = parse_chroma_url(url)
            try:
                with translated(url, server=True):
                    client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)
                    client.heartbeat()
            except StoreError as exc:
                cause = exc.__cause__
                raise StoreError(
                    f"cannot reach the Chroma server at {url} ({cause.__class__.__name__}); "
                    "is `chroma run --path vectorstore` running?"
                ) from cause
            if not create:
                _require_server_store(client, url, settings.collection)
            return cls(client, settings, model_name=name, dimension=dimension, check_model=check_model)

        folder = Path(settings.store)
        where = str(folder.resolve())
        check_store_files(folder)
        if not create:
            _require_store_folder(folder)
        with translated(where, server=False):
            folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(folder / LOCK_NAME), is_singleton=False)
        with translated(where, server=False):
            try:
                lock.acquire(timeout=0)
            except Timeout:  # a TimeoutError, so an OSError: told apart before any other failure
                raise StoreLockedError(
                    f"the store {folder} is in use by another talentqa process "
                    "(embedded Chroma is single-process). "
                    "Stop the other process, or run a Chroma server (`chroma run --path "
                    f"{folder}`) and point every process at it with "
                    "TALENTQA_CHROMA_URL=http://localhost:8000 or --chroma-url."
                ) from None
        try:
            with translated(where, server=False):
                client = chromadb.PersistentClient(path=str(folder), settings=chroma_settings)
            return cls(
                client, settings, model_name=name, dimension=dimension, lock=lock, check_model=check_model
            )
        except BaseException:
            # Whatever stopped the opening (a damaged store's panic included), the folder is let go.
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

    # --- writers ------------------------------------------------------------------------------------------

    def begin_run(self, kind: RunKind = "ingest") -> RunStart:
        """Announce a writer. A reindex replaces every vector, so it runs alone: it is refused while
        another writer works, and an ingest is refused while a reindex works."""
        self._check_writable()
        run_id = uuid.uuid4().hex
        self._store_failed = False
        self._own_runs[run_id] = (kind, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        _ACTIVE_RUNS.add(run_id)
        try:
            # Announce first, then look: of two writers starting together, each sees the other.
            self._announce(run_id, "open")
            others = [m for m in self._markers() if m.run_id != run_id]
        except BaseException:
            self._own_runs.pop(run_id, None)
            _ACTIVE_RUNS.discard(run_id)
            with contextlib.suppress(StoreError):  # the store is what failed; that error is raised
                self.runs.delete(ids=[run_id])
            raise
        alive = {m.run_id: self._alive(m) for m in others}
        live = [m for m in others if alive[m.run_id]]
        clash = live if kind == "reindex" else [m for m in live if m.kind == "reindex"]
        if clash:
            self._retire(run_id)
            if kind == "reindex":
                raise StoreError(
                    f"cannot reindex while another process writes to this store ({clash[0].describe()}); "
                    "run it again once that has finished"
                )
            raise StoreError(
                f"a reindex is rebuilding this store ({clash[0].describe()}); "
                "ingest again once it has finished"
            )
        unfinished = tuple(m.run_id for m in others if not alive[m.run_id])
        return RunStart(run_id, unfinished, legacy=bool(self._meta().get("ingest_open")))

    def heartbeat(self, run_id: str) -> None:
        """Still at work. Re-announces a run that another process took for dead after a long silence."""
        self._announce(run_id, "open")

    def end_run(self, run_id: str, *, settled: Sequence[str] = (), legacy: bool = False) -> None:
        """Close a run that finished, with the unfinished runs (and legacy marker) whose leftovers it
        repaired."""
        ids = [run_id, *settled]
        for i in range(0, len(ids), self.max_batch):
            self.runs.delete(ids=ids[i : i + self.max_batch])
        self._own_runs.pop(run_id, None)
        _ACTIVE_RUNS.discard(run_id)
        changes: dict[str, Any] = {"revision": uuid.uuid4().hex}
        if legacy:
            changes["ingest_open"] = ""
        self._set_meta(**changes)

    def fail_run(self, run_id: str) -> None:
        """A run stopped on an error: its marker stays, marked failed, so the next run repairs what it
        left; readers see what it wrote."""
        _ACTIVE_RUNS.discard(run_id)
        # The store may be what failed: the caller's exception is the one that matters, and a marker
        # left "open" is still repaired (by this process at once, by others once it exits).
        if self._store_failed:
            # Embedded, after a call failed (a full disk, say): Chroma can keep the failed write's
            # SQLite transaction open on one of its pooled connections, and any later write then waits
            # on that lock for Chroma's busy timeout (1000 s). So no more writes: the marker stays
            # "open", and as this process holds the store's lock, the next run takes it for unfinished
            # and repairs, as after a crash.
            self._own_runs.pop(run_id, None)
            return
        with contextlib.suppress(StoreError):
            self._announce(run_id, "failed")
            self.bump_revision()
        self._own_runs.pop(run_id, None)

    def _note_failure(self, error: StoreError) -> None:
        self._store_failed = True
        if _is_disk_full(error):
            _STUCK_WRITES[self._where] = str(error)

    def _check_writable(self) -> None:
        """Refuse a write that would queue behind a failed write's lock (see `_STUCK_WRITES`)."""
        if self._where in _STUCK_WRITES:
            raise StoreError(
                f"an earlier write to the store {self._where} failed in this process because the disk was "
                "full, and the store may still hold that write's lock (a new write could wait up to 17 "
                "minutes for it): free some space and restart talentqa (or the bot) to write again; "
                "questions are still answered"
            )

    def live_runs(self) -> set[str]:
        """Ids of the runs still at work (this process's included)."""
        return {m.run_id for m in self._markers() if self._alive(m)}

    def _announce(self, run_id: str, status: str) -> None:
        kind, started = self._own_runs.get(run_id, ("ingest", ""))
        pid = os.getpid()
        self.runs.upsert(
            ids=[run_id],
            embeddings=np.asarray([_RECORD_VECTOR], dtype=np.float32),
            metadatas=[
                {
                    "kind": kind,
                    "status": status,
                    "host": socket.gethostname(),
                    "machine": _MACHINE,
                    "pid": pid,
                    "pstart": _process_start(pid),
                    "started": started,
                    "heartbeat": time.time(),
                }
            ],
        )

    def _retire(self, run_id: str) -> None:
        self.runs.delete(ids=[run_id])
        self._own_runs.pop(run_id, None)
        _ACTIVE_RUNS.discard(run_id)

    def _markers(self) -> list[RunMarker]:
        result = self.runs.get(include=["metadatas"])
        markers = []
        for run_id, raw in zip(result["ids"], result["metadatas"] or [], strict=True):
            meta: dict[str, Any] = dict(raw or {})
            markers.append(
                RunMarker(
                    run_id=run_id,
                    kind=str(meta.get("kind", "ingest")),
                    status=str(meta.get("status", "open")),
                    host=str(meta.get("host", "")),
                    machine=str(meta.get("machine", "")),
                    pid=int(meta.get("pid", 0)),
                    pstart=str(meta.get("pstart", "")),
                    started=str(meta.get("started", "")),
                    heartbeat=float(meta.get("heartbeat", 0.0)),
                )
            )
        return markers

    def _alive(self, marker: RunMarker) -> bool:
        """Whether a run may still write. Wrong answers cost: "dead" for a live writer deletes its work,
        so only evidence makes a run dead."""
        if marker.status != "open":
            return False
        if marker.machine == _MACHINE and marker.pid == os.getpid():
            # This process knows its own runs, including one whose "failed" mark could not be written.
            return marker.run_id in _ACTIVE_RUNS
        if self._lock is not None:
            return False  # embedded: this process holds the exclusive lock, so no other one writes
        if marker.machine == _MACHINE:
            return _process_alive(marker.pid, marker.pstart)
        return time.time() - marker.heartbeat < RUN_LEASE_SECONDS

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

    def records(self, doc_ids: Sequence[str] | None = None) -> dict[str, StoredRecord]:
        """Article records among `doc_ids` (all of them when None), in id order."""
        if doc_ids is None:
            pairs: Iterator[tuple[str, dict[str, Any]]] = self._iter_document_records()
        else:
            pairs = self._document_records(doc_ids)
        found = {
            doc_id: StoredRecord(_info_from(doc_id, meta), str(meta.get("origin", "") or ""))
            for doc_id, meta in pairs
        }
        return dict(sorted(found.items()))

    def _document_records(self, doc_ids: Sequence[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        unique = list(dict.fromkeys(doc_ids))
        for i in range(0, len(unique), self.max_batch):
            result = self.documents.get(ids=unique[i : i + self.max_batch], include=["metadatas"])
            for doc_id, meta in zip(result["ids"], result["metadatas"] or [], strict=True):
                yield doc_id, dict(meta or {})

    def set_origins(self, origins: Mapping[str, str]) -> None:
        """Record which file each article's name-derived id now comes from (the file moved)."""
        items = list(origins.items())
        for i in range(0, len(items), self.max_batch):
            part = items[i : i + self.max_batch]
            self.documents.update(
                ids=[doc_id for doc_id, _ in part], metadatas=[{"origin": origin} for _, origin in part]
            )

    def present_chunk_ids(self, chunk_ids: Sequence[str]) -> set[str]:
        """Which of these chunk ids are stored (a lookup by id: cheap even on a large store)."""
        present: set[str] = set()
        unique = list(dict.fromkeys(chunk_ids))
        for i in range(0, len(unique), self.max_batch):
            present.update(self.chunks.get(ids=unique[i : i + self.max_batch], include=[])["ids"])
        return present

    def upsert_chunks(self, items: Sequence[tuple[Chunk, str]], vectors: Vectors, *, run_id: str) -> None:
        """Write chunks (with their article's content hash and their writer) in batches Chroma accepts."""
        if len(items) != len(vectors):
            raise StoreError("chunks and vectors differ in number")
        for i in range(0, len(items), self.max_batch):
            part = items[i : i + self.max_batch]
            self.chunks.upsert(
                ids=[chunk.id for chunk, _ in part],
                embeddings=np.asarray(vectors[i : i + self.max_batch], dtype=np.float32),
                documents=[chunk.text for chunk, _ in part],
                metadatas=[chunk_metadata(chunk, digest, run_id) for chunk, digest in part],
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
                            "outlet": article.outlet,
                            "source": article.source,
                            "content_hash": article.content_hash,
                            "chunks": count,
                            "chars": len(article.text),
                            "ingested_at": now,
                            # Set (or cleared) every time: Chroma merges metadata on upsert.
                            "origin": getattr(article, "origin", "") or "",
                        }
                    )
                    for article, count in part
                ],
            )
        for article, _ in articles:
            self._forget_text(article.doc_id)

    def delete_stale_chunks(self, doc_ids: Sequence[str], run_id: str) -> int:
        """After this run wrote these articles (chunks, then records): delete their chunks that the
        records do not account for, such as an old version's. Returns how many.

        The records are read again, since another writer may have replaced one since; and chunks that
        another writer still at work has written are left to it: its records may not be written yet.
        """
        unique = list(dict.fromkeys(doc_ids))
        if not unique:
            return 0
        live = self.live_runs() - {run_id}
        current = self.stored_hashes(unique)
        stale: list[tuple[str, str]] = []
        for i in range(0, len(unique), self.max_batch):
            part = unique[i : i + self.max_batch]
            where: Any = {"doc_id": {"$in": part}}
            result = self.chunks.get(where=where, include=["metadatas"])
            for chunk_id, raw in zip(result["ids"], result["metadatas"] or [], strict=True):
                meta = dict(raw or {})
                writer = str(meta.get("run", ""))
                if current.get(str(meta.get("doc_id"))) == meta.get("content_hash") or writer in live:
                    continue
                stale.append((chunk_id, writer))
        self._delete_written_by(stale)
        return len(stale)

    def drop_superseded(self, written: Mapping[str, str], run_id: str) -> int:
        """After a run closed: its chunks of articles whose record another run has replaced since."""
        current = self.stored_hashes(list(written))
        gone = [(doc_id, digest) for doc_id, digest in written.items() if current.get(doc_id) != digest]
        for doc_id, digest in gone:
            where: Any = {"$and": [{"doc_id": doc_id}, {"content_hash": digest}, {"run": run_id}]}
            self.chunks.delete(where=where)
        return len(gone)

    def remove(self, doc_id: str) -> None:
        self._check_writable()
        if not self.documents.get(ids=[doc_id], include=[])["ids"]:
            raise DocumentNotFoundError(f"no document with id {doc_id!r} (see `talentqa sources list`)")
        # Chunks first: a crash in between leaves the record, and a retry finishes the job.
        self.chunks.delete(where={"doc_id": doc_id})
        self.documents.delete(ids=[doc_id])
        self._forget_text(doc_id)
        self.bump_revision()

    def sweep_orphans(self) -> int:
        """Delete chunks that no article record accounts for and whose writer is gone (left by a crash).
        Returns how many.

        A writer stores chunks before their record, so a chunk without a record may be work in progress.
        Only what is provably orphaned goes: the chunks are listed, then the writers still at work are
        read, then the records of the suspects are read again; a chunk goes only if its writer was no
        longer at work and its record, read after that, still does not account for it. The delete names
        the writer, so a chunk that another run has rewritten in the meantime stays.
        """
        accounted = {doc_id: info.content_hash for doc_id, info in self._iter_document_meta()}
        suspects = [
            (chunk_id, str(meta.get("doc_id")), str(meta.get("content_hash")), str(meta.get("run", "")))
            for chunk_id, meta in self.iter_chunk_meta()
            if accounted.get(str(meta.get("doc_id"))) != meta.get("content_hash")
        ]
        if not suspects:
            return 0
        live = self.live_runs()
        suspects = [suspect for suspect in suspects if suspect[3] not in live]
        current = self.stored_hashes([doc_id for _, doc_id, _, _ in suspects])
        orphans = [
            (chunk_id, writer)
            for chunk_id, doc_id, digest, writer in suspects
            if current.get(doc_id) != digest
        ]
        self._delete_written_by(orphans)
        return len(orphans)

    def _delete_written_by(self, chunks: Sequence[tuple[str, str]]) -> None:
        """Delete (chunk id, writer) pairs; a chunk since rewritten by another run is kept."""
        by_writer: dict[str, list[str]] = {}
        for chunk_id, writer in chunks:
            by_writer.setdefault(writer, []).append(chunk_id)
        for writer, ids in by_writer.items():
            where: Any = {"run": writer}
            if not writer:
                # Written before writers were named. Chroma cannot test for a missing key, but `$nin`
                # matches one: every run with a marker now is excluded, and any run starts with one.
                markers = [m.run_id for m in self._markers()]
                where = {"run": {"$nin": markers}} if markers else None
            for i in range(0, len(ids), self.max_batch):
                self.chunks.delete(ids=ids[i : i + self.max_batch], where=where)

    # --- reading ------------------------------------------------------------------------------------------

    def _iter_document_meta(self) -> Iterator[tuple[str, DocumentInfo]]:
        for doc_id, meta in self._iter_document_records():
            yield doc_id, _info_from(doc_id, meta)

    def _iter_document_records(self) -> Iterator[tuple[str, dict[str, Any]]]:
        page = 1000
        offset = 0
        while True:
            result = self.documents.get(include=["metadatas"], limit=page, offset=offset)
            ids = result["ids"]
            for doc_id, meta in zip(ids, result["metadatas"] or [], strict=True):
                yield doc_id, dict(meta or {})
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

    def titles(self) -> list[tuple[str, str]]:
        """(id, title) of every stored article, for the prefix catalog (`talentqa.catalog`)."""
        return [(doc_id, str(meta.get("title", "") or "")) for doc_id, meta in self._iter_document_records()]

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
        if n <= 0:
            return []
        # No count() first to cap n_results: Chroma returns what there is (none from an empty collection),
        # and a count costs a tenth of the whole search at 100k chunks.
        wide = max(n, explore)
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
        base = self.settings.cache_dir or user_cache_dir()
        safe = "".join(ch if ch.isalnum() else "_" for ch in (self.settings.chroma_url or ""))
        return Path(base) / f"keyword-{safe}-{self.settings.collection}"
