"""Chinese quotes and answers within Discord's limits (issue 16).

Discord counts a string's length in Unicode code points: its API is Python 3 and measures with `len`
(a Discord engineer in discord/discord-api-docs#1315: "\\U0010FFFF \\uffff would be considered 3
characters"), not in UTF-16 units as JavaScript would, nor in UTF-8 bytes. An ideograph is one
character whatever its plane, so the formatter's `len` is Discord's measure, and a Python string
never splits a character.
"""

from __future__ import annotations

import discord

from talentqa.bot import limits
from talentqa.bot.format_answer import SHORTENED_MARKER, answer_messages, citation_field, passage_messages
from talentqa.bot.format_text import split_text, unescape
from talentqa.models import Answer, Citation

SENTENCE = "材料学家赵琳在合肥建立了固态电池实验室，她说：“设备和经费都已经到位！”"  # 36 characters


def payload(embeds: list[discord.Embed]) -> dict[str, object]:
    return {"embeds": [e.to_dict() for e in embeds]}


def citation(quote: str, n: int = 1) -> Citation:
    return Citation(
        n=n, doc_id="battery", title="海归科学家在合肥建立电池实验室", quote=quote, start=0, end=len(quote)
    )


def test_limits_count_code_points_so_astral_ideographs_count_once() -> None:
    # 900 ideographs from Extension B: 900 characters to Discord, 1,800 UTF-16 units, 3,600 UTF-8 bytes.
    quote = "".join(chr(0x20000 + i) for i in range(900))
    assert len(quote.encode("utf-16-le")) // 2 > limits.EMBED_FIELD_VALUE
    field = citation_field(citation(quote), number=1)
    assert not field.shortened and quote in field.value
    assert len(field.value) <= limits.EMBED_FIELD_VALUE


def test_a_long_chinese_quote_is_shortened_to_a_verbatim_prefix_at_a_sentence_end() -> None:
    quote = SENTENCE * 60  # 2,160 characters
    field = citation_field(citation(quote, n=2), number=2)
    assert field.shortened and len(field.value) <= limits.EMBED_FIELD_VALUE
    marker = SHORTENED_MARKER.format(n=2)
    quote_line = field.value.split("\n")[0]
    shown = unescape(quote_line[2 : -len(marker)])
    assert quote.startswith(shown) and len(shown) > 600
    # Chinese has no spaces to cut at: the cut is after a full stop or clause mark, never inside a word.
    assert shown[-1] in "。！？；，、”"


def test_a_long_chinese_answer_splits_at_sentence_ends_within_limits_losing_nothing() -> None:
    text = SENTENCE * 300  # 10,800 characters, no spaces, no newlines
    answer = Answer(question="赵琳在哪里建立了实验室？", text=text, citations=[citation(SENTENCE)])
    embeds = answer_messages(answer)
    assert len(embeds) >= 3
    assert not limits.violations(payload(embeds[:1]))
    for embed in embeds:
        assert not limits.violations(payload([embed]))
    parts = [unescape(e.description or "") for e in embeds if e.description]
    assert "".join(parts) == text
    assert all(part.endswith("”") for part in parts), "each part ends with a whole sentence"


def test_split_text_cuts_chinese_after_its_sentence_marks() -> None:
    text = "第一句话在这里。第二句话更长一些！第三句？最后一句没有标点"
    assert split_text(text, 10) == ["第一句话在这里。", "第二句话更长一些！", "第三句？", "最后一句没有标点"]


def test_a_chinese_passage_shows_its_quote_whole_and_verbatim() -> None:
    quote = "他说：“*重要*的是_自由_探索的环境。”"  # Markdown characters inside a Chinese quote
    passage = SENTENCE * 200 + quote + SENTENCE * 10
    embeds = passage_messages(citation(quote), passage, number=1)
    for embed in embeds:
        assert not limits.violations(payload([embed]))
    shown = [unescape(e.description or "") for e in embeds]
    assert any(quote in part for part in shown)
