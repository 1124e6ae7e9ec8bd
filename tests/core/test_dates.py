"""The one date reader: metadata leniently, what users type strictly."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from talentqa.dates import parse_date, parse_since, published_window


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01", dt.date(2024, 5, 1)),
        ("2024/05/01", dt.date(2024, 5, 1)),
        ("2024-05-01T23:30:00Z", dt.date(2024, 5, 1)),
        ("2024-5-1 extra", dt.date(2024, 5, 1)),
        ("3 May 2024", dt.date(2024, 5, 3)),
        (dt.datetime(2024, 5, 1, 12), dt.date(2024, 5, 1)),
        (dt.date(2024, 5, 1), dt.date(2024, 5, 1)),
        (time.strptime("2024-05-01", "%Y-%m-%d"), dt.date(2024, 5, 1)),  # feedparser's *_parsed
        ("2024-02-30", None),
        ("not a date at all", None),
        ("", None),
        (None, None),
    ],
)
def test_metadata_dates_are_read_leniently(value: object, expected: dt.date | None) -> None:
    assert parse_date(value) == expected


def test_a_typed_date_that_cannot_be_read_is_said() -> None:
    today = dt.date(2024, 5, 31)
    assert parse_since(" 1Y ", today=today) == dt.date(2023, 6, 1)
    with pytest.raises(ValueError, match=r"^'x{39}…' is not a date"):
        parse_since("x" * 60, today=today)


ASKED = dt.date(2023, 1, 5)


@pytest.mark.parametrize(
    ("question", "since"),
    [
        ("Which former pope was laid to rest this week?", dt.date(2022, 12, 29)),
        ("What did the council decide this past week?", dt.date(2022, 12, 29)),
        ("Who won the game yesterday?", dt.date(2023, 1, 4)),
        ("What did the minister announce last week?", dt.date(2022, 12, 22)),  # reported this week too
        ("What changed in the last week?", dt.date(2022, 12, 29)),
        ("Which firms cut jobs in the past three days?", dt.date(2023, 1, 2)),
        ("Who resigned over the last 10 days?", dt.date(2022, 12, 26)),
        ("What happened this month?", dt.date(2022, 12, 5)),
        ("Which film won at this year's Golden Globes?", dt.date(2023, 1, 1)),
        ("How many returned last year?", dt.date(2022, 1, 1)),  # reported last year or this one
    ],
)
def test_a_questions_own_time_words_name_the_publication_dates_to_read_first(
    question: str, since: dt.date
) -> None:
    assert published_window(question, ASKED) == (since, ASKED)


@pytest.mark.parametrize(
    "question",
    [
        "Who runs the company today?",  # "today" means now, not a publication date
        "Where did the returning scientists come from?",
        "What does the weekly report say?",
        "Which week did the strike begin?",
    ],
)
def test_questions_without_relative_time_words_prefer_no_dates(question: str) -> None:
    assert published_window(question, ASKED) is None
