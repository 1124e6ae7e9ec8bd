"""Chinese text below the store: decoding (GB18030, Big5, UTF-8), sentence splitting, token estimates,
chunk offsets and keyword terms (issue 16). The end-to-end path is in test_chinese_article.py."""

from __future__ import annotations

import codecs
from pathlib import Path

import bm25s
import pytest

from talentqa import text as sentences_module
from talentqa.cjk import keyword_text
from talentqa.errors import LoadError
from talentqa.ingest.chunking import MAX_CHUNK_CHARS, chunk_spans
from talentqa.ingest.encoding import decode_bytes
from talentqa.ingest.loaders import load_file
from talentqa.models import Article
from talentqa.settings import ChunkSettings, Settings
from talentqa.store.keyword import _stemmer, _tokenize
from talentqa.text import MAX_SENTENCE_CHARS, estimate_tokens, split_sentences

SIMPLIFIED = "中国科学院院士回国后，在合肥建立了新的实验室。研究人员说：“我们的设备已经到位。”"
TRADITIONAL = "臺灣大學的學者也參與了這項研究，並在《自然》期刊發表論文！研究人員表示，人才正在回流。"


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


# --- decoding ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (SIMPLIFIED, "gb18030"),
        (TRADITIONAL, "gb18030"),
        (TRADITIONAL, "big5"),
        (SIMPLIFIED, "utf-8"),
        (SIMPLIFIED, "utf-8-sig"),
        (TRADITIONAL, "utf-16"),
        ("回国", "gb18030"),  # four bytes: a general detector reads them as Big5 or Korean
        ("學者回國", "big5"),
        ("The physicist Shi Yigong (施一公) returned to Tsinghua in 2008.", "gb18030"),
        ("The physicist Shi Yigong (施一公) returned to Tsinghua in 2008.", "big5"),
        ("Le chercheur est rentré à Pékin après dix années, à 25°C.", "cp1252"),
    ],
)
def test_files_decode_to_the_text_that_was_encoded(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding), "f.txt") == text


def test_a_utf32_file_with_its_mark_decodes() -> None:
    assert decode_bytes(codecs.BOM_UTF32_LE + SIMPLIFIED.encode("utf-32-le"), "f.txt") == SIMPLIFIED


def test_text_holding_replacement_characters_is_a_report_line_not_a_quote_source(tmp_path: Path) -> None:
    path = tmp_path / "damaged.txt"
    path.write_bytes(("标题\n\n研究人员" + "\ufffd\ufffd" + "回国了。").encode("utf-8"))
    [result] = list(load_file(path, Settings()))
    assert isinstance(result, LoadError)
    assert "U+FFFD" in result.reason and "character 8" in result.reason


def test_bytes_no_plausible_encoding_reads_are_refused_not_guessed() -> None:
    # Already mojibake in Latin-1 ("Ã©" for "é"), and no Chinese reading of it holds common characters.
    with pytest.raises(LoadError, match="unknown text encoding"):
        decode_bytes("Ã©Ã©Ã© Ã¨Ã".encode("latin-1"), "f.txt")


