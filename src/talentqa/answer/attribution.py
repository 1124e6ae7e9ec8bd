"""Questions about what someone said or found, and the sentences that attribute a statement to them.

"What did MacroPolo find?", "What did Kathy Hochul say about the mandate?": the answer is not a span of a
fact but a statement, and whose statement it is decides whether it answers. The trained reader learned
spans on encyclopaedia questions; asked what one person said it often quotes the statement of another
in the same article with high confidence ("Cotto said ..." for "What did Jon Ruby say?"), or abstains on
the one sentence that answers because no short span in it looks like an answer. A sentence in which the
asked-about speaker is the one reporting ("MacroPolo ... found that ...", "..., Hochul said", "according
to MacroPolo") answers such a question on its face, so these sentences are found by their wording and
the reader only ranks them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from talentqa.text import split_sentences

# Verbs that report a statement or finding, in the forms a news sentence uses.
_REPORTING = (
    "said says told tells added adds stated states noted notes explained explains wrote writes argued "
    "argues warned warns found finds concluded concludes reported reports showed shows suggested suggests "
    "estimated estimates claimed claims announced announces revealed reveals predicted predicts testified "
    "acknowledged acknowledges insisted insists emphasized emphasised stressed stresses cautioned "
    "cautions observed observes recalled recalls confirmed confirms described describes urged urges "
    "highlighted highlights indicated indicates pointed points cited cites identified identifies expressed "
    "discussed discusses asserted asserts contended contends maintained maintains recounted recounts "
    "admitted admits"
).split()
# The verbs a question asks with: "What did X say / find / report ...?"
_ASKING_VERBS = (
    "say said tell told find found report reported write wrote argue argued warn warned conclude "
    "concluded claim claimed announce announced reveal revealed show showed state stated predict predicted "
    "estimate estimated testify testified note noted add added explain explained suggest suggested "
    "discover discovered call called describe described characterize characterized characterise "
    "characterised"
)
_QUESTION = re.compile(
    r"^\s*(?:(?:and|so|but)\s+)?(?:what(?:\s+else)?|how)\s+(?:did|does|do|has|have|had)\s+(?P<body>[^?]+)\?*\s*$",
    re.I,
)
_ASKING_VERB = re.compile(rf"\s(?:{'|'.join(_ASKING_VERBS.split())})\b", re.I)
# Speakers no sentence can be matched on: a pronoun is for the follow-up rewriter, not for this.
_PRONOUNS = frozenset("he she they it you i we him her them this that these those someone anyone".split())
# Words of a speaker phrase that do not identify it ("the study" is found by "study").
_FILLER = frozenset("the a an its his her their our this that these those new latest recent".split())
# Words of the rest of a question that say nothing about its topic.
_TOPIC_FILLER = frozenset(
    """about on of in at to for from with by regarding concerning over into after before during the a an
    this that these those it its their his her them they he she reporters press media interview
    statement statements recently last week month year day today yesterday""".split()
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
# How far (in characters) a reporting verb may stand from its speaker: "MacroPolo, a think tank based in
# Chicago, found" reaches over an appositive, not over the next clause.
_AFTER_SPEAKER = 90
_BEFORE_SPEAKER = 40


# Words before a name that are a title, not the name: "Mayor John Cooper" is found by "Cooper" or "John".
_TITLES = frozenset(
    """mr mrs ms dr prof sir president vice rep sen gov governor senator representative mayor secretary
    minister prime chief general gen judge justice sheriff superintendent director chairman chairwoman
    chair ceo commissioner ambassador spokesman spokeswoman spokesperson professor king queen prince
    princess pope state former""".split()
)


@dataclass(frozen=True)
class ReportedSpeech:
    """A question about what `speaker` said, found or reported, optionally about `topic` words.

    `name` holds the speaker's words that name it (titles left out: "Mayor John Cooper" is "John
    Cooper"), `key` the word a sentence must name the speaker by (a surname, "MacroPolo", a description's
    head: "study"), `alias` a two-word name's other word ("Xi Jinping ... Xi said")."""

    speaker: str
    name: tuple[str, ...]
    key: str
    topic: tuple[str, ...]
    alias: str | None = None
    naming: bool = False

    @property
    def is_description(self) -> bool:
        """ "the study", "researchers": named by a common noun, not a proper name."""
        return not self.key[:1].isupper()


