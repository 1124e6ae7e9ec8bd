"""Follow-up questions without an LLM: carry the subject of the conversation into a short follow-up.

"What about Peking University?" after a question on Tsinghua graduates only makes sense with the previous
question's words, so the previous user turn is prepended when the follow-up leans on it (pronouns, "what
about", very short questions). The LLM answerer rewrites follow-ups properly instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from talentqa.service import Turn

_LEANING = re.compile(
    r"^\s*(and|what about|how about|what of|also|then|so)\b|\b(he|she|they|it|its|his|her|their|them|"
    r"this|that|these|those|there)\b",
    re.I,
)


def contextualise(question: str, history: Sequence[Turn]) -> str:
    previous = [turn.content for turn in history if turn.role == "user"]
    if not previous:
        return question
    if len(question.split()) <= 6 or _LEANING.search(question):
        return f"{previous[-1]} {question}"
    return question
