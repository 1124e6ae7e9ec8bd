"""The library as Discord messages: `/sources` pages, `/about`, and the replies of `/ingest` and `/forget`."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import discord

from talentqa.bot import limits
from talentqa.bot.format_text import (
    ABSTAIN_COLOUR,
    ANSWER_COLOUR,
    FAILED_COLOUR,
    INFO_COLOUR,
    clip,
    escape,
    one_line,
    quote_block,
    safe_url,
)
from talentqa.models import DocumentInfo, DocumentPage, IngestItem, IngestReport

DOCUMENTS_PER_PAGE = 10

# --- library ----------------------------------------------------------------------------------


def _document_line(doc: DocumentInfo) -> str:
    title = escape(clip(one_line(doc.title or doc.doc_id), 120))
    link = safe_url(doc.url)
    head = f"[{title}]({link})" if link and len(link) <= 300 else title
    bits = [head]
    if doc.outlet:
        bits.append(escape(clip(one_line(doc.outlet), 60)))
    if doc.published is not None:
        bits.append(doc.published.isoformat())
    bits.append(f"{doc.chunks} passages")
    ident = escape(clip(doc.doc_id, 80))
    return f"• {' · '.join(bits)}\n  id: {ident}"


def page_count(total: int, per_page: int = DOCUMENTS_PER_PAGE) -> int:
    """Pages of `per_page` articles that `total` articles fill (one, empty, for an empty library)."""
    return max(1, math.ceil(total / per_page))


def documents_page(
    listing: DocumentPage, *, per_page: int = DOCUMENTS_PER_PAGE
) -> tuple[discord.Embed, int, int]:
    """One page of the library (`QAService.documents_page` from a multiple of `per_page`); returns the
    embed, the page shown (from 0) and the page count."""
    pages = page_count(listing.total, per_page)
    page = min(listing.offset // per_page, pages - 1)
    embed = discord.Embed(title="Articles in the library", colour=INFO_COLOUR)
    docs = listing.documents[:per_page]
    if docs:
        embed.description = "\n".join(_document_line(doc) for doc in docs)
    elif listing.total:
        embed.description = "No articles on this page (the library changed); go back a page."
    else:
        embed.description = "Nothing is ingested yet."
    embed.set_footer(
        text=f"Page {page + 1:,} of {pages:,} · {listing.total:,} articles · {listing.chunks:,} passages"
    )
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
