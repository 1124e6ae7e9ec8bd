"""Shared fixtures: every data folder in a temp dir, a real embedder loaded once, a fake one for speed,
and a real `chroma run` server for the server-mode half of the store tests."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from talentqa.embeddings import Embedder, Vectors
from talentqa.settings import EmbeddingSettings, Settings
from tests.chroma_server import ChromaServer

# The openvino model is built once (seconds) and kept here, so the CLI subprocesses that tests start, each
# in its own temp home, load it instead of building it again.
TEST_CACHE = Path(os.environ.get("TALENTQA_TEST_CACHE", Path.home() / ".cache" / "talentqa-tests"))
MODEL_CACHE = TEST_CACHE / "openvino"

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = REPO / "ingest" / "samples"


@pytest.fixture(autouse=True)
def _isolated_data(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's vectorstore/, inbox, feedback log or environment."""
    home = tmp_path_factory.mktemp("home")
    for key in list(os.environ):
        # TALENTQA_CI is the test suite's own switch (shared data and llm-test packages required).
        if key.startswith("TALENTQA_") and key not in {"TALENTQA_CI", "TALENTQA_TEST_CACHE"}:
            monkeypatch.delenv(key)
    monkeypatch.setenv("TALENTQA_STORE", str(home / "vectorstore"))
    monkeypatch.setenv("TALENTQA_INGEST__INBOX", str(home / "inbox"))
    monkeypatch.setenv("TALENTQA_BOT__FEEDBACK_DB", str(home / "feedback.sqlite3"))
    monkeypatch.setenv("TALENTQA_BOT__AUDIT_LOG", str(home / "audit.jsonl"))
    monkeypatch.setenv("TALENTQA_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg-cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    monkeypatch.setenv("TALENTQA_EMBEDDING__CACHE_DIR", str(MODEL_CACHE))
    monkeypatch.chdir(home)


class FakeEmbedder(Embedder):
    """Deterministic bag-of-words hashing vectors: fast, and similar texts still land close together."""

    def __init__(self, name: str = "fake-hash-64", dimension: int = 64) -> None:
        self.name = name
        self._dimension = dimension
        self.calls = 0
        self.texts_embedded = 0

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def loaded(self) -> bool:
        return True

    def embed(self, texts: Sequence[str], *, batch_size: int | None = None) -> Vectors:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                h = int(hashlib.md5(word.strip(".,;:!?\"'()").encode()).hexdigest(), 16)
                out[row, h % self._dimension] += 1.0
            norm = float(np.linalg.norm(out[row])) or 1.0
            out[row] /= norm
        return out

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self.embed([text])[0]
        return vector


class CountingEmbedder(Embedder):
    """The real model, counting how many texts it was asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.__dict__.update(inner.__dict__)
        self.texts_embedded = 0

    def embed(self, texts: Sequence[str], *, batch_size: int | None = None) -> Vectors:
        self.texts_embedded += len(texts)
        return super().embed(texts, batch_size=batch_size)


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    embedder = Embedder(EmbeddingSettings(cache_dir=MODEL_CACHE))
    embedder.embed(["warm up"])
    return embedder


@pytest.fixture()
def counting_embedder(real_embedder: Embedder) -> CountingEmbedder:
    return CountingEmbedder(real_embedder)


@pytest.fixture()
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` on a free loopback port, for the session; it stops with the session even when
    the session is killed or crashes (see tests/chroma_server.py)."""
    try:
        server = ChromaServer(tmp_path_factory.mktemp("chroma-server")).start()
    except (FileNotFoundError, RuntimeError) as exc:
        pytest.fail(str(exc))
    try:
        yield server.url
    finally:
        server.stop()


_collection_counter = 0


@pytest.fixture(params=["embedded", "server"])
def mode_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh store, once embedded and once against the real Chroma server."""
    global _collection_counter
    _collection_counter += 1
    if request.param == "server":
        url = request.getfixturevalue("chroma_server")
        return Settings(
            chroma_url=url, collection=f"t{_collection_counter}-{os.getpid()}", cache_dir=tmp_path / "cache"
        )
    return Settings(store=tmp_path / "vectorstore")
