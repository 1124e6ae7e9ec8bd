"""The contract front-ends (CLI, REPL, Discord bot, evaluation) program against.

`talentqa.app.TalentQA` is the real implementation; tests may pass any object with these methods.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from talentqa.models import Answer, DocumentInfo, IngestReport


class Turn(BaseModel):
    """One message of a conversation, used to rewrite follow-up questions."""

    role: Literal["user", "assistant"]
    content: str


class QAService(Protocol):
    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        k: int | None = None,
        sources: Sequence[str] | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        answerer: Literal["extractive", "llm"] | None = None,
    ) -> Answer:
        """Answer with verified quotes, or abstain. Raises QuestionError on unusable questions."""
        ...

    def documents(self) -> list[DocumentInfo]:
        """Every stored article, sorted by id."""
        ...

    def passage(self, doc_id: str, start: int, end: int) -> str:
        """The paragraph of the stored article around [start, end)."""
        ...

    def about(self) -> dict[str, Any]:
        """Version, model, store mode and location, document and chunk counts."""
        ...

    def ingest_sources(self, sources: Sequence[str]) -> IngestReport:
        """Ingest paths or URLs (URL support comes with web ingestion)."""
        ...

    def remove(self, doc_id: str) -> None:
        """Remove one article and its chunks. Raises DocumentNotFoundError."""
        ...

    def close(self) -> None: ...
