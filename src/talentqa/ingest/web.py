"""Load articles from the web: an article page, an RSS/Atom feed, a sitemap (index) or a PDF.

`load_url` fetches through `safe_fetch`, works out what the URL is, and yields one `Article` per article
or a `LoadError` per article that failed, so one bad entry never stops a feed or sitemap.

Identity: the same article reached through several URLs (tracking parameters, AMP variants, redirects)
must get one doc id, so the doc id is the page's own canonical URL (`<link rel="canonical">` or
`og:url`, when it stays on the same site) run through `canonical_url`, else the canonical form of the
URL it was finally served from.

XML safety: feeds and sitemaps are parsed by defusedxml first, which refuses entity declarations
(billion laughs) and external references (XXE); feedparser only ever sees XML that passed.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

import defusedxml
import defusedxml.ElementTree
import feedparser

from talentqa.dates import parse_date
from talentqa.errors import LoadError, SkippedInput
from talentqa.ingest.extract import extract_html, extract_pdf, parse_html
from talentqa.ingest.fetch import (
    ALLOWED_CONTENT_TYPES,
    HTML_TYPES,
    PDF_TYPES,
    TEXT_TYPES,
    XML_TYPES,
    FetchedPage,
    safe_fetch,
)
from talentqa.ingest.loaders import make_article
from talentqa.models import Article
from talentqa.settings import Settings
from talentqa.text import normalise

# Entries of a feed or sitemap link to documents, never to further feeds.
ARTICLE_TYPES: tuple[str, ...] = HTML_TYPES + PDF_TYPES + TEXT_TYPES

# A sitemap may list 50,000 URLs and an index 50,000 sitemaps; one ingest takes a bounded slice.
MAX_SITEMAP_URLS = 1000
MAX_CHILD_SITEMAPS = 50
MAX_FEED_ENTRIES = 500
MAX_PDF_PAGES = 500

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "mc_cid",
        "mc_eid",
        "mkt_tok",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "hsctatracking",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "rb_clickid",
        "s_cid",
        "cmpid",
        "ncid",
        "ocid",
        "sr_share",
        "spm",
        "ref_src",
        "ref_url",
        "at_medium",
        "at_campaign",
        "wt.mc_id",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "itm_")

Kind = Literal["html", "pdf", "text", "feed", "sitemap", "sitemapindex"]

_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_DEFAULT_PORTS = {"http": 80, "https": 443}


# --- URLs ------------------------------------------------------------------------------------------


def _is_tracking(key: str) -> bool:
    name = unquote_plus(key).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _is_amp_param(key: str, value: str) -> bool:
    name = unquote_plus(key).lower()
    return name == "amp" or (name in ("outputtype", "output", "format") and value.lower() == "amp")


def _strip_amp_path(path: str) -> str:
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments:
        lowered = segment.lower()
        if lowered == "amp":
            continue
        if lowered.endswith(".amp"):
            segment = segment[:-4]
        elif lowered.endswith(".amp.html"):
            segment = segment[:-9] + ".html"
        kept.append(segment)
    stripped = "/".join(kept)
    if path.endswith("/") and not stripped.endswith("/"):
        stripped += "/"
    return stripped if stripped.startswith("/") else "/" + stripped


def canonical_url(url: str) -> str:
    """One spelling per article URL: lower-case scheme and host, no default port, no fragment, no
    credentials, no tracking parameters (utm_*, fbclid, gclid, mc_cid, ...), no AMP variant
    (`/amp` path segments, `?amp`, `outputType=amp`). Other URLs come back stripped, unchanged.

    Query parameters keep their order and spelling: reordering or re-encoding could change what a
    server returns, and the point is only to merge spellings that certainly mean the same page.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _strip_amp_path(parts.path or "/")
    kept = []
    for pair in parts.query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        if _is_tracking(key) or _is_amp_param(key, value):
            continue
        kept.append(pair)
    return urlunsplit((scheme, netloc, path, "&".join(kept), ""))


