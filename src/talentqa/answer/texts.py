"""The fixed wording of answers: what an abstention says and how an answer dates its sources.

One home, so the CLI, the bot and the evaluation all see (and strip) the same words.
"""

from __future__ import annotations

import datetime as dt

SOURCES_DONT_SAY = "The sources don't say."
# With related passages to show: they are the closest the search came, never an answer.
NO_ANSWER_TEXT = f"{SOURCES_DONT_SAY} The closest passages are listed as related, not as an answer."


def as_of_note(as_of: dt.date) -> str:
    """The note an answer's text ends with: the newest cited source's date (also `Answer.as_of`)."""
    return f" (as of {as_of.strftime('%-d %B %Y')})"


def preferred_note(window: tuple[dt.date, dt.date]) -> str:
    """Says which publication dates were read first because the question named them ("this week")."""
    since, until = window
    dates = f"{since.isoformat()} to {until.isoformat()}"
    return f"read first: articles published {dates}, the question's own dates"
