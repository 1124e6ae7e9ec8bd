"""The clues of a long question that describes its answer by several reports, each as a question of its own.

"Which company, reported by TechCrunch, is at the center of antitrust issues for spending $26.3 billion to
be the default search engine, is portrayed as an antagonist in a legal trial, and is accused of harming news
publishers through anticompetitive practices?" names no one fact: each clue is stated by another article,
and read whole against any one passage, the question looks mostly unanswered. Asked clue by clue ("Which
company is accused of harming news publishers through anticompetitive practices?"), the reader finds each
article's answer, and the articles' agreement on one name (`talentqa.answer.agreement`) answers the whole.

Only long questions are split (`MIN_WORDS`): a short question's commas list things ("the third, permanent
church"), not clues. The asking head ("Who is the individual", "Which company") opens every clue; parts that
only say who reported it ("as reported by The Verge") are no clue, since retrieval already reads the named
outlets first.
"""

from __future__ import annotations

import re

# Multi-clue questions are long (MultiHop-RAG's: 25 to 80 words); Wikipedia and news quiz questions
# with commas are shorter (SQuAD 2.0's longest such: 21).
MIN_WORDS = 25
# A clue says something: fewer words are a list item or a name ("long, planar intrusions").
MIN_CLUE_WORDS = 3

_VERBS_AFTER_HEAD = (
    r"that|who|whom|whose|which|is|was|are|were|has|have|had|known|associated|recently|frequently|also"
    r"|featured|covered|reported|mentioned|implicated|described|discussed|involved|at|in|from|according"
)
_HEAD = re.compile(
    r"^\s*((?:who|which|what)(?:\s+(?:is|was|are|were)\s+the\s+[a-z][\w-]*)?"
    r"(?:\s+(?!(?:is|was|are|were|has|have|had|did|does|do)\b)[a-z][\w-]*){0,3}?)"
    rf"\s*(?=,|\s(?:{_VERBS_AFTER_HEAD})\b)",
    re.IGNORECASE,
)
_SPLIT = re.compile(
    r",\s*(?:and\s+|while\s+|as\s+well\s+as\s+)?"
    r"|\s+and\s+(?=(?:is|was|are|were|has|have|had|also|who|whose|which|that|being)\b)",
    re.IGNORECASE,
)
# A part that only names where it was reported: "reported by TechCrunch", "according to 'The Age'", "as
# per articles from Fortune and The Verge", "with these allegations being reported by ...".
_ATTRIBUTION = re.compile(
    r"^(?:as\s+)?(?:(?:recently|frequently|also|both|widely)\s+)*"
    r"(?:reported|covered|mentioned|featured|discussed|noted|scrutinized|scrutinised|described|cited)"
    r"\s+(?:on|by|in|from)\b[^,]*$"
    r"|^according\s+to\b[^,]*$"
    r"|^(?:as\s+)?(?:per|in|from)\s+(?:both\s+)?(?:articles?|reports?|coverage)\b[^,]*$"
    r"|^(?:with\s+)?(?:these|this|all|both)\b.*\breported\b[^,]*$",
    re.IGNORECASE,
)


def clues(question: str) -> list[str]:
    """Each clue of a long multi-clue question as a question of its own ("Which company is accused of
    ...?"), in the question's order; [] for a question with fewer than two clues or under `MIN_WORDS`."""
    text = question.strip().rstrip("?").strip()
    if len(text.split()) < MIN_WORDS:
        return []
    head = _HEAD.match(text)
    if head is None:
        return []
    asking = head.group(1).strip()
    rest = text[head.end() :].strip().lstrip(",").strip()
    parts = [part.strip() for part in _SPLIT.split(rest) if part and part.strip()]
    found = [p for p in parts if len(p.split()) >= MIN_CLUE_WORDS and not _ATTRIBUTION.match(p)]
    if len(found) < 2:
        return []
    return [f"{asking} {clue}?" for clue in found]
