"""Questions about what someone said or found: which questions are such, which sentences attribute a
statement to the asked-about speaker, and how the reading answerer quotes them (deterministic fake reader)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from talentqa.answer.attribution import attributions, names_speaker, recased, reported_speech
from talentqa.answer.reading import ReadingAnswerer
from talentqa.models import Chunk
from talentqa.reading.model import ReaderOutput
from talentqa.retrieval import Passage
from talentqa.settings import AnswerSettings


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("What did MacroPolo find?", "MacroPolo"),
        ("What did Kathy Hochul say about the mask mandate?", "Hochul"),
        ("What did Pentagon press secretary John Kirby tell reporters?", "Kirby"),
        ("What has Mayor John Cooper said on Monday?", "Cooper"),
        ("What did the study find?", "study"),
        ("What did MacroPolo's report find?", "MacroPolo"),
        ("so what did the researchers say about the China Initiative?", "researchers"),
        ("What else did Kathy Hochul say?", "Hochul"),  # a follow-up, rewritten: her statements again
        ("What did Russell Jeung call the land purchase proposals?", "Jeung"),  # the words he used
        ("How did Michael German describe the China Initiative?", "German"),
    ],
)
def test_a_question_asking_for_someones_statement_names_its_speaker(question: str, key: str) -> None:
    asked = reported_speech(question)
    assert asked is not None and asked.key == key


@pytest.mark.parametrize(
    "question",
    [
        "What did Microsoft announce that it would rename SkyDrive to?",  # one phrase of what was said
        "What did Tesla claim to perfect while at the exchange?",
        "What did Kilbrandon's report recommend establishing?",  # "report" is no verb here
        "What does the word prime generally suggest?",  # no source says it
        "What does the treaty article not state?",
        "What did he say?",  # a pronoun is the follow-up rewriter's
        "What did the company call its new phone?",  # the phone's name, not a statement
        "Who said the China Initiative had ended?",
        "When did the China Initiative end?",
    ],
)
def test_other_questions_are_not_asking_for_a_statement(question: str) -> None:
    assert reported_speech(question) is None


def _attributed(question: str, passage: str) -> list[str]:
    asked = reported_speech(question)
    assert asked is not None
    return [passage[a.start : a.end] for a in attributions(asked, passage)]


def test_sentences_where_the_speaker_reports_are_found_in_the_ways_news_writes_them() -> None:
    passage = (
        "A 2023 report by MacroPolo, a think tank based in Chicago, found that half of top researchers "
        "studied in China. Others disagreed. The figure rose, according to MacroPolo. "
        '"It is a shift," said MacroPolo senior fellow Ann Lee. MacroPolo also surveyed engineers.'
    )
    assert _attributed("What did MacroPolo find?", passage) == [
        "A 2023 report by MacroPolo, a think tank based in Chicago, found that half of top researchers "
        "studied in China.",
        "The figure rose, according to MacroPolo.",
    ]
    kirby = (
        '"It was a mistake," said Pentagon press secretary John Kirby. '
        "The farmer, Mark Leukam of Albany, reported a leak."
    )
    assert _attributed("What did John Kirby say?", kirby) == [
        '"It was a mistake," said Pentagon press secretary John Kirby.'
    ]
    assert _attributed("What did Mark Leukam report?", kirby) == [
        "The farmer, Mark Leukam of Albany, reported a leak."
    ]


def test_a_speaker_publishing_a_report_whose_finding_follows_is_attributed() -> None:
    passage = (
        "Last month, data firm Dongbi Data published a report, based on data from 2020 to 2024, showing "
        "that China has overtaken the U.S. in top scientists. "
        "Dongbi Data published a report on Monday. "
        "Rivals said Dongbi Data published a report to win clients. "
        "MacroPolo, a think tank, released a study that found half of top researchers studied in China."
    )
    showing = (
        "Last month, data firm Dongbi Data published a report, based on data from 2020 to 2024, showing "
        "that China has overtaken the U.S. in top scientists."
    )
    assert _attributed("What did Dongbi Data's report show?", passage) == [showing]
    assert _attributed("What did Dongbi Data find?", passage) == [showing]
    assert _attributed("What did MacroPolo find?", passage) == [
        "MacroPolo, a think tank, released a study that found half of top researchers studied in China."
    ]


def test_according_to_reaches_over_a_long_description_of_the_source_but_not_over_a_clause() -> None:
    long = (
        "Nearly half the world's top AI researchers studied in China, according to a 2023 report on global "
        "AI talent published by Chicago-based think tank MacroPolo."
    )
    passage = (
        f"{long} Prices rose, according to police, who arrested MacroPolo staff. "
        "Prices fell according to officials who met MacroPolo analysts."
    )
    assert _attributed("What did MacroPolo find?", passage) == [long]


def test_a_speaker_named_with_their_organisation_before_the_verb_is_attributed() -> None:
    passage = (
        "Writing for ChinaFile, Yaqiu Wang of Freedom House argued that the U.S. must balance openness "
        "with security. Wang of course disagreed with the others. Michael German of the Brennan Center said "
        "the program failed."
    )
    assert _attributed("What did Yaqiu Wang argue?", passage) == [
        "Writing for ChinaFile, Yaqiu Wang of Freedom House argued that the U.S. must balance openness "
        "with security."
    ]
    assert _attributed("What did Michael German say?", passage) == [
        "Michael German of the Brennan Center said the program failed."
    ]


def test_a_speaker_described_between_commas_after_their_organisation_is_attributed() -> None:
    passage = (
        "Michael German of the Brennan Center, who previously worked as an FBI special agent, has called "
        "the program a failure. German of course was not alone."
    )
    assert _attributed("What did Michael German call the program?", passage) == [
        "Michael German of the Brennan Center, who previously worked as an FBI special agent, has called "
        "the program a failure."
    ]


def test_what_a_speaker_called_something_is_any_statement_of_theirs_whatever_it_names() -> None:
    passage = (
        "Critics say the laws hark back to the early 1900s. \"It's a resurrection of the 'Yellow Peril',\" "
        "said Russell Jeung, a professor of Asian American studies."
    )
    assert _attributed("What did Russell Jeung call the land purchase proposals?", passage) == [
        "\"It's a resurrection of the 'Yellow Peril',\" said Russell Jeung, a professor of Asian American "
        "studies."
    ]


def test_a_sentence_naming_the_speaker_as_someone_elses_subject_is_not_an_attribution() -> None:
    passage = (
        "Comer wrote to three people, including Yoel Roth, who had key roles. "
        "Roth left Twitter after Musk said he would cut staff. "
        "Dr. Kipper said he wasn't aware how Roth had been hurt. "
        "He told Roth to leave. "
        '"We have to hand the files to Roth," the lawyer said. '
        "Cotto said the board would meet. "
        "Roth found himself face to face with a scientist. "
        "Roth was urged to leave Kyiv, an official said."
    )
    assert _attributed("What did Yoel Roth say?", passage) == []
    assert _attributed("What did Yoel Roth say?", passage + " Roth said he regretted it.") == [
        "Roth said he regretted it."
    ]


def test_someone_sharing_the_speakers_surname_is_not_the_speaker() -> None:
    passage = '"It was sad," Schneider Williams said. Joe Biden said it was fine. Brad Schneider said no.'
    assert _attributed("What did Brad Schneider say?", passage) == ["Brad Schneider said no."]
    assert _attributed("What did Jill Biden say?", passage) == []
    museum = (
        "It is a tradition, according to the White House Historical Association. The White House said so."
    )
    assert _attributed("What did the White House say?", museum) == ["The White House said so."]
    asked = reported_speech("What did Maricopa County report?")
    assert asked is not None
    # An article must name the speaker in full before a sentence may name it by its last word alone.
    assert not names_speaker(asked, "Tillamook County reported the discovery.")
    assert names_speaker(asked, "Officials in Maricopa County met. The county reported the count.")
    titled = reported_speech("What did Mustang Superintendent Charles Bradley say?")
    assert titled is not None and names_speaker(titled, "Superintendent Charles Bradley said so.")


_WORDS = st.sampled_from(
    [
        "Hochul",
        "said",
        "says",
        "the",
        "study",
        "found",
        ",",
        ".",
        "according",
        "to",
        "“",
        "”",
        '"',
        "Kathy",
        "was",
        "urged",
        "who",
        "noted",
        "Joe",
        "a",
        "think",
        "tank",
        "?",
        "\n",
        "’s",
        "told",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_WORDS, max_size=40), st.sampled_from(["Kathy Hochul", "Hochul", "the study"]))
def test_attributions_are_whole_sentences_of_the_passage_in_order_whatever_it_holds(
    words: list[str], speaker: str
) -> None:
    passage = " ".join(words)
    asked = reported_speech(f"What did {speaker} say?")
    assert asked is not None
    found = attributions(asked, passage)
    assert all(0 <= a.start < a.end <= len(passage) for a in found)
    assert all(x.end <= y.start for x, y in zip(found, found[1:], strict=False))
    assert all(passage[a.start : a.end].strip() == passage[a.start : a.end] for a in found)


def test_a_name_ending_in_a_common_head_is_not_another_of_that_head() -> None:
    passage = (
        "Prices rose, according to a University of Michigan survey. "
        "Temple University said classes would resume on Monday."
    )
    assert _attributed("What did Temple University say?", passage) == [
        "Temple University said classes would resume on Monday."
    ]
    assert _attributed("What did the University of Michigan find?", passage) == [
        "Prices rose, according to a University of Michigan survey."
    ]


def test_a_question_about_a_topic_takes_only_statements_touching_it() -> None:
    passage = "Hochul said the mask mandate would end in March. Hochul said the budget was balanced."
    assert _attributed("What did Hochul say about the mask mandate?", passage) == [
        "Hochul said the mask mandate would end in March."
    ]


ARTICLES = {
    "party": "Jon Ruby hosted the meeting on Friday. Cotto said the board would meet again in May. "
    "Ruby said the vote was a turning point for the town.",
    "weather": "Rain is expected on Sunday, the weather service said.",
}


class FakeReader:
    """Reads by lookup: for each passage, the probability and answer span the test sets."""

    def __init__(self, verdicts: dict[str, tuple[float, str]]) -> None:
        self.verdicts = verdicts

    def read(
        self, question: str, passages: Sequence[str], headers: Sequence[str] | None = None
    ) -> list[ReaderOutput]:
        outputs = []
        for text in passages:
            doc = next(d for d, t in ARTICLES.items() if text in t)
            p, span = self.verdicts.get(doc, (0.0, ""))
            start = text.find(span) if span else 0
            outputs.append(ReaderOutput(p, start, start + len(span), span, 1.0, 0.9))
        return outputs


def _passages() -> list[Passage]:
    return [
        Passage(
            Chunk(id=f"{d}:0", doc_id=d, n=0, start=0, end=len(t), text=t, title=d.title()), 1.0 / (i + 1)
        )
        for i, (d, t) in enumerate(ARTICLES.items())
    ]


def _answerer(verdicts: dict[str, tuple[float, str]], **settings: object) -> ReadingAnswerer:
    reader = FakeReader(verdicts)
    return ReadingAnswerer(AnswerSettings(abstain_threshold=0.5, **settings), reader=lambda: reader)


def test_what_someone_said_is_answered_with_their_statement_not_the_readers_likeliest_one() -> None:
    # The reader is sure of another speaker's statement, as the fast reader often is.
    answerer = _answerer({"party": (0.97, "the board would meet again in May")})
    answer = answerer.answer("What did Jon Ruby say?", _passages(), ARTICLES.__getitem__)
    assert not answer.abstained and answer.short_answer is None
    [citation] = answer.citations
    assert citation.quote == "Ruby said the vote was a turning point for the town."
    assert ARTICLES["party"][citation.start : citation.end] == citation.quote
    assert answer.debug["attributed_to"] == "Jon Ruby"


def test_an_attributed_statement_answers_even_where_the_reader_doubts_its_passage() -> None:
    answerer = _answerer({"party": (0.12, "the vote")})
    answer = answerer.answer("What did Jon Ruby say?", _passages(), ARTICLES.__getitem__)
    assert not answer.abstained
    assert [c.quote for c in answer.citations] == ["Ruby said the vote was a turning point for the town."]


def test_the_speakers_statement_is_found_in_the_rest_of_an_article_whose_read_passage_lacks_it() -> None:
    article = ARTICLES["party"]
    opening = article[: article.index(" Ruby said")]  # the passage read: Ruby named, Cotto quoted
    read = Chunk(id="party:0", doc_id="party", n=0, start=0, end=len(opening), text=opening, title="Party")
    answerer = _answerer({"party": (0.97, "the board would meet again in May")})
    answer = answerer.answer("What did Jon Ruby say?", [Passage(read, 1.0)], ARTICLES.__getitem__)
    assert not answer.abstained and answer.debug["attributed_to"] == "Jon Ruby"
    [citation] = answer.citations
    assert citation.quote == "Ruby said the vote was a turning point for the town."
    assert article[citation.start : citation.end] == citation.quote


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("what did macropolo find", "what did MacroPolo find"),
        ("so what did yaqiu wang say about it", "so what did Yaqiu Wang say about it"),
        ("what did yaqiu wang argue about visas?", "what did Yaqiu Wang argue about visas?"),
        ("What did macropolo find?", "What did macropolo find?"),  # capitals typed: taken as written
        ("what did the study find", "what did the study find"),  # a description, as in the text
        ("what did he say", "what did he say"),
        ("what did ann lee say", "what did ann lee say"),  # no text names her
        ("who leads macropolo", "who leads macropolo"),  # asks for no statement
    ],
)
def test_a_speaker_typed_in_lower_case_is_written_as_the_passages_write_it(typed: str, read: str) -> None:
    texts = [
        "Prices rose. A 2023 report by MacroPolo found that half of top researchers studied in China.",
        "Yaqiu Wang of Freedom House argued for openness. The study found a rise.",
    ]
    assert recased(typed, texts) == read


def test_a_statement_question_typed_in_lower_case_is_answered_with_the_speakers_statement() -> None:
    answerer = _answerer({"party": (0.97, "the board would meet again in May")})
    answer = answerer.answer("what did jon ruby say", _passages(), ARTICLES.__getitem__)
    assert not answer.abstained and answer.debug["attributed_to"] == "Jon Ruby"
    assert [c.quote for c in answer.citations] == ["Ruby said the vote was a turning point for the town."]


def test_no_statement_of_a_named_speaker_abstains_however_sure_the_reader_is_of_anothers() -> None:
    answerer = _answerer({"party": (0.97, "the board would meet again in May")})
    answer = answerer.answer("What did Mary Cotto say?", _passages(), ARTICLES.__getitem__)
    # The article never names Mary Cotto in full: its "Cotto said" may be anyone of that name.
    assert answer.abstained and answer.debug["no_statement_of"] == "Mary Cotto"
    assert answer.text.startswith("The sources don't quote Mary Cotto.")
    assert "Cotto said" in answer.related[0].quote


def test_a_described_source_with_no_statement_is_left_to_the_reader() -> None:
    sure = _answerer({"weather": (0.9, "Rain is expected on Sunday")})
    answer = sure.answer("What did the study find?", _passages(), ARTICLES.__getitem__)
    assert not answer.abstained and answer.citations[0].doc_id == "weather"
    doubtful = _answerer({"weather": (0.3, "Rain is expected on Sunday")})
    assert doubtful.answer("What did the study find?", _passages(), ARTICLES.__getitem__).abstained


def test_attributed_statements_can_be_switched_off() -> None:
    answerer = _answerer({"party": (0.97, "the board would meet again in May")}, attributed_statements=False)
    answer = answerer.answer("What did Jon Ruby say?", _passages(), ARTICLES.__getitem__)
    assert answer.citations[0].quote == "Cotto said the board would meet again in May."


def test_what_someone_called_something_is_left_to_the_reader_where_no_statement_names_it() -> None:
    # Jon Ruby "hosted" and "said", but called nothing anything: the reader's span answers, or nothing.
    answerer = _answerer({"party": (0.91, "a turning point")})
    answer = answerer.answer("What did Jon Ruby call the vote?", _passages(), ARTICLES.__getitem__)
    assert not answer.abstained and "attributed_to" not in answer.debug
    assert answer.citations[0].quote == "Ruby said the vote was a turning point for the town."
    doubted = _answerer({"party": (0.12, "a turning point")})
    assert doubted.answer("What did Jon Ruby call the vote?", _passages(), ARTICLES.__getitem__).abstained


def test_calling_something_reports_it_only_to_a_question_about_what_was_called() -> None:
    passage = "Ricketts calls on the state to act. Ricketts called the rescuers flood heroes."
    assert _attributed("What did Pete Ricketts say?", passage) == []
    assert _attributed("What did Pete Ricketts call the rescuers?", passage) == [
        "Ricketts called the rescuers flood heroes."
    ]
