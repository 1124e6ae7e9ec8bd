"""Pure functions that turn answers, passages and library facts into Discord messages.

Nothing here talks to Discord; everything returns `discord.Embed` objects or strings that fit the
limits in `limits.py`, so it is tested without a network.

Rules, in the order they bind:

1. **Verbatim.** Text from articles (quotes, passages, titles) is escaped so that Discord shows it
   as written: markdown, masked links and mention syntax render as typed characters. Escaping adds
   backslashes that Discord hides; it never changes a visible character. Pings are prevented
   separately: everything the bot sends carries `allowed_mentions` none.
2. **A quote is never split.** One citation is one embed field: a quote never straddles two
   fields, two embeds or two messages.
3. **The one shortening rule.** A field holds at most 1,024 characters. When a quote and its
   source line do not fit, the quote is cut at the last word boundary that fits and the cut is
   marked with `SHORTENED_MARKER`, which names the "Show passage N" button that shows the whole
   paragraph around the quote (the paragraph contains the full quote). Nothing else ever cuts a
   quote, and a cut is never silent.
4. **Long answers are split, not cut.** Answer text longer than an embed description is split
   into several messages at paragraph, then line, then sentence, then word boundaries, never inside
   a stretch of the answer that repeats a cited quote or sits between quotation marks (unless that
   stretch alone is longer than a whole description, when it is split at a word boundary).
5. **Citations are paged.** At most `CITATIONS_PER_PAGE` citations per message; the "More sources"
   button shows the next page. With at most 3 fields of 1,280 characters a page always fits beside
   a title and footer in the 6,000 characters of one message.

Other text (titles, thread names, error messages) is clipped with a visible "…".
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote as urlquote
from urllib.parse import urlsplit

import discord

from talentqa import errors
from talentqa.bot import limits
from talentqa.models import Answer, Citation, DocumentInfo, IngestItem, IngestReport
from talentqa.service import Turn

CITATIONS_PER_PAGE = 3
DOCUMENTS_PER_PAGE = 10
SHORTENED_MARKER = " … (quote shortened: press Show passage {n} for the full text)"
ELLIPSIS = "…"

ANSWER_COLOUR = discord.Colour(0x2E7D32)
ABSTAIN_COLOUR = discord.Colour(0xF9A825)
INFO_COLOUR = discord.Colour(0x5865F2)

# Below the hard limit so that an escape added at a boundary never tips a part over.
_DESCRIPTION_BUDGET = limits.EMBED_DESCRIPTION - 16
_LINK_MAX = 512
_TITLE_IN_SOURCE_MAX = 150
# A longer source line drops its link, so that the quote above it keeps most of its field.
_SOURCE_LINE_MAX = 400


# --- text primitives --------------------------------------------------------------------------


_URL = re.compile(r"https?://[^\s<]+[^<.,:;\"'\]\s)]")
_INLINE_SPECIAL = re.compile(r"([\\*_~|`\[\]<])")
_LINE_START_SPECIAL = re.compile(r"^(\s*)([#>-]|\d+(?=\.\s))", re.MULTILINE)


def escape(text: str) -> str:
    """Escape article text so Discord shows it verbatim: markdown, masked links and mention syntax.

    URLs are left alone so they stay clickable (Discord parses them before any markdown).
    """

    def line_start(m: re.Match[str]) -> str:
        indent, mark = m.group(1), m.group(2)
        # "1. item" is escaped as "1\. item": the dot, not the digits, makes the list.
        return f"{indent}{mark}\\" if mark[0].isdigit() else f"{indent}\\{mark}"

    def plain(segment: str) -> str:
        return _LINE_START_SPECIAL.sub(line_start, _INLINE_SPECIAL.sub(r"\\\1", segment))

    out: list[str] = []
    pos = 0
    for m in _URL.finditer(text):
        out.append(plain(text[pos : m.start()]))
        out.append(m.group())
        pos = m.end()
    out.append(plain(text[pos:]))
    return "".join(out)


def clip(text: str, limit: int) -> str:
    """Shorten non-quote text to `limit` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ELLIPSIS))].rstrip() + ELLIPSIS


def one_line(text: str) -> str:
    return " ".join(text.split())


_CJK_QUOTE_BREAKS = "。！？；，、"
_CJK_CLOSERS = "」』”’）》"
_PARAGRAPH = re.compile(r"\n\s*\n")
_LINE = re.compile(r"\n")
# Chinese ends a sentence with 。！？； (and any closing quotes) and goes on without a space.
_SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s|(?<=[。！？；])[」』”’）》]*")
_SPACE = re.compile(r"\s")
_QUOTED = re.compile(r"“[^”]{1,2000}”|\"[^\"\n]{1,2000}\"")


