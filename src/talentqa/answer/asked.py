"""What kind of short answer a question asks for, and whether a span can be one.

Only the kinds a span shows on its face are checked: a time ("When ...?", "What year ...?"), an amount
("How many ...?", "How much ...?") and a reason ("Why ...?"). A span with no number and no time or
amount word cannot answer the first two: "Justice Department" is not when something ended. A year is a
number ("January" is no answer to "Which year ...?"), and a count is more than the determiner "many"
("many" out of "many Chinese researchers" for "How many researchers were charged?"). A reason is
a clause: a span that does not open as one ("because ...", "to avoid ...", "due to ...") is a piece of
the reason at best ("feeling anxious" for "Why are scientists leaving?"). Such a span is not shown as
the short answer; its sentence is still quoted, so the reader sees the evidence and judges it. Every
other question (who, what, ...) is not checked: nothing on a span's face says whether it names the
right thing. The kind is read from the part of the question that asks (`asked_part`): after a lead-in
statement, and at the end of a question asked in place ("... since when?").
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache

from talentqa.answer.followup import refers_back
from talentqa.text import PHOTO_CREDIT


class Asked(Enum):
    TIME = "time"
    AMOUNT = "amount"
    REASON = "reason"
    NAME = "name"
    OTHER = "other"


# How a question opens before what it asks: a conjunction or a hedge ("And how many ...?", "So when ...?",
# "Roughly how much ...?").
_OPEN = r"^\s*(?:(?:and|so|but)\s+)?(?:(?:roughly|approximately|about|around|exactly|precisely|just)\s+)?"
_TIME_QUESTION = re.compile(
    _OPEN + r"(?:when\b|(?:in|by|since|until|on)?\s*(?:what|which)\s+(?:exact\s+|specific\s+|precise\s+)?"
    r"(?:year|years|month|date|day|decade|century|season|time of year)\b|how\s+long\s+ago\b)",
    re.I,
)
_AMOUNT_QUESTION = re.compile(
    _OPEN + r"(?:how\s+(?:many|much)\b|what\s+(?:percentage|percent|share|proportion|"
    r"fraction|number|amount|sum|price|salary)\b)",
    re.I,
)
# "What year ...?", "In which year ...?": every such answerable public question (365 of them: SQuAD 1.1 and
# 2.0 dev, the news sets, our own) has a gold answer naming a year ("1864", "the 1990s", "'98", "AD 79"), a
# century or the word "year" ("the following year"); a day without one ("December 15") is none.
_YEAR_QUESTION = re.compile(_OPEN + r"(?:(?:in|by|since|until|on|during)\s+)?(?:what|which)\s+years?\b", re.I)
_YEAR = re.compile(
    r"\b\d{3,4}(?:['’]?s)?\b|\b\d0['’]?s\b|['’]\d\d\b|\byears?\b|\bcentur|\bmillenni"
    r"|(?-i:\b(?:BC|AD|BCE|CE)\b|\bB\.C\.|\bA\.D\.)",
    re.I,
)
_HOW_MANY = re.compile(_OPEN + r"how\s+many\b", re.I)
# Words that count only beside a number or a noun of amount: "many" alone, from "many Chinese researchers",
# is the passage's determiner, not a count (3 of 809 answerable SQuAD "How many" questions have such a gold
# answer, "infinitely many" for two of them).
_NOT_A_COUNT = frozenset(("many", "some"))
# "How long did he work there?", "How long is the river?": a duration or a length, which a span shows by a
# number or a unit of time ("ten years", "a decade", "6,400 km"), or as a bound ("since the Lower Paleolithic
# period", "until the end of the current Parliament"). Of the 61 answerable SQuAD dev questions (1.1 and 2.0)
# opening "How long" (not "How long ago", a time), every one has a gold answer that does; "January", a point
# in time, does not ("How long did Feng Tao work at the University of Kansas?").
_HOW_LONG = re.compile(_OPEN + r"how\s+long\b(?!\s+ago\b)", re.I)
# "How old was she?", "How close to midnight is the clock?": a measure, which a span shows by a number or a
# word of amount ("118", "100 seconds", "a dozen"). Of the 62 answerable SQuAD 1.1 / 2.0 dev, RealTimeQA,
# NewsQA and our own questions opening how old / high / large / tall / wide / deep / close, every gold answer
# does; "closer to midnight" does not. "How far", "how big", "how often" are left out: a place ("Lake
# Balkhash"), a comparison ("the size of a small car") or a word ("biennial", "weekly") answers some.
_HOW_MEASURED = re.compile(_OPEN + r"how\s+(?:old|high|large|tall|wide|deep|close)\b", re.I)
_DURATION_WORDS = frozenset(
    """second minute hour day night week fortnight month year decade century centuries millennium millennia
    lifetime life while term season generation era moment instant since until till period long longer
    forever briefly""".split()
)
# A number alone is no duration ("69th birthday" for how long a call lasted): beside it a span shows a unit
# of time or length, or a year it runs from or to ("1892 to 1894", "1957"). Every gold answer of those 61
# SQuAD questions with a digit has one of the three.
_LENGTH_UNITS = frozenset(
    """km kilometer kilometers kilometre kilometres mi mile miles ft foot feet meter meters metre metres m
    cm mm yard yards inch inches""".split()
)
_A_YEAR = re.compile(r"\b1\d{3}|\b20\d\d")
_AGO = re.compile(r"\bago\W*$", re.I)
# "On what date ...?", "What day ...?": a day ("February 7", "Thursday", "Christmas Eve") or at least a year,
# not a time relative to the story's ("last month" for when an op-ed was published). Of the 30 answerable
# SQuAD dev questions asking so, every gold answer names a day but one, a year ("prior to which date?").
_DATE_QUESTION = re.compile(
    _OPEN + r"(?:on\s+)?(?:what|which)\s+(?:exact\s+|specific\s+|precise\s+)?(?:date|day)\b(?!s)", re.I
)
# "In which month ...?": the quote names a month or a season; one with a bare year ("in 2023") does not
# answer. Every gold answer of the 21 answerable public questions asking so names one; the quote, not the
# span, is held to it, as the span heads may pick another phrase of the sentence that names it ("every four
# years" of "... on the first Thursday in May every four years").
_MONTH_QUESTION = re.compile(
    _OPEN + r"(?:(?:in|by|since|until|on|during)\s+)?(?:what|which)\s+(?:exact\s+|specific\s+)?months?\b",
    re.I,
)
_REASON_QUESTION = re.compile(_OPEN + r"(?:why\b|how\s+come\b|for\s+what\s+reasons?\b)", re.I)
# "Who ...?", "Which journal ...?": a name, which a bare number or year cannot be ("2023" for "Which journal
# did MacroPolo publish its report in?"). The nouns are kinds of named things, never ones a number names
# ("which article", "what yard line", "which mission": SQuAD answers "66", "50", "17").
# People named by their office: "Which FCC commissioner called for a ban?" asks for a person.
_TITLES = (
    "commissioner|senator|governor|minister|president|director|secretary|judge|lawmaker|chairman"
    "|chairwoman|mayor|ambassador|diplomat|lawyer|attorney|prosecutor|coach|founder|journalist|reporter"
    "|economist|analyst|activist|candidate|athlete|musician|rapper|comedian"
)
# One capitalised word may stand before the kind: "Which TikTok spokesperson", "Which Chinese university".
# (Any words there were tried: "which South Asian country" then agreed on the wrong country.)
_MODIFIER = r"(?:(?-i:[A-Z][\w.&'’-]*)\s+){0,2}"
# The same asked by name: "What is the name of the Auburn University spokesperson who ...?", "... of the
# 3-year-old child ...?" (any words but linking ones may stand before the kind there).
_NAME_OF = (
    r"|what\s+(?:is|was|are|were)\s+the\s+names?\s+of\s+(?:the|a|an|this|that)\s+"
    r"(?:(?!(?:the|a|an|that|this|which|who|whom|whose|of|in|on|at|to|for|by|with|from|and|or|is|was|are"
    r"|were|has|have|had|did|does|do)\b)[\w.&'’-]+\s+){0,3}"
)
# People asked for by what they are to the story ("Which official ...?", "... the name of the child ...?");
# the last ones only in lower case, as they also start names ("What Doctor Who spin-off ...?").
_PERSON_NOUNS = (
    "person|people|man|men|woman|women|individual|official|spokesperson|spokesman|spokeswoman|executive"
    "|ceo|politician|leader|player|actor|actress|artist|singer|scientist|researcher|professor|author|writer"
)
_RELATION_NOUNS = (
    "child|children|boy|girl|father|mother|son|daughter|wife|husband|parent|victim|patient|student"
    "|worker|doctor|nurse|teacher|vet|veterinarian|pilot|soldier|resident|driver|passenger"
)
_NAME_QUESTION = re.compile(
    _OPEN + r"(?:(?:who|whom|whose)\b|(?:(?:in|at|by|from|for|of|on|with|to)\s+)?"
    r"(?:(?:which|what)\s+"
    + _MODIFIER
    + _NAME_OF
    + r")(?:company|companies|firm|business|organi[sz]ation|group"
    r"|university|college|school|journal|newspaper|magazine|outlet|publication|country|countries|nation"
    r"|city|cities|town|team|party|agency|institution|institute|think\s+tank|lab|laboratory|brand|chain"
    r"|network|broadcaster|band|startup|start-up|platform|club|app|website|exchange"
    r"|airline|studio|league|" + _PERSON_NOUNS + "|" + _TITLES + r"|(?-i:" + _RELATION_NOUNS + r"))s?\b)",
    re.I,
)
# Kinds of named thing a span can show by its head word ("Tsinghua University", "Acme Corp", "Department of
# Commerce"): a span of one kind does not answer a question asking for another ("Tsinghua University" for
# "Which company did he work for?"). Of the 273 answerable SQuAD dev questions (1.1 and 2.0) asking for one of
# these kinds, no gold answer has the head of another.
_KIND_OF_ASKED = {
    **dict.fromkeys(
        "company companies firm firms business businesses startup startups start-up start-ups".split(), "firm"
    ),
    **dict.fromkeys("university universities college colleges school schools".split(), "school"),
    **dict.fromkeys("city cities town towns".split(), "place"),
    **dict.fromkeys("country countries nation nations".split(), "country"),
    **dict.fromkeys("journal journals newspaper newspapers magazine magazines".split(), "publication"),
    **dict.fromkeys("party parties".split(), "party"),
    **dict.fromkeys("agency agencies".split(), "agency"),
    # People, whom no institution's name answers ("Federal Communications Commission" for "Which TikTok
    # spokesperson responded?"): no head word names a person, so any institution's head clashes.
    **dict.fromkeys(
        [
            noun + suffix
            for noun in (_PERSON_NOUNS + "|" + _TITLES + "|" + _RELATION_NOUNS).split("|")
            for suffix in ("", "s")
        ],
        "person",
    ),
}
_ASKED_KIND = re.compile(
    _OPEN
    + r"(?:(?:in|at|by|from|for|of|on|with|to)\s+)?(?:(?:which|what)\s+"
    + _MODIFIER
    + _NAME_OF
    + r")("
    + "|".join(
        f"(?-i:{kind})" if kind.removesuffix("s") in _RELATION_NOUNS.split("|") else kind
        for kind in sorted(_KIND_OF_ASKED, key=len, reverse=True)
    )
    + r")\b",
    re.I,
)
_KIND_OF_HEAD = {
    **dict.fromkeys("university college institute academy school".split(), "school"),
    **dict.fromkeys("inc corp corporation company co ltd llc plc gmbh".split(), "firm"),
    **dict.fromkeys("city county province prefecture region".split(), "place"),
    **dict.fromkeys("airport stadium arena".split(), "facility"),
    **dict.fromkeys("journal magazine newspaper".split(), "publication"),
    **dict.fromkeys("department ministry agency bureau commission administration".split(), "agency"),
    # Bodies that are none of the asked kinds: a think tank, an advocacy group, a foundation ("Brennan
    # Center" for "Which university does he teach at?", "AAPI Equity Alliance" for "Which university ...").
    **dict.fromkeys(
        "center centre alliance foundation association society coalition federation".split(), "body"
    ),
    "party": "party",
}


def _head_kind(span: str) -> str | None:
    """The kind a span's head word names: its last word ("Tsinghua University"), or its first before "of"
    ("University of Kansas", "Department of Commerce")."""
    words = _WORD.findall(span)
    if not words:
        return None
    last = _KIND_OF_HEAD.get(words[-1].lower())
    if last is not None:
        return last
    of = re.match(r"^\s*(?:the\s+)?([A-Z][\w-]*)\s+of\b", span)
    return _KIND_OF_HEAD.get(of.group(1).lower()) if of else None


def kind_clash(question: str, span: str) -> bool:
    """Whether `span` names a different kind of thing than the question asks for: a university for "Which
    company ...?", a department for "Which city ...?", a country for "Which city ...?" ("Canada" for "In
    which Canadian city was she detained?", where the article names no city)."""
    asked = _ASKED_KIND.match(asked_part(question))
    if asked is None:
        return False
    kind = _KIND_OF_ASKED[asked.group(1).lower()]
    if kind == "place" and _a_country(span):
        return True
    head = _head_kind(span)
    return head is not None and head != kind