def reported_speech(question: str) -> ReportedSpeech | None:
    """The speaker a "What did X say / find ...?" question asks about, or None for any other question."""
    m = _QUESTION.match(question.strip())
    if not m or _NEGATION.search(question):
        return None
    body = m.group("body")
    for verb in _ASKING_VERB.finditer(body):  # "What did MacroPolo's report find?": not "report"
        asked = _asking(body[: verb.start()], verb.group().strip(), body[verb.end() :])
        if asked is not None:
            return asked
    return None


def recased(question: str, texts: Sequence[str]) -> str:
    """A question typed all in lower case ("what did yaqiu wang argue"), with its speaker written as
    `texts` write it ("Yaqiu Wang"), so that `reported_speech` can tell a name from a description; the
    question as it is where it has capitals, asks for no statement, or no text names the speaker."""
    if question != question.lower():
        return question
    m = _QUESTION.match(question.strip())
    if not m:
        return question
    body = m.group("body")
    for verb in _ASKING_VERB.finditer(body):
        words = _WORD.findall(body[: verb.start()])
        while words and words[0] in _FILLER:
            words = words[1:]
        if not words or len(words) > 4 or words[-1] in _PRONOUNS:
            continue
        pattern = re.compile(r"\b" + r"\W+".join(re.escape(w) for w in words) + r"\b", re.I)
        typed = pattern.search(body, 0, verb.start())
        if typed is None:
            continue
        for text in texts:
            found = pattern.search(text)
            if found and found.group() != found.group().lower():
                at = len(question) - len(question.lstrip()) + m.start("body")
                return question[: at + typed.start()] + found.group() + question[at + typed.end() :]
    return question


def _asking(speaker: str, verb: str, rest: str) -> ReportedSpeech | None:
    speaker = speaker.strip(" ,'\"“”‘’")
    raw = _WORD.findall(speaker)
    words = [_bare(w) for w in raw]
    if not words or len(words) > 8 or words[-1].lower() in _PRONOUNS:
        return None
    if raw[-1] != words[-1] or {w.lower() for w in words} & _CLAUSE_MARKERS:
        return None  # "What did Kilbrandon's report recommend?", "What did X preach that ... revealed?"
    named = [w for w in words if w[0].isupper() and w.lower() not in _FILLER | _TITLES]
    content = [w for w in words if w.lower() not in _FILLER]
    if not content or not _open_statement(verb, rest):
        return None
    if not named and content[-1].lower() not in _SOURCES:
        return None
    # A name is found by its last word (a surname, "MacroPolo"); a description by its head ("the study").
    name = tuple(named or content[-1:])
    topic = tuple(w.lower() for w in _WORD.findall(rest) if w.lower() not in _TOPIC_FILLER and len(w) > 2)
    naming = verb.lower() in _NAMING
    if naming:
        if not named:
            return None  # "What did the company call its new phone?" asks for the phone's name
        topic = ()  # what is called something is seldom named again beside it: "It's a resurrection of ..."
    alias = name[0] if len(named) == 2 else None
    return ReportedSpeech(speaker=speaker, name=name, key=name[-1], topic=topic, alias=alias, naming=naming)


# What may follow the verb of a question that asks for a statement: its topic ("about the mandate"), its
# audience ("tell reporters") or its occasion ("at the hearing", "on Monday"). Anything else makes it a
# question about one thing said: "What did Microsoft announce that it would rename SkyDrive to?", "What
# did Tesla claim to perfect?" ask for a phrase, which the reader finds like any other.
_TOPIC_OPENERS = frozenset("about on regarding concerning in at during after before last this".split())
_ABOUT = frozenset("about regarding concerning on".split())
# Verbs whose object is the audience: "tell reporters", "told the court".
_TELLING = frozenset("tell told".split())
# Verbs whose object is what the speaker characterised: "What did Jeung call the proposals?", "How did
# German describe the program?" ask for the words the speaker used, whatever follows the verb.
_NAMING = frozenset(
    "call called describe described characterize characterized characterise characterised".split()
)
# What a description of a source is headed by ("the study", "officials"): a description that is not one
# ("the word prime generally") is no speaker.
_SOURCES = frozenset(
    """study studies report reports survey surveys poll polls paper papers analysis analyses research
    researchers scientists authors officials experts police authorities government company companies
    data review investigation investigators statement article letter memo lawsuit ruling court judge
    judges prosecutors lawyers attorneys spokesman spokeswoman spokesperson ministry agency department
    minister president governor mayor economists analysts critics witnesses doctors document documents
    filing filings complaint indictment audit book documentary""".split()
)
_NEGATION = re.compile(r"\b(?:not|never|n['’]t)\b", re.I)
_CLAUSE_MARKERS = frozenset(
    """that to he she it they we i you would will could can did does do was were is are be been had has
    have what which who whom whose why how whether if""".split()
)


