"""Articles agreeing on the asked-for name: a question describing its answer by several reports is
answered by the name their quotes share, each article's sentence quoted; single-fact questions, one
article's paragraphs and names the question gives are left alone."""

from __future__ import annotations

from collections.abc import Sequence

from talentqa.answer.agreement import agreeing_reports
from talentqa.answer.clues import clues
from talentqa.answer.reading import ReadingAnswerer
from talentqa.models import Chunk
from talentqa.reading.model import ReaderOutput
from talentqa.retrieval import Passage
from talentqa.settings import AnswerSettings
from tests.answer.helpers import LookupReader

ARTICLES = {
    "deals": "Regulators met on Monday. Google pays Apple billions to be the default search engine, "
    "the filing says.",
    "ads": "A former staffer says Google manipulates search results to maximise ad revenue.",
    "trial": "The trial resumes next week in Washington, where Microsoft testified.",
}
QUESTION = (
    "Which company, reported by one outlet for its default-search deals and by another for manipulating "
    "search results, is on trial?"
)


def _passages(texts: dict[str, str], titles: dict[str, str] | None = None) -> list[Passage]:
    """One passage per entry; each its own article unless `titles` gives two the same title."""
    return [
        Passage(
            Chunk(
                id=f"{key}:0",
                doc_id=key,
                n=0,
                start=0,
                end=len(text),
                text=text,
                title=(titles or {}).get(key, key.title()),
            ),
            1.0 / (i + 1),
        )
        for i, (key, text) in enumerate(texts.items())
    ]


def _answerer(
    verdicts: dict[str, tuple[float, str]], texts: dict[str, str] = ARTICLES, **settings: object
) -> ReadingAnswerer:
    reader = LookupReader(verdicts, texts)
    return ReadingAnswerer(
        AnswerSettings(abstain_threshold=0.5, second_look=False, **settings), reader=lambda: reader
    )


AGREEING = {"deals": (0.45, "Google"), "ads": (0.4, "Google manipulates"), "trial": (0.3, "Microsoft")}


def test_two_articles_naming_the_same_company_answer_together_where_neither_passes_alone() -> None:
    answer = _answerer(AGREEING).answer(QUESTION, _passages(ARTICLES), ARTICLES.__getitem__)
    assert not answer.abstained
    assert answer.short_answer == "Google"
    assert answer.text.startswith("Google [1][2]\n")  # both quotes state it
    assert [c.doc_id for c in answer.citations] == ["deals", "ads"]  # the surer article first
    assert answer.citations[1].quote == ARTICLES["ads"]  # each article's own sentence naming it
    for citation in answer.citations:
        assert ARTICLES[citation.doc_id][citation.start : citation.end] == citation.quote
    assert answer.debug["confidence"] == round(1 - 0.55 * 0.6, 4)
    assert answer.debug["agreement"] == {"name": "Google", "articles": 2, "clues": 0}


def test_without_agreement_the_same_readings_abstain() -> None:
    off = _answerer(AGREEING, agreement=False).answer(QUESTION, _passages(ARTICLES), ARTICLES.__getitem__)
    assert off.abstained and off.debug["confidence"] == 0.45


def test_a_name_only_one_article_quotes_is_no_agreement() -> None:
    texts = dict(ARTICLES, ads="A former staffer says the search giant manipulates results.")
    verdicts = {"deals": (0.45, "Google"), "ads": (0.4, "the search giant"), "trial": (0.3, "Microsoft")}
    answer = _answerer(verdicts, texts).answer(QUESTION, _passages(texts), texts.__getitem__)
    assert answer.abstained and "agreement" not in answer.debug


def test_an_article_agrees_by_its_quote_whatever_span_its_reading_chose() -> None:
    """The reader often picks another phrase of the sentence that names the answer ("Bankman-Fried" in one
    article, "the former CEO" in the next): the quote naming the candidate is the evidence."""
    verdicts = {"deals": (0.45, "Google"), "ads": (0.4, "former staffer"), "trial": (0.3, "Microsoft")}
    answer = _answerer(verdicts).answer(QUESTION, _passages(ARTICLES), ARTICLES.__getitem__)
    assert answer.short_answer == "Google" and [c.doc_id for c in answer.citations] == ["deals", "ads"]


def test_paragraphs_of_one_article_are_one_report() -> None:
    same = {"deals": "Wikipedia", "ads": "Wikipedia", "trial": "Other"}
    answer = _answerer(AGREEING).answer(QUESTION, _passages(ARTICLES, same), ARTICLES.__getitem__)
    assert answer.abstained and "agreement" not in answer.debug


def test_a_name_the_question_gives_is_not_its_answer() -> None:
    asked = "Which company did Google pay to be the default search engine and accuse of manipulation?"
    answer = _answerer(AGREEING).answer(asked, _passages(ARTICLES), ARTICLES.__getitem__)
    assert answer.abstained and "agreement" not in answer.debug


def test_only_questions_asking_for_a_name_are_aggregated() -> None:
    why = "Why are search results manipulated, according to the reports?"
    answer = _answerer(AGREEING).answer(why, _passages(ARTICLES), ARTICLES.__getitem__)
    assert answer.abstained and "agreement" not in answer.debug


def test_a_passage_that_answers_alone_keeps_its_answer_whatever_others_agree_on() -> None:
    sure = {"deals": (0.8, "Google"), "ads": (0.7, "Google"), "trial": (0.9, "Microsoft")}
    answer = _answerer(sure).answer(QUESTION, _passages(ARTICLES), ARTICLES.__getitem__)
    assert answer.short_answer == "Microsoft" and answer.citations[0].doc_id == "trial"
    assert "agreement" not in answer.debug and answer.debug["confidence"] == 0.9