def _a_country(span: str) -> bool:
    name = _BEFORE_A_PLACE.sub("", span.strip(" .,;:\"“”'‘’()")).lower()
    return name in _countries()


_BEFORE_A_PLACE = re.compile(r"^(?:(?:in|at|to|from|of)\s+)?(?:the\s+)?", re.I)


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    """Country names, lower-cased (ISO 3166 through pycountry, and how news writes the common ones), less
    those that also name their own capital city ("Singapore", "Kuwait"): the asked city could be one. Of
    the 49 answerable SQuAD dev questions asking which city or town (and RealTimeQA's 3), no gold answer is
    a country."""
    import pycountry

    names = {"u.s.", "us", "usa", "u.s.a.", "america", "uk", "u.k.", "britain", "great britain", "england"}
    names |= {"scotland", "wales", "russia", "south korea", "north korea", "taiwan", "iran", "vietnam"}
    names |= {"syria", "laos", "the netherlands"}
    for country in pycountry.countries:
        for attr in ("name", "common_name"):
            if hasattr(country, attr):
                names.add(getattr(country, attr).lower())
    return frozenset(names - _CITY_STATES)


_CITY_STATES = frozenset(
    (
        "singapore",
        "monaco",
        "luxembourg",
        "djibouti",
        "kuwait",
        "panama",
        "guatemala",
        "mexico",
        "andorra",
        "gibraltar",
        "macao",
        "hong kong",
        "san marino",
        "vatican city",
        "holy see (vatican city state)",
    )
)


# "What kind of organisation is the academy?" asks for a kind, of which a named institution ("Tianjin
# Normal University") is an instance, not an answer. Of the 317 answerable SQuAD dev questions (1.1 and
# 2.0) asking what kind or type, no gold answer is a capitalised name with an institution's head word
# (those with such a head are descriptions: "a private research university").
_KIND_QUESTION = re.compile(_OPEN + r"(?:what|which)\s+(?:kinds?|types?|sorts?)\s+of\b", re.I)
# "What share of the grantees ...?": a proportion, which a bare count above 100 cannot be ("1,250" for
# the share of grantees who returned). None of the 43 answerable SQuAD dev share or percentage
# questions has one for a gold answer ("61" and "9" answer "What percentage ...?").
_SHARE_QUESTION = re.compile(_OPEN + r"what\s+(?:share|percentage|percent|proportion|fraction)\b", re.I)
_BARE_COUNT = re.compile(
    r"\s*(?:about|around|roughly|nearly|some|over|almost|more\s+than)?\s*(\d[\d,]*(?:\.\d+)?)\s*", re.I
)
_NAME_LINKS = frozenset(("of", "the", "and", "for", "de"))


def cannot_be_short_answer(question: str, span: str) -> bool:
    """Whether `span` may well sit in the answering sentence but cannot stand above it as the answer: a
    named institution for a question asking what kind of thing something is, a bare count above 100 for
    one asking what share or percentage, words the question itself gives (`_restates_the_question`)."""
    asked = asked_part(question)
    if _restates_the_question(asked, span):
        return True
    if _KIND_QUESTION.match(asked):
        words = [w for w in _WORD.findall(span) if w.lower() not in _NAME_LINKS]
        return bool(words) and all(w[0].isupper() for w in words) and _head_kind(span) is not None
    if _SHARE_QUESTION.match(asked):
        count = _BARE_COUNT.fullmatch(span)
        return count is not None and float(count.group(1).replace(",", "")) > 100
    return False


