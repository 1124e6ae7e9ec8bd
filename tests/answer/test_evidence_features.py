"""The answer-type and named-entity cues that keep near-miss sentences from being quoted as answers."""

from __future__ import annotations

import pytest

from talentqa.answer.features import content_terms, named_terms, question_type, type_match


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The study found that around 1,250 scientists fitted the profile.", 1.0),
        ("Two of them went back.", 1.0),
        ("At the end of his internship in 2023, he returned home.", 0.0),
        ("Hiring boomed in the 1990s.", 0.0),
    ],
)
def test_a_year_is_not_a_count(sentence: str, expected: float) -> None:
    question = "How many scientists returned?"
    assert question_type(question) == "number"
    assert type_match("number", sentence, content_terms(question)) == expected


def test_a_number_the_question_already_names_is_not_its_answer() -> None:
    question = "How many of the 40 applicants were accepted?"
    terms = content_terms(question)
    assert type_match("number", "All 40 applicants were interviewed.", terms) == 0.0
    assert type_match("number", "Of the 40 applicants, 12 were accepted.", terms) == 1.0


def test_named_terms_are_the_capitalised_words_after_the_first() -> None:
    assert named_terms("What salary does Li Wei earn at Fudan University?") == content_terms(
        "Li Wei Fudan University"
    )
    assert named_terms("Why do researchers return?") == set()