def split_text(
    text: str,
    limit: int,
    *,
    protected: Iterable[tuple[int, int]] = (),
    measure: Callable[[str], int] = len,
) -> list[str]:
    """Split `text` into parts with `measure(part) <= limit`, at the best boundary outside `protected`.

    Boundaries by preference: paragraph, line, sentence, word; a boundary is only taken when the
    part it ends is at least half the limit, so one early paragraph break does not make a tiny part.
    A protected span (start, end) is split only when it alone cannot fit.
    """
    spans = sorted(protected)
    parts: list[str] = []
    start = _skip_space(text, 0)
    while start < len(text) and measure(text[start:]) > limit:
        cut = _best_cut(text, start, limit, spans, measure)
        part = text[start:cut].rstrip()
        if part:
            parts.append(part)
        start = _skip_space(text, cut)
    tail = text[start:].rstrip()
    if tail:
        parts.append(tail)
    return parts


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _best_cut(
    text: str, start: int, limit: int, spans: Sequence[tuple[int, int]], measure: Callable[[str], int]
) -> int:
    # The largest end that fits; measure grows with the end, so bisect.
    lo, hi = start + 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(text[start:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    fit = lo

    def inside(pos: int) -> bool:
        return any(s < pos < e for s, e in spans)

    half = start + max(1, (fit - start) // 2)
    fallback = None
    for pattern in (_PARAGRAPH, _LINE, _SENTENCE, _SPACE):
        best = None
        for m in pattern.finditer(text, start, fit + 1):
            # A sentence part keeps its closing punctuation; other parts end before the break.
            pos = m.end() if pattern is _SENTENCE else m.start()
            if start < pos <= fit and not inside(pos):
                best = pos
        if best is not None and best >= half:
            return best
        if best is not None and fallback is None:
            fallback = best
    if fallback is not None:
        # A short part is better than a cut inside a quote.
        return fallback
    # Only a protected span longer than the limit gets here: split it at a word if possible.
    for m in reversed(list(_SPACE.finditer(text, start, fit + 1))):
        if start < m.start() <= fit:
            return m.start()
    return fit


def quote_block(text: str) -> str:
    """Markdown block quote of already escaped text."""
    return "\n".join("> " + line for line in text.split("\n"))


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


def safe_url(url: str | None) -> str | None:
    """A URL usable inside a markdown link, or None for anything that is not plain http(s)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    # Parentheses and spaces would end the markdown link early.
    cleaned = urlquote(url.strip(), safe=":/?#[]@!$&'*+,;=%~-._")
    cleaned = cleaned.replace("(", "%28").replace(")", "%29")
    return cleaned if len(cleaned) <= _LINK_MAX else None


def source_line(citation: Citation) -> str:
    """The line under a quote: the title linked to the quote (or the article), and the date."""
    title = escape(clip(one_line(citation.title or citation.doc_id), _TITLE_IN_SOURCE_MAX))
    date = f" · {citation.published.isoformat()}" if citation.published is not None else ""
    for link in (safe_url(citation.link), safe_url(citation.url)):
        if link and len(link) + len(title) + len(date) + 6 <= _SOURCE_LINE_MAX:
            return f"— [{title}]({link}){date}"
    return f"— {title}{date}"


def citation_field(citation: Citation, *, number: int, related: bool = False) -> CitationField:
    """One citation as an embed field: the verbatim quote, then the linked title and date."""
    label = f"Related {number}" if related else f"[{number}]"
    name = clip(f"{label} {one_line(citation.title or citation.doc_id)}", limits.EMBED_FIELD_NAME)
    source = source_line(citation)
    budget = limits.EMBED_FIELD_VALUE - len(source) - 1
    block = quote_block(escape(citation.quote))
    if len(block) <= budget:
        return CitationField(name, f"{block}\n{source}", shortened=False)
    return CitationField(
        name, f"{_shortened_quote(citation.quote, number, budget)}\n{source}", shortened=True
    )


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


# --- library ----------------------------------------------------------------------------------


def _document_line(doc: DocumentInfo) -> str:
    title = escape(clip(one_line(doc.title or doc.doc_id), 120))
    link = safe_url(doc.url)
    head = f"[{title}]({link})" if link and len(link) <= 300 else title
    bits = [head]
    if doc.published is not None:
        bits.append(doc.published.isoformat())
    bits.append(f"{doc.chunks} passages")
    ident = escape(clip(doc.doc_id, 80))
    return f"• {' · '.join(bits)}\n  id: {ident}"


def documents_page(
    docs: Sequence[DocumentInfo], page: int, *, per_page: int = DOCUMENTS_PER_PAGE
) -> tuple[discord.Embed, int, int]:
    """One page (from 0, clamped) of the library; returns the embed, the page shown and the page count."""
    pages = max(1, math.ceil(len(docs) / per_page))
    page = min(max(page, 0), pages - 1)
    embed = discord.Embed(title="Articles in the library", colour=INFO_COLOUR)
    chunk = docs[page * per_page : (page + 1) * per_page]
    if not chunk:
        embed.description = "Nothing is ingested yet."
    else:
        embed.description = "\n".join(_document_line(doc) for doc in chunk)
    passages = sum(doc.chunks for doc in docs)
    embed.set_footer(text=f"Page {page + 1} of {pages} · {len(docs)} articles · {passages} passages")
    return embed, page, pages


_ABOUT_ORDER = ("version", "answerer", "model", "embedding_model", "llm", "store", "mode", "location")


def _flatten(info: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in info.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            items.extend(_flatten(value, f"{name}."))
        else:
            items.append((name, value))
    return items


def about_embed(info: Mapping[str, Any], *, extra: Mapping[str, Any] | None = None) -> discord.Embed:
    """What `service.about()` says (version, model, store, corpus size), one field per fact."""
    embed = discord.Embed(title="About talentqa", colour=INFO_COLOUR)
    flat = _flatten(info)
    rank = {key: i for i, key in enumerate(_ABOUT_ORDER)}
    flat.sort(key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
    flat.extend(_flatten(extra or {}))
    for key, value in flat[: limits.EMBED_FIELDS]:
        if isinstance(value, list | tuple | set):
            shown = ", ".join(str(v) for v in value) or "—"
        else:
            shown = "—" if value is None or value == "" else str(value)
        name = clip(key.replace("_", " ").capitalize(), limits.EMBED_FIELD_NAME)
        embed.add_field(name=name, value=clip(escape(shown), limits.EMBED_FIELD_VALUE), inline=True)
    return embed


# --- ingest and forget ------------------------------------------------------------------------

INGEST_SHOWN = 5
FAILED_COLOUR = discord.Colour(0xC62828)

_INGEST_STATUS = {
    "added": "Added",
    "updated": "Updated",
    "unchanged": "Unchanged (already stored)",
    "reindexed": "Reindexed",
    "failed": "Failed",
}
# Per field, so that INGEST_SHOWN fields, the title, the URL and the footer stay under EMBED_TOTAL.
_INGEST_FIELD_NAME_MAX = 150
_INGEST_FIELD_VALUE_MAX = 850
_OPENING_MAX = 300
_OPENING_LINES = 3


@dataclass(frozen=True)
class StoredPreview:
    """What the library holds for one just-ingested article, looked up after the ingest."""

    published: dt.date | None = None
    chunks: int | None = None
    opening: str = ""


def opening_lines(text: str, *, lines: int = _OPENING_LINES, limit: int = _OPENING_MAX) -> str:
    """The first non-empty lines of an article, whitespace tidied, clipped with "…".

    This is a preview of what was stored, not a citation, so the quote rules do not apply to it.
    """
    kept = [one_line(line) for line in text.splitlines() if line.strip()][:lines]
    return clip("\n".join(kept), limit)


def ingest_item_field(item: IngestItem, preview: StoredPreview | None) -> tuple[str, str]:
    """One ingested (or failed) article as an embed field: status and title; date, passages, opening."""
    status = _INGEST_STATUS.get(item.status, item.status.capitalize())
    title = one_line(item.title or item.doc_id or item.source) or "(untitled)"
    name = clip(f"{status}: {title}", _INGEST_FIELD_NAME_MAX)
    lines: list[str] = []
    if item.status == "failed":
        lines.append(f"Reason: {escape(clip(one_line(item.reason or 'not given'), 300))}")
        lines.append(f"From: {escape(clip(item.source, 200))}")
    else:
        published = preview.published if preview is not None else None
        chunks = preview.chunks if preview is not None and preview.chunks is not None else item.chunks
        lines.append(f"{published.isoformat() if published else 'no date'} · {chunks} passages")
        if item.doc_id:
            lines.append(f"id: {escape(clip(item.doc_id, 120))}")
        if preview is not None and preview.opening:
            lines.append(quote_block(escape(preview.opening)))
    return name, clip("\n".join(lines), _INGEST_FIELD_VALUE_MAX)


def ingest_embed(
    url: str,
    report: IngestReport,
    previews: Mapping[str, StoredPreview],
    *,
    shown: int = INGEST_SHOWN,
) -> discord.Embed:
    """What `/ingest url` replies: one field per article (the first `shown`), counts in the footer."""
    items = report.items
    failed = report.count("failed")
    if not items:
        title, colour = "Nothing ingested", ABSTAIN_COLOUR
    elif failed == len(items):
        title, colour = "Ingest failed", FAILED_COLOUR
    elif failed:
        title, colour = "Ingested, with failures", ABSTAIN_COLOUR
    else:
        title, colour = "Ingested", ANSWER_COLOUR
    embed = discord.Embed(title=title, colour=colour)
    embed.description = f"From {escape(clip(url, 300))}"
    if not items:
        embed.description += "\nNo article was found there."
    for item in items[:shown]:
        name, value = ingest_item_field(item, previews.get(item.doc_id or ""))
        embed.add_field(name=name, value=value, inline=False)
    bits = [f"{n} {status}" for status, n in report.summary().items() if n]
    if len(items) > shown:
        bits.append(f"{len(items) - shown} more not shown (see /sources)")
    bits.append(f"{report.seconds:.1f} s")
    embed.set_footer(text=clip(" · ".join(bits), limits.EMBED_FOOTER))
    # The budgets above keep this from happening; the loop only guarantees Discord never sees a 400.
    while len(embed) > limits.EMBED_TOTAL and embed.fields:
        embed.remove_field(-1)
    return embed


def forgotten_text(doc_id: str, info: DocumentInfo | None) -> str:
    """What `/forget` replies once an article and its passages are gone."""
    ident = escape(clip(doc_id, 200))
    if info is None:
        return f"Removed {ident} from the library."
    title = escape(clip(one_line(info.title or info.doc_id), 200))
    return f"Removed “{title}” (id: {ident}) and its {info.chunks} passages from the library."


# --- short texts ------------------------------------------------------------------------------

GENERIC_APOLOGY = "Sorry, something went wrong on my side. It has been logged; please try again later."


def error_text(exc: BaseException) -> str:
    """The short reply for a failure. Known errors say what happened; anything else gets an apology."""
    if isinstance(exc, errors.QuestionError):
        return clip(f"I can't answer that: {exc}", 300)
    if isinstance(exc, errors.DocumentNotFoundError):
        return "That article is no longer in the library."
    if isinstance(exc, errors.EmptyStoreError):
        return "Nothing has been added to the library yet, so I have nothing to quote."
    if isinstance(exc, errors.StoreError):
        return "The article store is unavailable right now. Please try again in a few minutes."
    if isinstance(exc, errors.AnswerError):
        return "The answerer failed this time. Please try again in a moment."
    if isinstance(exc, errors.ConfigError):
        return "The bot is misconfigured; the operator can see the details in its log."
    if isinstance(exc, errors.TalentQAError):
        return clip(f"Sorry: {exc}", 300)
    if isinstance(exc, TimeoutError):
        return "That took too long, so I gave up. Please try again later or ask something narrower."
    return GENERIC_APOLOGY


def cooldown_text(seconds: float) -> str:
    wait = max(1, math.ceil(seconds))
    return f"You're asking quickly. Please try again in {wait} s."


EMPTY_MENTION_TEXT = "Ask me a question after the mention, for example: @talentqa what did the mayor say?"
EXPIRED_TEXT = "This answer's buttons have expired (I keep recent answers only). Please ask again."
SHUTTING_DOWN_TEXT = "I'm restarting right now. Please ask again in a minute."


def question_from_mention(content: str, bot_id: int) -> str:
    """The question in "@bot question": every mention of the bot removed, whitespace tidied."""
    return one_line(re.sub(rf"<@!?{bot_id}>", " ", content))


def thread_name(question: str) -> str:
    return clip(one_line(question) or "Question", limits.THREAD_NAME)


def turns_from_transcript(entries: Sequence[tuple[bool, str]], *, max_turns: int = 10) -> list[Turn]:
    """Conversation turns from (is_bot, text) entries, oldest first; consecutive same-side texts merge."""
    turns: list[Turn] = []
    for is_bot, text in entries:
        text = text.strip()
        if not text:
            continue
        role = "assistant" if is_bot else "user"
        if turns and turns[-1].role == role:
            turns[-1] = Turn(role=role, content=f"{turns[-1].content}\n{text}")
        else:
            turns.append(Turn(role=role, content=text))
    return turns[-max_turns:]


def unescape(text: str) -> str:
    """Undo `escape`: the text as the user saw it (used to read the bot's own past answers back)."""
    return re.sub(r"\\([^A-Za-z0-9\s])", r"\1", text)