# "Russia" for "Which country typically sides with Russia at the UN?", "TikTok" for "What did TikTok's
# spokesperson call the push?": a span naming nothing the question does not name tells the asker nothing
# as the answer's lead, whether or not its sentence answers. The quote stays. Of the fast reader's short
# answers on our news rounds, six of eight such were wrong; SQuAD's two ("Rhine Valley" for "What is the
# alpine valley that the Rhine flows through?") were right, and are quoted still. A choice ("X or Y?")
# is answered by one of its own names.
def _restates_the_question(asked: str, span: str) -> bool:
    if _CHOICE.search(asked) or re.search(r"\bbetween\b", asked, re.I):
        return False
    words = [w.lower() for w in _NAME_WORD.findall(span) if w.lower() not in ("a", "an", "the")]
    own = {w.lower() for w in _NAME_WORD.findall(asked)}
    return bool(words) and all(w in own for w in words)


# How a reason opens when a span holds one whole.
_REASON_OPENING = re.compile(
    r"^\s*(?:because|since|as\s+a\s+result|due\s+to|owing\s+to|thanks\s+to|in\s+order\s+to|so\s+that"
    r"|so\s+as\s+to|for\s+fear|to|for|out\s+of|after|amid)\b",
    re.I,
)
# "When violence is used, what is it called?" and "When people borrow, it leads to what?" ask the "what".
_CLAUSE_FIRST = re.compile(
    r"^\s*when\b[^?]*(?:,\s*(?:what|who|whom|whose|which|how|where|why|is|are|was|were|does|did|do)\b"
    r"|\b(?:what|who|whom|which)\s*\?*\s*$)",
    re.I,
)
_DIGIT = re.compile(r"\d")
_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_ORDINALS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
)
_TIME_WORDS = frozenset(
    (
        _MONTHS + " monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow "
        "tonight now recently currently soon later earlier ago since until during after before when while "
        "year years month months week weeks weekend day days epoch decade decades century centuries "
        "era age period time times "
        "spring summer autumn fall winter morning afternoon evening night dawn dusk midnight noon "
        "last next past previous following early late mid first second third end beginning start "
        "once never always annually yearly monthly weekly daily " + _ORDINALS
    ).split()
)
_NUMBER_WORDS = frozenset(
    (
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
        "hundreds thousand thousands million millions billion billions trillion trillions dozen dozens "
        "half quarter third thirds few several many most some all none no single double twice triple "
        "percent percentage majority minority handful score little much more less fewer free minimal large "
        "small huge major minor significant considerable substantial numerous countless innumerable "
        "infinitely " + _ORDINALS
    ).split()
)
_CURRENCY = re.compile(r"[$€£¥₹%]")
_FOLD = re.compile(r"\w+fold\b", re.I)  # "tenfold"
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_WEEKDAY = "monday tuesday wednesday thursday friday saturday sunday"
_MONTH = re.compile(
    r"\b(?:" + "|".join(_MONTHS.split()) + r")\b|\b(?:spring|summer|autumn|fall|winter|months?)\b"
    r"|\b\d{1,2}/\d{1,2}\b",
    re.I,
)
_DAY = re.compile(
    r"\b(?:(?:"
    + "|".join(_MONTHS.split())
    + r")\.?\s+\d{1,2}\b|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:"
    + "|".join(_MONTHS.split())
    + r")\b|(?:"
    + "|".join(_WEEKDAY.split())
    + r")s?\b|today|yesterday|tomorrow|tonight"
    r"|\d{1,4}[/-]\d{1,2}[/-]\d{1,4})|\b(?-i:[A-Z][\w'’]*\s+(?:Eve|Day))\b",
    re.I,
)


# "How much does each grantee receive?", "What is the fund's annual budget?": a sum of money, which a
# passage can state only with a currency ("$30 million", "2.4 million euros") or as "free". "How much
# money / cash / funding / debt / revenue ...?" asks for one whatever its verb ("... do local governments
# give families?", "How much debt does Country Garden owe?"); each of the 10 such answerable SQuAD dev
# questions that the verbs below miss has a currency in its gold answer's sentence.
_MONEY_QUESTION = re.compile(
    _OPEN + r"(?:how\s+much\s+(?:money|cash|funding|debt|revenues?|profits?|income|capital"
    r"|investment|loans?|salary|wages?|compensation|damages|donations?)\b"
    r"|how\s+much\s+"
    r"(?:did|does|do|is|was|were|will|would|has|have|had|can|could|should|must)\b"
    r"(?=.*\b(?:cost|costs|pay|pays|paid|earn|earns|earned|receive|receives|received|get|gets|got|spend|"
    r"spends|spent|raise|raises|raised|invest|invests|invested|worth|charge|charges|charged|priced|fund|"
    r"funds|funded|award|awarded|grant|granted|sell|sells|sold|buy|buys|bought|fine|fined|owe|owes|owed|"
    r"donate|donated|settle|settled|make|makes|made|lose|lost)\b)"
    r"|what\s+(?:is|was|are|were)\s+(?:the|its|his|her|their|a|an)\s+"
    r"(?:(?!(?:in|of|for|on|at|between|to|with)\b)[\w'’]+\s+){0,2}"
    r"(?:salary|price|fee|budget|cost|fine|wage|valuation|ransom|bail|prize|payment|grant|stipend)\b)",
    re.I,
)
# "How much are tickets for the show?", "How much is a single ticket?": a price, asked with no verb of
# paying, which only a sum of money answers ("all three" programmes did not). No answerable public or own
# question has this shape (three near-misses of ours do); "How much are CO2 levels expected to increase?"
# asks for no price, nor does a change in one.
_PRICE_QUESTION = re.compile(
    _OPEN + r"how\s+much\s+(?:is|are|was|were|will\s+be)\s+(?:(?:a|an|the|each|one|single|general)\s+)?"
    r"(?:[\w'’-]+\s+){0,3}?(?:tickets?|admission|entry|fares?|fees?|fines?|tuition|rent|passes)\b"
    r"(?!.*\b(?:increase|increased|rise|risen|rose|fall|fallen|fell|drop|dropped|grow|grown|climb|climbed"
    r"|jump|jumped)\b)",
    re.I,
)
_MONEY = re.compile(
    r"[$€£¥₹]|\b(?:dollars?|cents?|euros?|pounds?|yen|yuan|renminbi|rmb|usd|eur|gbp|rupees?|francs?|"
    r"pesos?|marks|guineas?|shillings?|pence|bucks|won|lire|lira|roubles?|rubles?|kronor|krona|crowns?|"
    r"dinars?|rands?|free)\b",
    re.I,
)


# Verbs that ask for money only without an object of their own: "How much did the startup raise?", but not
# "How much could the ice sheet raise sea level?" (nor "lose weight", "make progress"). In the SQuAD dev
# sets and the news sets, every answerable question asking "how much" by one of these alone (one: "How
# much did San Francisco get for ...?") has a preposition or nothing after it.
_AMBIGUOUS_MONEY_VERB = re.compile(
    r"\b(?:raise|raises|raised|make|makes|made|lose|loses|lost|get|gets|got)\b(.*)", re.I
)
_OTHER_MONEY_VERB = re.compile(
    r"\b(?:cost|costs|pay|pays|paid|earn|earns|earned|receive|receives|received|spend|spends|spent|invest|"
    r"invests|invested|worth|charge|charges|charged|priced|fund|funds|funded|award|awarded|grant|granted|"
    r"sell|sells|sold|buy|buys|bought|fine|fined|owe|owes|owed|donate|donated|settle|settled)\b",
    re.I,
)
_NO_OBJECT = re.compile(
    r"^\s*(?:$|[?.!,;]|(?:in|from|on|for|by|at|to|during|last|this|each|per|over|with|after|before|since|"
    r"through|until|off|out|back|up|as|when|if|so|and|or|\w+ing|an?\s+(?:year|month|week|day|hour))\b)",
    re.I,
)
_HOW_MUCH_DID = re.compile(
    _OPEN + r"how\s+much\s+(?:did|does|do|is|was|were|will|would|has|have|had|can|could"
    r"|should|must)\b",
    re.I,
)


def asks_for_money(question: str) -> bool:
    """Whether the question asks for a sum of money: what something costs, pays or is worth."""
    part = asked_part(question)
    if _PRICE_QUESTION.match(part):
        return True
    if not _MONEY_QUESTION.match(part):
        return False
    if not _HOW_MUCH_DID.match(part) or _OTHER_MONEY_VERB.search(part):
        return True
    return any(_NO_OBJECT.match(verb.group(1)) for verb in _AMBIGUOUS_MONEY_VERB.finditer(part))