def _site(host: str) -> str:
    for prefix in ("www.", "m.", "amp."):
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def _same_site(a: str, b: str) -> bool:
    a, b = _site(a.lower()), _site(b.lower())
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def declared_canonical_url(tree: Any, page_url: str) -> str | None:
    """The canonical URL a parsed HTML page declares about itself, if it is trustworthy.

    Only http(s) URLs on the same site count: any page can claim any canonical URL, and taking a
    foreign one would let a page overwrite another site's article in the store.
    """
    candidates: list[str] = []
    for link in tree.iter("link"):
        rels = str(link.get("rel") or "").lower().split()
        href = link.get("href")
        if "canonical" in rels and href:
            candidates.append(str(href))
    for meta in tree.iter("meta"):
        if str(meta.get("property") or meta.get("name") or "").lower() == "og:url" and meta.get("content"):
            candidates.append(str(meta.get("content")))
    page_host = urlsplit(page_url).hostname or ""
    for candidate in candidates:
        absolute = urljoin(page_url, candidate.strip())
        parts = urlsplit(absolute)
        if (
            parts.scheme.lower() in _DEFAULT_PORTS
            and parts.hostname
            and _same_site(parts.hostname, page_host)
        ):
            return canonical_url(absolute)
    return None


# --- what a URL is ---------------------------------------------------------------------------------


_UNSAFE_XML = {
    "EntitiesForbidden": "it declares entities (billion-laughs and external-entity attacks)",
    "ExternalReferenceForbidden": "it references external resources",
    "DTDForbidden": "it has a DTD",
}


_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w:.-]*)")
_LENIENT_ROOTS = frozenset({"rss", "rdf:rdf", "feed"})


def _declares_anything(body: bytes) -> bool:
    lowered = body.lower()
    return b"<!doctype" in lowered or b"<!entity" in lowered


def _safe_xml_root(page: FetchedPage) -> ET.Element | None:
    """Parse XML with entity declarations and external references refused; raise LoadError if unsafe.

    Returns None for a malformed feed without any DTD: real feeds often carry a bare `&`, which
    feedparser's lenient parser handles, and without a DTD there is no entity to expand or fetch.
    """
    try:
        root: ET.Element = defusedxml.ElementTree.fromstring(page.body)
    except defusedxml.DefusedXmlException as exc:
        raise LoadError(page.url, f"unsafe XML refused: {_UNSAFE_XML.get(type(exc).__name__, exc)}") from exc
    except ET.ParseError as exc:
        first = _FIRST_TAG.search(page.body[:4096])
        if first and first.group(1).decode("ascii").lower() in _LENIENT_ROOTS:
            if not _declares_anything(page.body):
                return None
        raise LoadError(page.url, f"malformed XML: {exc}") from exc
    return root


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _looks_like_xml(body: bytes) -> bool:
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<rss", b"<feed", b"<urlset", b"<sitemapindex", b"<rdf:rdf"))


def detect_kind(page: FetchedPage) -> tuple[Kind, ET.Element | None]:
    """What a fetched page is, with its (safely parsed) XML root when it is XML."""
    if page.content_type in PDF_TYPES or page.body.startswith(b"%PDF-"):
        return "pdf", None
    if page.content_type in HTML_TYPES:
        return "html", None
    if page.content_type in TEXT_TYPES and not _looks_like_xml(page.body):
        return "text", None
    root = _safe_xml_root(page)
    if root is None:
        return "feed", None
    name = _local_name(root.tag)
    if name in ("rss", "rdf", "feed"):
        return "feed", root
    if name == "urlset":
        return "sitemap", root
    if name == "sitemapindex":
        return "sitemapindex", root
    if name == "html":
        return "html", None
    raise LoadError(page.url, f"XML document <{name}> is neither a feed nor a sitemap")


