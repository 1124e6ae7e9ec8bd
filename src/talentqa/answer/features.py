"""Content words of a text, stemmed: the LLM answerer checks that a claim's words come from its quote."""

from __future__ import annotations

import re

from talentqa.stemming import stem

_STOP = frozenset(
    """a an and are as at be but by for if in into is it no not of on or such that the their then there these
    they this to was will with what which who whom whose when where why how do does did done has have had
    having been being were am i me my we our you your he him his she her its them than so can could would
    should may might must shall about above after again against all any because before below between both
    during each few from further here more most other out over own same some too under until up very
    while also just only s t name named called tell say said according many much one ones""".split()
)
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.,'][A-Za-z0-9]+)*")


def content_terms(text: str) -> set[str]:
    """Stemmed, lower-cased content words (numbers kept as written, e.g. '1,250')."""
    return {stem(w.lower()) for w in _TOKEN.findall(text) if w.lower() not in _STOP}