def states_money(text: str) -> bool:
    """Whether `text` names a sum of money (a currency sign or word) or says it costs nothing."""
    return bool(_MONEY.search(text))


# "How much did the object weigh?", "How heavy is it?": a weight, which a passage states with a unit of
# weight. Each of the 6 answerable SQuAD dev questions of this shape has one in its gold answer's sentence;
# "the size of a small car" does not answer it.
_WEIGHT_QUESTION = re.compile(
    _OPEN + r"(?:how\s+much\b(?=.*\bweigh(?:s|ed|t)?\b)|how\s+heavy\b"
    r"|what\s+(?:is|was|are|were)\s+(?:the|its|his|her|their)\s+(?:[\w'’]+\s+)?(?:weight|mass)\b)",
    re.I,
)
_WEIGHT = re.compile(
    r"\b(?:pounds?|lbs?|ounces?|oz|kilo(?:gram)?s?|kilogrammes?|kg|grams?|grammes?|mg|milligrams?|tons?|"
    r"tonnes?|stones?|weightless)\b",
    re.I,
)


# "What was the highest temperature recorded?", "How cold does it get?": a temperature, which a passage
# states in degrees or by comparison ("at lower temperatures"). Each of the 8 answerable SQuAD dev questions
# of this shape has one in its gold answer's sentence; "hundreds of weather stations" does not answer it.
_TEMPERATURE_QUESTION = re.compile(
    _OPEN + r"(?:how\s+(?:hot|cold|warm|cool)\b|(?:at\s+|to\s+)?what\s+"
    r"(?:(?:is|was|are|were)\s+(?:the|its|their)\s+(?:[\w'’-]+\s+){0,2})?temperatures?\b)",
    re.I,
)
_TEMPERATURE = re.compile(
    r"°|\bdegrees?\b|\bcelsius\b|\bfahrenheit\b|\bkelvins?\b|\d\s?[CFK]\b"
    r"|\b(?:lower|higher|warmer|colder|hotter|freezing|boiling)\b",
    re.I,
)


# "How wide are the craters?", "What is the height of the tower?": a size, which a passage states with a unit
# of length ("a 16-foot crater" is one). Each of the 10 answerable SQuAD dev questions of this shape has one
# in its gold answer's sentence; "at least three shards" does not answer it. ("How far", "how high" and "how
# long" are left out: "as far west as Lake Balkhash", fevers run high, a term is long.)
_LENGTH_QUESTION = re.compile(
    _OPEN + r"(?:how\s+(?:wide|thick|deep|tall)\b|what\s+(?:is|was|are|were)\s+"
    r"(?:the|its|their)\s+(?:[\w'’-]+\s+)?(?:width|thickness|depth|height|diameter|wingspan|radius"
    r"|circumference)\b)",
    re.I,
)
# Units that are also everyday words ("in", "m", "stories") count only after a number.
_LENGTH = re.compile(
    r"\b(?:miles?|km|kilomet(?:er|re)s?|met(?:er|re)s?|feet|foot|ft|inch(?:es)?|yards?|cm|"
    r"centimet(?:er|re)s?|mm|millimet(?:er|re)s?|nanomet(?:er|re)s?|micromet(?:er|re)s?|microns?|"
    r"nautical|light[- ]years?|leagues?)\b|\d\s?(?:m|mi|km|ft|cm|mm|nm|in|au|μm|µm)\b"
    r"|\d[-\s](?:storeys?|story|stories|floors?)\b|′|″|\d['’]",
    re.I,
)


# "What was the final score of the game against Finland?", "By what score did Portugal beat Switzerland?":
# a score, two numbers ("24–10", "6 to 5"). Each of the 14 answerable public, own and written news
# questions of these shapes has one in its gold answer (the 4 asking "by what score" among them); "8:10
# a.m. ET", the game's start, does not answer it, nor "scored three goals to help Portugal dominate the
# Swiss".
_SCORE_QUESTION = re.compile(
    _OPEN + r"(?:what\s+(?:is|was|were)\s+the\s+(?:(?:final|half-?time|closing)\s+score\b"
    r"|score\b(?=.*\b(?:game|match|championship|bowl|cup|final|against|versus|vs)\b))"
    r"|(?:by|with)\s+what\s+(?:final\s+)?score\b)",
    re.I,
)
_SCORE = re.compile(r"\d+\s*[-–—]\s*\d+|\b\d+\s+to\s+\d+\b", re.I)


class Measure(Enum):
    """A quantity whose unit a passage must name to answer: a sum of money, a weight, a temperature, a
    length, a score."""

    MONEY = "money"
    WEIGHT = "weight"
    TEMPERATURE = "temperature"
    LENGTH = "length"
    SCORE = "score"


def measure_asked(question: str) -> Measure | None:
    """The quantity the question asks for, where only a passage naming its unit can answer."""
    if asks_for_money(question):
        return Measure.MONEY
    if _WEIGHT_QUESTION.match(asked_part(question)):
        return Measure.WEIGHT
    if _TEMPERATURE_QUESTION.match(asked_part(question)):
        return Measure.TEMPERATURE
    if _LENGTH_QUESTION.match(asked_part(question)):
        return Measure.LENGTH
    if _SCORE_QUESTION.match(asked_part(question)):
        return Measure.SCORE
    return None


_UNITS = {
    Measure.WEIGHT: _WEIGHT,
    Measure.TEMPERATURE: _TEMPERATURE,
    Measure.LENGTH: _LENGTH,
    Measure.SCORE: _SCORE,
}


def states_measure(measure: Measure, text: str) -> bool:
    """Whether `text` names a quantity of the measure: a currency (or "free"), a unit of weight, degrees,
    a unit of length, a score."""
    if measure is Measure.MONEY:
        return states_money(text)
    return bool(_UNITS[measure].search(text))


# Events and their opposites: the time of one is not the time of the other ("When did the China
# Initiative end?" is not answered by "launched in 2018").
_OPPOSITE_EVENTS = (
    (
        frozenset(
            """begin began begun begins start started starts launch launched launches open opened opens
            found founded establish established create created introduce introduced""".split()
        ),
        frozenset(
            """end ended ends finish finished finishes close closed closes stop stopped stops abolish
            abolished dissolve dissolved terminate terminated scrap scrapped shut""".split()
        ),
    ),
    (frozenset("born birth".split()), frozenset("die died death".split())),
    (frozenset("win won wins".split()), frozenset("lose lost loses".split())),
)
# How far before a time its event verb stands: "launched in 2018", "was founded on 3 May 1990".
_EVENT_WINDOW = 30


def time_of_opposite(question: str, before_span: str) -> bool:
    """Whether a time span answering a "When ...?" question is the time of the opposite event: the words
    just before it name the opposite of the question's event ("launched in" for "When did it end?")."""
    if asked_for(question) is not Asked.TIME:
        return False
    asked = {w.lower() for w in _WORD.findall(question)}
    near = {w.lower() for w in _WORD.findall(before_span[-_EVENT_WINDOW:])}
    for one, other in _OPPOSITE_EVENTS:
        for event, opposite in ((one, other), (other, one)):
            if asked & event and not asked & opposite and near & opposite and not near & event:
                return True
    return False


# Offices a person is named by, as questions ask for them and as passages write them before a name ("Sen.
# Josh Hawley, R-Mo."): a name the passage gives one office is no answer to a question asking for another
# ("Which governor ordered the ban?"). On the SQuAD 1.1 / 2.0, RealTimeQA and NewsQA dev questions asking
# "which senator / governor / president ...", every gold answer preceded by an office is preceded by the
# asked one (20 questions).
_OFFICE_OF = {
    **dict.fromkeys("senator sen".split(), "senator"),
    **dict.fromkeys("governor gov".split(), "governor"),
    **dict.fromkeys("representative rep congressman congresswoman".split(), "representative"),
    **dict.fromkeys("president".split(), "president"),
    **dict.fromkeys("mayor".split(), "mayor"),
    **dict.fromkeys("judge justice".split(), "judge"),
    **dict.fromkeys("minister premier".split(), "minister"),
    **dict.fromkeys("chancellor".split(), "chancellor"),
    **dict.fromkeys("ambassador".split(), "ambassador"),
    **dict.fromkeys("commissioner".split(), "commissioner"),
    **dict.fromkeys("spokesperson spokesman spokeswoman".split(), "spokesperson"),
}
_OFFICES = "|".join(sorted(_OFFICE_OF, key=len, reverse=True))
# "Which governor ...?", and the same asked by name: "What is the name of the Auburn University
# spokesperson who ...?" ("Gov. Kay Ivey" does not answer it).
_OFFICE_QUESTION = re.compile(
    _OPEN
    + r"(?:(?:in|at|by|from|for|of|on|with|to)\s+)?(?:(?:which|what)\s+"
    + _MODIFIER
    + _NAME_OF
    + r")("
    + _OFFICES
    + r")\b(?![-\w])",
    re.I,
)


