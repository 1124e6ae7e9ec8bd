"""`/ingest` and `/forget` through the real bot against the stand-in Discord, and the audit log.

The end-to-end tests drive the bot exactly as `test_protocol.py` does and end with `assert_clean`
(no unknown route, no ping, Discord's limits, nobody left "thinking"). The last two run the REAL
service on a page served by a local HTTP server, with private networks allowed and refused.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from talentqa.app import TalentQA
from talentqa.bot import limits
from talentqa.bot.audit import AuditLog, AuditRecord, read_audit
from talentqa.bot.cogs.ingest import (
    DM_TEXT,
    LONG_ID_PREFIX,
    NO_ROLE_TEXT,
    IngestCog,
    choice_value,
    has_role,
    url_refusal,
)
from talentqa.bot.format_library import StoredPreview, ingest_embed
from talentqa.bot.format_replies import GENERIC_APOLOGY
from talentqa.bot.format_text import unescape
from talentqa.errors import DocumentNotFoundError
from talentqa.models import DocumentInfo, IngestItem, IngestReport
from talentqa.settings import BotSettings, Settings

from ..conftest import FakeEmbedder
from ..dripping import dripping_server
from .conftest import FakeQAService, make_settings, running_bot
from .fake_discord import EPHEMERAL, FakeDiscord, Recorded, for_interaction, is_callback
from .test_protocol import answered, assert_clean, callback

ROLE_ID = 800_000_000_000_000_500
ROLE_NAME = "Editors"
EDITOR = 700_000_000_000_000_002  # holds the role
READER = 700_000_000_000_000_003  # does not

ARTICLE_URL = "https://news.example/tram-line-opens"
TRAM_TEXT = (
    "The new tram line opened on Monday morning.\n\n"
    "Twelve stops link the station with the university campus.\n\n"
    "Fares stay the same until January."
)
LONG_ID = "https://news.example/" + "a-very-long-canonical-address/" * 5 + "story"


@dataclass
class IngestingService(FakeQAService):
    """The fake service, plus a library that /ingest and /forget change and record.

    URLs steer it: "broken" yields a failed item, "explode" raises an unexpected error, "slow"
    blocks its thread for `slow_seconds`.
    """

    ingested: list[list[str]] = field(default_factory=list)
    ingest_threads: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    extra: dict[str, DocumentInfo] = field(default_factory=dict)
    slow_seconds: float = 1.0

    def ingest_sources(self, sources: Sequence[str]) -> IngestReport:
        self.ingested.append(list(sources))
        self.ingest_threads.append(threading.current_thread().name)
        url = sources[0]
        if "explode" in url:
            raise RuntimeError("an unexpected bug with internal detail /srv/secret")
        if "slow" in url:
            time.sleep(self.slow_seconds)
        if "broken" in url:
            return IngestReport(items=[IngestItem(source=url, status="failed", reason="HTTP 404 Not Found")])
        status = "unchanged" if "tram-line" in self.extra else "added"
        self.extra["tram-line"] = DocumentInfo(
            doc_id="tram-line", title="Tram line opens", url=url, published=dt.date(2024, 6, 3), chunks=3
        )
        item = IngestItem(source=url, doc_id="tram-line", title="Tram line opens", status=status, chunks=3)
        return IngestReport(items=[item], seconds=0.4, chunks_embedded=3)

    def library(self) -> list[DocumentInfo]:
        docs = [d for d in super().library() if d.doc_id not in self.removed]
        return sorted([*docs, *self.extra.values()], key=lambda d: d.doc_id)

    def passage(self, doc_id: str, start: int, end: int) -> str:
        if doc_id == "tram-line":
            return TRAM_TEXT
        return super().passage(doc_id, start, end)

    def remove(self, doc_id: str) -> None:
        if doc_id not in {d.doc_id for d in self.library()}:
            raise DocumentNotFoundError(doc_id)
        self.removed.append(doc_id)
        self.extra.pop(doc_id, None)


@pytest.fixture()
def newsroom(fake_discord: FakeDiscord) -> FakeDiscord:
    """The stand-in guild with an Editors role that EDITOR holds and READER does not."""
    fake_discord.roles = {ROLE_ID: ROLE_NAME}
    fake_discord.member_roles = {EDITOR: [ROLE_ID]}
    fake_discord.user_names = {EDITOR: "ana", READER: "ben"}
    return fake_discord


def _callback_of(iid: int, r: Recorded) -> bool:
    return for_interaction(iid)(r) and is_callback(r)


def settings_for(tmp_path: Path, role: str | None = ROLE_NAME) -> Settings:
    return make_settings(tmp_path, ingest_role=role, audit_log=tmp_path / "audit" / "audit.jsonl")


def audit_of(settings: Settings) -> list[AuditRecord]:
    return read_audit(settings.bot.audit_log)


def reply_text(reply: Any) -> str:
    return str(reply.body.get("content") or "")


# --- /ingest -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [ROLE_NAME, str(ROLE_ID)], ids=["role-by-name", "role-by-id"])
@pytest.mark.asyncio
async def test_a_member_with_the_ingest_role_ingests_a_url_and_sees_a_preview(
    newsroom: FakeDiscord, tmp_path: Path, role: str
) -> None:
    service = IngestingService()
    settings = settings_for(tmp_path, role)
    async with running_bot(newsroom, service, settings):
        iid = newsroom.slash("ingest", url=ARTICLE_URL, user_id=EDITOR)
        [reply] = await answered(newsroom, iid)
    defer = callback(newsroom, iid)
    assert defer.body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert defer.at - newsroom.dispatched_at[iid] < limits.INTERACTION_ACK_SECONDS
    assert service.ingested == [[ARTICLE_URL]]
    assert service.ingest_threads[0] != "MainThread"  # ran in a worker thread, off the event loop
    [embed] = reply.body["embeds"]
    assert embed["title"] == "Ingested"
    [item] = embed["fields"]
    assert item["name"] == "Added: Tram line opens"
    value = unescape(item["value"])
    assert "2024-06-03 · 3 passages" in value and "id: tram-line" in value
    assert "> The new tram line opened on Monday morning." in value  # the first lines of the text
    assert embed["footer"]["text"].startswith("1 added")
    assert reply.body["allowed_mentions"] == {"parse": []}
    assert int(newsroom.original_message(iid)["flags"]) & EPHEMERAL
    [record] = audit_of(settings)
    assert (record.command, record.target, record.outcome) == ("ingest", ARTICLE_URL, "ok")
    assert (record.user_id, record.user_name, record.guild_id) == (EDITOR, "ana", newsroom.guild_id)
    assert [(d.doc_id, d.status, d.chunks) for d in record.documents] == [("tram-line", "added", 3)]
    assert service.listed == 0  # the preview looked up its article, not the whole library
    assert_clean(newsroom)


@pytest.mark.asyncio
async def test_ingesting_the_same_url_again_says_unchanged(newsroom: FakeDiscord, tmp_path: Path) -> None:
    service = IngestingService()
    async with running_bot(newsroom, service, settings_for(tmp_path)):
        first = newsroom.slash("ingest", url=ARTICLE_URL, user_id=EDITOR)
        await answered(newsroom, first)
        again = newsroom.slash("ingest", url=ARTICLE_URL, user_id=EDITOR)
        [reply] = await answered(newsroom, again)
    [item] = reply.body["embeds"][0]["fields"]
    assert item["name"] == "Unchanged (already stored): Tram line opens"
    assert "3 passages" in item["value"]  # from the library, since an unchanged item embeds nothing
    assert_clean(newsroom)


@pytest.mark.asyncio
async def test_a_member_without_the_role_is_refused_and_the_service_is_not_called(
    newsroom: FakeDiscord, tmp_path: Path
) -> None:
    service = IngestingService()
    # Configured by id: the refusal still names the role so the member knows whom to ask.
    settings = settings_for(tmp_path, str(ROLE_ID))
    async with running_bot(newsroom, service, settings):
        ingest = newsroom.slash("ingest", url=ARTICLE_URL, user_id=READER)
        forget = newsroom.slash("forget", doc="council-budget", user_id=READER)
        [no_ingest] = await answered(newsroom, ingest)
        [no_forget] = await answered(newsroom, forget)
    assert reply_text(no_ingest) == "Only members with the Editors role may use /ingest."
    assert reply_text(no_forget) == "Only members with the Editors role may use /forget."
    assert service.ingested == [] and service.removed == []
    records = audit_of(settings)
    assert sorted((r.command, r.outcome, r.detail, r.user_id) for r in records) == [
        ("forget", "refused", "member lacks the ingest role", READER),
        ("ingest", "refused", "member lacks the ingest role", READER),
    ]
    assert_clean(newsroom)


@pytest.mark.asyncio
async def test_with_no_role_configured_everyone_is_refused_and_told_what_an_admin_must_set(
    newsroom: FakeDiscord, tmp_path: Path
) -> None:
    service = IngestingService()
    settings = settings_for(tmp_path, None)
    async with running_bot(newsroom, service, settings):
        ingest = newsroom.slash("ingest", url=ARTICLE_URL, user_id=EDITOR)
        forget = newsroom.slash("forget", doc="council-budget", user_id=EDITOR)
        replies = [(await answered(newsroom, iid))[0] for iid in (ingest, forget)]
    assert [reply_text(r) for r in replies] == [NO_ROLE_TEXT, NO_ROLE_TEXT]
    assert "TALENTQA_BOT__INGEST_ROLE" in NO_ROLE_TEXT
    assert service.ingested == [] and service.removed == []
    assert {(r.outcome, r.detail) for r in audit_of(settings)} == {("refused", "no ingest role configured")}
    assert_clean(newsroom)


@pytest.mark.asyncio
async def test_ingest_and_forget_in_a_direct_message_are_refused(
    newsroom: FakeDiscord, tmp_path: Path
) -> None:
    service = IngestingService()
    settings = settings_for(tmp_path)
    async with running_bot(newsroom, service, settings):
        ingest = newsroom.slash("ingest", url=ARTICLE_URL, user_id=EDITOR, dm=True)
        forget = newsroom.slash("forget", doc="council-budget", user_id=EDITOR, dm=True)
        replies = [(await answered(newsroom, iid))[0] for iid in (ingest, forget)]
    assert [reply_text(r) for r in replies] == [DM_TEXT, DM_TEXT]
    assert service.ingested == [] and service.removed == []
    records = audit_of(settings)
    assert [(r.guild_id, r.user_id, r.user_name, r.outcome) for r in records] == [
        (None, EDITOR, "ana", "refused"),
        (None, EDITOR, "ana", "refused"),
    ]
    assert_clean(newsroom)


@pytest.mark.parametrize(
    "url", ["ftp://news.example/a.txt", "file:///etc/passwd", "news.example/article", "javascript:alert(1)"]
)
@pytest.mark.asyncio
async def test_a_url_that_is_not_http_or_https_is_refused_with_a_clear_error(
    newsroom: FakeDiscord, tmp_path: Path, url: str
) -> None:
    service = IngestingService()
    settings = settings_for(tmp_path)
    async with running_bot(newsroom, service, settings):
        iid = newsroom.slash("ingest", url=url, user_id=EDITOR)
        [reply] = await answered(newsroom, iid)
    assert reply_text(reply).startswith(
        "Only web addresses starting with http:// or https:// can be ingested"
    )
    assert service.ingested == []
    [record] = audit_of(settings)
    assert (record.target, record.outcome, record.detail) == (url, "refused", "not an http(s) URL")
    assert_clean(newsroom)


@pytest.mark.asyncio
async def test_a_url_that_fails_to_load_is_reported_with_its_reason(
    newsroom: FakeDiscord, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    async with running_bot(newsroom, IngestingService(), settings):
        iid = newsroom.slash("ingest", url="https://news.example/broken", user_id=EDITOR)
        [reply] = await answered(newsroom, iid)
    [embed] = reply.body["embeds"]
    assert embed["title"] == "Ingest failed"
    [item] = embed["fields"]
    assert item["name"].startswith("Failed:") and "Reason: HTTP 404 Not Found" in item["value"]
    [record] = audit_of(settings)
    assert record.outcome == "failed" and "HTTP 404 Not Found" in record.detail
    assert_clean(newsroom)


@pytest.mark.asyncio
async def test_an_unexpected_ingest_error_gets_the_apology_is_logged_and_audited(
    newsroom: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="talentqa.bot")
    settings = settings_for(tmp_path)
    async with running_bot(newsroom, IngestingService(), settings):
        iid = newsroom.slash("ingest", url="https://news.example/explode", user_id=EDITOR)
        [reply] = await answered(newsroom, iid)
    assert reply_text(reply) == GENERIC_APOLOGY
    assert "/srv/secret" not in str([r.body for r in newsroom.snapshot()])
    assert [r for r in caplog.records if "/ingest failed unexpectedly" in r.getMessage() and r.exc_info]
    [record] = audit_of(settings)
    assert record.outcome == "error" and record.detail.startswith("RuntimeError")
    assert_clean(newsroom)


@pytest.mark.asyncio
async def test_an_ingest_that_outlasts_the_timeout_is_told_so_and_audited(
    newsroom: FakeDiscord, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    async with running_bot(newsroom, IngestingService(slow_seconds=1.0), settings) as bot:
        # load_extension imports the cog module afresh, so compare by name rather than isinstance.
        cog = bot.get_cog("Ingest")
        assert type(cog).__name__ == IngestCog.__name__
        cog.timeout = 0.2  # type: ignore[union-attr]
        iid = newsroom.slash("ingest", url="https://news.example/slow", user_id=EDITOR)
        [reply] = await answered(newsroom, iid)
    assert "stopped waiting" in reply_text(reply) and "/sources" in reply_text(reply)
    [record] = audit_of(settings)
    assert record.outcome == "timeout"
    assert_clean(newsroom)


# --- /forget -------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_forget_removes_the_document_and_audits_it(newsroom: FakeDiscord, tmp_path: Path) -> None:
    service = IngestingService()
    settings = settings_for(tmp_path)
    async with running_bot(newsroom, service, settings):
        iid = newsroom.slash("forget", doc="council-budget", user_id=EDITOR)
        [reply] = await answered(newsroom, iid)
    assert service.removed == ["council-budget"]
    assert reply_text(reply) == (
        "Removed “Council approves the 2024 budget” (id: council-budget) and its 2 passages from the library."
    )
    assert callback(newsroom, iid).body == {"type": 5, "data": {"flags": EPHEMERAL}}
    [record] = audit_of(settings)
    assert (record.command, record.target, record.outcome, record.user_id) == (
        "forget",
        "council-budget",
        "ok",
        EDITOR,
    )
    assert [(d.doc_id, d.title, d.status) for d in record.documents] == [
        ("council-budget", "Council approves the 2024 budget", "removed")
    ]
    assert_clean(newsroom)


@pytest.mark.asyncio
async def test_forget_of_an_unknown_id_is_a_short_error(newsroom: FakeDiscord, tmp_path: Path) -> None:
    service = IngestingService()
    settings = settings_for(tmp_path)
    async with running_bot(newsroom, service, settings):
        iid = newsroom.slash("forget", doc="no-such-article", user_id=EDITOR)
        [reply] = await answered(newsroom, iid)
    assert reply_text(reply) == (
        "No article with id no-such-article is in the library. Pick one of the suggestions, or see /sources."
    )
    assert service.removed == []
    [record] = audit_of(settings)
    assert (record.outcome, record.detail) == ("failed", "no such document")
    assert_clean(newsroom)


@pytest.mark.asyncio
async def test_forget_autocompletes_titles_and_ids_and_a_long_id_round_trips(
    newsroom: FakeDiscord, tmp_path: Path
) -> None:
    service = IngestingService()
    service.extra[LONG_ID] = DocumentInfo(doc_id=LONG_ID, title="Harbour ferry timetable", chunks=4)

    def typing(text: str) -> int:
        data = {
            "id": "1001",
            "name": "forget",
            "type": 1,
            "options": [{"name": "doc", "type": 3, "value": text, "focused": True}],
        }
        return newsroom._interaction(4, data, user_id=EDITOR, channel_id=None)

    async with running_bot(newsroom, service, settings_for(tmp_path)):
        by_title = typing("harbour")
        by_id = typing("council-b")
        for iid in (by_title, by_id):
            await newsroom.wait_for(functools.partial(_callback_of, iid))
        [long_choice] = [
            c
            for c in callback(newsroom, by_title).body["data"]["choices"]
            if c["name"].startswith("Harbour ferry")
        ]
        forget = newsroom.slash("forget", doc=long_choice["value"], user_id=EDITOR)
        [reply] = await answered(newsroom, forget)
    titles = callback(newsroom, by_title).body
    assert titles["type"] == 8
    assert [c["value"] for c in titles["data"]["choices"]] == ["harbour-works", choice_value(LONG_ID)]
    assert (
        long_choice["value"].startswith(LONG_ID_PREFIX) and len(long_choice["value"]) <= limits.CHOICE_VALUE
    )
    assert all(len(c["name"]) <= limits.CHOICE_NAME for c in titles["data"]["choices"])
    assert callback(newsroom, by_id).body["data"]["choices"] == [
        {"name": "Council approves the 2024 budget · council-budget", "value": "council-budget"}
    ]
    assert service.removed == [LONG_ID]
    assert "Harbour ferry timetable" in reply_text(reply)
    # Suggestions and the long id's resolution searched by prefix; nothing listed the library.
    assert service.listed == 0
    assert service.found[:2] == ["harbour", "council-b"] or service.found[:2] == ["council-b", "harbour"]
    assert service.found[2] == LONG_ID[: len(service.found[2])] and len(service.found) == 3
    assert_clean(newsroom)


# --- the audit log -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_audit_log_holds_who_when_and_what_for_every_attempt(
    newsroom: FakeDiscord, tmp_path: Path
) -> None:
    service = IngestingService()
    settings = settings_for(tmp_path)
    before = dt.datetime.now(dt.UTC)
    attempts: list[tuple[str, dict[str, Any], int, bool]] = [
        ("ingest", {"url": ARTICLE_URL}, EDITOR, False),
        ("ingest", {"url": ARTICLE_URL}, READER, False),
        ("ingest", {"url": ARTICLE_URL}, EDITOR, True),
        ("ingest", {"url": "gopher://news.example/"}, EDITOR, False),
        ("forget", {"doc": "tram-line"}, EDITOR, False),
        ("forget", {"doc": "tram-line"}, EDITOR, False),
    ]
    async with running_bot(newsroom, service, settings):
        for name, options, user, dm in attempts:
            iid = newsroom.slash(name, user_id=user, dm=dm, **options)
            await answered(newsroom, iid)  # one at a time, so the log's order is the attempts' order
    after = dt.datetime.now(dt.UTC)
    records = audit_of(settings)
    assert [(r.command, r.target, r.user_id, r.outcome) for r in records] == [
        ("ingest", ARTICLE_URL, EDITOR, "ok"),
        ("ingest", ARTICLE_URL, READER, "refused"),
        ("ingest", ARTICLE_URL, EDITOR, "refused"),
        ("ingest", "gopher://news.example/", EDITOR, "refused"),
        ("forget", "tram-line", EDITOR, "ok"),
        ("forget", "tram-line", EDITOR, "failed"),
    ]
    assert [r.user_name for r in records] == ["ana", "ben", "ana", "ana", "ana", "ana"]
    assert [r.guild_id for r in records] == [
        newsroom.guild_id,
        newsroom.guild_id,
        None,
        *[newsroom.guild_id] * 3,
    ]
    for record in records:
        at = dt.datetime.fromisoformat(record.at)
        assert at.utcoffset() == dt.timedelta(0) and before <= at <= after
    lines = settings.bot.audit_log.read_text().splitlines()
    assert len(lines) == len(attempts)  # one JSON line per attempt
    assert_clean(newsroom)


@pytest.mark.asyncio
async def test_an_audit_log_that_cannot_be_written_is_logged_and_the_user_still_answered(
    newsroom: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="talentqa.bot")
    settings = make_settings(tmp_path, ingest_role=ROLE_NAME, audit_log=tmp_path)  # a folder: unwritable
    service = IngestingService()
    async with running_bot(newsroom, service, settings):
        iid = newsroom.slash("ingest", url=ARTICLE_URL, user_id=EDITOR)
        [reply] = await answered(newsroom, iid)
    assert reply.body["embeds"][0]["title"] == "Ingested" and service.ingested == [[ARTICLE_URL]]
    [error] = [r for r in caplog.records if "could not write the audit log" in r.getMessage()]
    assert error.levelno == logging.ERROR and f'"target":"{ARTICLE_URL}"' in error.getMessage()
    assert_clean(newsroom)


def test_reading_the_audit_log_back_skips_a_partial_last_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "logs" / "audit.jsonl"
    assert read_audit(path) == []
    log = AuditLog(path)
    first = AuditRecord(
        at="2024-06-03T09:00:00.000+00:00",
        command="ingest",
        target=ARTICLE_URL,
        user_id=EDITOR,
        user_name="ana",
        guild_id=1,
        outcome="ok",
    )
    log.append(first)
    log.append(first.model_copy(update={"command": "forget", "target": "tram-line"}))
    with path.open("a") as file:
        file.write('{"at": "2024-06-03T09:01:00+00:00", "command": "ing')  # a crash mid-write
    with caplog.at_level(logging.WARNING, logger="talentqa.bot"):
        records = log.read()
    assert [(r.command, r.target) for r in records] == [("ingest", ARTICLE_URL), ("forget", "tram-line")]
    assert any("line 3 is not an audit record" in r.getMessage() for r in caplog.records)


# --- registration and pure parts -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_ingest_and_forget_are_registered_as_server_only_commands(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    async with running_bot(
        fake_discord, IngestingService(), settings_for(tmp_path), sync_guild=fake_discord.guild_id
    ):
        pass
    [sync] = fake_discord.find(lambda r: r.method == "PUT")
    commands = {c["name"]: c for c in sync.body}
    for name in ("ingest", "forget"):
        assert commands[name]["contexts"] == [0]  # guild only: Discord hides it in DMs
    [url] = commands["ingest"]["options"]
    assert (url["name"], url["required"], url["max_length"]) == ("url", True, 2048)
    [doc] = commands["forget"]["options"]
    assert (doc["name"], doc["required"], doc["autocomplete"]) == ("doc", True, True)


def test_the_role_matches_by_id_or_exact_name_only() -> None:
    roles = [(1, "@everyone"), (ROLE_ID, ROLE_NAME)]
    assert has_role(roles, ROLE_NAME) and has_role(roles, str(ROLE_ID)) and has_role(roles, f" {ROLE_NAME} ")
    assert not has_role(roles, "editors") and not has_role(roles, "Edit") and not has_role(roles, "")
    assert not has_role([], ROLE_NAME)


def test_only_absolute_http_and_https_urls_pass_the_first_check() -> None:
    assert url_refusal("https://news.example/a") is None and url_refusal("HTTP://news.example/a") is None
    for bad in ("https://", "http:///path", "mailto:a@news.example", "//news.example/a", "https://[::1"):
        refusal = url_refusal(bad)
        assert refusal is not None and refusal.reason == "not an http(s) URL", bad
    too_long = url_refusal("https://news.example/" + "a" * 3000)
    assert too_long is not None and too_long.reason == "URL too long"


def test_the_preview_of_a_large_feed_stays_within_discords_limits() -> None:
    long_title = "Very long headline with *markdown* and <@123> " * 20
    items = [
        IngestItem(
            source=f"https://news.example/{i}", doc_id=f"doc-{i}" * 30, title=long_title, status="added"
        )
        for i in range(20)
    ] + [IngestItem(source="https://news.example/x", status="failed", reason="refused: " + "x " * 2000)]
    previews = {item.doc_id or "": StoredPreview(opening="> line\n" * 400, chunks=9) for item in items}
    embed = ingest_embed("https://news.example/feed.xml", IngestReport(items=items), previews).to_dict()
    assert limits.violations({"embeds": [embed]}) == []
    assert len(embed["fields"]) == 5
    assert "20 added · 1 failed · 16 more not shown" in embed["footer"]["text"]


# --- the real service ----------------------------------------------------------------------------

ARTICLE_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Riverside library extends its evening hours | Valley Courier</title>
  <meta property="og:title" content="Riverside library extends its evening hours">
  <meta property="article:published_time" content="2024-06-03T08:30:00+00:00">
  <meta name="author" content="Mira Okafor">
</head>
<body>
  <nav><a href="/">Home</a> <a href="/local">Local</a></nav>
  <article>
    <h1>Riverside library extends its evening hours</h1>
    <p>The Riverside branch library will stay open until nine in the evening on weekdays from
    the first of July, the city's culture office announced on Monday.</p>
    <p>Librarians said students had asked for quiet study space after the reading room at the
    old school closed last spring. The longer hours are paid for by a grant from the regional
    education fund, which covers two additional part-time staff for one year.</p>
    <p>Weekend opening times do not change. The branch keeps its Saturday story hour for young
    children, and the repair café in the basement continues on the last Sunday of each month.</p>
    <p>The culture office will count visitors during the first six months and decide in January
    whether the later closing time becomes permanent.</p>
  </article>
  <footer>Valley Courier, 2024</footer>
</body>
</html>
"""


