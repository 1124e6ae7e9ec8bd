"""Multi-word names as keyword terms: "China Initiative" becomes one term beside "china" and "initiative".

BM25 scores words one at a time, so a name made of common words ("China Initiative", "Freedom House",
"Supreme Court") matches every passage about China or any initiative about as well as the few that name
it; in a store of many China stories the passages naming the programme fell below the first 40. Passages
add a term for each pair of adjacent capitalised words (and for "X of Y", "University of Kansas"), which
is rare and so weighs what a name should. Questions add a term for each pair of adjacent capitalised
words too, or, typed all in lower case, for every pair of adjacent words; pairs that no passage holds
match nothing. Question words never start a name: headlines capitalise "How Many" and "What TV".
"""

from __future__ import annotations

import functools
import re

from talentqa.stemming import english_stemmer

# Words as the keyword tokenizer sees them (two or more word characters), with the text between them.
_WORD = re.compile(r"[^\W_]{2,}")
# Only spaces may stand between the words of a pair: punctuation ends a name ("In January, Feng Tao").
_SPACES = re.compile(r"[ \t\u00a0]+")
# "University of Kansas", "Department of Commerce": a name may hold one 'of'.
_CONNECTOR = "of"
# A term no tokenizer splits (\w includes the underscore) and no article prints; the trailing underscore
# keeps the stemmer off the joined term (no English suffix ends in one), as each word is stemmed alone.
JOINER = "_"


# Words that ask or help ask (bm25s's stopword list keeps them), which title-case headlines capitalise.
_ASKING = frozenset(
    "what which who whom whose when where why how did does do can could would should will has have".split()
)


@functools.cache
def query_stopwords() -> frozenset[str]:
    """bm25s's English stopwords and the asking words: neither names what a question is about."""
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | _ASKING


def _capitalised(word: str) -> bool:
    return word[0].isupper()


def _pairs(text: str, *, names_only: bool) -> list[str]:
    stop = query_stopwords()
    words = list(_WORD.finditer(text))
    pairs: list[tuple[str, str]] = []
    for i in range(len(words) - 1):
        first, second = words[i], words[i + 1]
        gap = text[first.end() : second.start()]
        if not _SPACES.fullmatch(gap):
            continue
        if second.group().lower() == _CONNECTOR and i + 2 < len(words):
            third = words[i + 2]
            if _SPACES.fullmatch(text[second.end() : third.start()]):
                second = third
            else:
                continue
        elif second.group().lower() in stop:
            continue
        a, b = first.group(), second.group()
        if a.lower() in stop or b.lower() in stop:
            continue
        if names_only and not (_capitalised(a) and _capitalised(b)):
            continue
        pairs.append((a.lower(), b.lower()))
    if not pairs:
        return []
    stems = english_stemmer().stemWords([word for pair in pairs for word in pair])
    return [f"{stems[2 * i]}{JOINER}{stems[2 * i + 1]}{JOINER}" for i in range(len(pairs))]


def passage_name_terms(text: str) -> list[str]:
    """One term per pair of adjacent capitalised words of `text` ("China Initiative" -> china_initi_)."""
    return _pairs(text, names_only=True)


def question_name_terms(question: str) -> list[str]:
    """The terms of the names `question` writes with capitals, or, where it writes none after its first
    word, of every pair of its adjacent words, to meet the passages' name terms."""
    typed_lower = not any(_capitalised(m.group()) for m in list(_WORD.finditer(question))[1:])
    return _pairs(question, names_only=not typed_lower)
