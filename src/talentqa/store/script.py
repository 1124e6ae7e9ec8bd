"""Which writing system a text is mostly in: recorded on every stored chunk (`script` in its metadata) and
worked out for every question, so retrieval can tell when a question cannot match a passage by its words.

A multilingual embedding model places a passage nearer to questions in its own language than to the same
question in another (measured with multilingual-e5-small on the bilingual set: an English question is about
0.03 closer in cosine to English passages than to Chinese ones on average, a Chinese question about 0.09
closer to Chinese ones, while the gold passage beats the best wrong one by about 0.02), so passages of each
script are ranked among themselves as well (`talentqa.retrieval`). The script is a cheap, dependable stand-in
for the language: Chinese is the Han script, English (and French, German, ...) Latin.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

from talentqa.cjk import IDEOGRAPH

HAN = "han"
LATIN = "latin"
# Chroma metadata key of a chunk's script.
SCRIPT_KEY = "script"

# An English word averages about 4.7 letters and a Chinese word about 1.6 characters, so one ideograph
# carries about as much as three letters: weighted so, an English question naming a Chinese person ("What
# did 杨保华 study?") stays Latin, and a Chinese paragraph quoting an English name
# ("中国空间技术研究院（China Academy of Space Technology）") stays Han.
_IDEOGRAPH_WEIGHT = 3
# Name prefixes that say how a character is drawn, not which alphabet it belongs to.
_FORM_WORDS = frozenset({"FULLWIDTH", "HALFWIDTH", "MATHEMATICAL", "CIRCLED", "PARENTHESIZED", "SQUARED"})


def _letter_script(ch: str) -> str:
    if ch.isascii():
        return LATIN
    words = unicodedata.name(ch, "").split()
    while words and words[0] in _FORM_WORDS:
        words = words[1:]
    return words[0].lower() if words else ""


def text_script(text: str) -> str:
    """The script most of `text` is written in ("han", "latin", "cyrillic", "arabic", ...), by letters, an
    ideograph counting as a few letters; "" when it has no letters at all (digits, punctuation)."""
    counts: Counter[str] = Counter()
    for ch in text:
        if IDEOGRAPH.match(ch):
            counts[HAN] += _IDEOGRAPH_WEIGHT
        elif ch.isalpha():
            script = _letter_script(ch)
            if script:
                counts[script] += 1
    if not counts:
        return ""
    # Ties go to the alphabetically first script, so the answer never depends on the order of the text.
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]
