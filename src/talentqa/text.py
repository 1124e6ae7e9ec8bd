"""Text normalisation and sentence splitting, shared by loaders, chunking, readers and quote verification.

Stored article text is normalised once at load time; every offset and every quote refers to that string.
Matching (not storage) additionally folds quotes, dashes and whitespace so a model's straight quotes still
find the article's curly ones.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from talentqa.cjk import IDEOGRAPH

_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TRAILING = re.compile(r" +\n")
_MANY_NEWLINES = re.compile(r"\n{3,}")
# Bidi embeddings and overrides (U+202A-202E, U+2066-2069) go too: kept, a quote could display reversed.
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
    }
)

_WORD = re.compile(r"\w+|[^\w\s]")


# Greek and Cyrillic letters drawn like Latin ones. In a word that also holds Latin letters they are
# spoofs or slips ("Ηarvard" with a Greek Eta), so questions fold them; words wholly in another script stay.
_CONFUSABLE = str.maketrans(
    "АВЕКМНОРСТХІЈЅаеорсухіјѕԁԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧοιν",
    "ABEKMHOPCTXIJSaeopcyxijsdqwABEZHIKMNOPTYXoiv",
)
_LATIN = re.compile(r"[A-Za-z]")
_MIXED_WORD = re.compile(r"\w+")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f]")


def normalise_question(text: str) -> str:
    """A question in the form stored text has (NFKC, no invisible, control or bidi-override characters,
    single spaces), with look-alike letters folded inside Latin words, so it matches what it names."""
    text = unicodedata.normalize("NFKC", text)
    text = _BIDI.sub("", _CONTROL.sub("", _INVISIBLE.sub("", text)))
    text = _MIXED_WORD.sub(
        lambda m: m.group().translate(_CONFUSABLE) if _LATIN.search(m.group()) else m.group(), text
    )
    return " ".join(text.split())


def normalise(text: str) -> str:
    """The canonical stored form: NFC, \\n line ends, single spaces, at most one blank line, trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _TRAILING.sub("\n", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


def fold_char_map(text: str) -> tuple[str, list[int]]:
    """Fold quotes, dashes, case and whitespace runs for matching, keeping a map back to `text` offsets.

    Returns the folded string and, for each folded character, the index in `text` it came from.
    """
    out: list[str] = []
    index: list[int] = []
    previous_space = False
    for i, ch in enumerate(text):
        folded = ch.translate(_FOLD)
        if folded.isspace():
            if previous_space:
                continue
            folded = " "
            previous_space = True
        else:
            previous_space = False
        for piece in folded.lower():
            out.append(piece)
            index.append(i)
    return "".join(out), index


def fold(text: str) -> str:
    return fold_char_map(text)[0].strip()


def estimate_tokens(text: str) -> int:
    """Word and punctuation pieces, and one per CJK ideograph (WordPiece gives each its own token, so a
    Chinese clause, one `\\w+` run, is as many tokens as characters): close to a WordPiece count for
    news English and Chinese, and tokenizer-free."""
    ideographs = len(IDEOGRAPH.findall(text))
    if not ideographs:
        return len(_WORD.findall(text))
    return ideographs + len(_WORD.findall(IDEOGRAPH.sub(" ", text)))


def content_hash(*parts: str | None) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part or "").encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def slugify(value: str) -> str:
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-._").lower()
    return value or "document"


# --- sentences ---------------------------------------------------------------------------------------

# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "no", "vs", "etc", "inc", "ltd", "co", "corp",
    "gen", "gov", "sen", "rep", "lt", "col", "capt", "sgt", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "fig", "al", "approx", "dept", "est", "vol", "pp", "ph.d", "e.g",
    "i.e", "u.s", "u.k", "u.n", "d.c", "a.m", "p.m",
}  # fmt: skip
# After a dotted abbreviation such as "U.S." these words usually start a new sentence.
_SENTENCE_STARTERS = {
    "the", "this", "that", "these", "those", "it", "he", "she", "they", "we", "i", "in", "on", "at", "but",
    "and", "a", "an", "as", "for", "last", "since", "when", "while", "after", "before", "according", "its",
    "his", "her", "their", "there", "what", "why", "how", "so", "yet", "however", "meanwhile",
}  # fmt: skip

# Hard caps, whatever the text: a quote is a whole sentence of a chunk, so a page that is one 50 MB line
# without spaces must not become one 50 MB chunk (embedded, stored, searched) or one 50 MB quote.
# Far above real news sentences and chunks of `max_tokens` (a few hundred to ~1,500 characters).
MAX_SENTENCE_CHARS = 1_500
# The longest abbreviation above, plus room: only this much before a period decides what it ends.
_WORD_WINDOW = 12

