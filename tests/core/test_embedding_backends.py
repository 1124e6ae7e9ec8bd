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


def test_int8_backend_embeds_close_to_fp32(fp32_embedder: Embedder) -> None:
    int8 = Embedder(EmbeddingSettings(backend="int8"))
    texts = [
        "Chinese scientists returned from the U.S. to lead new labs.",
        "The fund supports young researchers.",
    ]
    cosine = np.sum(int8.embed(texts) * fp32_embedder.embed(texts), axis=1)
    assert np.all(cosine > 0.95)
    assert int8.name == "all-MiniLM-L6-v2+int8" and fp32_embedder.name == "all-MiniLM-L6-v2"


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
    explicit = Settings(store=settings.store, embedding=EmbeddingSettings(backend="openvino"))
    with pytest.raises(ModelMismatchError, match="reindex"):
        TalentQA.open(explicit)


def test_a_store_opened_with_an_explicit_embedder_of_another_backend_is_refused(
    tmp_path: Path, fp32_embedder: Embedder, real_embedder: Embedder
) -> None:
    settings = _fp32_store(tmp_path, fp32_embedder)
    with pytest.raises(ModelMismatchError):
        TalentQA.open(settings, embedder=real_embedder)


@pytest.mark.slow
def test_openvino_is_the_default_backend_and_embeds_close_to_fp32_and_ranks_alike(
    real_embedder: Embedder, fp32_embedder: Embedder
) -> None:
    passages = [
        "More than half of the returning scientists had worked in the United States.",
        "The fund gives young researchers grants of several million yuan.",
        "Tsinghua University opened a new laboratory for artificial intelligence.",
        "The football final was decided on penalties.",
    ]
    assert real_embedder.name == "all-MiniLM-L6-v2+openvino"
    fast, exact = real_embedder.embed(passages), fp32_embedder.embed(passages)
    assert fast.shape == exact.shape == (4, real_embedder.dimension)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-4)
    assert np.all(np.sum(fast * exact, axis=1) > 0.99)
    question = "Where had the returning scientists worked?"
    ranked = np.argsort(-(fast @ real_embedder.embed_query(question)))
    assert list(ranked) == list(np.argsort(-(exact @ fp32_embedder.embed_query(question))))
    # Order and batching do not change a text's vector beyond padding noise.
    again = real_embedder.embed(list(reversed(passages)), batch_size=1)[::-1]
    assert np.all(np.sum(again * fast, axis=1) > 0.999)


def test_openvino_tokenisation_is_sentence_transformers_own_padded_to_a_multiple_of_16(
    real_embedder: Embedder, fp32_embedder: Embedder
) -> None:
    texts = [
        "",
        "Short.",
        "Zhang Wei (张伟) left MIT’s lab — “for good” — in 2024; café naïve résumé.",
        "A long article sentence that goes on and on about returning scientists. " * 40,  # > 256 tokens
    ]
    theirs = fp32_embedder.model.tokenize(texts)
    for batch in (texts, texts[:3]):
        ours = real_embedder.model.tokenize(batch)
        reference = {name: theirs[name][: len(batch)].numpy() for name in ours}
        width = int(reference["attention_mask"].sum(axis=1).max())
        assert ours["input_ids"].shape[1] == -(-width // 16) * 16  # at most 256, the model's max_seq_length
        for name in ("input_ids", "attention_mask", "token_type_ids"):
            assert np.array_equal(ours[name][:, :width], reference[name][:, :width]), name
            assert not ours[name][:, width:].any()  # padding only


@pytest.mark.slow
def test_openvino_model_is_built_once_then_loaded_from_the_cache(
    tmp_path: Path, real_embedder: Embedder
) -> None:
    texts = ["Scientists returned to Shanghai.", "The fund backs young researchers."]
    built = Embedder(EmbeddingSettings(cache_dir=tmp_path))
    assert built.build_pending  # the CLI says the first embedding takes seconds
    vectors = built.embed(texts)
    assert not built.build_pending and not Embedder(EmbeddingSettings(cache_dir=tmp_path)).build_pending
    assert not Embedder(EmbeddingSettings(backend="int8", cache_dir=tmp_path / "empty")).build_pending
    [folder] = [p for p in tmp_path.iterdir()]
    assert (folder / "model.xml").exists() and (folder / "model.bin").exists()
    loaded = Embedder(EmbeddingSettings(cache_dir=tmp_path)).embed(texts)
    assert np.array_equal(vectors, loaded)
    assert np.allclose(vectors, real_embedder.embed(texts), atol=1e-6)
    # A damaged cache (a full disk, say) is rebuilt, not fatal.
    (folder / "model.xml").write_text("<net")
    assert np.allclose(Embedder(EmbeddingSettings(cache_dir=tmp_path)).embed(texts), vectors, atol=1e-6)
    assert (folder / "model.xml").stat().st_size > 1000


@pytest.mark.slow
def test_an_unwritable_model_cache_costs_a_rebuild_not_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    vectors = Embedder(EmbeddingSettings(cache_dir=blocker / "openvino")).embed(["Scientists returned."])
    assert vectors.shape == (1, 384)
    assert "could not cache the openvino model" in caplog.text


@pytest.mark.slow
def test_openvino_model_is_built_and_loaded_without_torch_entering_the_process(tmp_path: Path) -> None:
    import subprocess
    import sys

    # Built in a child process the first time, read from the cache the second: torch, once imported,
    # would stay mapped in a long-running bot.
    code = (
        "import sys; from talentqa.embeddings import Embedder; "
        "from talentqa.settings import EmbeddingSettings; "
        f"e = Embedder(EmbeddingSettings(cache_dir={str(tmp_path)!r})); "
        "assert e.embed(['Scientists returned.']).shape == (1, 384); "
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))"
    )
    for _ in ("built", "cached"):
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
        )
        assert result.stdout.strip() == "[]"
        assert len(list(tmp_path.glob("*/model.xml"))) == 1


@pytest.mark.slow
def test_openvino_backend_answers_from_threads_at_once(real_embedder: Embedder) -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"Scientist number {i} returned to a lab in Shanghai after {i} years abroad." for i in range(16)]
    alone = real_embedder.embed(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        rows = list(pool.map(lambda text: real_embedder.embed([text])[0], texts))
    assert np.all(np.sum(np.stack(rows) * alone, axis=1) > 0.999)
