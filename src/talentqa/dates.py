"""Reading dates: the one place that turns what a page, a record, a feed, the store or a user writes into
a `datetime.date`.

Two kinds of input, two functions: `parse_date` reads metadata leniently (a date that cannot be read is
left out, never a failure: an article without a date is still an article), `parse_since` reads what a
user typed strictly (a typo must be said, not silently widen the search).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import time
from dataclasses import dataclass
from typing import Any

from talentqa.models import ReadFirst

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
# published. "today" is left out: "Who runs the company today?" means now, not a publication date; so is
# "new", which names a kind of thing ("a new law") as often as news. "Recently" and "newly" say the news is
# recent without saying how: a month, as "this month".
_RECENT = re.compile(
    r"\b(?:(yesterday|this (?:past )?weekend|last weekend|this (?:past )?week|last week"
    r"|this month|last month|recently|newly)"
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
    "recently": 31,
    "newly": 31,
}
_LOOSE = frozenset({"recently", "newly"})  # say the news is recent, not since when


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


_MONTH = (
    r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Month names count capitalised only: "may" and "march" are verbs.
_DAY_FORMS = (
    # (pattern, group of the month, of the day, of the year)
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}})\b)?"), 1, 2, 3),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(\d{{4}})\b)?"), 2, 1, 3),
)
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_YEAR = re.compile(rf"\b{_MONTH},?\s+(\d{{4}})\b")


@dataclass(frozen=True)
class NamedDates:
    """The calendar dates a question writes out: whole dates ("October 22, 2023", "22 Oct 2023",
    "2023-10-22"), dates without a year ("November 9": a month and day) and months
    ("in October 2023", as the window of its days)."""

    days: tuple[dt.date, ...] = ()
    yearless: tuple[tuple[int, int], ...] = ()
    months: tuple[tuple[dt.date, dt.date], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.days or self.yearless or self.months)


def named_dates(question: str) -> NamedDates:
    """The dates `question` writes out (`NamedDates`), each once; impossible ones ("February 30") are
    left out."""
    days: list[dt.date] = []
    yearless: list[tuple[int, int]] = []
    covered: list[tuple[int, int]] = []
    for pattern, month_group, day_group, year_group in _DAY_FORMS:
        for match in pattern.finditer(question):
            if _overlaps(match.span(), covered):
                continue
            month = _month_number(match[month_group])
            day = int(match[day_group])
            year = match[year_group]
            if year is None:
                if _valid(2000, month, day):  # a leap year, so "February 29" stands
                    covered.append(match.span())
                    yearless.append((month, day))
                continue
            date = _valid(int(year), month, day)
            if date is not None:
                covered.append(match.span())
                days.append(date)
    for match in _ISO_DAY.finditer(question):
        date = _valid(int(match[1]), int(match[2]), int(match[3]))
        if date is not None:
            covered.append(match.span())
            days.append(date)
    months: list[tuple[dt.date, dt.date]] = []
    for match in _MONTH_YEAR.finditer(question):
        if _overlaps(match.span(), covered):
            continue
        first = _valid(int(match[2]), _month_number(match[1]), 1)
        if first is not None:
            last = calendar.monthrange(first.year, first.month)[1]
            months.append((first, first.replace(day=last)))
    return NamedDates(
        tuple(dict.fromkeys(days)), tuple(dict.fromkeys(yearless)), tuple(dict.fromkeys(months))
    )


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in taken)


def _month_number(name: str) -> int:
    return _MONTHS.index(name[:3].lower()) + 1


def _valid(year: int, month: int, day: int) -> dt.date | None:
    if not 1800 <= year <= 2200:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def question_dates(question: str, today: dt.date) -> ReadFirst:
    """The publication dates a question asks to read first: its relative words (`published_window`)
    and the dates and months it writes out (`named_dates`). A news question's date is the day of a report
    or of the event it reports, so the articles published then are read first (a day either side: time
    zones, and the morning-after report). A date without a year is the one nearest `today`: "the report
    on November 9" asked in December is last month's, "the final on February 12" asked on the 10th is
    this year's, not last year's final. Where relative words bound the news to weeks or months ("this
    week", "last month"; not "recently" or "last year"), a report published before that time cannot
    answer (`reported_since`)."""
    window = published_window(question, today)
    named = named_dates(question)
    days = named.days + tuple(_nearest(month, day, today) for month, day in named.yearless)
    match = _RECENT.search(question)
    # Only words that bound the news to weeks or months: "recently" says no more than recent, and "last
    # year" in a year-old article is the year before it, which a store of older news answers for.
    bounded = match is not None and (match.group(1) or "").lower() not in _LOOSE and match.group(2) is None
    return ReadFirst(
        windows=((window,) if window else ()) + named.months,
        days=tuple(dict.fromkeys(days)),
        reported_since=window[0] if window and bounded else None,
    )


def _nearest(month: int, day: int, today: dt.date) -> dt.date:
    years = range(today.year - 4, today.year + 5)  # wide enough for a February 29
    found = [date for year in years if (date := _valid(year, month, day)) is not None]
    return min(found, key=lambda date: abs((date - today).days))
