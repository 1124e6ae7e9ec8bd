"""What an LLM's claim may say beside its verified quote.

A quote is verified against the stored text; the sentence the model writes around it is not, yet a user
reads it as the answer, next to a real citation. So the sentence is held to its own quote: every number,
every capitalised name and any negation in the claim must be carried by the quote, no link or markup from
the model is ever shown, and a claim that fails is replaced by the quote itself (which is verified text).
The checks are deliberately one-sided: a claim that is merely shorter or plainer than its quote passes,
one that adds a fact, a person, a link or a "not" does not.

    shown = shown_claim("About 1,800 engineers did not move.", quote, passage)
    shown.text        # the quote in curly quotes, since the quote says they moved
    shown.replaced    # "negation"

A quote in another language than the question may carry the model's rendering of it (`shown_translation`):
cleaned like a claim, bounded, kept only when it really is in the question's language and the quote is not,
and never checked against the quote (front-ends label it as an unverified machine translation).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from talentqa.answer.citations import instruction_like
from talentqa.answer.features import content_terms
from talentqa.store.script import text_script
from talentqa.text import normalise_question

# Share of a claim's content words that must occur in the passage it cites for the claim to be shown.
GROUNDED_SHARE = 0.5
# A longer claim is not cut (a cut can fall between "did" and "not"): its quote is shown instead.
MAX_CLAIM_CHARS = 600
# The quote shown in place of a claim is cut here; the citation itself still carries the whole quote.
MAX_QUOTE_SHOWN_CHARS = 600

# A translation longer than this is dropped, not cut (a cut can fall between "did" and "not"); so is one
# more than TRANSLATION_GROWTH times its quote's length (plus a little): English takes about three letters for
# each Chinese character, and a model that writes an essay on an eight-character quote is not translating.
MAX_TRANSLATION_CHARS = 800
TRANSLATION_GROWTH = 6
_TRANSLATION_SLACK = 40

# The model's own citation markers ("[S1]", "[2]"): the answer numbers its citations itself.
_MARKER = re.compile(r"\s*\[(?:S?\d+(?:\s*,\s*S?\d+)*)\]", re.I)

# Anything a chat client could turn into a link: a scheme, "www.", a markdown link, or a bare host name.
_LINK = re.compile(
    r"[a-z][a-z0-9+.-]*://"
    r"|\bwww\."
    r"|\]\("
    r"|\bmailto:"
    r"|\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,24}(?:/|\b(?!\.\w))",
    re.I,
)
# Abbreviations such as "e.g.", "U.S." or "a.m." never look like host names: their last part has one letter.

# Markup a chat client renders: HTML-like tags (also Discord's <@id>, <#id>, <:emoji:id>, <t:...>),
# emphasis, code, spoilers, escapes, and block markers at the start (headings, quotes, list bullets).
_TAG = re.compile(r"<[^<>]{0,200}>")
# "@everyone", "@here" and "@name" ping people in a chat; the word is dropped with its "@".
_MENTION = re.compile(r"@[\w.-]+")
_INLINE_MARKUP = re.compile(r"[*_~`|\\<>\[\]{}@]")
_LEADING_MARKUP = re.compile(r"^(?:(?:#{1,6}|-#|>{1,3}|[-+*•]|\d{1,3}[.)])\s+)+")

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SENTENCE_BREAK = re.compile(r"[.!?:;\"\u201c(]")

_NUMBER_WORDS = {
    # "one" is left out: far more often a pronoun ("the new one") than a count.
    "zero": "0",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "seventy": "70",
    "eighty": "80",
    "ninety": "90",
    "dozen": "12",
    "hundred": "hundred",
    "thousand": "thousand",
    "million": "million",
    "billion": "billion",
    "trillion": "trillion",
    "half": "half",
    "double": "double",
    "twice": "twice",
}

_NEGATIONS = frozenset(
    "not no never none nobody nothing neither nor nowhere without cannot lack lacks lacked".split()
)

# Words that start a sentence with a capital without naming anything.
_OPENERS = frozenset(
    """a an and are as at be but by for if in into is it no not of on or such that the their then there
    these they this to was will with what which who whom whose when where why how do does did has have had
    i me my we our you your he him his she her its them than so can could would should may might must
    about after before during from here more most other over some under until while also just only
    according however yes although though since because both each every all many much one another
    meanwhile overall instead still yet nor neither either today yesterday""".split()
)
# Capitalised wherever they stand, and naming no one by themselves.
_NEVER_NAMES = frozenset({"i", "mr", "mrs", "ms", "dr", "prof", "sir", "dame"})


@dataclass(frozen=True)
class ShownClaim:
    """The text a user sees for one claim; `replaced` says why the model's sentence gave way to its
    quote (None when the sentence itself is shown)."""

    text: str
    replaced: str | None = None


def shown_claim(claim: str, quote: str, passage: str) -> ShownClaim:
    """The claim as shown beside its verified `quote` (cut from `passage`'s article): the model's sentence
    when nothing in it goes beyond the quote, else the quote itself."""
    reason = claim_problem(claim, quote, passage)
    if reason is not None:
        return ShownClaim(quoted(quote), reason)
    return ShownClaim(clean_text(claim))


def claim_problem(claim: str, quote: str, passage: str) -> str | None:
    """Why `claim` may not be shown beside `quote`, or None when it may."""
    if has_link(_MARKER.sub("", normalise_question(claim))):
        return "link"
    text = clean_text(claim)
    if not text:
        return "empty"
    if has_link(text):
        return "link"
    if len(text) > MAX_CLAIM_CHARS:
        return "too_long"
    terms = content_terms(text)
    if not terms or len(terms & content_terms(f"{passage} {quote}")) < GROUNDED_SHARE * len(terms):
        return "ungrounded"
    if not numbers(text) <= numbers(quote):
        return "number"
    if not names(text) <= _words(quote):
        return "name"
    if negated(text) != negated(quote):
        return "negation"
    return None


@dataclass(frozen=True)
class ShownTranslation:
    """The translation a user sees under a quote (None when there is none), and why the model's was
    dropped (None when it was kept or there was none)."""

    text: str | None
    dropped: str | None = None


def shown_translation(translation: str, quote: str, question_script: str) -> ShownTranslation:
    """The model's `translation` of a verified `quote`, cleaned as a claim is, when the quote is in another
    script than the question (`question_script`, from `store.script.text_script`) and the translation is
    in the question's: a link, an instruction to a model, a translation too long for its quote, or one in
    the wrong language drops it; markup, mentions and citation markers are stripped."""
    if not translation.strip():
        return ShownTranslation(None)
    quote_script = text_script(quote)
    if quote_script == question_script:
        return ShownTranslation(None, "same_language")
    if not question_script or not quote_script:  # digits and punctuation: nothing to translate, or into
        return ShownTranslation(None, "no_language")
    if has_link(_MARKER.sub("", normalise_question(translation))):
        return ShownTranslation(None, "link")
    text = clean_text(translation)
    if not text:
        return ShownTranslation(None, "empty")
    if has_link(text):
        return ShownTranslation(None, "link")
    if len(text) > min(MAX_TRANSLATION_CHARS, TRANSLATION_GROWTH * len(quote) + _TRANSLATION_SLACK):
        return ShownTranslation(None, "too_long")
    if text_script(text) != question_script:
        return ShownTranslation(None, "wrong_language")
    if instruction_like(text, 0, len(text)):
        return ShownTranslation(None, "instruction_like")
    return ShownTranslation(text)


def clean_text(claim: str) -> str:
    """The claim on one line without the model's citation markers or any markup."""
    text = _MARKER.sub("", normalise_question(claim))
    text = _MENTION.sub(" ", _TAG.sub(" ", text))
    text = _LEADING_MARKUP.sub("", text.strip())
    text = _INLINE_MARKUP.sub("", text)
    return " ".join(text.split())


def quoted(quote: str) -> str:
    """A verified quote as answer text, on one line and of bounded length."""
    text = " ".join(quote.split())
    if len(text) > MAX_QUOTE_SHOWN_CHARS:
        text = text[:MAX_QUOTE_SHOWN_CHARS].rsplit(" ", 1)[0] + "\u2026"
    return f"\u201c{text}\u201d"


def has_link(text: str) -> bool:
    return _LINK.search(text) is not None


def numbers(text: str) -> set[str]:
    """Numbers in `text`, written one way: '1,800' and '1800' are '1800', '2.50' is '2.5', 'six' is '6'."""
    found = {_number(m.group()) for m in _NUMBER.finditer(text)}
    for word in _words(text):
        if word in _NUMBER_WORDS:
            found.add(_NUMBER_WORDS[word])
    return found


def _number(written: str) -> str:
    whole, _, fraction = written.replace(",", "").partition(".")
    if "." in fraction:  # "1.800.000": dots as thousands separators
        whole, fraction = whole + fraction.replace(".", ""), ""
    fraction = fraction.rstrip("0")
    whole = whole.lstrip("0") or "0"
    return f"{whole}.{fraction}" if fraction else whole


def names(text: str) -> set[str]:
    """Capitalised words of `text` (lower-cased, accents folded), except a sentence's ordinary opener."""
    found: set[str] = set()
    text = text.replace("\u2019", "'")
    previous_end = 0
    for m in _WORD.finditer(text):
        word = m.group()
        opens_sentence = previous_end == 0 or bool(_SENTENCE_BREAK.search(text, previous_end, m.start()))
        previous_end = m.end()
        if not word[0].isupper():
            continue
        folded = _fold(word)
        if folded in _NEVER_NAMES or (opens_sentence and folded in _OPENERS):
            continue
        found.add(folded)
    return found


def negated(text: str) -> bool:
    return any(w in _NEGATIONS or w.endswith("n't") for w in _words(text))


def _words(text: str) -> set[str]:
    return {_fold(m.group()) for m in _WORD.finditer(text.replace("\u2019", "'"))}


def _fold(word: str) -> str:
    """Lower case without accents or a possessive: 'Zürich's' and 'zurich' are one name."""
    decomposed = unicodedata.normalize("NFKD", word.replace("\u2019", "'").lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.removesuffix("'s")
