"""Answers as Discord messages: the answer text, its citations (paged) and the passage around a quote.

Rules, in the order they bind (escaping and splitting themselves are in `format_text.py`):

1. **A quote is never split.** One citation is one embed field: a quote never straddles two
   fields, two embeds or two messages.
2. **The one shortening rule.** A field holds at most 1,024 characters. When a quote and its
   source line do not fit, the quote is cut at the last word boundary that fits and the cut is
   marked with `SHORTENED_MARKER`, which names the "Show passage N" button that shows the whole
   paragraph around the quote (the paragraph contains the full quote). Nothing else ever cuts a
   quote, and a cut is never silent.
3. **Long answers are split, not cut.** Answer text longer than an embed description is split
   into several messages, never inside a stretch of the answer that repeats a cited quote or sits
   between quotation marks (unless that stretch alone is longer than a whole description).
4. **Citations are paged.** At most `CITATIONS_PER_PAGE` citations per message; the "More sources"
   button shows the next page. With at most 3 fields of 1,280 characters a page always fits beside
   a title and footer in the 6,000 characters of one message.
5. **A translation is never a quote.** A citation's `translation` (the language model's rendering of
   a quote in another language) is shown under the block quote, outside it, after
   `TRANSLATION_LABEL`, in the same field. It may be clipped with "…" (it is not a quote); it takes
   the room the whole quote leaves, and at least `_TRANSLATION_RESERVE` characters (when it is that
   long) before rule 2 shortens the quote.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import discord

from talentqa.answer.texts import read_first_note
from talentqa.bot import limits
from talentqa.bot.format_text import (
    ABSTAIN_COLOUR,
    ANSWER_COLOUR,
    INFO_COLOUR,
    clip,
    escape,
    one_line,
    quote_block,
    safe_url,
    split_text,
)
from talentqa.models import TRANSLATION_LABEL, Answer, Citation

CITATIONS_PER_PAGE = 3
SHORTENED_MARKER = " … (quote shortened: press Show passage {n} for the full text)"

# Below the hard limit so that an escape added at a boundary never tips a part over.
_DESCRIPTION_BUDGET = limits.EMBED_DESCRIPTION - 16
_TITLE_IN_SOURCE_MAX = 150
_OUTLET_MAX = 60
# A longer source line drops its link, so that the quote above it keeps most of its field.
_SOURCE_LINE_MAX = 400
_CJK_QUOTE_BREAKS = "。！？；，、"
_CJK_CLOSERS = "」』”’）》"
# What a translation keeps of a field whose quote needs the room, and the least worth showing.
_TRANSLATION_RESERVE = 320
_TRANSLATION_MIN = 24
_TRANSLATION_PREFIX = f"*{TRANSLATION_LABEL}:* "
_QUOTED = re.compile(r"“[^”]{1,2000}”|\"[^\"\n]{1,2000}\"")


# --- citations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CitationField:
    name: str
    value: str
    shortened: bool


def cited(answer: Answer) -> list[Citation]:
    """What the answer shows as sources: its citations, or the related passages of an abstention."""
    return list(answer.related if answer.abstained else answer.citations)


def citation_number(answer: Answer, index: int) -> int:
    """The number shown for `cited(answer)[index]`: the citation's own `n`, which the answer text's
    [n] markers use; related passages are simply counted."""
    items = cited(answer)
    if answer.abstained or not 0 <= index < len(items):
        return index + 1
    return items[index].n


def source_line(citation: Citation) -> str:
    """The line under a quote: the title linked to the quote (or the article), the outlet and the date."""
    title = escape(clip(one_line(citation.title or citation.doc_id), _TITLE_IN_SOURCE_MAX))
    date = f" · {citation.published.isoformat()}" if citation.published is not None else ""
    if citation.outlet:
        date = f" · {escape(clip(one_line(citation.outlet), _OUTLET_MAX))}{date}"
    for link in (safe_url(citation.link), safe_url(citation.url)):
        if link and len(link) + len(title) + len(date) + 6 <= _SOURCE_LINE_MAX:
            return f"— [{title}]({link}){date}"
    return f"— {title}{date}"


def citation_field(citation: Citation, *, number: int, related: bool = False) -> CitationField:
    """One citation as an embed field: the verbatim quote, its labelled translation when it has one,
    then the linked title and date."""
    label = f"Related {number}" if related else f"[{number}]"
    name = clip(f"{label} {one_line(citation.title or citation.doc_id)}", limits.EMBED_FIELD_NAME)
    tail = source = source_line(citation)
    budget = limits.EMBED_FIELD_VALUE - len(source) - 1
    block = quote_block(escape(citation.quote))
    if citation.translation:
        translation = translation_line(
            citation.translation, max(budget - len(block) - 1, _TRANSLATION_RESERVE)
        )
        if translation:
            tail = f"{translation}\n{source}"
            budget -= len(translation) + 1
    if len(block) <= budget:
        return CitationField(name, f"{block}\n{tail}", shortened=False)
    return CitationField(name, f"{_shortened_quote(citation.quote, number, budget)}\n{tail}", shortened=True)


def translation_line(translation: str, limit: int) -> str:
    """A translation as the line under its quote: labelled, outside the block quote, escaped, at most
    `limit` characters (clipped with "…"); "" when not even a few words of it fit."""
    text = one_line(translation)

    def render(n: int) -> str:
        return _TRANSLATION_PREFIX + escape(clip(text, n))

    if len(render(len(text))) <= limit:
        return render(len(text))
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(render(mid)) <= limit:
            lo = mid
        else:
            hi = mid - 1
    line = render(lo)
    return line if lo >= _TRANSLATION_MIN and len(line) <= limit else ""


def _shortened_quote(quote: str, number: int, budget: int) -> str:
    marker = SHORTENED_MARKER.format(n=number)

    def render(n: int) -> str:
        return quote_block(escape(quote[:n].rstrip()) + marker)

    lo, hi = 0, len(quote)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(render(mid)) <= budget:
            lo = mid
        else:
            hi = mid - 1
    space = max((quote.rfind(ch, 0, lo + 1) for ch in (" ", "\n", "\t")), default=-1)
    # Chinese has no spaces: end after a sentence or clause mark (and its closing quotes) instead.
    mark = max(quote.rfind(ch, 0, lo) for ch in _CJK_QUOTE_BREAKS) + 1
    while 0 < mark < lo and quote[mark] in _CJK_CLOSERS:
        mark += 1
    best = max(space, mark if mark > 0 else -1)
    cut = best if best > lo // 2 else lo
    return render(cut)


def _page_footer(first: int, count: int, total: int) -> str:
    if total <= count:
        return ""
    more = " · More sources shows the next" if first + count < total else ""
    return f"Sources {first + 1}–{first + count} of {total}{more}"


def _add_citation_fields(embed: discord.Embed, answer: Answer, page: int, per_page: int) -> None:
    items = cited(answer)
    first = page * per_page
    for offset, citation in enumerate(items[first : first + per_page]):
        number = citation_number(answer, first + offset)
        field = citation_field(citation, number=number, related=answer.abstained)
        embed.add_field(name=field.name, value=field.value, inline=False)


# --- answers ----------------------------------------------------------------------------------


def _answer_footer(answer: Answer, page_note: str) -> str:
    bits: list[str] = []
    if answer.abstained:
        bits.append("No answer in the library; the passages above are related, not an answer.")
    if answer.standalone_question:
        bits.append(f"Understood as: {clip(one_line(answer.standalone_question), 300)}")
    if answer.read_first:
        bits.append(read_first_note(answer.read_first).capitalize())
    tail = [f"{answer.answerer} answer"]
    if answer.as_of is not None:
        tail.append(f"sources up to {answer.as_of.isoformat()}")
    if page_note:
        tail.append(page_note)
    bits.append(" · ".join(tail))
    return clip("\n".join(bits), limits.EMBED_FOOTER)


def _protected_spans(text: str, answer: Answer) -> list[tuple[int, int]]:
    """Stretches of `text` that repeat a cited quote or sit between quotation marks."""
    spans: list[tuple[int, int]] = []
    for citation in [*answer.citations, *answer.related]:
        quote = citation.quote.strip()
        if not quote:
            continue
        pos = text.find(quote)
        while pos != -1:
            spans.append((pos, pos + len(quote)))
            pos = text.find(quote, pos + 1)
    spans.extend(m.span() for m in _QUOTED.finditer(text))
    return spans


def answer_title(answer: Answer) -> str:
    return clip(one_line(answer.question) or "Answer", limits.EMBED_TITLE)


def answer_messages(answer: Answer, *, per_page: int = CITATIONS_PER_PAGE) -> list[discord.Embed]:
    """The messages (one embed each) that show an answer; the last one carries the first sources.

    Send them in order; the buttons belong under the last one.
    """
    text = answer.text.strip() or (
        "I couldn't find an answer to that in the library." if answer.abstained else "(no answer text)"
    )
    parts = split_text(
        text,
        _DESCRIPTION_BUDGET,
        protected=_protected_spans(text, answer),
        measure=lambda s: len(escape(s)),
    )
    colour = ABSTAIN_COLOUR if answer.abstained else ANSWER_COLOUR
    title = answer_title(answer)
    embeds: list[discord.Embed] = []
    for i, part in enumerate(parts):
        heading = title if i == 0 else clip(title, limits.EMBED_TITLE - 12) + " (continued)"
        embeds.append(discord.Embed(title=heading, description=escape(part), colour=colour))
    items = cited(answer)
    shown = min(per_page, len(items))
    footer = _answer_footer(answer, _page_footer(0, shown, len(items)))
    last = embeds[-1]
    sources = discord.Embed(colour=colour)
    _add_citation_fields(sources, answer, 0, per_page)
    if len(last) + len(sources) + len(footer) <= limits.EMBED_TOTAL:
        for field in sources.fields:
            last.add_field(name=str(field.name), value=str(field.value), inline=False)
    else:
        sources.title = clip(f"Sources: {title}", limits.EMBED_TITLE)
        embeds.append(sources)
        last = sources
    last.set_footer(text=footer)
    return embeds


def citations_page(answer: Answer, page: int, *, per_page: int = CITATIONS_PER_PAGE) -> discord.Embed:
    """Page `page` (from 0) of an answer's sources, for "More sources"."""
    items = cited(answer)
    pages = max(1, math.ceil(len(items) / per_page))
    page = min(max(page, 0), pages - 1)
    colour = ABSTAIN_COLOUR if answer.abstained else ANSWER_COLOUR
    label = "Related passages" if answer.abstained else "Sources"
    embed = discord.Embed(
        title=clip(f"{label}: {one_line(answer.question)}", limits.EMBED_TITLE), colour=colour
    )
    _add_citation_fields(embed, answer, page, per_page)
    first = page * per_page
    shown = len(items[first : first + per_page])
    embed.set_footer(text=_page_footer(first, shown, len(items)) or f"{len(items)} sources")
    return embed


