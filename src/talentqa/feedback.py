"""A local log of what users thought of answers, for the evaluation to read later.

Front-ends (today the Discord bot's "Helpful" and "Wrong citation" buttons) call
`FeedbackStore.record`; the evaluation calls `list_feedback`. One SQLite file
(`settings.bot.feedback_db`), one table, schema version 1 (`PRAGMA user_version`):

    feedback
      id            INTEGER PRIMARY KEY     insertion order
      created_at    TEXT    NOT NULL        ISO 8601, UTC
      kind          TEXT    NOT NULL        'helpful' | 'wrong_citation'
      question      TEXT    NOT NULL        the question as asked
      answer        TEXT    NOT NULL        the answer text as shown
      abstained     INTEGER NOT NULL        1 when the answer was an abstention
      answerer      TEXT    NOT NULL        'extractive' | 'llm'
      citation_ids  TEXT    NOT NULL        JSON list of the citations shown, each "doc_id:start-end"
      flagged_ids   TEXT    NOT NULL        JSON list of the citations marked wrong ([] for 'helpful')
      answer_key    TEXT    NOT NULL        which shown answer the click was on
      user_id       TEXT    NOT NULL        who clicked (a Discord user id)
      channel_id    TEXT                    where (a Discord channel id), when known
      guild_id      TEXT                    which server, NULL in direct messages
      UNIQUE (answer_key, user_id, kind)    clicking twice replaces, it does not count twice

A citation id `doc_id:start-end` locates the quote exactly: `stored_text(doc_id)[start:end]`.
The store opens a connection per call, so it can be used from worker threads.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from talentqa.models import Answer, Citation

FeedbackKind = Literal["helpful", "wrong_citation"]
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at   TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('helpful', 'wrong_citation')),
    question     TEXT    NOT NULL,
    answer       TEXT    NOT NULL,
    abstained    INTEGER NOT NULL,
    answerer     TEXT    NOT NULL,
    citation_ids TEXT    NOT NULL,
    flagged_ids  TEXT    NOT NULL,
    answer_key   TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    channel_id   TEXT,
    guild_id     TEXT,
    UNIQUE (answer_key, user_id, kind)
);
"""

_COLUMNS = (
    "id, created_at, kind, question, answer, abstained, answerer, citation_ids, flagged_ids, "
    "answer_key, user_id, channel_id, guild_id"
)


class FeedbackRecord(BaseModel):
    """One row of the feedback log."""

    id: int
    created_at: dt.datetime
    kind: FeedbackKind
    question: str
    answer: str
    abstained: bool
    answerer: str
    citation_ids: list[str] = Field(description="Every citation shown with the answer, 'doc_id:start-end'.")
    flagged_ids: list[str] = Field(description="The citations the user marked wrong.")
    answer_key: str
    user_id: str
    channel_id: str | None = None
    guild_id: str | None = None


def citation_id(citation: Citation) -> str:
    """The stable id of a quote: its document and character offsets."""
    return f"{citation.doc_id}:{citation.start}-{citation.end}"


class FeedbackStore:
    """Appends feedback to the SQLite log at `path` (created with its folder on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as conn, conn:
            yield conn

    def record(
        self,
        *,
        kind: FeedbackKind,
        answer: Answer,
        answer_key: str,
        user_id: int | str,
        flagged: Sequence[Citation] = (),
        channel_id: int | str | None = None,
        guild_id: int | str | None = None,
    ) -> FeedbackRecord:
        """Store one click; a repeat of the same kind by the same user on the same answer replaces it."""
        created = dt.datetime.now(dt.UTC)
        row = (
            created.isoformat(),
            kind,
            answer.question,
            answer.text,
            int(answer.abstained),
            answer.answerer,
            json.dumps([citation_id(c) for c in answer.citations]),
            json.dumps([citation_id(c) for c in flagged]),
            answer_key,
            str(user_id),
            None if channel_id is None else str(channel_id),
            None if guild_id is None else str(guild_id),
        )
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO feedback (created_at, kind, question, answer, abstained, answerer, "
                "citation_ids, flagged_ids, answer_key, user_id, channel_id, guild_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            found = conn.execute(
                f"SELECT {_COLUMNS} FROM feedback WHERE answer_key = ? AND user_id = ? AND kind = ?",
                (answer_key, str(user_id), kind),
            ).fetchone()
        return _to_record(found)

    def records(self, *, kind: FeedbackKind | None = None) -> list[FeedbackRecord]:
        return list_feedback(self.path, kind=kind)


def list_feedback(path: Path, *, kind: FeedbackKind | None = None) -> list[FeedbackRecord]:
    """Every feedback record in `path`, oldest first; an absent file holds none."""
    path = Path(path)
    if not path.exists():
        return []
    query = f"SELECT {_COLUMNS} FROM feedback"
    params: tuple[str, ...] = ()
    if kind is not None:
        query += " WHERE kind = ?"
        params = (kind,)
    with closing(sqlite3.connect(path, timeout=10)) as conn:
        rows = conn.execute(query + " ORDER BY id", params).fetchall()
    return [_to_record(row) for row in rows]


def _to_record(row: tuple[object, ...]) -> FeedbackRecord:
    names = [name.strip() for name in _COLUMNS.split(",")]
    values = dict(zip(names, row, strict=True))
    values["citation_ids"] = json.loads(str(values["citation_ids"]))
    values["flagged_ids"] = json.loads(str(values["flagged_ids"]))
    return FeedbackRecord.model_validate(values)
