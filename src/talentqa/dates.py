"""Reading dates: the one place that turns what a page, a record, a feed, the store or a user writes into
a `datetime.date`.

Two kinds of input, two functions: `parse_date` reads metadata leniently (a date that cannot be read is
left out, never a failure: an article without a date is still an article), `parse_since` reads what a
user typed strictly (a typo must be said, not silently widen the search).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_RELATIVE = re.compile(r"^(\d{1,4})\s*(d|w|m|y)$")
_SPAN_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def parse_date(value: Any) -> dt.date | None:
    """A date from front matter, a JSONL record, page or feed metadata or the store: ISO dates and
    datetimes (a trailing Z too), `2024/05/01`, a struct_time (feedparser), or whatever dateutil reads
    ("3 May 2024"); None for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, time.struct_time):
        try:
            return dt.date(value.tm_year, value.tm_mon, value.tm_mday)
        except ValueError:
            return None
    text = str(value).strip().replace("/", "-")
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    match = _YMD.match(text)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    try:
        from dateutil import parser as date_parser

        parsed: dt.datetime = date_parser.parse(text)
        return parsed.date()
    except (ValueError, OverflowError, ImportError):
        return None


def parse_since(text: str, *, today: dt.date) -> dt.date:
    """A date from "2024-05-01", "2024-05", "2024" or a span back from today ("30d", "6w", "3m", "1y").
    Raises ValueError with a message for the user."""
    value = text.strip().lower()
    rel = _RELATIVE.match(value)
    if rel:
        return today - dt.timedelta(days=_SPAN_DAYS[rel.group(2)] * int(rel.group(1)))
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    shown = text if len(text) <= 40 else text[:39].rstrip() + "\u2026"
    raise ValueError(
        f"'{shown}' is not a date. Use 2024-05-01, 2024-05, 2024, or a span such as 30d, 6w, 3m, 1y."
    )


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "few": 3, "several": 7}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 31}
# Relative time words that say when the news happened, and how many days back its reports may be
# published. "today" is left out: "Who runs the company today?" means now, not a publication date.
_RECENT = re.compile(
    r"\b(?:(yesterday|this (?:past )?weekend|last weekend|this (?:past )?week|last week"
    r"|this month|last month)"
    r"|(this year|last year)"
    r"|(?:in |over |during )?the (?:past|last) (?:(\d{1,3}|one|two|three|four|five|six|few|several) )?"
    r"(day|week|month)s?)\b",
    re.IGNORECASE,
)
_BACK_DAYS = {
    "yesterday": 1,
    "this weekend": 7,
    "this past weekend": 7,
    "last weekend": 10,
    "this week": 7,
    "this past week": 7,
    "last week": 14,
    "this month": 31,
    "last month": 62,
}


def published_window(question: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The publication dates a question's own relative time words point to ("this week", "last month",
    "in the past three days", "this year"), as (since, until) with `today` the day it is asked; None when
    it has none. Reports of an event follow it, so each window runs to `today`: "last week" is the past
    fourteen days, "last year" from the first of January of last year. Retrieval prefers passages
    published in it and does not exclude the rest (the words may be loose, an article's date missing)."""
    match = _RECENT.search(question)
    if match is None:
        return None
    span, year, count, unit = match.groups()
    if span is not None:
        back = _BACK_DAYS[" ".join(span.lower().split())]
    elif year is not None:
        first = dt.date(today.year - (1 if year.lower().startswith("last") else 0), 1, 1)
        return first, today
    else:
        amount = 1 if count is None else int(count) if count.isdigit() else _NUMBER_WORDS[count.lower()]
        back = amount * _UNIT_DAYS[unit.lower()]
    return today - dt.timedelta(days=back), today