def _open_statement(verb: str, rest: str) -> bool:
    words = [w.lower() for w in _WORD.findall(rest)]
    if not words:
        return True
    if set(words) & _CLAUSE_MARKERS:
        return False
    if words[0] in _ABOUT or verb.lower() in _NAMING:
        return True
    if words[0] in _TOPIC_OPENERS:  # an occasion: "in his email", "at the hearing", "on Monday"
        return len(words) <= 3
    # "tell" an audience of a few words ("reporters", "the court"), then perhaps a topic
    head = words[: next((i for i, w in enumerate(words) if w in _TOPIC_OPENERS), len(words))]
    return verb.lower() in _TELLING and len(head) <= 3


def _bare(word: str) -> str:
    return word.removesuffix("’s").removesuffix("'s")


def names_speaker(asked: ReportedSpeech, article: str) -> bool:
    """Whether an article names the speaker in full ("Maricopa County", "Jill Biden"), so that its
    sentences may name it by `key` alone ("Biden said"): a surname or "County" alone names others too. A
    name's last two words stand for it, titles and affiliations before them aside ("Mustang
    Superintendent Charles Bradley" is named as "Charles Bradley")."""
    if asked.is_description:
        return True
    words = asked.name[-2:]
    return re.search(r"\b" + r"\W+".join(re.escape(w) for w in words) + r"\b", article) is not None


@dataclass(frozen=True)
class Attribution:
    """A sentence of a passage (offsets into the passage) in which the speaker reports something."""

    start: int
    end: int


def attributions(asked: ReportedSpeech, passage: str) -> list[Attribution]:
    """The sentences of `passage` that attribute a statement to the asked-about speaker, in order, and
    that touch the question's topic where it names one ("What did X say about the mandate?"). Whether
    the passage's article names the speaker in full is the caller's to check (`names_speaker`)."""
    names = [asked.key] + ([asked.alias] if asked.alias else [])
    pattern = "|".join(re.escape(n) for n in names)
    speaker = re.compile(rf"\b(?:{pattern})\b", re.I if asked.is_description else 0)
    found: list[Attribution] = []
    sentences = split_sentences(passage)
    for i, sentence in enumerate(sentences):
        text = passage[sentence.start : sentence.end]
        if not any(
            _same_speaker(asked, text, m.start(), m.end())
            and _attributes(text, m.start(), m.end(), _NAMING_VERB if asked.naming else _VERB)
            for m in speaker.finditer(text)
        ):
            continue
        if asked.naming and not _NAMES_SOMETHING.search(text):
            continue  # "Marco Polo, who wrote the most influential account" calls nothing anything
        if asked.topic:
            context = text
            if i > 0 and _continues_quotation(text):  # '"... mandate. It ends in March," Hochul said.'
                context = passage[sentences[i - 1].start : sentence.end]
            if not _touches(asked.topic, context):
                continue
        found.append(Attribution(sentence.start, sentence.end))
    return found


