"""Retrieval across English and Chinese (issue 16): a multilingual model places every passage nearer to
questions in the passage's own language, so in a mixed store the Chinese passage that answers an English
question ranks below English passages about anything. With a cross-lingual model, each script's passages
are searched on their own and ranked by how far they stand above their script's candidates; an
English-only model, and a store of one script, retrieve as before.

The embedder here is a deterministic stand-in with exactly that flaw: a vector is the text's concepts (an
English word and its Chinese translation are one concept) plus a strong component for its script.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from talentqa.app import TalentQA
from talentqa.cjk import has_ideographs
from talentqa.embeddings import Embedder, Vectors
from talentqa.models import Chunk
from talentqa.retrieval import Filters, rank_across_scripts
from talentqa.settings import Settings
from talentqa.store import ChunkHit, KeywordIndex

CONCEPTS = {
    "satellite": ["satellite", "卫星"],
    "launch": ["launched", "launch", "发射"],
    "panda": ["panda", "pandas", "熊猫"],
    "bamboo": ["bamboo", "竹子"],
    "volcano": ["volcano", "火山"],
    "election": ["election", "选举"],
    "market": ["market", "股市"],
    "football": ["football", "足球"],
    "river": ["river", "河流"],
}
DIMENSION = 16
# The script component outweighs the topic: cosine 0.8 to any passage of one's own script, 0.2 to the
# right passage in the other (multilingual-e5-small's own gap is smaller, and its cosines closer together).
SCRIPT_WEIGHT = 2.0

ENGLISH = {
    "volcano": "The volcano erupted in Iceland, sending ash over Europe and grounding flights.",
    "election": "The election gave the governing party a narrow majority in parliament.",
    "market": "The stock market fell as investors feared higher interest rates.",
    "football": "The football club signed a new coach after a losing season.",
    "river": "The river flooded three towns after a week of heavy rain.",
    "orbit": "The satellite was launched into orbit in 1970 and played a song from space.",
}
CHINESE = {
    "dfh1": "东方红一号是中国第一颗人造地球卫星，于1970年4月24日发射成功。",
    "panda": "大熊猫主要生活在四川山区，以竹子为主要食物。",
    "volcano-zh": "火山喷发时，岩浆和火山灰从地下喷出。",
}
# Titles are keyword-indexed with the passage: Chinese articles have Chinese ones.
TITLES = {"dfh1": "东方红一号", "panda": "大熊猫", "volcano-zh": "火山"}


class BiasedMultilingualEmbedder(Embedder):
    """Concepts shared across languages, plus a script component that dominates the cosine."""

    def __init__(self, *, cross_lingual: bool) -> None:
        self.name = "biased-multilingual-16"
        self.cross_lingual = cross_lingual

    @property
    def dimension(self) -> int:
        return DIMENSION

    @property
    def loaded(self) -> bool:
        return True

    def embed(self, texts: Sequence[str], *, batch_size: int | None = None) -> Vectors:
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            lowered = text.lower()
            for i, words in enumerate(CONCEPTS.values()):
                if any(word in lowered for word in words):
                    out[row, i] = 1.0
            out[row, DIMENSION - (1 if has_ideographs(text) else 2)] = SCRIPT_WEIGHT
            out[row] /= np.linalg.norm(out[row])
        return out

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self.embed([text])[0]
        return vector


def _articles(folder: Path, articles: dict[str, str]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for key, text in articles.items():
        title = TITLES.get(key, key)
        (folder / f"{key}.md").write_text(f"---\nid: {key}\ntitle: {title}\n---\n{text}\n", encoding="utf-8")
    return str(folder)


@pytest.fixture()
def mixed_store(tmp_path: Path) -> Path:
    store = tmp_path / "vs"
    with TalentQA.open(Settings(store=store), embedder=BiasedMultilingualEmbedder(cross_lingual=True)) as qa:
        report = qa.ingest_sources([_articles(tmp_path / "en", ENGLISH), _articles(tmp_path / "zh", CHINESE)])
        assert not report.failed
    return store


def _open(store: Path, *, cross_lingual: bool) -> TalentQA:
    return TalentQA.open(
        Settings(store=store), embedder=BiasedMultilingualEmbedder(cross_lingual=cross_lingual)
    )


def _found(qa: TalentQA, question: str, k: int = 3, **filters: Any) -> list[str]:
    return [p.chunk.doc_id for p in qa.retriever.retrieve(question, k, Filters(**filters)).passages]


def test_an_english_question_finds_the_chinese_passage_that_answers_it(mixed_store: Path) -> None:
    question = "Which panda eats bamboo?"
    with _open(mixed_store, cross_lingual=False) as qa:
        # The flaw, as an English-only model's ranking keeps it: every English article comes first.
        assert "panda" not in _found(qa, question)
    with _open(mixed_store, cross_lingual=True) as qa:
        assert _found(qa, question)[0] == "panda"
        # The English articles still compete: the one about the question's subject is shown too.
        assert "orbit" in _found(qa, "When was the first satellite launched?")
        assert "dfh1" in _found(qa, "When was the first satellite launched?")


def test_a_chinese_question_finds_the_english_passage_that_answers_it(mixed_store: Path) -> None:
    with _open(mixed_store, cross_lingual=True) as qa:
        assert "football" in _found(qa, "哪个足球俱乐部换了教练？")
        # Its own language keeps its place: the passages on the subject in both come first.
        assert set(_found(qa, "火山喷发时会喷出什么？")[:2]) == {"volcano", "volcano-zh"}


def test_filters_hold_for_the_other_scripts_ranking(mixed_store: Path) -> None:
    with _open(mixed_store, cross_lingual=True) as qa:
        assert "panda" not in _found(qa, "Which panda eats bamboo?", sources=("volcano", "market", "dfh1"))
        assert set(_found(qa, "Which panda eats bamboo?", sources=("panda", "market"))) == {"panda", "market"}


def _ranking(qa: TalentQA, question: str) -> list[tuple[str, float, int | None, int | None]]:
    return [
        (p.chunk.id, p.score, p.dense_rank, p.keyword_rank)
        for p in qa.retriever.retrieve(question, 5).passages
    ]


def test_a_store_of_one_script_retrieves_exactly_as_before(tmp_path: Path) -> None:
    store = tmp_path / "vs"
    with _open(store, cross_lingual=True) as qa:
        assert not qa.ingest_sources([_articles(tmp_path / "en", ENGLISH)]).failed
        assert qa.keyword.current().scripts == {"latin": len(ENGLISH)}
    questions = ["When was the first satellite launched?", "卫星是什么时候发射的？", "What floods towns?"]
    with _open(store, cross_lingual=False) as qa:
        before = [_ranking(qa, q) for q in questions]
    with _open(store, cross_lingual=True) as qa:
        assert [_ranking(qa, q) for q in questions] == before


def test_a_store_written_before_scripts_were_recorded_retrieves_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import talentqa.store.chroma as chroma

    recorded = chroma.chunk_metadata

    def without_script(*args: Any, **kwargs: Any) -> dict[str, Any]:
        meta = recorded(*args, **kwargs)
        meta.pop("script")
        return meta

    monkeypatch.setattr(chroma, "chunk_metadata", without_script)
    store = tmp_path / "vs"
    with _open(store, cross_lingual=True) as qa:
        qa.ingest_sources([_articles(tmp_path / "en", ENGLISH), _articles(tmp_path / "zh", CHINESE)])
        assert qa.keyword.current().scripts == {}
        old = _ranking(qa, "Which panda eats bamboo?")
    with _open(store, cross_lingual=False) as qa:
        assert _ranking(qa, "Which panda eats bamboo?") == old


def test_chunks_stored_before_scripts_were_recorded_are_still_found_beside_new_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import talentqa.store.chroma as chroma

    recorded = chroma.chunk_metadata

    def without_script(*args: Any, **kwargs: Any) -> dict[str, Any]:
        meta = recorded(*args, **kwargs)
        meta.pop("script")
        return meta

    store = tmp_path / "vs"
    with _open(store, cross_lingual=True) as qa:
        monkeypatch.setattr(chroma, "chunk_metadata", without_script)
        qa.ingest_sources([_articles(tmp_path / "old", {"river": ENGLISH["river"]})])
        monkeypatch.setattr(chroma, "chunk_metadata", recorded)
        rest = {key: text for key, text in ENGLISH.items() if key != "river"}
        qa.ingest_sources([_articles(tmp_path / "en", rest), _articles(tmp_path / "zh", CHINESE)])
        assert qa.keyword.current().scripts == {"latin": len(rest), "han": len(CHINESE)}
        # The unlabelled chunk is searched with the question's own script (so from another language it is
        # no better found than before; `talentqa reindex` records its script).
        assert _found(qa, "Which river flooded?")[0] == "river"


def _hit(chunk_id: str, score: float) -> ChunkHit:
    return ChunkHit(Chunk(id=chunk_id, doc_id=chunk_id, n=0, start=0, end=1, text="x"), score)


def test_each_script_is_ranked_by_how_far_its_passages_stand_above_its_own_candidates() -> None:
    # The question's language scores everything high; the one passage that stands out is the other's.
    own = [_hit("en-1", 0.86), _hit("en-2", 0.85), _hit("en-3", 0.84), _hit("en-4", 0.84)]
    other = [_hit("zh-1", 0.83), _hit("zh-2", 0.78), _hit("zh-3", 0.77), _hit("zh-4", 0.76)]
    ranked = rank_across_scripts([own, other], 3)
    assert [hit.chunk.id for hit in ranked] == ["zh-1", "en-1", "en-2"]
    # Similarities are kept as the model gave them.
    assert [hit.score for hit in ranked] == [0.83, 0.86, 0.85]
    # A shift of one script's similarities (the model's preference for a language) changes nothing.
    shifted = [_hit(hit.chunk.id, hit.score - 0.1) for hit in other]
    assert [h.chunk.id for h in rank_across_scripts([own, shifted], 8)] == [
        h.chunk.id for h in rank_across_scripts([own, other], 8)
    ]
    # Within one script the model's order stands; an empty ranking adds nothing.
    alone = rank_across_scripts([own, []], 10)
    assert [hit.chunk.id for hit in alone] == ["en-1", "en-2", "en-3", "en-4"]


def test_the_keyword_index_keeps_the_scripts_it_counted(mixed_store: Path) -> None:
    with _open(mixed_store, cross_lingual=True) as qa:
        index = qa.keyword.current()
        assert index.scripts == {"latin": len(ENGLISH), "han": len(CHINESE)}
        folder = qa.keyword.folder
    loaded = KeywordIndex.load(folder)
    assert loaded is not None and loaded.scripts == index.scripts


def test_a_keyword_index_saved_without_scripts_is_rebuilt(mixed_store: Path) -> None:
    import json

    with _open(mixed_store, cross_lingual=True) as qa:
        qa.keyword.current()
        folder = qa.keyword.folder
    meta_path = folder / "talentqa-keyword.json"
    meta = json.loads(meta_path.read_text())
    del meta["scripts"]
    meta_path.write_text(json.dumps(meta))
    assert KeywordIndex.load(folder) is None
    with _open(mixed_store, cross_lingual=True) as qa:
        assert qa.keyword.current().scripts == {"latin": len(ENGLISH), "han": len(CHINESE)}
        assert _found(qa, "Which panda eats bamboo?")[0] == "panda"
