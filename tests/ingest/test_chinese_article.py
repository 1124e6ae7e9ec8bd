"""Issue 16's bar: Chinese articles (simplified in UTF-8 and GB18030, traditional in Big5; mixed scripts,
full-width punctuation, English names inside) are ingested beside the English samples into a real
embedded Chroma store with the real embedder, chunked with exact offsets, found first by a Chinese
question, and quoted verbatim."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from talentqa.app import TalentQA
from talentqa.cjk import has_ideographs
from talentqa.embeddings import Embedder
from talentqa.settings import Settings
from talentqa.text import estimate_tokens
from tests.conftest import SAMPLES

# Written for this test; the people and the lab are invented.
BATTERY = """海归科学家在合肥建立电池实验室

2024年春天，越来越多在美国接受训练的中国科学家选择回国工作。一份由北京一家研究机构发布的报告显示，去年有超过一千名华人学者离开了美国的大学和企业实验室；其中近一半从事工程和计算机研究。

材料学家赵琳曾在麻省理工学院（MIT）读博士，毕业后在波士顿的一家初创公司工作了六年。今年三月，她回到合肥，在中国科学技术大学建立了一个固态电池实验室。她说：“这里的设备和经费都已经到位，我们可以马上开始做实验！”

另一位回国的研究员潘明远则加入了杭州的DeepSeek团队。他此前在英伟达（NVIDIA）实习，主要研究大语言模型的训练效率。据他介绍，团队里有不少成员曾在Stanford和Google工作。

报告还指出，回流的原因包括国内科研经费的增长、家庭因素以及美国签证政策的变化。不过，也有学者担心国内的评价体系过于看重论文数量？对此，清华大学的一位教授表示：“人才流动是双向的。”他认为，真正重要的是能否为年轻科学家提供自由探索的环境。
"""

CHIPS = """深圳高校引进芯片人才

深圳一所大学近日宣布，从英特尔（Intel）回国的工程师周晓峰将担任集成电路学院院长。周晓峰在美国工作了十五年，参与过多代处理器的设计。学校计划在五年内招聘两百名芯片方向的教师。
"""

TAIWAN = """中研院延攬海外學者

中央研究院今年延攬了十二位在海外任教的學者回到臺灣。其中，物理學家林志明曾在加州理工學院（Caltech）任教十年，專攻量子材料。他表示：「臺灣的半導體產業讓實驗更容易落地。」院方也在南港新設了一座低溫實驗室，預計明年啟用。
"""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chinese_qa(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Iterator[TalentQA]:
    folder = tmp_path_factory.mktemp("zh-articles")
    (folder / "battery.txt").write_bytes(BATTERY.encode("utf-8"))
    (folder / "chips.txt").write_bytes(CHIPS.encode("gb18030"))
    (folder / "taiwan.txt").write_bytes(TAIWAN.encode("big5"))
    settings = Settings(store=tmp_path_factory.mktemp("zh-store") / "vs")
    with TalentQA.open(settings, embedder=real_embedder) as qa:
        report = qa.ingest_sources([str(SAMPLES), str(folder)])
        assert report.summary()["failed"] == 0
        yield qa


def test_each_encoding_is_stored_as_the_text_that_was_written(chinese_qa: TalentQA) -> None:
    for doc_id, original in (("battery", BATTERY), ("chips", CHIPS), ("taiwan", TAIWAN)):
        assert chinese_qa.store.text(doc_id) == original.strip()
    titles = {info.doc_id: info.title for info in chinese_qa.documents()}
    assert titles["taiwan"] == "中研院延攬海外學者"


def test_a_chinese_article_is_several_chunks_with_exact_offsets(chinese_qa: TalentQA) -> None:
    chunks = [(text, meta) for _, text, meta in chinese_qa.store.iter_chunks() if meta["doc_id"] == "battery"]
    # About 430 characters, so about 430 tokens: two chunks (counted as words, it was one chunk of 40).
    assert len(chunks) >= 2, "the article must not be one giant chunk"
    stored = chinese_qa.store.text("battery")
    for text, meta in chunks:
        assert stored[int(meta["start"]) : int(meta["end"])] == text
        assert estimate_tokens(text) <= chinese_qa.settings.chunking.max_tokens
    assert any("赵琳曾在麻省理工学院（MIT）读博士" in text for text, _ in chunks)


@pytest.mark.parametrize(
    ("question", "doc_id", "expected"),
    [
        ("赵琳在哪里建立了固态电池实验室？", "battery", "固态电池实验室"),
        ("DeepSeek团队的潘明远以前在哪里实习？", "battery", "英伟达（NVIDIA）实习"),
        ("周晓峰将担任哪个学院的院长？", "chips", "集成电路学院院长"),
        ("林志明回到臺灣之前在哪裡任教？", "taiwan", "加州理工學院（Caltech）任教十年"),
    ],
)
def test_a_chinese_question_ranks_the_right_chunk_first(
    chinese_qa: TalentQA, question: str, doc_id: str, expected: str
) -> None:
    keyword_hits = chinese_qa.keyword.current().search(question, 5)
    [top_keyword] = chinese_qa.store.get_chunks([keyword_hits[0][0]])
    assert top_keyword.doc_id == doc_id and expected in top_keyword.text
    passages = chinese_qa.retriever.retrieve(question).passages
    assert passages[0].chunk.doc_id == doc_id and expected in passages[0].chunk.text


@pytest.mark.parametrize(
    ("question", "doc_id"),
    [("赵琳在哪里建立了固态电池实验室？", "battery"), ("林志明回到臺灣之前在哪裡任教？", "taiwan")],
)
def test_quotes_from_a_chinese_article_are_its_own_words(
    chinese_qa: TalentQA, question: str, doc_id: str
) -> None:
    answer = chinese_qa.ask(question)
    shown = answer.citations + answer.related
    assert shown, "neither an answer nor related passages"
    for citation in shown:
        assert chinese_qa.store.text(citation.doc_id)[citation.start : citation.end] == citation.quote
    first = shown[0]
    assert first.doc_id == doc_id and has_ideographs(first.quote)
    assert first.quote in chinese_qa.store.text(doc_id)
