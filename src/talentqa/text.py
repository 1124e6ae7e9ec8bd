"""Text normalisation shared by loaders, chunking and quote verification.

Stored article text is normalised once at load time; every offset and every quote refers to that string.
Matching (not storage) additionally folds quotes, dashes and whitespace so a model's straight quotes still
find the article's curly ones.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

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
