"""Relation near-misses (`talentqa.reading.relation_swaps`): the question's verb swapped for another of its
group, in the same form, that the passage never uses; the names and the kind of answer left as they were."""

from __future__ import annotations

import random

from talentqa.reading.relation_swaps import swapped_relation

PASSAGE = "Feng Tao sued his former employer, the University of Kansas, in January."


def _all_swaps(question: str, passage: str = PASSAGE) -> set[str | None]:
    return {swapped_relation(question, passage, random.Random(seed)) for seed in range(40)}


def test_the_verb_is_swapped_within_its_group_keeping_its_form() -> None:
    swaps = _all_swaps("Which university did Feng Tao attend?")
    assert swaps and None not in swaps
    assert (
        "Which university did Feng Tao graduate?" in swaps or "Which university did Feng Tao join?" in swaps
    )
    for swapped in swaps:
        assert swapped is not None
        verb = swapped.removeprefix("Which university did Feng Tao ").removesuffix("?")
        # a verb of attending, joining and teaching (its base form after "did"), never one of buying or suing
        assert verb in {
            "graduate",
            "join",
            "retire",
            "teach",
            "study",
            "marry",
            "visit",
            "hire",
            "fire",
            "elect",
            "recruit",
            "train",
            "award",
        }


def test_the_past_form_stays_past() -> None:
    for swapped in _all_swaps("Who designed the main facade?", "The facade was drawn by Aston Webb."):
        assert swapped is not None and swapped.split()[1].endswith(("ed", "wrote", "built", "rebuilt"))


def test_no_verb_the_passage_uses_is_chosen() -> None:
    # "sue" is in the passage in one of its forms: the question about arresting may become any verb of
    # the legal group but that one
    swaps = _all_swaps("When was Feng Tao arrested?")
    assert "When was Feng Tao sued?" not in swaps
    assert swaps <= {
        "When was Feng Tao deported?",
        "When was Feng Tao fined?",
        "When was Feng Tao accused?",
        "When was Feng Tao convicted?",
    }


def test_a_question_without_a_listed_verb_or_with_a_noun_of_one_is_left_alone() -> None:
    assert (
        swapped_relation("What is the capital of France?", "Paris is the capital.", random.Random(0)) is None
    )
    # "report" after a determiner is a noun
    assert (
        swapped_relation("What did the report say?", "The report said sales grew.", random.Random(0)) is None
    )
