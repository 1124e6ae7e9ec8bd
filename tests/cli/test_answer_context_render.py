"""What the terminal shows beside an answer: the dates that a question's own time words ("this week")
read first, and each citation's outlet."""

from __future__ import annotations

import datetime as dt

from rich.console import Console

from talentqa.cli.render import render_answer
from talentqa.models import Answer, Citation, ReadFirst


def shown(answer: Answer) -> str:
    console = Console(record=True, width=120)
    console.print(render_answer(answer))
    return console.export_text()


def test_the_dates_read_first_are_shown_above_the_answer() -> None:
    answer = Answer(
        question="Who resigned this week?",
        text="The sources don't say.",
        abstained=True,
        read_first=ReadFirst(windows=((dt.date(2023, 1, 1), dt.date(2023, 1, 8)),)),
    )
    assert "(read first: articles published 2023-01-01 to 2023-01-08, as the question names them)" in shown(
        answer
    )


def test_the_outlets_and_written_dates_read_first_are_shown_with_their_days_either_side() -> None:
    answer = Answer(
        question="Did The Verge on October 22, 2023 and TechCrunch on November 9 agree?",
        text="The sources don't say.",
        abstained=True,
        read_first=ReadFirst(
            days=(dt.date(2023, 10, 22), dt.date(2023, 11, 9)), outlets=("TechCrunch", "The Verge")
        ),
    )
    assert (
        "(read first: articles from TechCrunch or The Verge published on 2023-10-22 or on 2023-11-09 "
        "(a day either side), as the question names them)"
    ) in " ".join(shown(answer).replace("\u2502", " ").split())


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
