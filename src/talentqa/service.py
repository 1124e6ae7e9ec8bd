"""The contract front-ends (CLI, REPL, Discord bot, evaluation) program against.

`talentqa.app.TalentQA` is the real implementation; tests may pass any object with these methods.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from talentqa.models import Answer, AnswererName, DocumentInfo, IngestReport, Turn

__all__ = ["QAService", "Turn"]


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
        answerer: AnswererName | None = None,
        threshold: float | None = None,
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