@pytest.mark.parametrize("encoding", ["gb18030", "big5"])
def test_a_chinese_text_file_loads_with_its_title(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"{encoding}.txt"
    path.write_bytes(f"人才回流\n\n{TRADITIONAL}\n".encode(encoding))
    [article] = list(load_file(path, Settings()))
    assert isinstance(article, Article)
    assert article.title == "人才回流"
    assert article.text == f"人才回流\n\n{TRADITIONAL}"  # the text loader keeps the title line


# --- sentences --------------------------------------------------------------------------------------


def test_chinese_sentences_end_at_full_stops_with_their_closing_quotes() -> None:
    text = (
        "他说：“我们回来了。”然后离开了！真的吗？是的；没错。「這是繁體。」『引用！』（括号里的话。）最后一句"
    )
    assert sentences(text) == [
        "他说：“我们回来了。”",
        "然后离开了！",
        "真的吗？",
        "是的；",
        "没错。",
        "「這是繁體。」",
        "『引用！』",
        "（括号里的话。）",
        "最后一句",
    ]


def test_a_run_of_full_width_marks_is_one_end_and_english_inside_stays_whole() -> None:
    text = "DeepSeek的研究员说：“真的吗？！”MIT的学者 Dr. Smith 也来了。U.S. labs lost him. He left."
    assert sentences(text) == [
        "DeepSeek的研究员说：“真的吗？！”",
        "MIT的学者 Dr. Smith 也来了。",
        "U.S. labs lost him.",
        "He left.",
    ]


def test_english_sentences_split_as_before() -> None:
    text = 'Dr. Smith went to the U.S. The lab closed. "Why?" she asked. J. Doe stayed (at first.) Then'
    assert sentences(text) == [
        "Dr. Smith went to the U.S.",
        "The lab closed.",
        '"Why?"',
        "she asked.",
        "J. Doe stayed (at first.)",
        "Then",
    ]


# Crafted CJK text (runs of marks, closers, marks with and without text between): sentences and chunks
# stay within their caps and cover the text. Small sizes on purpose: the pytest timeout only catches a
# runaway; linear growth is checked by counting work in the next test, not by timing.
CRAFTED_CJK = ["中", "。", "。」", "」", "！？；", "a.。", "!！", "中文。", "。" + "」" * 50, ".中"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("unit", CRAFTED_CJK)
def test_crafted_chinese_text_stays_within_the_caps(unit: str) -> None:
    text = unit * (20_000 // len(unit))
    spans = split_sentences(text)
    assert all(0 < s.end - s.start <= MAX_SENTENCE_CHARS for s in spans)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert all(c.end - c.start <= MAX_CHUNK_CHARS for c in chunk_spans(text, ChunkSettings()))


class CountingPattern:
    """The boundary pattern, counting the characters its matches consume and the matches judged."""

    def __init__(self, pattern: object) -> None:
        self.pattern = pattern
        self.matches = 0
        self.consumed = 0

    def finditer(self, text: str):  # type: ignore[no-untyped-def]
        for match in self.pattern.finditer(text):  # type: ignore[attr-defined]
            self.matches += 1
            self.consumed += match.end() - match.start()
            yield match


@pytest.mark.parametrize("unit", CRAFTED_CJK)
def test_boundary_work_grows_with_the_text_not_its_square(unit: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def work(n: int) -> int:
        counter = CountingPattern(sentences_module._BOUNDARY)
        monkeypatch.setattr(sentences_module, "_BOUNDARY", counter)
        split_sentences(unit * n)
        return counter.matches + counter.consumed

    # Every boundary match is judged once and no character is consumed by two matches (the possessive
    # runs and lookbehinds), so the work is at most a constant per character.
    assert work(8_000) <= 8 * work(1_000) + 8
    assert work(8_000) <= 2 * 8_000 * len(unit)


# --- tokens and chunks ------------------------------------------------------------------------------


def test_an_ideograph_counts_as_one_token_and_english_as_before() -> None:
    # WordPiece (MiniLM) gives each ideograph its own token; before, a whole clause counted as one.
    assert estimate_tokens("中国科学院院士回国") == 9
    assert estimate_tokens("DeepSeek团队与MIT合作。") == 1 + 2 + 1 + 1 + 2 + 1
    assert estimate_tokens("Researchers returned to the U.S. in 2024.") == 11


def test_a_chinese_article_is_chunked_to_the_token_budget_with_exact_offsets() -> None:
    paragraph = "第{}段：研究人员在合肥的实验室工作了很多年，他们说人才正在回流。DeepSeek和MIT也被提到了。"
    text = "\n\n".join(paragraph.format(i) for i in range(40))
    settings = ChunkSettings()
    spans = chunk_spans(text, settings)
    assert len(spans) > 5, "one giant chunk"
    for span in spans:
        assert estimate_tokens(text[span.start : span.end]) <= settings.max_tokens
        assert text[span.start : span.end] == text[span.start : span.end].strip()


def test_a_long_chinese_sentence_is_cut_between_ideographs() -> None:
    text = "研究" * 400 + "。"  # 801 characters, no space, one sentence
    spans = chunk_spans(text, ChunkSettings())
    assert len(spans) >= 3
    assert all(estimate_tokens(text[s.start : s.end]) <= ChunkSettings().max_tokens for s in spans)
    assert "".join(text[s.start : s.end] for s in spans).startswith("研究" * 300)


# --- keyword terms ----------------------------------------------------------------------------------


def terms(text: str) -> list[str]:
    tokenized = _tokenize([text], _stemmer())
    by_id = {i: term for term, i in tokenized.vocab.items()}
    return [by_id[i] for i in tokenized.ids[0]]


def test_chinese_terms_are_bigrams_and_words_and_english_names_inside_are_words() -> None:
    found = terms("DeepSeek团队与ＭＩＴ合作，中国科学院院士施一公回国。")
    assert {"deepseek", "mit"} <= set(found)  # glued to Chinese, and full-width
    assert {"团队", "合作", "回国", "中国", "科学"} <= set(found)  # bigrams
    assert {"中国科学院", "科学院"} <= set(found)  # jieba's words
    assert not any(len(term) > 5 and not term.isascii() for term in found), "a clause as one term"


def test_traditional_text_gets_bigrams_the_dictionary_lacks() -> None:
    assert {"臺灣", "大學", "學者"} <= set(terms(TRADITIONAL))


@pytest.mark.parametrize(
    "text",
    [
        "Researchers who trained in the U.S. returned to China's labs, a study found.",
        "Zizheng Pan interned at Nvidia; then DeepSeek hired him (2024). Café-owners' naïve résumés!",
    ],
)
def test_english_terms_are_exactly_bm25s_stemmed_words(text: str) -> None:
    before = bm25s.tokenize([text], stopwords="en", stemmer=_stemmer(), show_progress=False)
    by_id = {i: term for term, i in before.vocab.items()}
    assert terms(text) == [by_id[i] for i in before.ids[0]]
    assert keyword_text(text) == text
