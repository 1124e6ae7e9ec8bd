"""The fixed wording of answers: what an abstention says and how an answer dates its sources.

One home, so the CLI, the bot and the evaluation all see (and strip) the same words.
"""

from __future__ import annotations

import datetime as dt

from talentqa.models import ReadFirst

SOURCES_DONT_SAY = "The sources don't say."
# With related passages to show: they are the closest the search came, never an answer.
NO_ANSWER_TEXT = f"{SOURCES_DONT_SAY} The closest passages are listed as related, not as an answer."


def near_answer_text(probability: float, threshold: float) -> str:
    """An abstention whose closest passage came within half the threshold: the passage listed first may
    hold the answer (on the SQuAD 2.0 test half it did for 14 of 22 such answerable questions, against 3 of
    27 further below), so the answer says how near it came, not only that the sources don't say."""
    return (
        "The sources don't say for sure. The closest passage, listed first, comes near: the reader is "
        f"{probability:.0%} sure it answers, short of the {threshold:.0%} it needs to quote one as an "
        "answer. The closest passages are listed as related, not as an answer."
    )


def no_statement_text(speaker: str) -> str:
    """An abstention on "What did X say?" where no read article quotes X: says whom it could not find."""
    return f"The sources don't quote {speaker}. The closest passages are listed as related, not as an answer."


def older_reports_text(since: dt.date) -> str:
    """An abstention on news the question dates ("this week") where the passage that would have answered
    is an older report of the same kind: says why its quote, listed first, is not the answer."""
    return (
        f"The sources don't say for the time asked about (from {since.strftime('%-d %B %Y')}). The closest "
        "passages are listed as related, not as an answer: the first is from an older report, which tells "
        "older news of the same kind."
    )


def as_of_note(as_of: dt.date) -> str:
    """The note an answer's text ends with: the newest cited source's date (also `Answer.as_of`)."""
    return f" (as of {as_of.strftime('%-d %B %Y')})"


def read_first_note(read_first: ReadFirst) -> str:
    """Says which articles were read first because the question named their dates or outlets."""
    parts: list[str] = []
    if read_first.outlets:
        parts.append("from " + _either(list(read_first.outlets)))
    dates = [f"{since.isoformat()} to {until.isoformat()}" for since, until in read_first.windows]
    dates += [f"on {day.isoformat()}" for day in read_first.days]
    if dates:
        parts.append("published " + _either(dates))
    near = " (a day either side)" if read_first.days else ""
    return f"read first: articles {' '.join(parts)}{near}, as the question names them"


def _either(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"
