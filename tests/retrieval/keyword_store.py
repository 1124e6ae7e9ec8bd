"""A small real store of Markdown articles (fake embeddings, real bm25s index) and what its keyword
search ranks first, shared by the keyword tests."""

from __future__ import annotations

from pathlib import Path

from talentqa.app import TalentQA
from talentqa.settings import Settings
from tests.conftest import FakeEmbedder


def article_store(tmp_path: Path, articles: dict[str, str]) -> Path:
    """A store holding one article per key (its id), titled "Report <key>"."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for key, text in articles.items():
        page = f"---\nid: {key}\ntitle: Report {key}\n---\n{text}\n"
        (folder / f"{key}.md").write_text(page, encoding="utf-8")
    store = tmp_path / "vs"
    with TalentQA.open(Settings(store=store), embedder=FakeEmbedder()) as qa:
        assert not qa.ingest_sources([str(folder)]).failed
    return store


def keyword_docs(store: Path, question: str, n: int = 5) -> list[str]:
    """The article ids of the keyword search's best `n` passages, best first."""
    with TalentQA.open(Settings(store=store), embedder=FakeEmbedder()) as qa:
        index = qa.retriever.keyword.current()
        rows = {chunk_id: i for i, chunk_id in enumerate(index.ids)}
        return [str(index.doc_ids[rows[cid]]) for cid, _ in index.search(question, n)]
