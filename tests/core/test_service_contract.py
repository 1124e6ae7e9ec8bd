"""What `QAService` offers front-ends beyond `ask`: one document, documents by prefix (without listing the
store), retrieval without an answer, readings, and per-call answer options that leave settings alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from talentqa.app import TalentQA
from talentqa.catalog import DocumentCatalog
from talentqa.errors import DocumentNotFoundError, QuestionError
from talentqa.service import QAService
from talentqa.settings import Settings
from tests.conftest import FakeEmbedder

ARTICLES = [
    ("harbour-works", "Harbour works delayed", "Works at the harbour are delayed until autumn."),
    ("Harbour-Ferry", "Ferry timetable changes", "The harbour ferry leaves every twenty minutes from May."),
    (
        "council-budget",
        "Council approves the 2024 budget",
        "The council approved a budget of 12 million euros.",
    ),
    ("tram", "The new tram line opens", "The new tram line opened on Monday with twelve stops."),
    ("library", "  Riverside   library extends hours ", "The Riverside library stays open until nine."),
]


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TalentQA]:
    folder = tmp_path_factory.mktemp("contract")
    docs = folder / "documents.jsonl"
    docs.write_text(
        "".join(json.dumps({"id": i, "title": t, "text": x}) + "\n" for i, t, x in ARTICLES), encoding="utf-8"
    )
    with TalentQA.open(Settings(store=folder / "vs"), embedder=FakeEmbedder()) as service:
        assert service.ingest_sources([str(docs)]).summary()["added"] == len(ARTICLES)
        yield service


def test_talentqa_offers_the_whole_contract(qa: TalentQA) -> None:
    service: QAService = qa  # mypy checks the structure; this checks nothing is missing at run time
    for name in (
        "ask",
        "retrieve",
        "documents",
        "documents_page",
        "document",
        "document_text",
        "find_documents",
        "passage",
    ):
        assert callable(getattr(service, name))


def test_one_document_and_its_text(qa: TalentQA) -> None:
    info = qa.document("tram")
    assert (info.doc_id, info.title, info.chunks) == ("tram", "The new tram line opens", 1)
    assert qa.document_text("tram") == "The new tram line opened on Monday with twelve stops."
    with pytest.raises(DocumentNotFoundError):
        qa.document("no-such-article")
    with pytest.raises(DocumentNotFoundError):
        qa.document_text("no-such-article")


def test_documents_are_found_by_id_or_title_prefix_in_id_order_without_listing(qa: TalentQA) -> None:
    def ids(prefix: str, limit: int = 25) -> list[str]:
        return [d.doc_id for d in qa.find_documents(prefix, limit=limit)]

    builds = qa.catalog.builds
    assert ids("harbour") == ["Harbour-Ferry", "harbour-works"]  # ids, ignoring case
    assert ids("HARBOUR W") == ["harbour-works"]  # a title (or id) start, ignoring case
    assert ids("ferry") == ["Harbour-Ferry"]  # by title
    assert ids("the new") == ["tram"]
    assert ids("riverside library") == ["library"]  # the title's spaces folded as typed ones are
    assert ids("budget") == []  # a word inside a title is not its start
    assert ids("") == ["council-budget", "Harbour-Ferry", "harbour-works", "library", "tram"]
    assert ids("", limit=2) == ["council-budget", "Harbour-Ferry"]
    assert ids("h", limit=0) == []
    [doc] = qa.find_documents("counc")
    assert (doc.title, doc.chunks) == ("Council approves the 2024 budget", 1)  # the full record
    assert qa.catalog.builds - builds <= 1  # built once at most, then served from memory


def test_the_library_is_read_a_page_at_a_time_in_id_order(qa: TalentQA) -> None:
    builds = qa.catalog.builds
    first = qa.documents_page(0, 2)
    assert [d.doc_id for d in first.documents] == ["council-budget", "Harbour-Ferry"]
    assert (first.offset, first.total, first.chunks) == (0, 5, 5)
    assert first.documents[0].title == "Council approves the 2024 budget"  # the full record
    rest = qa.documents_page(2, 10)
    assert [d.doc_id for d in rest.documents] == ["harbour-works", "library", "tram"]
    assert qa.documents_page(5, 10).documents == [] and qa.documents_page(5, 10).total == 5
    assert qa.documents_page(0, 0).documents == []
    assert qa.catalog.builds - builds <= 1  # the ids come from the catalog, not a listing


def test_the_catalog_follows_ingests_and_removals(tmp_path: Path) -> None:
    docs = tmp_path / "a.jsonl"
    docs.write_text(json.dumps({"id": "alpha", "title": "Alpha", "text": "Alpha text here."}) + "\n")
    with TalentQA.open(Settings(store=tmp_path / "vs"), embedder=FakeEmbedder()) as service:
        assert service.find_documents("a") == []
        service.ingest_sources([str(docs)])
        assert [d.doc_id for d in service.find_documents("alp")] == ["alpha"]
        service.remove("alpha")
        assert service.find_documents("alp") == []
        assert service.documents_page().total == 0


def test_retrieve_returns_the_passages_ask_reads_without_answering(qa: TalentQA) -> None:
    passages = qa.retrieve("When does the harbour ferry leave?", k=2)
    assert 0 < len(passages) <= 2
    assert passages[0].chunk.doc_id == "Harbour-Ferry"
    only = qa.retrieve("harbour", sources=["harbour-works"])
    assert {p.chunk.doc_id for p in only} == {"harbour-works"}
    with pytest.raises(DocumentNotFoundError):
        qa.retrieve("harbour", sources=["no-such-article"])
    with pytest.raises(QuestionError):
        qa.retrieve("   ")


class CountingTitles:
    """A store's revision and titles, counting how often the titles are read."""

    def __init__(self, titles: list[tuple[str, str]]) -> None:
        self.pairs = titles
        self.rev = "r1"
        self.reads = 0

    def revision(self) -> str:
        return self.rev

    def titles(self) -> list[tuple[str, str]]:
        self.reads += 1
        return list(self.pairs)


def test_the_catalog_reads_titles_once_per_revision_and_searches_by_bisection() -> None:
    store = CountingTitles([(f"doc-{i:06d}", f"Title {i:06d}") for i in range(20_000)])
    catalog = DocumentCatalog(store)
    assert catalog.find("title 000123", 5) == ["doc-000123"]
    assert catalog.find("DOC-00001", 3) == ["doc-000010", "doc-000011", "doc-000012"]
    for _ in range(50):  # keystrokes
        catalog.find("title 01", 25)
    assert store.reads == 1
    store.pairs.append(("zeta", "Title zeta"))
    store.rev = "r2"  # another process wrote
    assert catalog.find("title z", 5) == ["zeta"]
    assert store.reads == 2
    catalog.invalidate()  # this process wrote; its bump may not be visible yet
    catalog.find("x", 1)
    assert store.reads == 3


def test_per_call_answer_options_leave_the_shared_settings_alone(qa: TalentQA) -> None:
    before = qa.settings.model_dump()
    question = "When does the harbour ferry leave?"
    withheld = qa.ask(question, threshold=1.0)
    assert withheld.abstained
    answered = qa.ask(question, threshold=0.0, k=1)
    assert not answered.abstained and answered.citations[0].doc_id == "Harbour-Ferry"
    readings = qa.read(question, k=3)
    assert readings and readings[0].passage.chunk.doc_id == "Harbour-Ferry"
    assert [r.probability for r in readings] == sorted((r.probability for r in readings), reverse=True)
    assert qa.settings.model_dump() == before
