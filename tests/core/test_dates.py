"""The one date reader: metadata leniently, what users type strictly."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from talentqa.dates import parse_date, parse_since


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
