"""Follow-up rewriting without an LLM: only questions that refer back are rewritten, from the last
exchange only, so a conversation that changes topic never drags the old one along."""

from __future__ import annotations

import pytest

from talentqa.answer.followup import contextualise, refers_back
from talentqa.models import Turn


@pytest.mark.parametrize(
    "question",
    [
        "Where is it based?",
        "What about Peking University?",
        "And in 2024?",
        "Why?",
        "How many?",
        "What did they find?",
        "When did he return?",
        "Who funds it?",
    ],
)
def test_questions_that_lean_on_the_last_one_refer_back(question: str) -> None:
    assert refers_back(question)


@pytest.mark.parametrize(
    "question",
    [
        "Who sued the University of Kansas?",
        "What is DeepSeek?",
        "Why did Zizheng Pan leave Nvidia?",
        "Where did Zizheng Pan work before he joined DeepSeek?",
        "How many scientists returned in 2023?",
        "Are there more returnees than before?",
    ],
)
def test_questions_that_name_their_subject_stand_alone_however_short(question: str) -> None:
    assert not refers_back(question)


def _history(question: str, short: str | None) -> list[Turn]:
    return [Turn(role="user", content=question), Turn(role="assistant", content="...", short_answer=short)]


def test_a_pronoun_becomes_the_last_short_answer_when_it_is_a_name() -> None:
    history = _history("Which think tank published the 2023 report on AI talent?", "MacroPolo")
    assert contextualise("Where is it based?", history) == "Where is MacroPolo based?"
    assert contextualise("What did its report find?", history) == "What did MacroPolo's report find?"


def test_a_pronoun_becomes_the_one_name_of_the_last_question_when_the_answer_is_no_name() -> None:
    history = _history("How many engineers does Acme Robotics employ?", "1,200")
    assert contextualise("Where is it based?", history) == "Where is Acme Robotics based?"


def test_a_person_pronoun_is_the_answer_to_a_who_question_else_the_person_asked_about() -> None:
    asked_who = _history("Who sued the University of Kansas?", "Feng Tao")
    assert contextualise("Where did he teach?", asked_who) == "Where did Feng Tao teach?"
    asked_which = _history("Which university did Feng Tao sue?", "University of Kansas")
    assert contextualise("When did he file the suit?", asked_which) == "When did Feng Tao file the suit?"


def test_what_about_swaps_the_name_of_the_last_question() -> None:
    history = _history("How many Tsinghua graduates joined DeepSeek?", "40")
    # Two names in the last question: which to swap is unclear, so the subject is carried whole.
    assert contextualise("What about Peking University?", history) == (
        "How many Tsinghua graduates joined DeepSeek? What about Peking University?"
    )
    one = _history("How many graduates did Tsinghua send abroad?", "300")
    assert contextualise("What about Peking University?", one) == (
        "How many graduates did Peking University send abroad?"
    )


def test_a_new_topic_starts_afresh_and_rewrites_never_pile_up() -> None:
    history = _history("Which think tank published the 2023 report on AI talent?", "MacroPolo")
    history += _history("Where is it based?", "Chicago")
    assert (
        contextualise("Who sued the University of Kansas?", history) == "Who sued the University of Kansas?"
    )
    history += _history("Who sued the University of Kansas?", "Feng Tao")
    # Built from the last question as asked, not from anything before it.
    assert contextualise("Why?", history) == "Who sued the University of Kansas? Why?"
    assert contextualise("When did he return?", history) == "When did Feng Tao return?"


def test_no_history_leaves_the_question_as_is() -> None:
    assert contextualise("Where is it based?", []) == "Where is it based?"


def test_they_after_a_where_question_is_its_plural_subject_not_the_place_answered() -> None:
    history = _history("Where did most returning scientists come from?", "Cambridge")
    assert contextualise("Why did they leave?", history) == "Why did returning scientists leave?"
    assert contextualise("What did they find?", history) == "What did returning scientists find?"
    # "they" agrees with the plural phrase before the one place named, and a verb in -s after its
    # subject ("study says") is no plural noun
    said = _history("Which study says most returnees came from Cambridge?", None)
    assert contextualise("Why did they leave?", said) == "Why did returnees leave?"


def test_there_is_the_place_answered_to_a_where_question() -> None:
    history = _history("Where is MacroPolo based?", "Chicago")
    assert contextualise("Who else works there?", history) == "Who else works at Chicago?"


def test_a_pronoun_nothing_in_the_last_exchange_agrees_with_carries_the_last_question() -> None:
    history = _history("Where did most returning scientists come from?", "Cambridge")
    # "he" is no place and the last question names no one: the subject is carried whole.
    assert contextualise("When did he return?", history) == (
        "Where did most returning scientists come from? When did he return?"
    )


def test_they_answered_by_a_which_question_is_that_answer() -> None:
    history = _history("Which universities sent the most students abroad?", "Tsinghua and Peking University")
    assert contextualise("Where are they?", history) == "Where are Tsinghua and Peking University?"


def test_he_after_a_who_question_is_never_the_organisation_it_named() -> None:
    # The answer quoted "In January he filed a discrimination lawsuit ..." and gave no name as its short
    # answer; the university is whom he sued, so the subject is carried whole instead.
    history = _history("Who sued the University of Kansas?", None)
    assert contextualise("Why did he sue it?", history) == (
        "Who sued the University of Kansas? Why did he sue it?"
    )
    asked_the_fbi = _history("Who worked with the FBI?", "university leaders")
    assert contextualise("What did he say?", asked_the_fbi) == "Who worked with the FBI? What did he say?"


def test_she_is_still_the_one_person_the_last_question_named() -> None:
    history = _history("What did Yaqiu Wang argue?", None)
    assert contextualise("Where does she work?", history) == "Where does Yaqiu Wang work?"
