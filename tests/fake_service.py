"""A deterministic `QAService` for the front-ends' tests (the Discord bot, the REPL): two real-looking
articles, a library whose size a test sets, and answers that questions steer. mypy checks it against
the protocol wherever it is passed as one."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from talentqa.errors import DocumentNotFoundError, QuestionError, StoreError
from talentqa.models import Answer, Citation, DocumentInfo, DocumentPage, IngestReport
from talentqa.service import Turn


@dataclass(frozen=True)
class Article:
    doc_id: str
    title: str
    url: str
    published: dt.date
    text: str


COUNCIL = Article(
    "council-budget",
    "Council approves the 2024 budget",
    "https://news.example/council-budget",
    dt.date(2024, 5, 2),
    "The city council met on Tuesday.\n\n"
    "The council approved a budget of 12 million euros after a long debate. "
    "Spending on libraries rises by a fifth.\n\n"
    "The mayor said the vote was close.",
)
HARBOUR = Article(
    "harbour-works",
    "Harbour works delayed",
    "https://news.example/harbour",
    dt.date(2024, 4, 20),
    "Works at the harbour are delayed until autumn. The contractor blamed the weather.\n\n"
    "A spokesperson for @everyone at <@&555> and <@777> said *nothing* was decided.",
)
ARTICLES = {a.doc_id: a for a in (COUNCIL, HARBOUR)}


def cite(n: int, article: Article, quote: str, *, link: bool = True) -> Citation:
    start = article.text.index(quote)
    return Citation(
        n=n,
        doc_id=article.doc_id,
        title=article.title,
        url=article.url,
        link=f"{article.url}#:~:text={quote.split()[0]}" if link else None,
        published=article.published,
        quote=quote,
        start=start,
        end=start + len(quote),
    )


@dataclass
class AskCall:
    question: str
    history: list[Turn]
    sources: list[str] | None
    since: dt.date | None
    thread: str
    started: float


@dataclass
class FakeQAService:
    """A deterministic QAService. `ask` blocks (time.sleep) for `delay` seconds, like real retrieval.

    Questions steer it: "explode" raises an unexpected error, "store down" a StoreError, "" a
    QuestionError, "unknown" abstains, "pings" quotes mention syntax, "long" writes a long answer
    with many citations and one very long quote, "hang" blocks for `hang_seconds`.
    """

    delay: float = 0.0
    hang_seconds: float = 5.0
    calls: list[AskCall] = field(default_factory=list)
    closed: bool = False
    passages: list[tuple[str, int, int]] = field(default_factory=list)
    listed: int = 0  # calls of documents(), which reads the whole library
    found: list[str] = field(default_factory=list)  # prefixes find_documents was asked for
    fillers: int = 23  # articles besides COUNCIL and HARBOUR: the library's size
    paged: list[tuple[int, int]] = field(default_factory=list)  # (offset, limit) of documents_page calls

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        k: int | None = None,
        sources: Sequence[str] | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        answerer: Literal["extractive", "accurate", "llm"] | None = None,
        threshold: float | None = None,
        today: dt.date | None = None,
    ) -> Answer:
        with self._lock:
            self.calls.append(
                AskCall(
                    question,
                    list(history),
                    list(sources) if sources is not None else None,
                    since,
                    threading.current_thread().name,
                    time.monotonic(),
                )
            )
        if self.delay:
            time.sleep(self.delay)  # blocking on purpose: proves the bot keeps it off the event loop
        q = question.strip().lower()
        if not q:
            raise QuestionError("the question is empty")
        if "explode" in q:
            raise RuntimeError("an unexpected bug with internal detail /srv/secret")
        if "store down" in q:
            raise StoreError("chroma at /srv/secret/vectorstore is locked")
        if "hang" in q:
            time.sleep(self.hang_seconds)
        if "unknown" in q:
            return Answer(
                question=question,
                text="The sources don't say.",
                abstained=True,
                related=[cite(1, HARBOUR, "Works at the harbour are delayed until autumn.")],
            )
        if "pings" in q:
            quote = "A spokesperson for @everyone at <@&555> and <@777> said *nothing* was decided."
            return Answer(question=question, text=quote, citations=[cite(1, HARBOUR, quote)])
        if "long" in q:
            sentence = "The council approved a budget of 12 million euros after a long debate."
            citations = [cite(i + 1, COUNCIL, sentence) for i in range(7)]
            citations[1] = Citation(
                n=2,
                doc_id="long-doc",
                title="A very long article",
                url="https://news.example/long",
                published=dt.date(2024, 1, 1),
                quote=("word " * 400).strip(),
                start=0,
                end=1999,
            )
            return Answer(question=question, text=(sentence + " ") * 150, citations=citations)
        cited = [
            cite(1, COUNCIL, "The council approved a budget of 12 million euros after a long debate."),
            cite(2, COUNCIL, "Spending on libraries rises by a fifth.", link=False),
        ]
        text = " ".join(f"{c.quote} [{c.n}]" for c in cited)
        if history:
            text = f"(follow-up to: {history[0].content}) {text}"
        return Answer(
            question=question,
            text=text,
            citations=cited,
            as_of=dt.date(2024, 5, 2),
            standalone_question=f"{history[0].content} / {question}" if history else None,
        )

    def retrieve(
        self,
        question: str,
        *,
        k: int | None = None,
        sources: Sequence[str] | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        today: dt.date | None = None,
    ) -> list[Any]:
        return []

    def documents(self) -> list[DocumentInfo]:
        with self._lock:
            self.listed += 1
        return self.library()

    def documents_page(self, offset: int = 0, limit: int = 10) -> DocumentPage:
        """The real service's contract, by brute force, like find_documents."""
        with self._lock:
            self.paged.append((offset, limit))
        docs = sorted(self.library(), key=lambda d: (d.doc_id.casefold(), d.doc_id))
        start = max(offset, 0)
        return DocumentPage(
            documents=docs[start : start + max(limit, 0)],
            offset=start,
            total=len(docs),
            chunks=sum(d.chunks for d in docs),
        )

    def document(self, doc_id: str) -> DocumentInfo:
        for doc in self.library():
            if doc.doc_id == doc_id:
                return doc
        raise DocumentNotFoundError(f"no document with id {doc_id!r}")

    def document_text(self, doc_id: str) -> str:
        self.document(doc_id)
        return ARTICLES[doc_id].text if doc_id in ARTICLES else ("word " * 400).strip()

    def find_documents(self, prefix: str, *, limit: int = 25) -> list[DocumentInfo]:
        """The real service's contract, by brute force: it is the library's size that is faked."""
        with self._lock:
            self.found.append(prefix)
        key = " ".join(prefix.casefold().split())
        hits = [
            d
            for d in self.library()
            if d.doc_id.casefold().startswith(key) or " ".join(d.title.casefold().split()).startswith(key)
        ]
        return sorted(hits, key=lambda d: (d.doc_id.casefold(), d.doc_id))[:limit]

    def library(self) -> list[DocumentInfo]:
        docs = [
            DocumentInfo(
                doc_id=a.doc_id, title=a.title, url=a.url, published=a.published, chunks=2, chars=len(a.text)
            )
            for a in ARTICLES.values()
        ]
        docs += [
            DocumentInfo(doc_id=f"filler-{i:05d}", title=f"Filler article {i}", chunks=1)
            for i in range(self.fillers)
        ]
        return sorted(docs, key=lambda d: d.doc_id)

    def passage(self, doc_id: str, start: int, end: int) -> str:
        self.passages.append((doc_id, start, end))
        text = ARTICLES[doc_id].text if doc_id in ARTICLES else ("word " * 400).strip()
        begin = text.rfind("\n\n", 0, start)
        stop = text.find("\n\n", end)
        return text[0 if begin == -1 else begin + 2 : len(text) if stop == -1 else stop]

    def about(self) -> dict[str, Any]:
        return {
            "version": "0.1.0",
            "documents": 25,
            "chunks": 27,
            "model": "fake-hash-64",
            "mode": "embedded",
            "store": "/tmp/vectorstore",
            "answerer": "extractive",
        }

    def ingest_sources(self, sources: Sequence[str]) -> IngestReport:
        return IngestReport()

    def remove(self, doc_id: str) -> None:
        return None

    def close(self) -> None:
        self.closed = True
