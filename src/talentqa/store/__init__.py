"""Where chunks live: the Chroma store (chroma.py) and the BM25 keyword index built beside it (keyword.py)."""

from talentqa.store.chroma import (
    HEARTBEAT_SECONDS,
    LOCK_NAME,
    RUN_LEASE_SECONDS,
    ChunkHit,
    RunKind,
    RunMarker,
    RunStart,
    Store,
    StoredRecord,
    build_where,
    check_store_files,
    chunk_metadata,
    describe_failure,
    parse_chroma_url,
    sanitise_metadata,
    translated,
)
from talentqa.store.keyword import KeywordIndex, KeywordIndexCache

__all__ = [
    "HEARTBEAT_SECONDS",
    "LOCK_NAME",
    "RUN_LEASE_SECONDS",
    "ChunkHit",
    "KeywordIndex",
    "KeywordIndexCache",
    "RunKind",
    "RunMarker",
    "RunStart",
    "Store",
    "StoredRecord",
    "build_where",
    "check_store_files",
    "chunk_metadata",
    "describe_failure",
    "parse_chroma_url",
    "sanitise_metadata",
    "translated",
]
