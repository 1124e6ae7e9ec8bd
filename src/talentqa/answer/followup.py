"""Follow-up questions without an LLM: rewrite only a question that refers back, from the last exchange.

A question refers back when it leans on the previous one ("what about Peking University?", "and in
2024?"), uses a pronoun before naming anyone ("where is it based?"), or is an ellipsis ("why?", "how
many?"). Anything else names its own subject and starts afresh, however short. The rewrite is built
from the last user question as asked (never an earlier rewrite, so rewrites cannot pile up) and the last
answer's short answer:
- a pronoun becomes the last short answer when that is a name of the kind the last question asked for
  ("Which think tank...?" -> "MacroPolo" -> "Where is it based?" -> "Where is MacroPolo based?"; a
  place answered to "Where ...?" is "there", never "they"); else for "they" the last question's plural
  noun phrase ("Where did most returning scientists come from?" -> "Why did they leave?" -> "Why did
  returning scientists leave?"); else the one name the last question holds;
- "what about X?" puts X in place of the one name of the last question;
- otherwise the last question is prepended, so retrieval and the reader still see the subject.
The LLM answerer rewrites follow-ups itself instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from talentqa.models import Turn

_LEAD = re.compile(r"^\s*(?:and|but|also|then|so|what about|how about|what of)\b[\s,]*", re.I)
_PRONOUN = re.compile(
    r"\b(he|she|him|his|her|hers|it|its|they|them|their|theirs|these|those)\b"
    r"|\b(?:of|about|on|from|with|for|after|before|did|does|do|is|was|are|were)\s+(that|this)\b"
    r"|\b(that|this|there)\s*\??\s*$",
    re.I,
)
_POSSESSIVE = {"his", "her", "hers", "its", "their", "theirs"}
_NAME = re.compile(r"\b[A-Z][\w&.'-]*(?:\s+(?:of|the|de|van|von|for|and)?\s*[A-Z][\w&.'-]*)*")
_FUNCTION_WORDS = frozenset(
    """why how what when where who whom whose which many much long since until and but so then also about
    is are was were do does did the a an of in on for to exactly really more else again""".split()
)


def _names(text: str) -> list[str]:
    """Capitalised word runs after the first word: the names a question mentions."""
    first = re.match(r"\s*\S+", text)
    offset = first.end() if first else 0
    return [m.group().strip() for m in _NAME.finditer(text, offset)]


def _is_name(text: str) -> bool:
    """A run of words holding a capitalised one ("MacroPolo", "Peking University"), not a number or date."""
    return bool(_NAME.search(text)) and not text.strip()[:1].isdigit()


def _is_ellipsis(question: str) -> bool:
    words = re.findall(r"[A-Za-z0-9']+", question.lower())
    return 0 < len(words) <= 4 and all(w in _FUNCTION_WORDS for w in words)


def refers_back(question: str) -> bool:
    """True when the question cannot stand on its own (see the module docstring)."""
    if _LEAD.match(question) or _is_ellipsis(question):
        return True
    pronoun = _PRONOUN.search(question)
    if not pronoun:
        return False
    names = _names(question)
    # A question that names someone before its pronoun ("Where did Pan work before he joined?") stands alone.
    return not names or question.find(names[0]) > pronoun.start()


_PERSON = frozenset({"he", "she", "him", "his", "her", "hers"})
_PLURAL = frozenset({"they", "them", "their", "theirs", "these", "those"})
# Words that end a plural noun phrase's run on the left ("did most returning scientists" -> "returning
# scientists"): question words, auxiliaries, determiners and prepositions.
_NOT_IN_PHRASE = _FUNCTION_WORDS | frozenset(
    """most many some all any few several these those their its his her our your my no every each other
    has have had will would can could should may might from at by with into as than that this there""".split()
)
_NOT_PLURAL_ENDINGS = ("ss", "us", "is", "ous", "'s")
# Verbs that end in -s after their subject ("Which study says ...?"): not a plural noun there.
_VERBS_IN_S = frozenset(
    """says shows finds reports claims suggests argues warns states plans wants needs costs pays earns
    leads runs makes takes gives means remains includes sends gets seems becomes expects hopes""".split()
)


def _plural_phrase(question: str) -> str | None:
    """The first plural noun phrase of a question that names no one ("Where did most returning scientists
    come from?" -> "returning scientists"): what "they" most likely stands for there. A word ending in -s
    that is not -ss, -us or -is is taken as a plural noun, with the modifiers before it."""
    words = re.findall(r"[A-Za-z][\w'-]*", question)
    for i, word in enumerate(words[1:], start=1):
        low = word.lower()
        if (
            len(low) > 3
            and low.endswith("s")
            and not low.endswith(_NOT_PLURAL_ENDINGS)
            and low not in _NOT_IN_PHRASE
            and not (low in _VERBS_IN_S and words[i - 1].lower() not in _NOT_IN_PHRASE)
        ):
            start = i
            while start > 1 and words[start - 1].lower() not in _NOT_IN_PHRASE:
                start -= 1
            return " ".join(words[start : i + 1])
    return None


# Words that make a name an organisation or a place, never "he" or "she".
_NOT_A_PERSON = frozenset(
    """university college school institute institution academy department ministry agency bureau office
    commission council committee court house center centre company corporation corp inc ltd group lab
    laboratory laboratories foundation fund association party government administration army police
    initiative program programme project post times news journal report study city state republic
    kingdom province county valley bank hospital museum library""".split()
)


def _could_be_person(name: str) -> bool:
    """Whether a name may be someone's: no organisation or place word, and not one all-capital acronym
    ("FBI", "MIT")."""
    words = re.findall(r"[A-Za-z]+", name)
    if not words or (len(words) == 1 and words[0].isupper() and len(words[0]) > 1):
        return False
    return not any(word.lower() in _NOT_A_PERSON for word in words)


def _asked(previous: str) -> str:
    found = re.match(r"^\s*(?:(?:and|so|but)\s+)?(who|whom|whose|which|what|where)\b", previous, re.I)
    return found.group(1).lower() if found else ""


def _referent(
    pronoun: re.Match[str] | None, previous: str, short: str | None, previous_names: list[str]
) -> str | None:
    """Who or what the pronoun stands for, from the last exchange; None when nothing there agrees with it.
    - The last answer when the last question asked for that kind of thing: a person for "he" ("Who
      founded it?"), a thing for "it" or "they" ("Which think tank...?"), a place for "there" ("Where
      ...?"). A place answered to "Where did most scientists come from?" is not "they".
    - Else the one name the last question holds ("Which university did Feng Tao sue?" -> "he" is Feng Tao),
      except that "they" is first the last question's plural noun phrase ("returning scientists");
      "it" is last of all the last answer, whatever was asked."""
    if pronoun is None:
        return None
    word = next(g for g in pronoun.groups() if g).lower()
    answer = short if short and _is_name(short) else None
    asked = _asked(previous)
    named = previous_names[0] if len(previous_names) == 1 else None
    if word in _PERSON:
        # "he" or "she" is no university, agency or acronym: the name in "Who sued the University of
        # Kansas?" is whom they sued, and the one who sued is the answer, not given as a name here.
        answer = answer if answer and _could_be_person(answer) else None
        named = named if named and _could_be_person(named) else None
        fits = asked in {"who", "whom", "whose"}
        fallback = answer if asked in {"which", "what"} else None
    elif word in _PLURAL:
        fits = asked in {"which", "what", "who"}
        fallback = _plural_phrase(previous)
    elif word == "there":
        fits = asked in {"where", "which", "what"}
        fallback = answer
    else:
        fits = asked in {"which", "what", "who"}
        fallback = answer
    if answer and fits:
        return answer
    if word in _PLURAL:  # number agreement first: "they" are the returnees, not the one place named
        return fallback or named
    return named or fallback


def contextualise(question: str, history: Sequence[Turn]) -> str:
    """The question as it would be asked on its own (unchanged when it does not refer back)."""
    users = [i for i, turn in enumerate(history) if turn.role == "user"]
    if not users or not refers_back(question):
        return question
    last = history[users[-1]]
    reply = next((t for t in history[users[-1] + 1 :] if t.role == "assistant"), None)
    previous = last.content.strip()
    short = reply.short_answer if reply is not None else None
    lead = _LEAD.match(question)
    previous_names = _names(previous)
    if lead:
        rest = question[lead.end() :].strip().rstrip("?").strip()
        if rest and len(previous_names) == 1 and _is_name(rest):
            return previous.replace(previous_names[0], rest, 1)
        return f"{previous} {question}"
    pronoun = _PRONOUN.search(question)
    referent = _referent(pronoun, previous, short, previous_names)
    if pronoun and referent:
        word = next(g for g in pronoun.groups() if g)
        start = pronoun.start() + pronoun.group().lower().rfind(word.lower())
        replacement = f"{referent}'s" if word.lower() in _POSSESSIVE else referent
        if word.lower() == "there":
            replacement = f"at {referent}"
        return question[:start] + replacement + question[start + len(word) :]
    return f"{previous} {question}"