_VERB = re.compile(rf"\b(?:{'|'.join(_REPORTING)})\b", re.I)
# ("calls on the state to act", "called for a vote" urge, and name nothing.)
_NOT_NAMING = r"(?!\s+(?:on|for|off|up|back|in)\b)"
# Asked what X called something, X "has called the program a failure" reports it too; asked what X said,
# "X calls on ..." (a headline's urging) and "the president of the United States calls anyone ..." do not.
_NAMING_VERB = re.compile(
    rf"\b(?:{'|'.join(_REPORTING)}|(?:called|calls|dubbed|termed)\b{_NOT_NAMING})\b", re.I
)
# What a sentence answering "What did X call Y?" shows: X's own words in quotation marks, or a verb of
# naming ("has called the program a failure", "dubbed it", "described it as").
_NAMES_SOMETHING = re.compile(
    r"[“”\"]|\b(?:call(?:s|ed|ing)?\b" + _NOT_NAMING + r"|dub(?:s|bed|bing)?|describ(?:e|es|ed|ing)"
    r"|label(?:s|ed|led|ing)?|term(?:s|ed)?|brand(?:s|ed|ing)?)\b",
    re.I,
)
# "according to MacroPolo", "according to the group's leader, Ann Lee", and over a longer description:
# "according to a 2023 report on global AI talent published by Chicago-based think tank MacroPolo" (no
# comma in that one). Never across a clause: "according to police, who arrested MacroPolo's director"
# names someone else.
_NO_CLAUSE = r"(?!(?:who|whom|whose|which|that|when|after|while|and|but)\b)"
_ACCORDING = re.compile(rf"\baccording\s+to\s+(?:{_NO_CLAUSE}[^\s.;:!?]+\s+){{0,10}}$", re.I)
_ACCORDING_LONG = re.compile(
    rf"\baccording\s+to\s+(?:{_NO_CLAUSE}[^\s.;:!?,“”\"]+\s+){{1,14}}$",
    re.I,
)
_ACCORDING_REACH = 120
_CLAUSE_END = re.compile(r"[.;:!?]")
# "said Pentagon press secretary John Kirby": the verb first, a title between. Not "told": "He told Roth"
# names the listener; not over a clause: "Kipper said he wasn't aware how Depp ...".
_VERB_BEFORE = re.compile(
    rf"\b(?:{'|'.join(v for v in _REPORTING if v not in ('told', 'tells'))})\s+((?:[\w.’'-]+\s+){{0,4}})$",
    re.I,
)
_CLAUSE_WORDS = frozenset(
    """he she they it we i you that how what why when where if whether was is were had has have would will
    not to of in on about for with his her their its""".split()
)
_PHRASE_GOES_ON = re.compile(
    r"\s+(?!(?:on|in|at|to|for|from|with|during|after|before|when|while|and|who|which|that|as|last|this|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b)[\w’'-]",
    re.I,
)
_POSSESSIVE = re.compile(r"^['’](?:s\b|\s)")
_OF_NAME = re.compile(r"\s+of\s+(?:the\s+)?[A-Z]")
# Heads that other names share with "of" after them ("University of Michigan", "Department of Justice"); a
# person "of Albany" is still that person.
_OF_HEADS = frozenset(
    """university college county department ministry institute school bank church city state province
    republic kingdom court office board council commission academy museum hospital society association
    federation union league bureau agency house""".split()
)
_CAPITALISED = re.compile(r"\s*([A-Z][\w’'-]*)")
_CAPITALISED_BEFORE = re.compile(r"([A-Z][\w’'-]*)\.?\s*$")
# Capitalised words that may stand right after a name without being more of a name.
_NOT_NAMES = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday i and but or the in on at then also later
    earlier meanwhile still yet so when as after before while if though although because since now today
    yesterday there here""".split()
)


def _same_speaker(asked: ReportedSpeech, sentence: str, start: int, end: int) -> bool:
    """Whether the word at sentence[start:end] names the asked-about speaker, not someone sharing it:
    "Schneider Williams" is not Brad Schneider, "Joe Biden" not Jill Biden, "Marshall University" not
    Marshall President Jerome Gilbert."""
    if asked.is_description:
        return True
    own = {w.lower() for w in asked.name} | _TITLES
    if (
        asked.key.lower() in _OF_HEADS
        and _OF_NAME.match(sentence, end)
        and not _OF_NAME.search(asked.speaker)
    ):
        return False  # "a University of Michigan survey" is not Temple University's
    following = _CAPITALISED.match(sentence, end)
    if following and following.start(1) == end + 1:
        word = following.group(1).lower()
        if word == asked.key.lower() and sentence[start:end] != asked.key:
            return False  # the alias of a full name: the key's own match judges it ("White House Historical")
        if word not in own | _NOT_NAMES:
            return False
    if len(asked.name) < 2:
        return True  # "What did Johnson say?": "Derrick Johnson said" answers it
    preceding = _CAPITALISED_BEFORE.search(sentence, 0, start)
    if preceding is None:
        return True
    word = preceding.group(1).lower().rstrip(".")
    return word in own or word in _NOT_NAMES


def _attributes(sentence: str, start: int, end: int, verbs: re.Pattern[str] = _VERB) -> bool:
    """Whether the speaker named at sentence[start:end] is the one reporting: "X said", "X, a think tank,
    found", "said X", "a report by X found", "according to X"."""
    before = sentence[max(0, start - _BEFORE_SPEAKER) : start]
    if _ACCORDING.search(before) or _ACCORDING_LONG.search(
        sentence[max(0, start - _ACCORDING_REACH) : start]
    ):
        return True
    possessive = bool(_POSSESSIVE.match(sentence[end:]))
    verb_before = _VERB_BEFORE.search(before)
    # Not "said Republicans' hopes" (whose hopes), nor "said MacroPolo fellow Ann Lee" (Ann Lee said it).
    if verb_before and not possessive and not _PHRASE_GOES_ON.match(sentence, end):
        if not {w.lower().strip(".,") for w in verb_before.group(1).split()} & _CLAUSE_WORDS:
            return True
    after = sentence[end : end + _AFTER_SPEAKER]
    if _PUBLISHED_FINDING.match(sentence, end):
        return True
    verb = verbs.search(after)
    if not verb or _REFLEXIVE.match(after, verb.end()):
        return False  # "Singer found herself face to face with ..." reports nothing
    between = after[: verb.start()]
    if _CLAUSE_END.search(between) or _CLOSING_QUOTE.search(between):
        return False  # '... to Kim Jong Un," the man said': the statement is the man's
    if between.split()[-1:] and between.split()[-1].lower() in _PASSIVE:
        return False  # "Zelenskyy was urged to leave": told, not telling
    if _AFFILIATION.fullmatch(between):  # "Yaqiu Wang of Freedom House argued"
        return True
    parts = between.split(",")
    if len(parts) == 1:  # "Hochul said", "MacroPolo's report found"; not "Roth left after Musk said"
        return len(between.split()) <= 2
    if re.fullmatch(r"\s*who\s+(?:\w+\s+)?", parts[-1], re.I):  # "Shrewsbury in 1970, who noted"
        return len(parts) == 2 and len(parts[0].split()) <= 3
    if len(parts[-1].split()) > 2:  # the verb right after the appositive, not "..., met ... and told"
        return False
    if len(parts) == 3:  # over an appositive: "MacroPolo, a think tank based in Chicago, found"
        # and after an affiliation: "Michael German of the Brennan Center, who ..., has called"
        affiliated = _AFFILIATION.fullmatch(parts[0] + " ") is not None
        return (not parts[0].strip() or affiliated) and not _opens_clause(parts[1])
    # closing an appositive the speaker stands in: "the farmer, Mark Leukam of Albany, reported"
    if len(parts) != 2 or len(parts[0].split()) > 3:
        return False
    opening = before.rsplit(", ", 1)
    return len(opening) == 2 and len(opening[1].split()) <= 3 and not _opens_clause(opening[1])


