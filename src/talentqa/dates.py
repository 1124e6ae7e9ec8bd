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
