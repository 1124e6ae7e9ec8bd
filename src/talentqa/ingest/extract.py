"""The one HTML extractor and the one PDF extractor, shared by file ingest and URL ingest.

File and URL ingest used to extract with different settings, so a page kept an ad block in one and not
the other; both now call these, with the stricter settings (precision over recall, no comments, no
tables, dates only from markup).

HTML: trafilatura keeps a block inside `<article>` even when the page marks it as an ad
(`class="ad"`, `data-ad-slot`, an "Advertisement" label); such blocks were stored and then quoted as
answers. They are removed from the parsed page before extraction.

PDF: pypdf gives one line per printed line, so a sentence wrapped over two lines was two pieces and a
quote stopped at the line end; wrapped lines are joined (and words hyphenated at a line end put back
together) before the text is stored, so offsets into the stored text stay exact. Only a date that
the file declares as its publication date is one: CreationDate and ModDate say when the file was made
(often the day it was exported), not when the article was published.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from dataclasses import dataclass
from typing import Any

from talentqa.errors import LoadError

# --- HTML ---------------------------------------------------------------------------------------------

# Class and id words that mark ads. Whole words only (class tokens split at "-" and "_"): "ad" must not
# match "head", "shadow" or "address".
_AD_WORDS = frozenset(
    {
        "ad",
        "ads",
        "adv",
        "advert",
        "adverts",
        "advertisement",
        "advertisements",
        "advertising",
        "adslot",
        "adunit",
        "adsbygoogle",
        "sponsor",
        "sponsored",
        "sponsorship",
        "promo",
        "promoted",
        "outbrain",
        "taboola",
    }
)
# Whole-element labels that announce an ad or sponsored block (never article text on their own).
_AD_LABELS = frozenset(
    {
        "ad",
        "advertisement",
        "advertisements",
        "advertising",
        "sponsored",
        "sponsored content",
        "paid content",
        "paid post",
        "promoted",
        "promoted content",
        "advertisement - scroll to continue",
        "advertisement · scroll to continue",
        "story continues below advertisement",
        "article continues below advertisement",
    }
)
_WORD_SPLIT = re.compile(r"[\s\-_]+")


@dataclass(frozen=True)
class HtmlExtract:
    """What the extractor found in a page; `url` is the page's own URL when it declares one."""

    text: str
    title: str | None
    author: str | None
    date: str | None
    url: str | None
    outlet: str | None = None  # the site's name (og:site_name and the like)


def parse_html(content: str | bytes) -> Any | None:
    """The page as an lxml tree (None when it is not HTML); bytes without a declared charset are
    decoded by trafilatura's own detection (meta tags, then the bytes)."""
    from trafilatura.utils import load_html

    return load_html(content)


def _is_ad(element: Any) -> bool:
    if str(element.tag).lower() == "aside":
        return True
    for name, value in element.attrib.items():
        name = str(name).lower()
        if name.startswith("data-ad") or name in {"data-google-query-id", "data-sponsored"}:
            return True
        if name in {"class", "id"}:
            words = {word for word in _WORD_SPLIT.split(str(value).lower()) if word}
            if words & _AD_WORDS:
                return True
        if name == "aria-label" and str(value).strip().lower() in _AD_LABELS:
            return True
    # A label is a leaf (or wraps one inline element): looking no deeper keeps this linear in the page.
    if len(element) > 1 or (len(element) == 1 and len(element[0]) > 0):
        return False
    text = "".join(element.itertext()) if len(element) else (element.text or "")
    return len(text) <= 80 and " ".join(text.split()).lower().strip(" :.") in _AD_LABELS


def strip_ads(tree: Any) -> None:
    """Remove ad blocks and ad labels from a parsed page, in place (their tails, ordinary text that
    follows them, stay)."""
    # Collected first: removing while iterating skips elements. Body only: <head> holds metadata.
    bodies = tree.xpath("//body") or [tree]
    doomed = [el for body in bodies for el in body.iter() if isinstance(el.tag, str) and _is_ad(el)]
    for element in doomed:
        parent = element.getparent()
        if parent is None:
            continue
        if element.tail:
            previous = element.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + element.tail
            else:
                parent.text = (parent.text or "") + element.tail
        parent.remove(element)


def extract_html(page: str | bytes | Any, *, source: str, url: str | None = None) -> HtmlExtract:
    """The article text and metadata of a page (markup, bytes or a tree from `parse_html`).

    Raises LoadError naming `source` when the page is not HTML or holds no article. A tree passed in
    is changed (its ads are removed).
    """
    import trafilatura
    from trafilatura.settings import set_date_params

    tree = parse_html(page) if isinstance(page, str | bytes) else page
    if tree is None:
        raise LoadError(source, "not parseable as HTML")
    strip_ads(tree)
    try:
        document = trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
            # Without extensive search htmldate trusts markup (meta tags, <time>) and not stray text.
            date_extraction_params=set_date_params(extensive=False),
        )
    except ValueError as exc:
        raise LoadError(source, "no article text found") from exc
    if document is None or isinstance(document, dict):
        raise LoadError(source, "no article text found")
    return HtmlExtract(
        text=document.text or "",
        title=document.title or None,
        author=document.author or None,
        date=document.date or None,
        url=document.url or None,
        outlet=document.sitename or None,
    )


