"""Evidence features of a candidate sentence for a question: term coverage and answer-type cues.

Kept separate from the answerer so calibration and evaluation compute exactly the same numbers.
"""

from __future__ import annotations

import re
from functools import lru_cache

_STOP = frozenset(
    """a an and are as at be but by for if in into is it no not of on or such that the their then there these
    they this to was will with what which who whom whose when where why how do does did done has have had
    having been being were am i me my we our you your he him his she her its them than so can could would
    should may might must shall about above after again against all any because before below between both
    during each few from further here more most other out over own same some too under until up very
    while also just only s t name named called tell say said according many much one ones""".split()
)
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.,'][A-Za-z0-9]+)*")
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|half|dozen|percent)\b",
    re.I,
)
_YEAR_OR_DATE = re.compile(
    r"\b(?:1[5-9]\d\d|20\d\d)\b|\b(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|century|decade|year|month|"
    r"week|today|yesterday|ago)\b",
    re.I,
)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def content_terms(text: str) -> set[str]:
    """Stemmed, lower-cased content words (numbers kept as written, e.g. '1,250')."""
    return {_stem(w.lower()) for w in _TOKEN.findall(text) if w.lower() not in _STOP}


_MONEY_QUESTION = re.compile(
    r"\b(salary|salaries|budget|budgets|cost|costs|price|prices|pay|paid|earn|earns|earned|revenue|worth|fee|"
    r"fees|wage|wages|income|valuation|fund(?:ing)? amount)\b"
)
_MONEY = re.compile(
    r"[$\u20ac\u00a3\u00a5]|\b\d[\d,.]*\s*(?:million|billion|trillion|thousand|k|m|bn)?\s*"
    r"(?:dollars?|yuan|renminbi|rmb|euros?|pounds?|usd|yen)\b|\b(?:dollars?|yuan|euros?)\b",
    re.I,
)


def named_terms(question: str) -> set[str]:
    """Stems of the question's capitalised words after its first: the names of people, places,
    organisations and programmes it asks about."""
    words = _TOKEN.findall(question)
    return {_stem(w.lower()) for w in words[1:] if w[:1].isupper() and w.lower() not in _STOP}


def question_type(question: str) -> str:
    q = question.lower()
    if re.search(r"^\s*(what|how much|which)\b", q) and _MONEY_QUESTION.search(q):
        return "money"
    if re.search(r"\bhow (many|much|long|old|far|big|large|often)\b|\bwhat (percentage|number|amount)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (year|date|day|month|time|decade|century)\b|\bwhich year\b", q):
        return "date"
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b", q):
        return "person"
    if re.search(r"\bwhere\b|\bwhich (country|city|place|state|university|company)\b", q):
        return "place"
    return "other"


def type_match(qtype: str, sentence: str, question_terms: set[str]) -> float:
    """1.0 when the sentence holds the kind of thing the question asks for, beyond the question's words."""
    if qtype == "number":
        return 1.0 if _has_quantity(sentence, question_terms) else 0.0
    if qtype == "money":
        return 1.0 if _MONEY.search(sentence) else 0.0
    if qtype == "date":
        return 1.0 if _YEAR_OR_DATE.search(sentence) else 0.0
    if qtype in {"person", "place"}:
        names = {_stem(m.group().lower()) for m in _CAPITALISED.finditer(sentence)}
        return 1.0 if names - question_terms else 0.0
    return 0.5


_YEAR = re.compile(r"^(?:1[5-9]\d\d|20\d\d)s?$")


def _has_quantity(sentence: str, question_terms: set[str]) -> bool:
    """A count or amount the question does not already name: a bare year ("in 2023") dates something
    rather than counting it, so it does not answer "how many"."""
    for token in _TOKEN.findall(sentence):
        if _NUMBER.search(token) and not _YEAR.match(token) and _stem(token.lower()) not in question_terms:
            return True
    return False


def weighted_coverage(
    question_terms: set[str], terms: set[str], idf: dict[str, float], default: float
) -> float:
    """Coverage where rare words count for more: a sentence missing the question's one rare word is
    unlikely to answer it, however many common words it shares."""
    if not question_terms:
        return 0.0
    weights = {t: idf.get(t, default) for t in question_terms}
    total = sum(weights.values()) or 1.0
    return sum(w for t, w in weights.items() if t in terms) / total


def missing_rare(question_terms: set[str], terms: set[str], idf: dict[str, float], default: float) -> float:
    """The rarest question word the evidence lacks, as a share of the rarest possible (0 when none lacks)."""
    missing = [idf.get(t, default) for t in question_terms - terms]
    return max(missing) / default if missing and default else 0.0


def coverage(question_terms: set[str], terms: set[str]) -> float:
    if not question_terms:
        return 0.0
    return len(question_terms & terms) / len(question_terms)


def novelty(question_terms: set[str], terms: set[str]) -> float:
    """Share of the sentence's content words the question does not already contain."""
    if not terms:
        return 0.0
    return len(terms - question_terms) / len(terms)