# --- feeds -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    """One feed entry: where its article lives and what the feed says about it."""

    url: str
    entry_id: str
    title: str = ""
    author: str | None = None
    published: dt.date | None = None


def parse_feed(page: FetchedPage) -> list[FeedEntry]:
    """Every entry of an RSS or Atom feed, in feed order (bounded by the fetch's size limit; callers
    take their bounded slice and say what they leave); raises LoadError for unsafe or non-feed XML."""
    kind, _root = detect_kind(page)
    if kind != "feed":
        raise LoadError(page.url, "not an RSS or Atom feed")
    return _feed_entries(page)


def _feed_entries(page: FetchedPage) -> list[FeedEntry]:
    """Every entry of a page already known to be a feed whose XML passed the defusedxml check (the
    page's size is bounded by the fetch, so the list is too); callers take their bounded slice."""
    # BytesIO, never the bytes themselves: feedparser treats a bare string as a path or URL to open.
    parsed = feedparser.parse(
        io.BytesIO(page.body),
        response_headers={"content-location": page.final_url, "content-type": page.content_type},
    )
    entries: list[FeedEntry] = []
    for entry in parsed.entries:
        link = str(entry.get("link") or "")
        if not link:
            continue
        url = urljoin(page.final_url, link.strip())
        if urlsplit(url).scheme.lower() not in _DEFAULT_PORTS:
            continue
        entries.append(
            FeedEntry(
                url=url,
                entry_id=str(entry.get("id") or url),
                title=str(entry.get("title") or ""),
                author=str(entry.get("author")) if entry.get("author") else None,
                published=parse_date(entry.get("published_parsed") or entry.get("updated_parsed")),
            )
        )
    return entries


def feed_entries(url: str, settings: Settings, *, since: dt.date | None = None) -> list[FeedEntry]:
    """Fetch a feed and list all its entries (published on or after `since` when given; undated kept).
    The caller bounds how many it reads (`MAX_FEED_ENTRIES`) and reports the rest."""
    page = safe_fetch(url, settings, accept=XML_TYPES + TEXT_TYPES)
    entries = parse_feed(page)
    return [e for e in entries if since is None or e.published is None or e.published >= since]


# --- sitemaps --------------------------------------------------------------------------------------


def _sitemap_locs(root: ET.Element, item: str) -> list[tuple[str, dt.date | None]]:
    found: list[tuple[str, dt.date | None]] = []
    for element in root:
        if _local_name(str(element.tag)) != item:
            continue
        loc = lastmod = None
        for child in element:
            name = _local_name(str(child.tag))
            if name == "loc":
                loc = (child.text or "").strip()
            elif name == "lastmod":
                lastmod = parse_date(child.text)
        if loc:
            found.append((loc, lastmod))
    return found


def _recent(lastmod: dt.date | None, since: dt.date | None) -> bool:
    return since is None or lastmod is None or lastmod >= since


