"""Near-misses of relation: the question's verb swapped for another the passage never uses.

Questions that users write about an article and that it cannot answer are mostly of one shape: the right
people, places and organisations, asked about a relation the article does not state. "Which university
did Feng Tao graduate from?" of a passage saying he sued his former employer, the University of Kansas;
"When did Zizheng Pan join Nvidia full time?" of one saying he finished an internship there. The reader
learnt the question's names and its kind of answer well and its verb hardly at all: each of those was
answered with confidence above 0.9. SQuAD 2.0's own unanswerable questions are partly of this shape, but
the reader trains on few of them.

`swapped_relation` makes such a near-miss from an answerable question: one of its verbs (from a closed
list of common verbs in groups by what they relate, in the form the question uses it) replaced by another
verb of its group, in the same form, of which the passage uses no form. The changed question names the
same things and asks for the same kind of answer, so only its relation tells that the passage does not
state it. A verb of the same sense would keep the question answerable; the groups keep to verbs of
distinct senses, and the replacement must share no form with the passage's words.

Tried for the window reader (`window_train --relation-share`), not in the shipped model: alone it doubted
such near-misses more, answerable windows too, and beside the passage reading it changed nothing but the
threshold (docs/measured.md, "Tried and not shipped: relation near-misses").
"""

from __future__ import annotations

import random
import re

# Verbs by what they relate, each as base, past and past participle (the -s and -ing forms are derived):
# a verb is swapped only for another of its group, so that the changed question stays one a reader could
# ask ("Who designed the facade?" -> "Who built ...?", never "Who fined ...?"): a question that makes no
# sense would teach the reader nothing about the near-misses people ask. No two verbs of a group would
# usually answer for each other.
_GROUPS = (
    """attend attended attended | graduate graduated graduated | join joined joined |
    retire retired retired | teach taught taught | study studied studied | marry married married |
    visit visited visited | hire hired hired | fire fired fired | elect elected elected |
    recruit recruited recruited | train trained trained | award awarded awarded""",
    """sue sued sued | arrest arrested arrested | deport deported deported | fine fined fined |
    accuse accused accused | convict convicted convicted""",
    """write wrote written | publish published published | compose composed composed |
    paint painted painted | design designed designed | build built built | invent invented invented |
    translate translated translated | rebuild rebuilt rebuilt | rename renamed renamed |
    print printed printed | produce produced produced | discover discovered discovered |
    release released released""",
    """buy bought bought | sell sold sold | acquire acquired acquired | own owned owned |
    invest invested invested | fund funded funded | sponsor sponsored sponsored | export exported exported |
    import imported imported | inherit inherited inherited""",
    """attack attacked attacked | invade invaded invaded | defeat defeated defeated |
    destroy destroyed destroyed | win won won | lose lost lost | capture captured captured""",
    """accept accepted accepted | reject rejected rejected | ban banned banned | approve approved approved |
    cancel cancelled cancelled | sign signed signed | announce announced announced | close closed closed |
    open opened opened""",
    """lead led led | manage managed managed | direct directed directed | employ employed employed""",
)


def _third(base: str) -> str:
    if base.endswith(("s", "sh", "ch", "x", "z")):
        return base + "es"
    if base.endswith("y") and base[-2:-1] not in "aeiou":
        return base[:-1] + "ies"
    return base + "s"


def _gerund(base: str) -> str:
    if base.endswith("ie"):
        return base[:-2] + "ying"
    if base.endswith("e") and not base.endswith(("ee", "ye", "oe")):
        return base[:-1] + "ing"
    if base in ("ban", "win", "open"):
        return base + ("ning" if base != "open" else "ing")
    return base + "ing"


def _table() -> tuple[list[dict[str, str]], dict[str, tuple[int, str]], list[int]]:
    verbs: list[dict[str, str]] = []
    group_of: list[int] = []
    for group, entries in enumerate(_GROUPS):
        for entry in entries.split("|"):
            base, past, participle = entry.split()
            verbs.append(
                {
                    "base": base,
                    "third": _third(base),
                    "past": past,
                    "participle": participle,
                    "ing": _gerund(base),
                }
            )
            group_of.append(group)
    forms: dict[str, tuple[int, str]] = {}
    for i, verb in enumerate(verbs):
        for form, word in verb.items():
            forms.setdefault(word, (i, form))
    return verbs, forms, group_of


_VERB_TABLE, _FORM_OF, _GROUP_OF = _table()
_WORD = re.compile(r"[A-Za-z]+")
# A base form is a verb after an auxiliary ("did she join", "to sell"), seldom after a determiner ("the
# report", "a fund"): many listed verbs are nouns too.
_DETERMINERS = frozenset("the a an its his her their this that these those our your my".split())
_AUXILIARIES = frozenset("did does do to will would can could should must may might".split())


def _as_verb(words: list[re.Match[str]], i: int, form: str) -> bool:
    if form != "base":
        return i == 0 or words[i - 1].group().lower() not in _DETERMINERS
    before = [w.group().lower() for w in words[max(0, i - 4) : i]]
    return bool(before) and before[-1] not in _DETERMINERS and any(w in _AUXILIARIES for w in before)


def swapped_relation(question: str, passage: str, rng: random.Random) -> str | None:
    """`question` with one of its listed verbs replaced by another listed verb, in the same form, of which
    `passage` holds no form; None where the question holds no listed verb (after its first word, which
    is often a capitalised question word or a name)."""
    used = {w.lower() for w in _WORD.findall(passage)}
    words = list(_WORD.finditer(question))
    found = [
        (m, _FORM_OF[m.group()])
        for i, m in enumerate(words)
        if i > 0 and m.group() in _FORM_OF and _as_verb(words, i, _FORM_OF[m.group()][1])
    ]
    if not found:
        return None
    target, (index, form) = rng.choice(found)
    choices = [
        verb[form]
        for i, verb in enumerate(_VERB_TABLE)
        if i != index and _GROUP_OF[i] == _GROUP_OF[index] and not any(word in used for word in verb.values())
    ]
    if not choices:
        return None
    return question[: target.start()] + rng.choice(choices) + question[target.end() :]