# "Dongbi Data published a report, based on data from 2020 to 2024, showing that ...": the speaker
# publishes the report whose finding follows in a participle (or a "that"/"which" clause).
_PUBLISHED_FINDING = re.compile(
    r"(?:['’]s)?(?:,[^,.;:!?]{1,60},)?\s+(?:also\s+|recently\s+|has\s+|have\s+|had\s+)?"
    r"(?:published|released|issued|produced|put\s+out|unveiled)\s+(?:a|an|its|their|the|his|her)\s+"
    r"(?:[\w’'-]+\s+){0,3}?(?:report|study|survey|paper|analysis|poll|review|assessment|index|ranking)s?\b"
    r"[^.;:!?“”\"]{0,80}?\b(?:(?:that|which)\s+(?:" + "|".join(_REPORTING) + r")|showing|finding|saying|"
    r"suggesting|concluding|indicating|revealing|estimating|warning|predicting|stating|arguing)\b",
    re.I,
)
# The speaker's organisation between them and the verb: "Michael German of the Brennan Center said".
_AFFILIATION = re.compile(r"\s+of\s+(?:the\s+)?(?:[A-Z][\w’'.&-]*\s+){1,5}")
_REFLEXIVE = re.compile(r"\s+(?:himself|herself|themselves|itself|myself|ourselves)\b", re.I)
_PASSIVE = frozenset("was were is are be been being get gets got getting".split())
_CLOSING_QUOTE = re.compile(r"[”\"]")
_CLAUSE_OPENERS = frozenset(
    "and but or nor so then while as although though because after before when if since until".split()
)


def _opens_clause(text: str) -> bool:
    """Whether a comma-separated piece opens a clause ("and were trying to ...") rather than naming
    ("a think tank based in Chicago", "who led the mission")."""
    words = text.split()
    return not words or words[0].lower() in _CLAUSE_OPENERS


def _continues_quotation(sentence: str) -> bool:
    """Whether a sentence closes a quotation it does not open: the statement began a sentence before."""
    closing, opening = sentence.find("”"), sentence.find("“")
    if closing >= 0:
        return opening < 0 or opening > closing
    return sentence.count('"') % 2 == 1


def _touches(topic: tuple[str, ...], text: str) -> bool:
    words = {w.lower() for w in _WORD.findall(text)}
    stems = {w[:5] for w in words if len(w) >= 5}
    return any(t in words or (len(t) >= 5 and t[:5] in stems) for t in topic)
