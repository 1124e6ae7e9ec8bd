"""The plain LangChain pipeline a user would write in ten lines, as a yardstick for talentqa.

Fixed-size character chunks (RecursiveCharacterTextSplitter, 1000/150), the same packaged embedding model
through langchain-huggingface, a Chroma collection, dense top-k, and the top chunk as the "answer". No
keyword search, no sentence selection, no abstention, no quote verification. Its settings are
deliberately not tuned: it stands for what one gets without talentqa.

The LangChain packages are dev dependencies, imported only when a baseline is built.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from talentqa.models import Answer, Article, Citation

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 150
_MANIFEST = "talentqa-baseline.json"
_COLLECTION = "baseline"


class BaselineHit(BaseModel):
    doc_id: str
    text: str
    start: int
    score: float


def _fingerprint(articles: Sequence[Article], model_name: str) -> str:
    digest = hashlib.sha256(f"{model_name}|{CHUNK_SIZE}|{CHUNK_OVERLAP}".encode())
    for article in sorted(articles, key=lambda a: a.doc_id):
        digest.update(f"{article.doc_id}\0{article.content_hash}\0".encode())
    return digest.hexdigest()


class LangChainBaseline:
    """Build with `LangChainBaseline.build(articles)`; `close()` removes a temporary collection."""

    def __init__(self, vectorstore: Any, texts: dict[str, str], cleanup: Path | None = None) -> None:
        self.vectorstore = vectorstore
        self.texts = texts
        self._cleanup = cleanup

    @classmethod
    def build(
        cls,
        articles: Sequence[Article],
        *,
        persist_directory: Path | None = None,
        model_name: str = "all-MiniLM-L6-v2",
        batch_size: int = 256,
        progress: Callable[[int, int], None] | None = None,
    ) -> LangChainBaseline:
        """Chunk, embed and store `articles`; a `persist_directory` built from the same articles is reused."""
        import chromadb
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from talentqa.embeddings import resolve_model_path

        cleanup = None
        if persist_directory is None:
            persist_directory = cleanup = Path(tempfile.mkdtemp(prefix="talentqa-baseline-"))
        fingerprint = _fingerprint(articles, model_name)
        manifest = persist_directory / _MANIFEST
        reuse = manifest.exists() and json.loads(manifest.read_text()).get("fingerprint") == fingerprint
        if not reuse and persist_directory.exists():
            shutil.rmtree(persist_directory)  # a half-built or stale collection: start again
        persist_directory.mkdir(parents=True, exist_ok=True)

        embeddings = HuggingFaceEmbeddings(
            model_name=str(resolve_model_path(model_name)), model_kwargs={"device": "cpu"}
        )
        store = Chroma(
            collection_name=_COLLECTION,
            embedding_function=embeddings,
            persist_directory=str(persist_directory),
            client_settings=chromadb.config.Settings(anonymized_telemetry=False),
        )
        texts = {a.doc_id: a.text for a in articles}
        if not reuse:
            splitter = RecursiveCharacterTextSplitter(
                chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
            )
            documents = splitter.split_documents(
                [Document(page_content=a.text, metadata={"doc_id": a.doc_id}) for a in articles]
            )
            for i in range(0, len(documents), batch_size):
                store.add_documents(documents[i : i + batch_size])
                if progress:
                    progress(min(i + batch_size, len(documents)), len(documents))
            manifest.write_text(json.dumps({"fingerprint": fingerprint, "chunks": len(documents)}))
        return cls(store, texts, cleanup)

    def search(self, question: str, k: int) -> list[BaselineHit]:
        """Dense top-k chunks, best first."""
        found = self.vectorstore.similarity_search_with_score(question, k=k)
        return [
            BaselineHit(
                doc_id=str(doc.metadata["doc_id"]),
                text=doc.page_content,
                start=int(doc.metadata.get("start_index", -1)),
                score=float(score),
            )
            for doc, score in found
        ]

    def answer(self, question: str, hits: Sequence[BaselineHit]) -> Answer:
        """The top chunk as the answer, cited at the offset the splitter reported."""
        if not hits:
            return Answer(question=question, text="", abstained=True, answerer="baseline")
        top = hits[0]
        citation = Citation(
            n=1,
            doc_id=top.doc_id,
            quote=top.text,
            start=top.start,
            end=top.start + len(top.text),
            score=top.score,
        )
        return Answer(question=question, text=top.text, citations=[citation], answerer="baseline")

    def text(self, doc_id: str) -> str:
        return self.texts[doc_id]

    def close(self) -> None:
        if self._cleanup is not None:
            shutil.rmtree(self._cleanup, ignore_errors=True)
            self._cleanup = None