# "..., Ben Lamm told USA TODAY": the one told is where a statement went, no answer to what it states
# ("What tech company did Ben Lamm run ...?"). Of the 16,750 answerable public questions, two have a gold
# string written after "told" somewhere in their article, each also written elsewhere, where it answers.
_TOLD = re.compile(r"\b(?:told|tells|telling|tell)\s+(?:the\s+)?$", re.I)
_ASKS_WHO_WAS_TOLD = re.compile(
    r"\b(?:tell|tells|told|telling|say|says|said|saying|speak|speaks|spoke|spoken|talk|talks|talked"
    r"|interview\w*|outlets?|newspapers?|networks?|stations?|magazines?|publications?|papers?|reporters?"
    r"|journalists?|whom)\b",
    re.I,
)


def told_recipient(question: str, before_span: str) -> bool:
    """Whether the span is the one a statement was told to ("told USA TODAY") where the question asks for a
    span by its question word, and not whom someone told or spoke to. A yes/no or comparison question
    ("Between the BBC's report ... and The Independent's ..., was there a change ...?") is answered by its
    evidence, whatever span the heads mark in it ("she told NPR")."""
    asked = asked_part(question)
    return (
        bool(_TOLD.search(before_span))
        and bool(_OPENS_ASKING.match(asked))
        and not is_yes_no(asked)
        and not _ASKS_WHO_WAS_TOLD.search(question)
    )


# "The Carpionato Group says Tuesday it wants to create ...": the day right after a reporting verb is when
# something was said, not when what was said happens ("When is the development expected to be finished?").
# Of the answerable public and own "When ...?" questions, three have gold only in such a place, each asking
# when something was announced, which such a day does answer.
_SAID_ON = re.compile(
    r"\b(?:says|said|say|announced|announces|told|tells|reported|reports|wrote|writes|confirmed|added"
    r"|noted|explained|stated|tweeted)\s+(?:on\s+)?$",
    re.I,
)
_ASKS_WHEN_SAID = re.compile(
    r"\b(?:say|said|says|announc\w*|tell|told|report\w*|reveal\w*|confirm\w*|unveil\w*|stat(?:e|ed|es)"
    r"|disclos\w*|tweet\w*|post\w*|write|wrote|declar\w*|publish\w*|releas\w*|issu\w*|comment\w*|speak"
    r"|spoke|warn\w*|claim\w*|news)\b",
    re.I,
)


def dates_the_saying(question: str, before_span: str) -> bool:
    """Whether a "When ...?" question's span is the day a statement was made ("says Tuesday") and the
    question asks when something happens, not when it was said or announced."""
    asked = asked_part(question)
    return (
        _kind_asked(asked) is Asked.TIME
        and bool(_SAID_ON.search(before_span))
        and not _ASKS_WHEN_SAID.search(asked)
    )


def another_office(question: str, before_span: str) -> bool:
    """Whether the span answering a "Which governor ...?" question names a person the words just before it
    give another office ("Sen." before "Josh Hawley")."""
    asked = _OFFICE_QUESTION.match(asked_part(question))
    if asked is None:
        return False
    # The office stands right before the name or before its first name ("Gov. Greg" before "Abbott").
    words = before_span.split()[-2:]
    offices = [_OFFICE_OF.get(word.strip("\"“'‘([").rstrip(".").lower()) for word in reversed(words)]
    office = next((o for o in offices if o is not None), None)
    if len(words) == 2 and office is not None and offices[0] is None and not words[1][:1].isupper():
        return False  # "the governor said" before a name: not the name's office
    return office is not None and office != _OFFICE_OF[asked.group(1).lower()]


def office_lead(span: str) -> str:
    """A span's words up to the last office it gives a name after it ("immigration minister " of
    "immigration minister Hawke", "Missouri Republican Sen. " of "Missouri Republican Sen. Josh Hawley"),
    or nothing: the office the span itself holds, for `another_office`."""
    words = span.split()
    for i in range(len(words) - 2, -1, -1):
        if words[i].strip("\"“'‘([").rstrip(".").lower() in _OFFICE_OF:
            return " ".join(words[: i + 1]) + " "
    return ""


# A sentence boundary inside a question: a lead-in statement before the question itself ("NFL player
# Damar Hamlin suffered an emergency this week. He is a member of which team?").
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[\"“‘'(]?[A-Z0-9])")
# How a question opens (after a preposition too: "In which city ...?").
_OPENS_ASKING = re.compile(
    _OPEN + r"(?:(?:in|at|by|from|for|of|on|with|to|since|until|during|after|before)\s+)?"
    r"(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|will|would"
    r"|should|shall|has|have|had|may|might|must)\b",
    re.I,
)
# A question asked in place, its question word where the answer would stand, at the end: "... member of
# which team?", "... prime minister since when?", "... elected after how many rounds of voting?". "When",
# "where", "why", "who" only bare there: followed by words they open a clause ("... turn into when heated?").
_ASKED_IN_PLACE = re.compile(
    r"\b(?:(?:which|what|whose|how\s+(?:many|much|long))(?:\s+[^\s?,;]+){0,4}|when|where|why|who|whom)\s*\?+\s*$",
    re.I,
)
# A question after a fronted clause: "In the Rankine cycle, what does water turn into when heated?",
# "Prior to Super Bowl 50, when were the Broncos last there?". Not "who" / "which" after a comma, which
# mostly open a relative clause ("Robert Burns, whose birthday ..., wrote it in what year?").
_ASKED_AFTER_COMMA = re.compile(r",\s*(?=(?:what|when|where|why|how)\b)", re.I)
_QUESTION_WORD = re.compile(r"\b(?:what|which|who|whom|whose|when|where|why|how)\b", re.I)


def _asking(question: str) -> str:
    """The question's asking sentence, or its last sentence where none ends in "?"."""
    return _asking_sentence(question) or _SENTENCE_BREAK.split(question.strip())[-1]


def _asking_sentence(question: str) -> str | None:
    """The question's last sentence that asks (ends in "?"); None for a statement."""
    sentences = _SENTENCE_BREAK.split(question.strip())
    return next((s for s in reversed(sentences) if s.rstrip().endswith("?")), None)


# A year, or a decade ("1950s", "1950's"): a question asking about one year is not answered by a sentence
# dating its fact to another ("How much did China's GDP grow in 2020?" of "In 2021, its GDP hit nearly $18
# trillion"), a near-miss of the commonest kind in news, which the reader answers at 0.99.
# A number of that size is a count or a sum, not a year, beside a currency, a percent sign or a noun of
# what is counted ("$2000", "1500 soldiers", "2000 people"; not "2012 extends").
_COUNTED = (
    "people|persons|men|women|children|residents|citizens|soldiers|troops|students|workers|employees|staff"
    "|jobs|members|users|voters|votes|cases|deaths|patients|homes|houses|units|cars|vehicles|miles|km"
    "|kilometers|kilometres|acres|tons|tonnes|feet|meters|metres|dollars|euros|pounds|yuan|yen|points"
    "|seats|companies|firms|schools|scientists|researchers|words|pages|copies"
)
_YEAR_NAMED = re.compile(
    r"(?<![$€£¥\d.,])\b(1[5-9]\d\d|20\d\d)('?s\b)?"
    r"(?!\s*(?:%|percent\b)|\s+(?:" + _COUNTED + r")\b|[.,]\d)"
)


def _years(text: str) -> tuple[set[str], set[str]]:
    """The years and the decades (by their first three digits) that `text` names."""
    years: set[str] = set()
    decades: set[str] = set()
    for match in _YEAR_NAMED.finditer(text):
        if match.group(2):
            decades.add(match.group(1)[:3])
        else:
            years.add(match.group(1))
    return years, decades


# A month, as the year above: "By how much did sales fall in September?" is not answered by "In October,
# sales ... contracted 26.5%". "May" only where it dates ("May 3", "May 2021", "May of"), not the verb. Of
# the 71 answerable SQuAD dev questions whose asking sentence names a month, one has a gold sentence (and
# the 200 characters before it) naming only others.
_MONTH_NAMED = re.compile(
    r"\b(January|February|March|April|June|July|August|September|October|November|December"
    r"|May(?=\s+\d|\s+of\b|,?\s+(?:1[5-9]|20)\d\d))\b"
)


