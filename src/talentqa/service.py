"""The contract front-ends (CLI, REPL, Discord bot, evaluation) program against.

`talentqa.app.TalentQA` is the real implementation; tests may pass any object with these methods. A
front-end needs nothing else: not the store, the retriever or an answerer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from talentqa.models import Answer, AnswererName, DocumentInfo, DocumentPage, IngestReport, Turn

if TYPE_CHECKING:
    from talentqa.retrieval import Passage

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
        today: dt.date | None = None,
    ) -> Answer:
        """Answer with verified quotes, or abstain. Raises QuestionError on unusable questions.

        `k`, `answerer` and `threshold` apply to this call only (evaluation tries them without touching
        shared settings). `today` is the day the question is asked (default: today): a question's own
        "this week" counts from it."""
        ...

    def retrieve(
        self,
        question: str,
        *,
        k: int | None = None,
        sources: Sequence[str] | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        today: dt.date | None = None,
    ) -> list[Passage]:
        """The passages `ask` would read, best first, without answering."""
        ...

    def documents(self) -> list[DocumentInfo]:
        """Every stored article, sorted by id (reads the whole store: for listings, not lookups)."""
        ...

    def documents_page(self, offset: int = 0, limit: int = 10) -> DocumentPage:
        """At most `limit` articles from the `offset`-th on (none past the end), in the order of
        `find_documents` (id, ignoring case), with how many articles and passages are stored: a screen of
        the library without reading all of it."""
        ...

    def document(self, doc_id: str) -> DocumentInfo:
        """One stored article's record. Raises DocumentNotFoundError."""
        ...

    def document_text(self, doc_id: str) -> str:
        """One stored article's text, which every citation's offsets point into. Raises
        DocumentNotFoundError."""
        ...

    def find_documents(self, prefix: str, *, limit: int = 25) -> list[DocumentInfo]:
        """At most `limit` articles whose id or title starts with `prefix` (ignoring case), in id order,
        without listing the store (autocomplete asks on every keystroke)."""
        ...

    def passage(self, doc_id: str, start: int, end: int) -> str:
        """The paragraph of the stored article around [start, end)."""
        ...

    def about(self) -> dict[str, Any]:
        """Version, model, store mode and location, document and chunk counts."""
        ...

    def ingest_sources(self, sources: Sequence[str]) -> IngestReport:
        """Ingest files, folders and URLs (pages, feeds, sitemaps); a bad source is a report line."""
        ...

    def remove(self, doc_id: str) -> None:
        """Remove one article and its chunks. Raises DocumentNotFoundError."""
        ...

    def close(self) -> None: ...
