"""The terminal says when a question's own time words ("this week") chose which articles were read first."""

from __future__ import annotations

import datetime as dt

from rich.console import Console

from talentqa.cli.render import render_answer
from talentqa.models import Answer


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