class _ArticleHandler(http.server.BaseHTTPRequestHandler):
    def __init__(self, *args: Any, hits: list[str], **kwargs: Any) -> None:
        self.hits = hits
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self.hits.append(self.path)
        body = ARTICLE_HTML.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return


@pytest.fixture()
def article_server() -> Iterator[tuple[str, list[str]]]:
    """A local web server with one article page; yields its URL and the paths requested."""
    hits: list[str] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_ArticleHandler, hits=hits))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/local/library-hours", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def real_settings(tmp_path: Path, *, allow_private: bool) -> Settings:
    return Settings(
        store=tmp_path / "vectorstore",
        allow_private_networks=allow_private,
        bot=BotSettings(
            feedback_db=tmp_path / "feedback.sqlite3",
            cooldown_seconds=0,
            ingest_role=ROLE_NAME,
            audit_log=tmp_path / "audit.jsonl",
        ),
    )


@pytest.mark.asyncio
async def test_the_real_service_ingests_an_article_page_served_locally(
    newsroom: FakeDiscord, tmp_path: Path, fake_embedder: FakeEmbedder, article_server: tuple[str, list[str]]
) -> None:
    url, hits = article_server
    settings = real_settings(tmp_path, allow_private=True)
    service = TalentQA.open(settings, embedder=fake_embedder)
    try:
        async with running_bot(newsroom, service, settings):
            iid = newsroom.slash("ingest", url=url, user_id=EDITOR)
            [reply] = await newsroom.wait_for(
                lambda r: for_interaction(iid)(r) and r.method == "POST" and "/webhooks/" in r.path,
                timeout=60,
            )
        [doc] = service.documents()
        stored = service.store.text(doc.doc_id)
    finally:
        service.close()
    assert hits == ["/local/library-hours"]
    assert doc.title == "Riverside library extends its evening hours"
    assert doc.published == dt.date(2024, 6, 3) and doc.chunks >= 1
    assert "stay open until nine in the evening on weekdays" in " ".join(stored.split())
    [embed] = reply.body["embeds"]
    assert embed["title"] == "Ingested"
    [item] = embed["fields"]
    assert item["name"] == "Added: Riverside library extends its evening hours"
    value = unescape(item["value"])
    assert f"2024-06-03 · {doc.chunks} passages" in value
    assert "> The Riverside branch library will stay open" in value
    [record] = read_audit(settings.bot.audit_log)
    assert record.outcome == "ok" and [d.doc_id for d in record.documents] == [doc.doc_id]
    assert_clean(newsroom)


