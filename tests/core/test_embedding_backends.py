from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from talentqa.app import TalentQA
from talentqa.embeddings import Embedder
from talentqa.errors import ModelMismatchError
from talentqa.settings import EmbeddingSettings, Settings


@pytest.fixture(scope="module")
def fp32_embedder() -> Embedder:
    return Embedder(EmbeddingSettings(backend="torch"))


def test_int8_is_the_default_backend_and_embeds_close_to_fp32(
    real_embedder: Embedder, fp32_embedder: Embedder
) -> None:
    texts = [
        "Chinese scientists returned from the U.S. to lead new labs.",
        "The fund supports young researchers.",
    ]
    cosine = np.sum(real_embedder.embed(texts) * fp32_embedder.embed(texts), axis=1)
    assert np.all(cosine > 0.95)
    assert real_embedder.name == "all-MiniLM-L6-v2+int8" and fp32_embedder.name == "all-MiniLM-L6-v2"


def _fp32_store(tmp_path: Path, fp32_embedder: Embedder) -> Settings:
    (tmp_path / "a.md").write_text("A short article about returning scientists and the fund for them.")
    settings = Settings(store=tmp_path / "vs")
    with TalentQA.open(settings, embedder=fp32_embedder) as qa:
        qa.ingest_sources([str(tmp_path / "a.md")])
    return settings


def test_a_store_built_with_another_backend_keeps_its_backend_unless_one_is_chosen(
    tmp_path: Path, fp32_embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _fp32_store(tmp_path, fp32_embedder)
    with TalentQA.open(settings) as qa:
        assert qa.embedder.name == "all-MiniLM-L6-v2"
        assert qa.settings.embedding.backend == "torch"
        answer = qa.ask("What fund is there for returning scientists?")
        assert answer.citations or answer.related
    assert "talentqa reindex" in caplog.text
    explicit = Settings(store=settings.store, embedding=EmbeddingSettings(backend="int8"))
    with pytest.raises(ModelMismatchError, match="reindex"):
        TalentQA.open(explicit)


def test_a_store_opened_with_an_explicit_embedder_of_another_backend_is_refused(
    tmp_path: Path, fp32_embedder: Embedder, real_embedder: Embedder
) -> None:
    settings = _fp32_store(tmp_path, fp32_embedder)
    with pytest.raises(ModelMismatchError):
        TalentQA.open(settings, embedder=real_embedder)


@pytest.fixture(scope="module")
def openvino_embedder() -> Embedder:
    pytest.importorskip("openvino", reason="the openvino extra is not installed")
    return Embedder(EmbeddingSettings(backend="openvino"))


@pytest.mark.slow
def test_openvino_backend_embeds_unit_vectors_close_to_fp32_and_ranks_alike(
    openvino_embedder: Embedder, fp32_embedder: Embedder
) -> None:
    passages = [
        "More than half of the returning scientists had worked in the United States.",
        "The fund gives young researchers grants of several million yuan.",
        "Tsinghua University opened a new laboratory for artificial intelligence.",
        "The football final was decided on penalties.",
    ]
    fast, exact = openvino_embedder.embed(passages), fp32_embedder.embed(passages)
    assert fast.shape == exact.shape == (4, openvino_embedder.dimension)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-4)
    assert np.all(np.sum(fast * exact, axis=1) > 0.99)
    question = "Where had the returning scientists worked?"
    ranked = np.argsort(-(fast @ openvino_embedder.embed_query(question)))
    assert list(ranked) == list(np.argsort(-(exact @ fp32_embedder.embed_query(question))))
    assert openvino_embedder.name == "all-MiniLM-L6-v2+openvino"
    # Order and batching do not change a text's vector beyond padding noise.
    again = openvino_embedder.embed(list(reversed(passages)), batch_size=1)[::-1]
    assert np.all(np.sum(again * fast, axis=1) > 0.999)


@pytest.mark.slow
def test_openvino_backend_answers_from_threads_at_once(openvino_embedder: Embedder) -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"Scientist number {i} returned to a lab in Shanghai after {i} years abroad." for i in range(16)]
    alone = openvino_embedder.embed(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        rows = list(pool.map(lambda text: openvino_embedder.embed([text])[0], texts))
    assert np.all(np.sum(np.stack(rows) * alone, axis=1) > 0.999)