def _sitemap_article_urls(
    page: FetchedPage, kind: Kind, root: ET.Element, settings: Settings, since: dt.date | None
) -> Iterator[str | LoadError]:
    """Article URLs of a sitemap, or of the sitemaps an index lists (one level deep), `since` applied.

    What is left out is said, not dropped silently: a report line when the sitemap lists more than
    one ingest takes, or nothing to read at all.
    """
    if kind == "sitemap":
        sitemaps: list[tuple[FetchedPage, ET.Element]] = [(page, root)]
    else:
        sitemaps = []
        children = [loc for loc, lastmod in _sitemap_locs(root, "sitemap") if _recent(lastmod, since)]
        if len(children) > MAX_CHILD_SITEMAPS:
            yield SkippedInput(
                page.url,
                f"the sitemap index lists {len(children):,} sitemaps{_since_words(since)}; only the first "
                f"{MAX_CHILD_SITEMAPS:,} are read in one ingest",
            )
        for child in children[:MAX_CHILD_SITEMAPS]:
            child_url = urljoin(page.final_url, child)
            try:
                child_page = safe_fetch(child_url, settings, accept=XML_TYPES + TEXT_TYPES)
                child_kind, child_root = detect_kind(child_page)
            except LoadError as exc:
                yield exc
                continue
            if child_kind != "sitemap" or child_root is None:
                yield LoadError(child_url, "sitemap index entry is not a sitemap")
                continue
            sitemaps.append((child_page, child_root))
    listed = taken = 0
    for sitemap_page, sitemap_root in sitemaps:
        for loc, lastmod in _sitemap_locs(sitemap_root, "url"):
            listed += 1
            if not _recent(lastmod, since):
                continue
            taken += 1
            if taken <= MAX_SITEMAP_URLS:
                yield urljoin(sitemap_page.final_url, loc)
    if taken > MAX_SITEMAP_URLS:
        yield SkippedInput(
            page.url,
            f"the sitemap lists {taken:,} URLs{_since_words(since)}; only the first "
            f"{MAX_SITEMAP_URLS:,} are read in one ingest",
        )
    elif not taken:
        what = "sitemap index" if kind == "sitemapindex" else "sitemap"
        yield SkippedInput(
            page.url,
            f"none of the {what}'s {listed:,} URLs was modified on or after {since.isoformat()}"
            if listed and since
            else f"the {what} lists no URLs{_since_words(since)}",
        )


def _since_words(since: dt.date | None) -> str:
    return f" modified or published on or after {since.isoformat()}" if since else ""


def _feed_articles(page: FetchedPage, batch: _Batch, since: dt.date | None) -> Iterator[Article | LoadError]:
    """A feed's entries (published on or after `since`), a bounded number, saying what is left out."""
    entries = _feed_entries(page)
    recent = [e for e in entries if since is None or e.published is None or e.published >= since]
    if not recent:
        yield SkippedInput(
            page.url,
            f"none of the feed's {len(entries):,} entries was published on or after {since.isoformat()}"
            if entries and since
            else "the feed has no entries that link to an article",
        )
    elif len(recent) > MAX_FEED_ENTRIES:
        yield SkippedInput(
            page.url,
            f"the feed lists {len(recent):,} entries{_since_words(since)}; only the first "
            f"{MAX_FEED_ENTRIES:,} are read in one ingest",
        )
    for entry in recent[:MAX_FEED_ENTRIES]:
        yield from batch.load(entry.url, entry)


# --- articles --------------------------------------------------------------------------------------


def _article(
    page: FetchedPage,
    source: str,
    entry: FeedEntry | None,
    *,
    doc_id: str,
    text: str,
    title: str | None,
    author: str | None,
    published: dt.date | None,
    empty: str,
    outlet: str | None = None,
) -> Article:
    """Build the Article, letting the feed entry fill metadata the document itself lacks."""
    if not normalise(text):
        raise LoadError(page.url, empty)
    return make_article(
        doc_id=doc_id,
        text=text,
        source=source,
        title=title or (entry.title if entry else ""),
        url=doc_id,
        author=(author or "").strip() or (entry.author if entry else None),
        published=published or (entry.published if entry else None),
        outlet=outlet,
    )


def _html_article(page: FetchedPage, source: str, entry: FeedEntry | None) -> Article:
    # The declared charset wins; without one trafilatura guesses from the bytes and meta tags.
    tree = parse_html(page.text() if page.charset else page.body)
    if tree is None:
        raise LoadError(page.url, "not parseable as HTML")
    doc_id = declared_canonical_url(tree, page.final_url) or canonical_url(page.final_url)
    document = extract_html(tree, source=page.url, url=page.final_url)
    return _article(
        page,
        source,
        entry,
        doc_id=doc_id,
        text=document.text,
        title=document.title,
        author=document.author,
        outlet=document.outlet,
        published=parse_date(document.date),
        empty="no article text found",
    )