def test_agreement_is_found_on_the_reader_spans_only() -> None:
    """The candidates are the reader's own short spans: a name no reading chose is never proposed, and a
    sentence-long span is no name."""
    answerer = _answerer({"deals": (0.45, "Regulators met on Monday"), "ads": (0.4, "A former staffer")})
    readings = answerer.read(QUESTION, _passages(ARTICLES))
    assert agreeing_reports(QUESTION, readings) is None


LONG = (
    "Which company, reported by TechCrunch and The Age, pays billions to be the default search engine on "
    "other makers' phones, is said by a former staffer to manipulate search results for ad revenue, and "
    "faces a trial in Washington?"
)


def test_a_long_question_of_several_clues_is_asked_clue_by_clue() -> None:
    assert clues(LONG) == [
        "Which company pays billions to be the default search engine on other makers' phones?",
        "Which company is said by a former staffer to manipulate search results for ad revenue?",
        "Which company faces a trial in Washington?",
    ]  # "reported by TechCrunch and The Age" says where, not what: no clue
    individual = (
        "Who is the individual that, before the collapse of a crypto exchange, was portrayed as its "
        "trustworthy face, and is accused by prosecutors of fraud and conspiracy, as reported by Fortune?"
    )
    assert clues(individual) == [
        "Who is the individual before the collapse of a crypto exchange?",
        "Who is the individual was portrayed as its trustworthy face?",
        "Who is the individual is accused by prosecutors of fraud and conspiracy?",
    ]


def test_short_questions_and_single_clue_questions_are_not_split() -> None:
    assert clues("What is another word for long, planar igneous intrusions?") == []  # a list, not clues
    assert clues("Which company, reported by TechCrunch, " + "has " + "very " * 25 + "big deals?") == []
    assert clues("Between the report from The Verge and the one from Wired, is there consistency " * 2) == []


class ClueReader(LookupReader):
    """Sure of a passage only when the question is asked by the clue it states."""

    def __init__(self, texts: dict[str, str], clue_of: dict[str, tuple[str, str]]) -> None:
        super().__init__({}, texts)
        self.clue_of = clue_of
        self.questions: list[str] = []

    def read(
        self, question: str, passages: Sequence[str], headers: Sequence[str] | None = None
    ) -> list[ReaderOutput]:
        self.questions.append(question)
        self.verdicts = {
            key: (0.45 if words in question and question != LONG else 0.15, span)
            for key, (words, span) in self.clue_of.items()
        }
        return super().read(question, passages, headers)


def test_clues_read_alone_find_the_name_the_whole_question_leaves_unsure() -> None:
    reader = ClueReader(
        ARTICLES,
        {
            "deals": ("default search engine", "Google"),
            "ads": ("manipulate search results", "Google"),
            "trial": ("trial in Washington", "Microsoft"),
        },
    )
    answerer = ReadingAnswerer(
        AnswerSettings(abstain_threshold=0.5, second_look=False), reader=lambda: reader
    )
    answer = answerer.answer(LONG, _passages(ARTICLES), ARTICLES.__getitem__)
    longest = max(clues(LONG), key=len)  # the one clue read: the one that says most
    assert reader.questions == [LONG, longest] and "manipulate search results" in longest
    assert not answer.abstained and answer.short_answer == "Google"
    assert answer.debug["agreement"] == {"name": "Google", "articles": 2, "clues": 1}
    assert answer.debug["confidence"] == round(1 - 0.55 * 0.85, 4)  # ads read by its clue, deals not
    # Without agreement (and the clue reading that feeds it) each passage is only 0.15 likely.
    whole = ReadingAnswerer(
        AnswerSettings(abstain_threshold=0.5, second_look=False, agreement=False), reader=lambda: reader
    ).answer(LONG, _passages(ARTICLES), ARTICLES.__getitem__)
    assert whole.abstained


def test_agreed_answer_answers_only_where_no_passage_does_alone() -> None:
    """What the accurate mode asks where its LLM abstains: the agreement, never a single passage's answer
    the LLM turned down."""
    agreed = _answerer(AGREEING).agreed_answer(QUESTION, _passages(ARTICLES), ARTICLES.__getitem__)
    assert agreed is not None and agreed.short_answer == "Google" and len(agreed.citations) == 2
    sure = {"deals": (0.8, "Google"), "ads": (0.4, "Google"), "trial": (0.3, "Microsoft")}
    assert _answerer(sure).agreed_answer(QUESTION, _passages(ARTICLES), ARTICLES.__getitem__) is None
    why = "Why are search results manipulated, according to the reports?"
    assert _answerer(AGREEING).agreed_answer(why, _passages(ARTICLES), ARTICLES.__getitem__) is None


def test_clues_are_read_only_where_two_articles_already_name_a_candidate() -> None:
    """Each clue costs a reading of every passage: a long question whose readings show no name quoted by
    two articles is answered (here: abstained on) from its one reading."""
    reader = LookupReader({"deals": (0.3, "Regulators met on Monday"), "trial": (0.2, "Microsoft")}, ARTICLES)
    answerer = ReadingAnswerer(
        AnswerSettings(abstain_threshold=0.5, second_look=False), reader=lambda: reader
    )
    answer = answerer.answer(LONG, _passages(ARTICLES), ARTICLES.__getitem__)
    assert answer.abstained and reader.calls == 1