# A time the question sets its asked event against is not the time it asks about: "What was China's last
# deadly air crash before the China Eastern crash in March 2022?" is answered by "the 2010 Henan Airlines
# disaster", "What did he do after 1990?" by a sentence dating it 1994. ("Since" and "until" bound the
# asked fact itself: "How much did it grow since 2004?" is not answered by 2003-04's figure.)
_REFERENCE_CLAUSE = re.compile(r"\b(?:before|after|prior\s+to|following|preceding)\b[^,;?]*", re.I)


def _occasion_part(question: str) -> str:
    """The asking sentence without the clauses that set the asked event against another time."""
    return _REFERENCE_CLAUSE.sub(" ", _asking(question))


def asks_about_a_month(question: str) -> bool:
    """Whether the question's asking sentence names a month (and it is no yes/no question)."""
    return not is_yes_no(question) and bool(_MONTH_NAMED.search(_occasion_part(question)))


def month_match(question: str, context: str) -> bool | None:
    """None where the question names no month or `context` names none; else whether one matches."""
    if is_yes_no(question):
        return None
    asked = set(_MONTH_NAMED.findall(_occasion_part(question)))
    found = set(_MONTH_NAMED.findall(context))
    if not asked or not found:
        return None
    return bool(asked & found)


def asks_about_a_year(question: str) -> bool:
    """Whether the question's asking sentence names a year or decade (and it is no yes/no question)."""
    return any(_years_asked(question))


def _years_asked(question: str) -> tuple[set[str], set[str]]:
    if is_yes_no(question):
        return set(), set()
    return _years(_occasion_part(question))


# A date its report's year completes: a day or month written without a year ("on June 8", "Thursday", "in
# June"), or "this year / week / month". A sentence whose only dates are years ("17 minutes in 1991") is about
# those years, whenever it was reported; one naming none ("He got 71.1% this time") about its report's.
_REPORT_DATED = re.compile(
    _DAY.pattern
    + r"|\bthis\s+(?:year|week|month)\b|(?-i:\b(?:January|February|March|April|June|July|August|September"
    r"|October|November|December)\b)",
    re.I,
)


# "This year", "last year", "next year": a year its report's publication names ("Last year, 80 groups
# took part", in a 2016 report, is 2015's figure). Not where it is what a figure is set against ("up 5% from
# last year", "more than last year": the figure is the report's own year's).
_RELATIVE_YEAR = re.compile(r"\b(this|last|next)\s+year\b", re.I)
_SET_AGAINST = re.compile(
    r"\b(?:from|than|since|over|versus|vs\.?|against|compared\s+(?:with|to)|relative\s+to)\s*$", re.I
)
_RELATIVE_OFFSET = {"this": 0, "last": -1, "next": 1}
# A sentence opening on last or next year is that year's, not its report's: "Last year, 80 groups
# participated" (but "He got 71.1% this time after ... 70% last year" states this time's figure too).
_OPENS_ON_ANOTHER_YEAR = re.compile(r"^\W*(?:(?:and|but|so|yet|just)\s+)?(?:last|next)\s+year\b", re.I)


def relative_years(text: str, published: int | None) -> set[str]:
    """The years `text` names relative to its report's year `published` ("last year" in 2016: "2015")."""
    if published is None:
        return set()
    years = set()
    for match in _RELATIVE_YEAR.finditer(text):
        if _SET_AGAINST.search(text[max(0, match.start() - 20) : match.start()]):
            continue
        years.add(str(published + _RELATIVE_OFFSET[match.group(1).lower()]))
    return years


def dated_by_its_report(quote: str) -> bool:
    """Whether its report's year dates `quote`'s fact (`year_match`): the quote names no year, or writes a
    day or month that year completes; not where it opens on last or next year."""
    if _OPENS_ON_ANOTHER_YEAR.match(quote):
        return False
    return not any(_years(quote)) or bool(_REPORT_DATED.search(quote))


def year_match(
    question: str, context: str, reported_in: int | None = None, published: int | None = None
) -> bool | None:
    """None where the question asks about no year or `context` names none; else whether `context` (an
    answer's sentence and the one before it) names one it asks about. Only the asking sentence counts (not
    a lead-in: "Feinstein will not run in 2024. What year was she first elected?"), and a yes/no question
    is answered by its evidence either way. A report dates what it states by its publication, so the year
    it was published in (`reported_in`, given unless the quote names only years: `dated_by_its_report`)
    counts as named: "Prices of oil spiked to $122.11 on June 8, ... about a dollar off its highest level
    since 2008", reported in June 2022, answers when oil spiked in 2022; and so do the years the context
    names relative to its publication year (`published`: "this year", "last year"). It never rules a
    context out on its own: one naming no year stays undecided."""
    asked_years, asked_decades = _years_asked(question)
    if not asked_years and not asked_decades:
        return None
    years, decades = _years(context)
    years = years | relative_years(context, published)
    if not years and not decades:
        return None
    if reported_in is not None:
        years = years | {str(reported_in)}
    return bool(
        asked_years & years
        or asked_decades & decades
        or any(y[:3] in asked_decades for y in years)
        or any(y[:3] in decades for y in asked_years)
    )


# "What gift did Putin give Xi for his 69th birthday?" is not answered by a sentence about his 66th: an
# ordinal the question gives a noun ("69th birthday", "21st Congress") and a quote giving that noun only
# other ordinals state another occasion's fact, as another year's does.
_ORDINAL_NOUN = re.compile(r"\b(\d+)(?:st|nd|rd|th)\s+([^\W\d_]+)", re.I)


