"""A citation's machine translation in Discord (issue 16): under its quote, outside the block quote, after a
label that says it is not a quote, clipped (never the quote) to keep each field within Discord's limits."""

from __future__ import annotations

import discord

from talentqa.bot import limits
from talentqa.bot.format_answer import SHORTENED_MARKER, answer_messages, citation_field, citations_page
from talentqa.bot.format_text import ELLIPSIS, unescape
from talentqa.models import TRANSLATION_LABEL, Answer, Citation

QUOTE = "学校为她提供了240万欧元的启动经费和一间位于新校区的实验室。"
RENDERING = "The university gave her 2.4 million euros in start-up funding and a lab on the new campus."
SENTENCE = "材料学家赵琳在合肥建立了固态电池实验室，她说：“设备和经费都已经到位！”"  # 36 characters


def payload(embeds: list[discord.Embed]) -> dict[str, object]:
    return {"embeds": [e.to_dict() for e in embeds]}


def citation(quote: str = QUOTE, translation: str | None = RENDERING, n: int = 1) -> Citation:
    return Citation(
        n=n,
        doc_id="zhao-returns",
        title="材料学家赵琳回国建立电池实验室",
        url="https://news.example/zhao",
        quote=quote,
        start=0,
        end=len(quote),
        translation=translation,
    )


def lines_of(value: str) -> tuple[list[str], list[str]]:
    """A field's block-quote lines and its other lines."""
    lines = value.split("\n")
    return [ln for ln in lines if ln.startswith("> ")], [ln for ln in lines if not ln.startswith("> ")]


def test_the_rendering_is_labelled_under_the_quote_and_outside_the_block_quote() -> None:
    field = citation_field(citation(), number=1)

    quoted, other = lines_of(field.value)
    assert quoted == [f"> {QUOTE}"]
    assert other[0] == f"*{TRANSLATION_LABEL}:* {RENDERING}"
    assert other[1].startswith("— [材料学家赵琳回国建立电池实验室](https://news.example/zhao)")
    assert not field.shortened and len(field.value) <= limits.EMBED_FIELD_VALUE
    assert "not a quote" in TRANSLATION_LABEL


def test_a_citation_without_a_rendering_looks_as_before() -> None:
    field = citation_field(citation(translation=None), number=1)
    assert TRANSLATION_LABEL not in field.value
    assert field.value.split("\n")[0] == f"> {QUOTE}"


def test_markdown_in_a_rendering_is_shown_as_typed() -> None:
    field = citation_field(citation(translation="Her *team* builds_batteries"), number=1)
    _quoted, other = lines_of(field.value)
    assert other[0] == f"*{TRANSLATION_LABEL}:* Her \\*team\\* builds\\_batteries"
    assert unescape(other[0]).endswith("Her *team* builds_batteries")


def test_a_long_rendering_is_clipped_while_a_quote_that_fits_stays_whole() -> None:
    quote = SENTENCE * 15  # 540 characters
    field = citation_field(citation(quote, translation=RENDERING * 20), number=1)

    quoted, other = lines_of(field.value)
    assert unescape(quoted[0][2:]) == quote and not field.shortened
    assert other[0].startswith(f"*{TRANSLATION_LABEL}:* The university") and other[0].endswith(ELLIPSIS)
    assert len(field.value) <= limits.EMBED_FIELD_VALUE


def test_a_quote_too_long_for_its_field_is_shortened_and_its_rendering_keeps_a_share() -> None:
    quote = SENTENCE * 60  # 2,160 characters
    field = citation_field(citation(quote, translation=RENDERING * 20, n=2), number=2)

    assert field.shortened and len(field.value) <= limits.EMBED_FIELD_VALUE
    quoted, other = lines_of(field.value)
    marker = SHORTENED_MARKER.format(n=2)
    shown = unescape(quoted[0][2 : -len(marker)])
    assert quote.startswith(shown) and len(shown) > 300
    assert other[0].startswith(f"*{TRANSLATION_LABEL}:*") and len(other[0]) > 200


def test_answers_and_source_pages_with_renderings_stay_within_discords_limits() -> None:
    citations = [citation(SENTENCE * (10 * n), translation=RENDERING * (3 * n), n=n) for n in range(1, 8)]
    answer = Answer(
        question="How much funding did Zhao Lin get?",
        text=" ".join(f"“{c.quote}” [{c.n}]" for c in citations),
        citations=citations,
        answerer="llm",
    )

    embeds = answer_messages(answer)
    pages = [citations_page(answer, page) for page in range(3)]

    assert not limits.violations(payload(embeds[-1:]))
    for embed in [*embeds, *pages]:
        assert not limits.violations(payload([embed]))
    fields = [str(f.value) for embed in [*embeds, *pages] for f in embed.fields]
    assert all(TRANSLATION_LABEL in value for value in fields)
    # The answer text never carries the renderings.
    assert all(RENDERING not in (e.description or "") for e in embeds)