# A run of terminal punctuation is matched from its first character only (the lookbehind), and
# possessively: on "....." with no space after it, every start inside the run would otherwise rescan
# the rest of it, which is quadratic.
#
# Chinese ends a sentence with 。！？ (and ；, which joins clauses that read as sentences), with any closing
# quotes or brackets after them, and writes the next sentence without a space: no lookahead there. The
# same lookbehind keeps a run such as "！！！" one match.
_CJK_END = "\u3002\uff01\uff1f\uff1b"  # 。！？；
_CJK_CLOSE = "\u300d\u300f\u201d\u2019\uff09\u3011\u300b\u3009\"'"  # 」』”’）】》〉"'
_BOUNDARY = re.compile(
    r"(?<![.!?])[.!?]++[\"'\u201d\u2019)\]]*+(?=\s)"
    rf"|(?<![{_CJK_END}])[{_CJK_END}]++[{_CJK_CLOSE}]*+"
    r"|\n++"
)
# Initials written together ("J.K. Rowling", "R.L. Fridley Theatres"): like "U.S.", they end a sentence
# only before a word that usually starts one.
_DOTTED_INITIALS = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")
# A photo's credit, which scraped news text runs into the caption or sentence after it ("... on Friday.
# Lindsay DeDario/Reuters Snow blankets homes ..."; about 2,000 in RealTimeQA's 1,627 articles) ends a
# sentence of its own: no quote opens on who took a picture. Longer sources first ("AP Photo" before "AP").
PHOTO_SOURCES = (
    r"Getty\s+Images|AP\s+Photo|AP|Reuters|AFP|Bloomberg|CNN|Redux|USA\s+Today(?:\s+Network)?|USA\s+TODAY"
    r"(?:\s+Sports)?|EPA-EFE|EPA|Shutterstock|Xinhua|Sipa\s+USA|Sipa|ZUMA\s+Press|NurPhoto|LightRocket|SOPA"
    r"\s+Images|Alamy|Pool|Handout|FILE|Facebook|Twitter|Instagram|NASA|The\s+New\s+York\s+Times"
    r"|The\s+Washington\s+Post|Imagn|Anadolu\s+Agency|Kyodo|Yonhap|TNS"
)
# A photographer's name of two to four capitalised words, at most two agencies between, the source last
# (bounded, so that a run of capitalised words and slashes is read in linear time).
PHOTO_CREDIT = (
    r"(?:[A-Z][\w.'’-]+\s){1,3}[A-Z][\w.'’-]+(?:/[A-Z][\w&.'’-]*(?:\s[A-Z][\w&.'’-]*){0,3}){0,2}"
    r"/(?:" + PHOTO_SOURCES + r")(?:\s+via\s+Getty\s+Images)?"
)
# Where the credit runs into a sentence: same line, the next word capitalised (or a quote opening).
_CREDIT_RUN_ON = re.compile(r"(?<![\w.'’/-])" + PHOTO_CREDIT + r"(?=[ \t]+[\"'\u201c\u2018(]?[A-Z0-9])")
_NEXT_WORD = re.compile(r"\s*+[\"'\u201c\u2018(\[]*+([\w\u00c0-\u024f]++)")
_WORD_BEFORE = re.compile(r"[\w.]+\Z")
_NON_SPACE = re.compile(r"\S")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


def split_sentences(text: str) -> list[Span]:
    """Sentence spans over `text` (offsets exclude surrounding whitespace); paragraphs always split, and
    no span is longer than MAX_SENTENCE_CHARS (a longer run is cut at a space, or at the cap).

    Linear in the length of `text`, whatever it holds: every boundary is judged from a bounded window.
    """
    spans: list[Span] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if match.group().startswith("\n"):
            _add(spans, text, start, match.start())
            start = end
            continue
        if not _ends_sentence(text, start, match.start(), end):
            continue
        _add(spans, text, start, end)
        start = end
    _add(spans, text, start, len(text))
    return spans


def _ends_sentence(text: str, sentence_start: int, dot: int, end: int) -> bool:
    if text[dot] != ".":
        return True
    window_start = max(sentence_start, dot - _WORD_WINDOW)
    word_match = _WORD_BEFORE.search(text, window_start, dot)
    word = word_match.group().lower() if word_match else ""
    if word_match is not None and word_match.start() == window_start > sentence_start:
        word = "-"  # longer than the window: no abbreviation nor initial, just a long word
    following = _NEXT_WORD.match(text, end)
    next_word = following.group(1) if following else ""
    if next_word and not (next_word[0].isupper() or next_word[0].isdigit()):
        return False
    if len(word) == 1 and word.isalpha():  # an initial: "J. Smith"
        return False
    if word in _ABBREVIATIONS or _DOTTED_INITIALS.fullmatch(word):
        return "." in word and next_word.lower() in _SENTENCE_STARTERS
    return True


def _add(spans: list[Span], text: str, start: int, end: int) -> None:
    if text.find("/", start, end) != -1:
        for credit in _CREDIT_RUN_ON.finditer(text, start, end):
            _add_piece(spans, text, start, credit.end())
            start = credit.end()
    _add_piece(spans, text, start, end)


def _add_piece(spans: list[Span], text: str, start: int, end: int) -> None:
    first = _NON_SPACE.search(text, start, end)
    if first is None:
        return
    start = first.start()
    if text[end - 1].isspace():
        end = start + len(text[start:end].rstrip())
    # Cut an over-long span into pieces, each at the last space inside its window (in the window's
    # second half, so every piece is long), or at the cap when there is none.
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS + 1)
        piece_end = cut if cut > start else start + MAX_SENTENCE_CHARS
        stop = piece_end
        while text[stop - 1].isspace():
            stop -= 1
        spans.append(Span(start, stop))
        following = _NON_SPACE.search(text, piece_end, end)
        assert following is not None  # `end` is a non-space character
        start = following.start()
    spans.append(Span(start, end))


# Sentences kept before and after an answer span when a window of the passage around it is read again.
WINDOW_SENTENCES = (1, 1)


def window(
    passage: str, start: int, end: int, sentences: tuple[int, int] = WINDOW_SENTENCES
) -> tuple[int, int]:
    """Offsets of the sentence(s) holding [start, end), widened by `sentences` (before, after)."""
    spans = split_sentences(passage)
    if not spans:
        return 0, len(passage)
    before, after = sentences
    hit = [i for i, s in enumerate(spans) if s.start < max(end, start + 1) and s.end > start] or [0]
    first, last = max(0, hit[0] - before), min(len(spans) - 1, hit[-1] + after)
    return spans[first].start, spans[last].end
