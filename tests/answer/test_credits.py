"""An article's credits (its reporters' names) are never quoted as an answer."""

from __future__ import annotations

import pytest

from talentqa.answer.citations import credits_line


@pytest.mark.parametrize(
    ("sentence", "credits"),
    [
        ("– Anna Nemtsova, Caren Bohan and Associated Press", True),
        ("— Katherine Kokal", True),
        ("— Dave Clark, Cincinnati Enquirer", True),
        ("Elizabeth Weise contributed to this story.", True),
        ("-- CNN's Phil Black and Fionnuala Sweeney contributed to this report.", True),
        ("Contributing: Jane Doe, USA TODAY", True),
        ("Reporting by Jane Doe; Editing by Bob Roe", True),
        ("— Retailers are really pushing out discounts this year.", False),
        ("– The U.S. shot down an object Friday.", False),
        ("Reporting from Beijing, she found that prices rose.", False),
        ("Joe Biden said the bill would pass.", False),
    ],
)
def test_a_line_naming_the_articles_reporters_is_its_credits(sentence: str, credits: bool) -> None:
    assert credits_line(sentence, 0, len(sentence)) is credits


def test_only_the_sentences_holding_the_span_count() -> None:
    text = "The Kremlin warned that arms shipments could be attacked.\n– Anna Nemtsova and Associated Press"
    assert not credits_line(text, 4, 11)
    assert credits_line(text, text.index("Anna"), text.index("Anna") + 4)