def _pdf_article(page: FetchedPage, source: str, entry: FeedEntry | None) -> Article:
    pdf = extract_pdf(page.body, source=page.url, max_pages=MAX_PDF_PAGES)
    return _article(
        page,
        source,
        entry,
        doc_id=canonical_url(page.final_url),
        text=pdf.text,
        title=pdf.title,
        author=pdf.author,
        published=pdf.published,
        empty="PDF has no extractable text (scanned images need OCR)",
    )


def _text_article(page: FetchedPage, source: str, entry: FeedEntry | None) -> Article:
    return _article(
        page,
        source,
        entry,
        doc_id=canonical_url(page.final_url),
        text=page.text(),
        title=None,
        author=None,
        published=None,
        empty="empty text document",
    )


def article_from_page(page: FetchedPage, source: str, entry: FeedEntry | None = None) -> Article:
    """Turn a fetched HTML, PDF or plain-text page into an Article; raise LoadError when there is none.

    `entry` (from a feed) fills title, author and date where the page itself says nothing.
    """
    kind, _root = detect_kind(page)
    if kind == "html":
        return _html_article(page, source, entry)
    if kind == "pdf":
        return _pdf_article(page, source, entry)
    if kind == "text":
        return _text_article(page, source, entry)
    raise LoadError(page.url, f"expected an article, found a {kind}")


# --- the entry point -------------------------------------------------------------------------------


def _extract(page: FetchedPage, source: str, entry: FeedEntry | None) -> Article | LoadError:
    try:
        return article_from_page(page, source, entry)
    except LoadError as exc:
        return exc
    except Exception as exc:  # one page that trips a parser bug must not end the batch
        return LoadError(page.url, f"could not extract the article: {type(exc).__name__}: {exc}")


class _Batch:
    """Loads the articles of one feed or sitemap, each article once."""

    def __init__(self, settings: Settings, source: str) -> None:
        self.settings = settings
        self.source = source
        self._requested: set[str] = set()
        self._yielded: set[str] = set()

    def load(self, url: str, entry: FeedEntry | None = None) -> Iterator[Article | LoadError]:
        # Variants of one URL (tracking parameters, AMP) are fetched once; different URLs that turn out
        # to declare the same canonical page are fetched but yielded once.
        key = canonical_url(url)
        if key in self._requested:
            return
        self._requested.add(key)
        try:
            page = safe_fetch(url, self.settings, accept=ARTICLE_TYPES)
        except LoadError as exc:
            yield exc
            return
        article = _extract(page, self.source, entry)
        if isinstance(article, LoadError):
            yield article
        elif article.doc_id not in self._yielded:
            self._yielded.add(article.doc_id)
            yield article


def load_url(url: str, settings: Settings, *, since: dt.date | None = None) -> Iterator[Article | LoadError]:
    """Yield the article(s) behind `url`: the page itself, a feed's entries, or a sitemap's pages.

    Every failure is yielded as a LoadError (FetchError for refusals) naming the URL that failed, so
    the rest of a batch goes on; nothing is raised. `since` keeps feed entries published, and sitemap
    entries modified, on or after that date (entries without a date are kept); it does not filter a
    single article page.
    """
    try:
        page = safe_fetch(url, settings, accept=ALLOWED_CONTENT_TYPES)
        kind, root = detect_kind(page)
    except LoadError as exc:
        yield exc
        return
    batch = _Batch(settings, source=url)
    if kind in ("html", "pdf", "text"):
        yield _extract(page, url, None)
    elif kind == "feed":
        yield from _feed_articles(page, batch, since)
    elif root is not None:
        for item in _sitemap_article_urls(page, kind, root, settings, since):
            if isinstance(item, LoadError):
                yield item
            else:
                yield from batch.load(item)


__all__ = [
    "ARTICLE_TYPES",
    "FeedEntry",
    "article_from_page",
    "canonical_url",
    "declared_canonical_url",
    "detect_kind",
    "feed_entries",
    "load_url",
    "parse_feed",
]
