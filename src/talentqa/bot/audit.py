"""The audit log: who ingested or forgot what, when, and what came of it.

One JSON object per line (JSON Lines), appended to `settings.bot.audit_log`, one line per
`/ingest` or `/forget` attempt, refused attempts included, so that the log answers "who put this
article in (or took it out), and who tried to without being allowed". Appending whole lines keeps
it greppable and `jq`-friendly and means a crash can at worst leave one partial last line, which
`read_audit` skips rather than losing the rest of the log.

A record:

    {"at": "2024-05-02T09:14:03.512+00:00", "command": "ingest", "target": "https://…",
     "user_id": 7001, "user_name": "ana", "guild_id": 8001, "channel_id": 8010,
     "outcome": "ok", "detail": "added 1", "documents": [{"doc_id": "…", "status": "added", …}]}

`outcome` is one of `Outcome`; `detail` says why in words.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

log = logging.getLogger("talentqa.bot")

# ok: done; partial: some articles of a feed failed; failed: nothing ingested, or no such article;
# refused: not allowed or not a usable URL (the service was not called); error: an unexpected failure;
# timeout: still running when the bot stopped waiting (it may yet finish).
Outcome = Literal["ok", "partial", "failed", "refused", "error", "timeout"]


class AuditDocument(BaseModel):
    """One article an attempt touched."""

    doc_id: str | None = None
    title: str | None = None
    status: str = Field(description="added | updated | unchanged | failed | reindexed | removed")
    chunks: int = 0
    reason: str | None = None


class AuditRecord(BaseModel):
    """One attempt to change the library from Discord."""

    at: str = Field(description="When, in UTC, ISO 8601.")
    command: Literal["ingest", "forget"]
    target: str = Field(description="The URL given to /ingest or the document id given to /forget.")
    user_id: int
    user_name: str
    guild_id: int | None = None
    channel_id: int | None = None
    outcome: Outcome
    detail: str = ""
    documents: list[AuditDocument] = Field(default_factory=list)


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class AuditLog:
    """Appends records to one JSON Lines file; safe to call from several worker threads at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, record: AuditRecord) -> None:
        """Write one line and sync it to disk (blocking: call it off the event loop).

        Raises OSError when the file cannot be written; the caller decides what that means.
        """
        line = record.model_dump_json() + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One write of one whole line in append mode, so lines from this and other writers never
            # interleave; fsync because an audit entry that a power cut can undo is not much of one.
            with open(self.path, "a", encoding="utf-8") as file:
                file.write(line)
                file.flush()
                os.fsync(file.fileno())

    def read(self) -> list[AuditRecord]:
        return read_audit(self.path)


def read_audit(path: Path) -> list[AuditRecord]:
    """Every record in the log, oldest first; [] when there is no log yet.

    A line that is not a valid record (a partial last line after a crash, a hand edit) is skipped
    with a warning naming its line number, so one bad line never hides the others.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    records: list[AuditRecord] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(AuditRecord.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            log.warning("%s line %d is not an audit record, skipped: %s", path, number, exc)
    return records