def page_count(answer: Answer, per_page: int = CITATIONS_PER_PAGE) -> int:
    return max(1, math.ceil(len(cited(answer)) / per_page))


# --- passages ---------------------------------------------------------------------------------


def passage_messages(citation: Citation, passage: str, *, number: int) -> list[discord.Embed]:
    """The paragraph around a quote, with the quote in bold; split over messages only if it must be."""
    title = clip(f"[{number}] {one_line(citation.title or citation.doc_id)}", limits.EMBED_TITLE)
    source = source_line(citation)
    pos = passage.find(citation.quote) if citation.quote else -1
    if pos != -1:
        before, quote, after = passage[:pos], citation.quote, passage[pos + len(citation.quote) :]
        rendered = f"{escape(before)}**{escape(quote)}**{escape(after)}\n\n{source}"
        if len(rendered) <= limits.EMBED_DESCRIPTION:
            return [discord.Embed(title=title, description=rendered, colour=INFO_COLOUR)]
    text = passage if pos != -1 or not citation.quote else f"{passage}\n\n{citation.quote}"
    spans = [(pos, pos + len(citation.quote))] if pos != -1 else []
    parts = split_text(
        text, _DESCRIPTION_BUDGET - len(source) - 2, protected=spans, measure=lambda s: len(escape(s))
    )
    embeds = []
    for i, part in enumerate(parts):
        heading = title if i == 0 else clip(title, limits.EMBED_TITLE - 12) + " (continued)"
        embed = discord.Embed(title=heading, description=escape(part), colour=INFO_COLOUR)
        if i == len(parts) - 1:
            embed.description = f"{embed.description}\n\n{source}"
        if len(parts) > 1:
            embed.set_footer(text=f"Part {i + 1} of {len(parts)}")
        embeds.append(embed)
    return embeds