@pytest.mark.asyncio
async def test_the_real_service_refuses_a_local_url_unless_private_networks_are_allowed(
    newsroom: FakeDiscord, tmp_path: Path, fake_embedder: FakeEmbedder, article_server: tuple[str, list[str]]
) -> None:
    url, hits = article_server
    settings = real_settings(tmp_path, allow_private=False)
    service = TalentQA.open(settings, embedder=fake_embedder)
    try:
        async with running_bot(newsroom, service, settings):
            iid = newsroom.slash("ingest", url=url, user_id=EDITOR)
            [reply] = await newsroom.wait_for(
                lambda r: for_interaction(iid)(r) and r.method == "POST" and "/webhooks/" in r.path,
                timeout=60,
            )
        documents = service.documents()
    finally:
        service.close()
    assert hits == []  # refused before any connection was made
    assert documents == []
    [embed] = reply.body["embeds"]
    assert embed["title"] == "Ingest failed"
    reason = unescape(embed["fields"][0]["value"])
    assert "loopback address 127.0.0.1" in reason and "TALENTQA_ALLOW_PRIVATE_NETWORKS" in reason
    [record] = read_audit(settings.bot.audit_log)
    assert record.outcome == "failed" and "loopback address 127.0.0.1" in record.detail
    assert_clean(newsroom)