def _ordinals(text: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for match in _ORDINAL_NOUN.finditer(text):
        found.setdefault(_singular(match.group(2).lower()), set()).add(match.group(1))
    return found


def _singular(noun: str) -> str:
    if noun.endswith(("sses", "ches", "shes", "xes")):
        return noun[:-2]  # "congresses", "matches"
    return noun if noun.endswith("ss") else noun.removesuffix("s")


def asks_about_an_ordinal(question: str) -> bool:
    """Whether the question's asking sentence gives a noun an ordinal ("his 69th birthday")."""
    return not is_yes_no(question) and bool(_ordinals(_occasion_part(question)))


def ordinal_match(question: str, context: str) -> bool | None:
    """None where the question gives no noun an ordinal or `context` numbers none of those nouns; else
    whether `context` gives one of them the asked ordinal: False for "61st birthday", "66th birthday" of
    "... his 69th birthday?"."""
    if is_yes_no(question):
        return None
    asked = _ordinals(_occasion_part(question))
    found = _ordinals(context)
    shared = [noun for noun in asked if noun in found]
    if not shared:
        return None
    return any(asked[noun] & found[noun] for noun in shared)


# "How many students are enrolled?" is not answered by "26 universities", nor "How many factories shut?" by
# "80 million people": a count of people and a count of institutions, places or buildings are never each
# other's answer. Of the 198 answerable SQuAD dev answers (1.1 and 2.0) to questions counting one of these
# nouns, every one whose count is followed by one of them is followed by one of the same kind.
_PEOPLE = frozenset(
    """people persons men women children students workers employees staff members users residents citizens
    soldiers troops voters scientists researchers players fans patients victims visitors tourists immigrants
    refugees adults teachers doctors nurses officers engineers subscribers customers viewers listeners
    readers followers inhabitants""".split()
)
_PLACES = frozenset(
    """universities colleges schools states countries companies firms cities towns nations provinces counties
    districts institutions organizations organisations agencies hospitals campuses factories plants stores
    shops restaurants buildings homes houses facilities offices branches mines airports stations sites
    churches mosques temples museums libraries banks hotels stadiums farms bases ports""".split()
)
_COUNT_ASKED = re.compile(_OPEN + r"how\s+many\s+((?:[\w'’-]+\s+){0,3}[\w'’-]+)", re.I)
_COUNTED_NOUN = re.compile(
    r"^[\d,.]+(?:\s+(?:million|billion|thousand|hundred))?\s+(?:[\w-]+\s+){0,2}?"
    r"([\w-]+s|people|men|women|children|staff)\b(?!['’])",
    re.I,
)


def _count_kind(word: str) -> str | None:
    word = word.lower()
    return "people" if word in _PEOPLE else "places" if word in _PLACES else None


def counts_another_kind(question: str, span_on: str) -> bool:
    """Whether a count (`span_on`: the span and the words after it, "26 universities and colleges ...")
    counts institutions or places where the question counts people, or the other way round."""
    asked = _COUNT_ASKED.match(asked_part(question))
    if asked is None:
        return False
    kind = next((k for k in map(_count_kind, asked.group(1).split()) if k is not None), None)
    counted = _COUNTED_NOUN.match(span_on.strip())
    if kind is None or counted is None:
        return False
    other = _count_kind(counted.group(1))
    return other is not None and other != kind


_PLURAL_NEXT = re.compile(r"\s+[a-z]+s\b")  # "2000 guests": a count of something


def gives_only_a_year(question: str, span: str, after: str) -> bool:
    """Whether a span asked how many or how much gives only years ("since 1994" for how many visitors come
    each year; `after`: the words after the span, where a count's noun is written, "2000 guests"). Of the
    1,162 answerable SQuAD 1.1 / 2.0, RealTimeQA and NewsQA dev questions asking so and our own 126, no gold
    answer is a year but one annotator's slip ("1869," beside two annotators' "154" for how many gems)."""
    if not _HOW_MUCH_OR_MANY.match(asked_part(question)):
        return False
    numbers = _A_NUMBER.findall(span)
    words = {w.lower() for w in _WORD.findall(span)}
    if not numbers or words & _NUMBER_WORDS:
        return False
    text = span + after
    years = {m.group(1) for m in _YEAR_NAMED.finditer(text) if not _PLURAL_NEXT.match(text, m.end())}
    return all(number in years for number in numbers)


# "Which clinic in central Beijing had hours-long lines?" is not answered by "a clinic": a span of lower-case
# words, every one the question's own, ending in the noun asked for, only restates what is asked. Of the
# 4,771 SQuAD dev questions asking "which / what <noun>", no gold answer does (a name that shares the
# question's words, "Kearney Park" for "Which park ...?", is capitalised; "Article 17(3)" has a number),
# nor, of the 7,664 public answerable questions asking so, one made only of the words between the question
# word and the noun ("Russian bank" for "Which Russian bank ...?").
_WHICH_NOUN = re.compile(
    _OPEN + r"(?:(?:in|at|by|from|for|of|on|with|to)\s+)?(?:which|what)\s+"
    r"(?:[\w'’-]+\s+){0,3}?([a-z]+)\b(?=\s+(?:is|was|are|were|did|does|do|has|have|had|will|would|can|could"
    r"|in|of|that|which|who|to|for|on|at)\b|\s*\?)",
    re.I,
)
_LOWER_WORD = re.compile(r"[a-z'’-]+")
_CASED_WORD = re.compile(r"[A-Za-z'’-]+")


def restates_the_asked(question: str, span: str) -> bool:
    """Whether `span` only restates the kind the question asks for ("a clinic" for "Which clinic ...?",
    "Russian bank" for "Which Russian bank ...?")."""
    asked = _WHICH_NOUN.match(asked_part(question))
    if asked is None or re.search(r"[0-9]", span):
        return False
    noun = asked.group(1).lower()
    if re.search(r"[A-Z]", span):
        # A capitalised span restates only the asked words themselves, as written: "Lake Rhine" for "What
        # lake connects the Rhine to Lake Constance?" is a name, and so is "Civil Rights Movement" for
        # "What civil rights movement ...?".
        words = [w for w in _CASED_WORD.findall(span) if w not in ("a", "an", "the")]
        own = set(_CASED_WORD.findall(asked.group(0)))
    else:
        words = [w for w in _LOWER_WORD.findall(span) if w not in ("a", "an", "the")]
        own = set(_LOWER_WORD.findall(question.lower()))
    if not words or _singular(words[-1].lower()) != _singular(noun):
        return False
    return all(w in own for w in words)


# "Who took over as Microsoft CEO when Bill Gates stepped down?" is not answered by "Gates": a person the
# question names is who it asks about, not the answer. Of the 1,648 answerable public "Who ...?"
# questions, one has only such gold answers ("Tesla" for who designed what Tesla Electric Light &
# Manufacturing installed) and four have one annotator's such answer among others; a choice between names
# the question gives ("... Biden or Trump?", "... the dispute between Time Warner Cable and ABC?") is left
# alone.
_WHO_QUESTION = re.compile(_OPEN + r"(?:who|whom)\b", re.I)
_NAME_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*", re.UNICODE)


def names_only_the_asked_about(question: str, span: str) -> bool:
    """Whether `span` answers a "Who ...?" question with no name but those the question gives itself."""
    question = asked_part(question)
    if not _WHO_QUESTION.match(question) or _CHOICE.search(question) or re.search(r"\bbetween\b", question):
        return False
    words = [w.lower() for w in _NAME_WORD.findall(span) if w.lower() not in ("a", "an", "the")]
    own = {w.lower() for w in _NAME_WORD.findall(question)}
    return bool(words) and all(w in own for w in words)


# "Where did the tour kick off?" is not answered by "6/23" (a listing's date heading): a span naming only a
# day or a year says when, not where. None of the 757 answerable public and own "Where ...?" questions has
# only such gold answers; "Where and when ...?" asks for both, and is left alone.
_WHERE_QUESTION = re.compile(_OPEN + r"(?:(?:from|to)\s+)?where\b(?!\s+and\b)", re.I)
_NUMERIC_DATE = re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b")
_DATE_LINKS = frozenset(("on", "in", "at", "the", "of", "since", "by", "and", "from", "to", "until"))


def dates_a_place(question: str, span: str) -> bool:
    """Whether the question asks where and `span` names only a date or a year."""
    if not _WHERE_QUESTION.match(asked_part(question)):
        return False
    text = span.strip(" .,;:")
    rest = _NUMERIC_DATE.sub(" ", _A_YEAR.sub(" ", _DAY.sub(" ", text)))
    if rest == text or _DIGIT.search(rest):
        return False  # no date, or a number besides it
    return all(w.lower() in _TIME_WORDS or w.lower() in _DATE_LINKS for w in _WORD.findall(rest))


# "Who is opening for them at the stadium?" is not answered by "Loop 101 and Glendale Avenue, Glendale": a
# street address locates, it names no one. None of the 1,763 answerable public and own "Who ...?" questions
# has a gold answer naming a street so ("Robert Lane", "Cosgrove Hall" and "Prospect Park" do answer).
_ADDRESS = re.compile(
    r"\b(?-i:[A-Z][\w.'’-]*)\s+(?:Avenue|Ave\.|Street|Road|Rd\.|Boulevard|Blvd\.|Highway|Hwy\.|Parkway)(?!\w)"
)


def an_address_for_who(question: str, span: str) -> bool:
    """Whether the question asks who and `span` gives a street address."""
    return bool(_WHO_QUESTION.match(asked_part(question))) and bool(_ADDRESS.search(span))


def named_by_number(before_span: str) -> str:
    """The capitalised words that a bare number ends the name of, right before it ("Executive Order" of
    "the Governor's Executive Order 2022-33", "Super Bowl" of "Super Bowl 50"), or "": a question asking
    which order or which game is answered by the whole name, which the span heads may cut to its number.
    Words before a possessive name another thing ("Governor's"), and a capitalised word that opens a
    sentence is no name ("In 2019")."""
    run = _NAME_BEFORE_NUMBER.search(before_span)
    if run is None:
        return ""
    words = run.group(1).split()
    owner = max((i + 1 for i, w in enumerate(words) if w.endswith(("'s", "’s", "s'", "s’"))), default=0)
    words = words[owner:]
    while words and words[0].lower() in _NOT_NAME_WORDS:
        words = words[1:]
    if not words:
        return ""
    return before_span[before_span.rindex(words[0], run.start(1)) :].rstrip()


_NAME_BEFORE_NUMBER = re.compile(r"((?:(?-i:[A-Z][\w.&'’-]*)\s){1,4})$")
_NOT_NAME_WORDS = frozenset(
    """the a an in on at by from since until till of for and or but to with after before during as about
    around nearly over under some this that these those its his her their our no no. number nos.""".split()
)


def without_lead_in(question: str) -> str:
    """`question` without the statements that lead it in ("The IRS started accepting returns this week.
    When is the deadline?" -> "When is the deadline?"), where what is left is a question on its own: it
    opens as one or holds a question word ("He is a member of which team?"; not "True or false?")."""
    asking = _asking_sentence(question)
    if asking is None or asking == question.strip():
        return question
    return asking if _OPENS_ASKING.match(asking) or _QUESTION_WORD.search(asking) else question


def asked_part(question: str) -> str:
    """The part of `question` that says what kind of answer it asks for: its last sentence that is a
    question (a lead-in statement before it says what the question is about), and within that, where it
    does not open with a question word, the question word asked in place at its end ("which team?" of "He
    is a member of which team?") or the one after a fronted clause ("what ..." of "In the Rankine cycle,
    what does water turn into when heated?"). A statement, or a question of neither shape, is left as
    it is."""
    asked = _asking_sentence(question)
    if asked is None or _OPENS_ASKING.match(asked):
        return asked or question
    in_place = _ASKED_IN_PLACE.search(asked)
    if in_place:
        return asked[in_place.start() :]
    after_comma = _ASKED_AFTER_COMMA.search(asked)
    return asked[after_comma.end() :] if after_comma else asked


def asked_for(question: str) -> Asked:
    return _kind_asked(asked_part(question))


def _kind_asked(question: str) -> Asked:
    if _CLAUSE_FIRST.match(question):
        return Asked.OTHER
    if _TIME_QUESTION.match(question):
        return Asked.TIME
    if _AMOUNT_QUESTION.match(question) or _HOW_LONG.match(question) or _HOW_MEASURED.match(question):
        return Asked.AMOUNT  # "how long" asks for a duration or a length, "how old" an age: amounts
    if _REASON_QUESTION.match(question):
        return Asked.REASON
    if _NAME_QUESTION.match(question):
        return Asked.NAME
    return Asked.OTHER


# "How much of the $1.6 billion amendment was for a lander?" is not answered by "$1.6 billion", nor "How
# many tests had been run when the rate was 1.53%?" by "1.53%": a count or sum the question itself states
# is what it asks about, not what it asks for. Of the 212 answerable SQuAD, RealTimeQA and NewsQA dev
# questions asking "how many / how much" with a number, one has gold answers all of the question's numbers
# ("How many yards did the Panthers gain in the 487 ...?").
_HOW_MUCH_OR_MANY = re.compile(_OPEN + r"how\s+(?:much|many)\b", re.I)
# A number, not one inside a name ("X.25", "Covid-19", "F-35").
_A_NUMBER = re.compile(r"(?<![\w.,-])\d(?:[\d,.]*\d)?")
# A count spelled out on its own ("two kinds of X.25"), not a digit's multiplier ("$1.6 billion").
_SPELLED_COUNT = re.compile(
    r"(?<![\d.,]\s)(?<![\d.,])\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"\w+teen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|"
    r"billions?|dozens?)\b",
    re.I,
)


def _states_only_the_questions_numbers(question: str, span: str) -> bool:
    numbers = set(_A_NUMBER.findall(span))
    if not numbers or _SPELLED_COUNT.search(span):
        return False
    return numbers <= set(_A_NUMBER.findall(question))


# A photo's credit (`talentqa.text.PHOTO_CREDIT`, "David Paul Morris/Bloomberg") names who took a picture,
# never the law firm, official or company asked about ("Which law firm represented Twitter?"). No gold
# answer of the dev sets is one.
_PHOTO_CREDIT = re.compile(r"^" + PHOTO_CREDIT + r"$")
_ASKS_ABOUT_A_PICTURE = re.compile(r"\b(?:photo\w*|pictures?|images?|credit\w*|camera)\b", re.I)


def is_photo_credit(question: str, span: str) -> bool:
    """Whether `span` is a photo's credit ("John Normile/Getty Images") and the question asks about no
    picture."""
    return bool(_PHOTO_CREDIT.match(span.strip())) and not _ASKS_ABOUT_A_PICTURE.search(question)


def month_missing(question: str, quote: str) -> bool:
    """Whether the question asks in which month and `quote` names none."""
    return bool(_MONTH_QUESTION.match(asked_part(question))) and not _MONTH.search(quote)


def can_answer(question: str, span: str) -> bool:
    """False when the question asks for a time, an amount, a reason or a name and `span` cannot be one."""
    if is_photo_credit(question, span) or dates_a_place(question, span):
        return False
    question = asked_part(question)
    asked = _kind_asked(question)
    if asked is Asked.REASON:
        return bool(_REASON_OPENING.match(span))
    if asked is Asked.NAME:
        return (
            bool(_WORD.search(span))
            and not kind_clash(question, span)
            and not an_address_for_who(question, span)
        )
    if asked is Asked.TIME and _YEAR_QUESTION.match(question):
        return bool(_YEAR.search(span))
    if asked is Asked.TIME and _DATE_QUESTION.match(question):
        return bool(_DAY.search(span)) or bool(_A_YEAR.search(span))
    words = {w.lower() for w in _WORD.findall(span)}
    words |= {w.removesuffix("s") for w in words}  # "Wednesdays", "decades"
    if _HOW_LONG.match(question) and _AGO.search(span):
        return False  # "more than 60 years ago" is when, not how long
    if _HOW_MUCH_OR_MANY.match(question) and _states_only_the_questions_numbers(question, span):
        return False  # "$1.6 billion" for "How much of the $1.6 billion ...?"
    if _HOW_LONG.match(question) and _DIGIT.search(span):
        return bool(words & (_DURATION_WORDS | _LENGTH_UNITS)) or bool(_A_YEAR.search(span))
    if asked is Asked.OTHER or _DIGIT.search(span):
        return True
    if asked is Asked.TIME:
        return bool(words & _TIME_WORDS)
    if _HOW_LONG.match(question):
        return bool(words & (_NUMBER_WORDS | _DURATION_WORDS))
    counts = words & _NUMBER_WORDS
    if _HOW_MANY.match(question):
        counts -= _NOT_A_COUNT
    return bool(counts) or bool(_CURRENCY.search(span)) or bool(_FOLD.search(span))


_YES_NO = re.compile(
    _OPEN + r"(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should"
    r"|shall|may|might|must)\b",
    re.I,
)
# "Is X or Y larger?", "Did TechCrunch or The Verge report it first?": a choice, answered by a span.
_CHOICE = re.compile(r"\bor\b(?!\s+not\b)", re.I)


def is_yes_no(question: str) -> bool:
    """Whether the question asks yes or no ("Did the Verge report ...?"), not which of several ("Is X or Y
    larger?", answered by a span). Its answer is the evidence itself: no span of a passage says "yes"."""
    return bool(_YES_NO.match(question)) and not _CHOICE.search(question)


# "who's", "what's": the reader's tokenizer reads "who", "'", "s", a form its training questions never had.
_WH_CONTRACTION = re.compile(r"\b(what|who|where|when|how|why)['’]s\b", re.I)


def as_read(question: str, *, lead_in: bool = False) -> str:
    """The question in the form the reader was trained and calibrated on: SQuAD's questions end in "?"
    and spell "who is" out, and people in a chat often do neither ("who's Michael German"). Without its
    "?" the fast reader is less sure of the passages that answer (on the SQuAD 2.0 dev questions that
    lack one, answerable ones passed the threshold 0.754 -> 0.807 with it added), and the threshold was
    set on questions that have one. A question that does not open as one ("Tell me about Feng Tao.") is
    left as it is. Statements leading a question in, as news quizzes and some users write them, are not
    read (`without_lead_in`): the fast reader learnt from one-sentence questions, and a lead-in draws it
    to the passage's sentence that restates the lead-in ("started accepting returns on Monday, Jan. 23"
    for "When is the deadline?"). Retrieval still searches with the whole question. With `lead_in` they
    are kept (`as_judged`)."""
    text = question if lead_in else without_lead_in(question)
    text = _WH_CONTRACTION.sub(lambda m: f"{m.group(1)} is", text.strip())
    if _OPENS_ASKING.match(text) and not text.endswith("?"):
        text = text.rstrip(" .!") + "?"
    return text


def as_judged(question: str) -> str:
    """The question as the accurate reader's LLM reads it: as the fast reader does (`as_read`), except that
    one whose asked sentence refers back to the statements leading it in (a pronoun or an ellipsis, as a
    follow-up does: `followup.refers_back`) is read whole. Alone, "He is a valued member of which team?"
    names nobody, and the LLM said NO to "Buffalo Bills player Damar Hamlin remains hospitalized ...". A
    question that names its own subject is still read alone: a lead-in adds claims the passage need not
    make ("The world's largest outdoor ice rink, which usually sees more than a million visitors ..."), and
    the LLM then doubts a passage that answers (docs/measured.md, "The accurate reader reads a lead-in")."""
    asked = without_lead_in(question)
    return as_read(question, lead_in=asked != question and refers_back(asked))
