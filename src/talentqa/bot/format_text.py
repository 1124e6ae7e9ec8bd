"""Text primitives every bot message is built from: escaping, clipping, splitting, safe links.

Two rules hold for all bot text:

1. **Verbatim.** Text from articles (quotes, passages, titles) is escaped so that Discord shows it
   as written: markdown, masked links and mention syntax render as typed characters. Escaping adds
   backslashes that Discord hides; it never changes a visible character. Pings are prevented
   separately: everything the bot sends carries `allowed_mentions` none.
2. **Long text is split, not cut** (`split_text`): at paragraph, then line, then sentence (Chinese
   sentence marks included), then word boundaries, never inside a protected stretch unless that
   stretch alone is longer than the limit. Other text (titles, thread names, error messages) is
   clipped with a visible "…" (`clip`).

Nothing here talks to Discord, so it is tested without a network.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import quote as urlquote
from urllib.parse import urlsplit

import discord

ELLIPSIS = "…"

# The colours of the bot's embeds.
ANSWER_COLOUR = discord.Colour(0x2E7D32)
ABSTAIN_COLOUR = discord.Colour(0xF9A825)
INFO_COLOUR = discord.Colour(0x5865F2)
FAILED_COLOUR = discord.Colour(0xC62828)

_LINK_MAX = 512

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


_PARAGRAPH = re.compile(r"\n\s*\n")
_LINE = re.compile(r"\n")
# Chinese ends a sentence with 。！？； (and any closing quotes) and goes on without a space.
_SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s|(?<=[。！？；])[」』”’）》]*")
_SPACE = re.compile(r"\s")


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


def unescape(text: str) -> str:
    """Undo `escape`: the text as the user saw it (used to read the bot's own past answers back)."""
    return re.sub(r"\\([^A-Za-z0-9\s])", r"\1", text)
