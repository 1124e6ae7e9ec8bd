"""What the terminal shows beside an answer: the dates that a question's own time words ("this week")
read first, and each citation's outlet."""

from __future__ import annotations

import datetime as dt

from rich.console import Console

from talentqa.cli.render import render_answer
from talentqa.models import Answer, Citation


def shown(answer: Answer) -> str:
    console = Console(record=True, width=120)
    console.print(render_answer(answer))
    return console.export_text()


def test_the_dates_read_first_are_shown_above_the_answer() -> None:
    answer = Answer(
        question="Who resigned this week?",
        text="The sources don't say.",
        abstained=True,
        preferred_dates=(dt.date(2023, 1, 1), dt.date(2023, 1, 8)),
    )
    assert "(read first: articles published 2023-01-01 to 2023-01-08, the question's own dates)" in shown(
        answer
    )


def test_an_answer_without_dates_of_its_own_shows_no_such_line() -> None:
    assert "read first" not in shown(
        Answer(question="Who resigned?", text="The sources don't say.", abstained=True)
    )


def test_a_citation_names_its_outlet_beside_the_title() -> None:
    quote = "The council approved the budget."
    citation = Citation(
        n=1, doc_id="d", title="Budget passes", outlet="Harbour Gazette", quote=quote, start=0, end=len(quote)
    )
    text = shown(Answer(question="What passed?", text=f"\u201c{quote}\u201d [1]", citations=[citation]))
    assert "Budget passes  Harbour Gazette" in text