# --- PDF ----------------------------------------------------------------------------------------------

_PRISM = "http://prismstandard.org/namespaces/"
_PUBLICATION_FIELDS = ("publicationDate", "coverDate")
_SENTENCE_END = (".", "!", "?", ":", '"', "”", "’", ")")


@dataclass(frozen=True)
class PdfExtract:
    text: str
    title: str | None
    author: str | None
    published: dt.date | None


def extract_pdf(data: bytes, *, source: str, max_pages: int | None = None) -> PdfExtract:
    """The text (wrapped lines joined) and metadata of a PDF; LoadError naming `source` when it cannot
    be read. `max_pages` bounds the work an untrusted file can cause."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    from talentqa.dates import parse_date

    # pypdf logs a warning for every repairable oddity; a bad file is reported once, by the caller.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(source, "PDF is encrypted")
        pages = reader.pages if max_pages is None else reader.pages[:max_pages]
        texts = [join_wrapped_lines(page.extract_text() or "") for page in pages]
        info = reader.metadata
        title = info.title if info else None
        author = info.author if info else None
        published = parse_date(publication_date(reader))
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AssertionError, RecursionError) as exc:
        raise LoadError(source, f"corrupt or unreadable PDF ({exc.__class__.__name__})") from exc
    text = "\n\n".join(t for t in texts if t)
    if not text.strip():
        raise LoadError(source, "PDF has no extractable text (scanned images need OCR)")
    return PdfExtract(
        text=text,
        title=(str(title).strip() or None) if title else None,
        author=(str(author).strip() or None) if author else None,
        published=published,
    )


def publication_date(reader: Any) -> str | None:
    """A date the PDF declares as its publication date (XMP `prism:publicationDate` or
    `prism:coverDate`, as publishers write them), else None. CreationDate and ModDate never count."""
    try:
        xmp = reader.xmp_metadata
    except Exception:  # noqa: BLE001 - pypdf raises many kinds for a malformed XMP packet; no date then
        return None
    root = getattr(xmp, "rdf_root", None) if xmp is not None else None
    if root is None:
        return None
    for node in root.getElementsByTagName("*"):
        if _is_publication_field(node):
            value = "".join(child.data for child in node.childNodes if child.nodeType == child.TEXT_NODE)
            if value.strip():
                return value.strip()
        # The attribute form: <rdf:Description prism:publicationDate="2024-03-01">.
        attributes = node.attributes
        for index in range(attributes.length if attributes else 0):
            attribute = attributes.item(index)
            if _is_publication_field(attribute) and attribute.value.strip():
                return str(attribute.value).strip()
    return None


def _is_publication_field(node: Any) -> bool:
    return bool((node.namespaceURI or "").startswith(_PRISM) and node.localName in _PUBLICATION_FIELDS)


def join_wrapped_lines(text: str) -> str:
    """One page's text with the line wrapping undone: lines of a paragraph joined by a space, a word
    hyphenated at a line end ("inter-" + "national") joined back when the next line goes on in lower
    case, and paragraph breaks kept: blank lines, and a short line (well under the page's usual line
    length) followed by one that starts a new sentence or heading."""
    paragraphs: list[str] = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        lengths = sorted(len(line) for line in lines)
        # The usual full line; a paragraph's last line is shorter. Needs a few lines to tell.
        usual = lengths[(3 * len(lengths)) // 4] if len(lines) >= 3 else 0
        current = lines[0]
        for previous, line in zip(lines, lines[1:], strict=False):
            if usual and len(previous) < 0.6 * usual and _starts_anew(line, previous):
                paragraphs.append(current)
                current = line
            elif previous.endswith("-") and len(previous) > 1 and previous[-2].isalpha():
                # "inter-" + "national": a word split by the typesetter. "Franco-" + "German": a
                # hyphenated compound, whose hyphen stays, without the space.
                current = (current[:-1] if line[0].islower() else current) + line
            else:
                current += " " + line
        paragraphs.append(current)
    return "\n\n".join(paragraphs)


def _starts_anew(line: str, previous: str) -> bool:
    first = line[0]
    return (first.isupper() or first.isdigit() or first in "•–—-*") and (
        previous.endswith(_SENTENCE_END) or not previous[-1].isalpha() or len(previous.split()) <= 8
    )


__all__ = [
    "HtmlExtract",
    "PdfExtract",
    "extract_html",
    "extract_pdf",
    "join_wrapped_lines",
    "parse_html",
    "publication_date",
    "strip_ads",
]
