"""The one date reader: metadata leniently, what users type strictly."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from talentqa.dates import named_dates, parse_date, parse_since, published_window, question_dates
from talentqa.models import Chunk, ReadFirst


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
        ("Which chain recently said it may not stay in business?", dt.date(2022, 12, 5)),
        ("Newly released figures show a record for which kind of power?", dt.date(2022, 12, 5)),
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
        "Which new law did the council pass?",  # "new" names a kind of thing as often as the news
    ],
)
def test_questions_without_relative_time_words_prefer_no_dates(question: str) -> None:
    assert published_window(question, ASKED) is None


@pytest.mark.parametrize(
    ("question", "days", "yearless", "months"),
    [
        (
            "After The Age's report on October 22, 2023, did TechCrunch's November 6, 2023, article agree?",
            [dt.date(2023, 10, 22), dt.date(2023, 11, 6)],
            [],
            [],
        ),
        ("What did the 3rd of March, 2024 story say?", [dt.date(2024, 3, 3)], [], []),
        ("Which bank failed on 10 Mar. 2023?", [dt.date(2023, 3, 10)], [], []),
        ("What did the report dated 2024-05-02 find?", [dt.date(2024, 5, 2)], [], []),
        ("What did The Verge report on November 9?", [], [(11, 9)], []),
        ("Who was born on February 29?", [], [(2, 29)], []),  # a day that some years have
        (
            "How many returned in October 2023?",
            [],
            [],
            [(dt.date(2023, 10, 1), dt.date(2023, 10, 31))],
        ),
        ("What happened on February 30, 2023?", [], [], []),  # no such day
        ("Who may march on the capital?", [], [], []),  # verbs, not months
        ("How many scientists returned in 2018?", [], [], []),  # a year is too wide to read first
    ],
)
def test_the_dates_a_question_writes_out_are_read_as_days_months_or_days_of_any_year(
    question: str, days: list[dt.date], yearless: list[tuple[int, int]], months: list[tuple[dt.date, dt.date]]
) -> None:
    named = named_dates(question)
    assert (list(named.days), list(named.yearless), list(named.months)) == (days, yearless, months)


def test_a_question_reads_first_its_relative_words_window_and_its_written_dates_together() -> None:
    dates = question_dates("What changed this week since the October 22, 2022 report?", ASKED)
    assert dates.windows == ((ASKED - dt.timedelta(days=7), ASKED),)
    assert dates.days == (dt.date(2022, 10, 22),)
    assert not question_dates("Who runs the lab?", ASKED)


def test_a_date_without_a_year_is_the_one_nearest_the_day_asked() -> None:
    assert question_dates("What did The Verge report on November 9?", dt.date(2023, 12, 1)).days == (
        dt.date(2023, 11, 9),
    )
    # asked two days before the final: this year's, not last year's
    assert question_dates("Who plays in the final on February 12?", dt.date(2023, 2, 10)).days == (
        dt.date(2023, 2, 12),
    )
    assert question_dates("What happened on December 30?", dt.date(2024, 1, 2)).days == (
        dt.date(2023, 12, 30),
    )
    assert question_dates("Who was born on February 29?", dt.date(2023, 6, 1)).days == (dt.date(2024, 2, 29),)


def test_a_written_date_covers_a_day_either_side() -> None:
    read_first = ReadFirst(days=(dt.date(2023, 10, 22),))
    assert [read_first.covers(dt.date(2023, 10, day)) for day in (20, 21, 22, 23, 24)] == [
        False,
        True,
        True,
        True,
        False,
    ]
    assert not read_first.covers(dt.date(2022, 10, 22)) and not read_first.covers(None)


def test_a_passage_meeting_both_the_named_dates_and_a_named_outlet_counts_twice() -> None:
    read_first = ReadFirst(days=(dt.date(2023, 10, 22),), outlets=("The Age",))

    def chunk(published: dt.date | None, outlet: str | None) -> Chunk:
        return Chunk(id="c", doc_id="d", n=0, text="t", start=0, end=1, published=published, outlet=outlet)

    assert read_first.met_by(chunk(dt.date(2023, 10, 22), "The Age")) == 2
    assert read_first.met_by(chunk(dt.date(2023, 10, 22), "TechCrunch")) == 1
    assert read_first.met_by(chunk(None, "The Age")) == 1
    assert read_first.met_by(chunk(dt.date(2023, 1, 1), None)) == 0
    assert ReadFirst(outlets=("The Age",)).met_by(chunk(dt.date(2023, 1, 1), "The Age")) == 1


def test_only_words_that_bound_the_time_keep_older_reports_from_answering() -> None:
    assert question_dates("Which star was named this week?", ASKED).reported_since == dt.date(2022, 12, 29)
    assert question_dates("What did the minister say last month?", ASKED).reported_since == dt.date(
        2022, 11, 4
    )
    # "last year" in a year-old article is the year before it: read first, none ruled out
    assert question_dates("How many returned last year?", ASKED).reported_since is None
    recently = question_dates("Which chain recently said it may close?", ASKED)
    assert recently.windows and recently.reported_since is None  # read first, but loose: none ruled out
    assert question_dates("Who won on January 3?", ASKED).reported_since is None  # reports follow the day