@pytest.mark.asyncio
async def test_a_page_that_drips_its_headers_fails_within_the_fetch_timeout_and_frees_the_queue(
    newsroom: FakeDiscord, tmp_path: Path, fake_embedder: FakeEmbedder, article_server: tuple[str, list[str]]
) -> None:
    # Issue 13, item 6: one header line every 0.3 s kept a fetch (and the one-at-a-time /ingest queue)
    # busy for as long as the server liked; the fetch now ends at its timeout, headers included.
    url, _hits = article_server
    base = real_settings(tmp_path, allow_private=True)
    settings = base.model_copy(update={"ingest": base.ingest.model_copy(update={"fetch_timeout": 1.0})})
    service = TalentQA.open(settings, embedder=fake_embedder)
    try:
        with dripping_server("headers", interval=0.3, lasts=30) as slow:
            async with running_bot(newsroom, service, settings):
                started = time.monotonic()
                slow_url = f"http://127.0.0.1:{slow.port}/news/slow"
                stuck = newsroom.slash("ingest", url=slow_url, user_id=EDITOR)
                fine = newsroom.slash("ingest", url=url, user_id=EDITOR)
                [failed] = await newsroom.wait_for(
                    lambda r: for_interaction(stuck)(r) and r.method == "POST" and "/webhooks/" in r.path,
                    timeout=15,
                )
                [added] = await newsroom.wait_for(
                    lambda r: for_interaction(fine)(r) and r.method == "POST" and "/webhooks/" in r.path,
                    timeout=15,
                )
                elapsed = time.monotonic() - started
    finally:
        service.close()
    assert elapsed < 6, f"both answers took {elapsed:.1f} s with a 1 s fetch timeout"
    assert "took longer than 1 s" in str(failed.body)
    assert added.body["embeds"][0]["title"] == "Ingested"
    outcomes = {r.target: r.outcome for r in read_audit(settings.bot.audit_log)}
    assert outcomes[url] == "ok" and outcomes[slow_url] == "failed"
