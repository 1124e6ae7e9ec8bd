"""Data that crosses module and process boundaries: articles, chunks, citations and answers.

One `Answer` type serves every front-end (CLI, REPL, Discord, evaluation).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Article(BaseModel):
    """One loaded article: normalised text plus metadata, before chunking."""

    model_config = ConfigDict(frozen=True)

    doc_id: str = Field(description="Stable identity: front-matter/record id, canonical URL, or file stem.")
    title: str = ""
    text: str = Field(description="Normalised article text; every offset points into this string.")
    url: str | None = None
    author: str | None = None
    published: dt.date | None = None
    outlet: str | None = Field(default=None, description="The publication: a newspaper or site's name.")
    source: str = Field(default="", description="Where it was loaded from (path or URL).")
    content_hash: str = Field(default="", description="Hash of text and metadata; decides 'changed'.")


class Chunk(BaseModel):
    """A passage of an article, located by character offsets into the stored article text."""

    model_config = ConfigDict(frozen=True)

    id: str
    doc_id: str
    n: int = Field(description="Chunk number within the article, from 0.")
    start: int
    end: int
    text: str
    title: str = ""
    url: str | None = None
    published: dt.date | None = None
    outlet: str | None = None


class DocumentInfo(BaseModel):
    """What the store knows about one stored article (without its text)."""

    doc_id: str
    title: str = ""
    url: str | None = None
    author: str | None = None
    published: dt.date | None = None
    outlet: str | None = None
    source: str = ""
    chunks: int = 0
    chars: int = 0
    content_hash: str = ""
    ingested_at: str = ""


class DocumentPage(BaseModel):
    """A slice of the library in id order (`QAService.documents_page`), and the library's size."""

    documents: list[DocumentInfo] = Field(default_factory=list)
    offset: int = Field(default=0, description="Position of the first document in the library, from 0.")
    total: int = Field(default=0, description="Articles stored.")
    chunks: int = Field(default=0, description="Passages stored, of all articles.")


class Citation(BaseModel):
    """A verbatim quote: always `quote == stored_text(doc_id)[start:end]`."""

    n: int = Field(description="Citation number as shown to the user, from 1.")
    doc_id: str
    title: str = ""
    url: str | None = None
    link: str | None = Field(default=None, description="URL with a #:~:text= fragment for the quote.")
    published: dt.date | None = None
    outlet: str | None = Field(default=None, description="The publication the article appeared in.")
    quote: str
    start: int
    end: int
    score: float = 0.0
    translation: str | None = Field(
        default=None,
        description=(
            "The language model's rendering of the quote in the question's language, when the quote is in "
            "another (LLM answers only). Unverified and never a quote: front-ends show it under the quote, "
            "after TRANSLATION_LABEL, never between quotation marks."
        ),
    )


# How front-ends introduce `Citation.translation`, so that no one takes it for the source's words.
TRANSLATION_LABEL = "Machine translation (unverified, not a quote)"


# Who answers: the fast trained reader ("extractive", the default), the fast reader with an LLM reading its
# best passages ("accurate"), or an LLM writing claims around verified quotes ("llm").
AnswererName = Literal["extractive", "accurate", "llm"]


class Turn(BaseModel):
    """One message of a conversation, used to rewrite follow-up questions. A user turn holds the question
    as asked (never a rewrite); an assistant turn may carry the answer's short answer."""

    role: Literal["user", "assistant"]
    content: str
    short_answer: str | None = None


class ReadFirst(BaseModel):
    """What a question's own words ask to read first: the publication dates it names ("this week",
    "on October 22, 2023", "in October 2023") and the outlets of retrieved articles it
    names ("reported by TechCrunch"). Retrieval reads the passages that meet more of these first and
    excludes none: words can be loose and an article's date or outlet missing."""

    model_config = ConfigDict(frozen=True)

    windows: tuple[tuple[dt.date, dt.date], ...] = Field(
        default=(), description="Date ranges, (since, until): 'this week', 'in October 2023'."
    )
    days: tuple[dt.date, ...] = Field(default=(), description="Dates written out, a day either side.")
    outlets: tuple[str, ...] = Field(default=(), description="Outlets named, as the articles spell them.")
    reported_since: dt.date | None = Field(
        default=None,
        description="Where the question's own words bound its news to weeks or months ('this week', 'last "
        "month'; not 'recently' or 'last year'): the first day of that time. A report published before it "
        "(a day's slack) cannot tell that news, so it cannot answer.",
    )

    @property
    def has_dates(self) -> bool:
        return bool(self.windows or self.days)

    def __bool__(self) -> bool:
        return self.has_dates or bool(self.outlets)

    def covers(self, day: dt.date | None) -> bool:
        """Whether an article published on `day` falls on one of these dates."""
        if day is None:
            return False
        if any(since <= day <= until for since, until in self.windows):
            return True
        return any(abs((day - named).days) <= 1 for named in self.days)

    def predates(self, chunk: Chunk) -> bool:
        """Whether the passage's article was published before the time the question's words ask about."""
        if self.reported_since is None or chunk.published is None:
            return False
        return chunk.published < self.reported_since - dt.timedelta(days=1)

    def met_by(self, chunk: Chunk) -> int:
        """How many of the two asks (its dates, its outlets) this passage meets: 0, 1 or 2."""
        return int(self.has_dates and self.covers(chunk.published)) + int(chunk.outlet in self.outlets)


class Answer(BaseModel):
    """What every front-end renders."""

    question: str
    text: str
    abstained: bool = False
    citations: list[Citation] = Field(default_factory=list)
    related: list[Citation] = Field(
        default_factory=list, description="Closest passages when abstaining; not an answer."
    )
    short_answer: str | None = Field(
        default=None, description="The reader's answer span, words of the first quote, when it is short."
    )
    as_of: dt.date | None = Field(default=None, description="Latest publication date among cited sources.")
    answerer: str = "reader"
    standalone_question: str | None = Field(
        default=None, description="The follow-up rewritten into a standalone question, when it was."
    )
    read_first: ReadFirst | None = Field(
        default=None,
        description="The dates and outlets whose passages were read first because the question named "
        "them; the other passages followed.",
    )
    timings: dict[str, float] = Field(default_factory=dict, description="Milliseconds per stage.")
    debug: dict[str, Any] = Field(default_factory=dict)


class IngestItem(BaseModel):
    """The outcome for one input of an ingest batch."""

    source: str
    doc_id: str | None = None
    title: str | None = None
    status: str = Field(
        description="added | updated | unchanged | failed | reindexed | skipped (left out on purpose: "
        "a file type talentqa does not read, an empty file in a folder, a feed's entries past the limit)"
    )
    chunks: int = 0
    reason: str | None = None


class IngestReport(BaseModel):
    """The outcome of one ingest batch."""

    items: list[IngestItem] = Field(default_factory=list)
    seconds: float = 0.0
    chunks_embedded: int = 0

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def failed(self) -> list[IngestItem]:
        return [item for item in self.items if item.status == "failed"]

    def summary(self) -> dict[str, int]:
        counts = {s: self.count(s) for s in ("added", "updated", "unchanged", "failed")}
        for extra in ("reindexed", "skipped"):
            if self.count(extra):
                counts[extra] = self.count(extra)
        return counts
