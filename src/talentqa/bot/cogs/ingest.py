"""`/ingest url` and `/forget doc`: members with the ingest role add or remove articles from Discord.

Who may: members of a server who hold the role named by `settings.bot.ingest_role` (its id or its
exact name). That is checked here, on the roles the interaction carries, not left to how Discord
shows the command: server admins can change command permissions, and a direct message or a user
install never passes through them. While no role is configured nobody may.

Every attempt, refused ones included, is appended to the audit log (`talentqa.bot.audit`) before
the user is answered, so a user who was told "added" is always on record.

Both commands write to the store, so they run one at a time here: the service serialises writes
anyway, and queueing in the cog keeps waiting writes from holding the worker slots that questions
share. Each runs in a worker thread through the bot's slots, with a timeout that leaves room to
reply before Discord stops accepting follow-ups (15 minutes after the command).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, TypeVar
from urllib.parse import urlsplit

import discord
from discord import app_commands
from discord.ext import commands

from talentqa import errors
from talentqa.bot import limits
from talentqa.bot.audit import AuditDocument, AuditLog, AuditRecord, Outcome, utc_now
from talentqa.bot.client import TalentQABot
from talentqa.bot.format_library import (
    INGEST_SHOWN,
    StoredPreview,
    forgotten_text,
    ingest_embed,
    opening_lines,
)
from talentqa.bot.format_text import clip, escape, one_line
from talentqa.bot.replies import NO_PINGS, explain_failure, send_text
from talentqa.deadline import deadline_after
from talentqa.models import DocumentInfo, IngestReport
from talentqa.service import QAService

log = logging.getLogger("talentqa.bot")

T = TypeVar("T")

# Below the 15 minutes an interaction token lives, so the reply (or the timeout notice) still arrives.
INGEST_TIMEOUT_SECONDS = 12 * 60
MAX_URL_LENGTH = 2048
OPENING_CHARS = 300
# Discord caps a choice's value at 100 characters, and a web article's id is its canonical URL,
# often longer; such ids are offered as this prefix, a hash of the id and the id's start, and resolved
# back on /forget by looking up that start (no listing of the library) and comparing hashes.
LONG_ID_PREFIX = "id#"
_LONG_ID_HASH = 16
# Articles sharing a long id's first 80 characters that are searched for the one a hash names.
_LONG_ID_CANDIDATES = 100

NO_ROLE_TEXT = (
    "Adding and removing articles from Discord is switched off: an admin must set "
    "TALENTQA_BOT__INGEST_ROLE to the role (name or id) allowed to use /ingest and /forget."
)
DM_TEXT = "/ingest and /forget work only in a server, not in direct messages."


class Refusal(NamedTuple):
    reason: str  # for the audit log
    text: str  # for the user


def has_role(roles: Iterable[tuple[int, str]], wanted: str) -> bool:
    """Whether any (id, name) in `roles` is the configured role, given as its id or its exact name."""
    wanted = wanted.strip()
    return bool(wanted) and any(str(role_id) == wanted or name == wanted for role_id, name in roles)


def url_refusal(url: str) -> Refusal | None:
    """Why `url` is not even tried (None when it may be): only absolute http(s) URLs of sane length.

    The fetcher applies its own checks (private addresses, redirects, sizes) on top of this one.
    """
    shown = escape(clip(url, 200))
    if len(url) > MAX_URL_LENGTH:
        return Refusal("URL too long", f"That URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return Refusal(
            "not an http(s) URL",
            f"Only web addresses starting with http:// or https:// can be ingested; {shown} is not one.",
        )
    return None


def choice_value(doc_id: str) -> str:
    """What autocomplete offers for a document: its id, or a key (hash and start) when the id is too long."""
    if len(doc_id) <= limits.CHOICE_VALUE:
        return doc_id
    digest = hashlib.sha256(doc_id.encode()).hexdigest()[:_LONG_ID_HASH]
    key = f"{LONG_ID_PREFIX}{digest}:"
    return key + doc_id[: limits.CHOICE_VALUE - len(key)]


def resolve_doc(service: QAService, given: str) -> DocumentInfo | None:
    """The stored document `given` names: by id, or by the key `choice_value` offered (blocking: run in a
    thread)."""
    try:
        return service.document(given)
    except errors.DocumentNotFoundError:
        pass
    if given.startswith(LONG_ID_PREFIX):
        start = given[len(LONG_ID_PREFIX) :].partition(":")[2]
        for doc in service.find_documents(start, limit=_LONG_ID_CANDIDATES):
            if choice_value(doc.doc_id) == given:
                return doc
    return None


def document_choices(docs: Sequence[DocumentInfo]) -> list[app_commands.Choice[str]]:
    """Choices for the documents found, labelled with title and id so twins can be told apart."""
    choices: list[app_commands.Choice[str]] = []
    for doc in docs[: limits.AUTOCOMPLETE_CHOICES]:
        title = one_line(doc.title)
        label = f"{title} · {doc.doc_id}" if title else doc.doc_id
        choices.append(
            app_commands.Choice(name=clip(label, limits.CHOICE_NAME), value=choice_value(doc.doc_id))
        )
    return choices


def look_up_previews(service: QAService, doc_ids: Sequence[str]) -> dict[str, StoredPreview]:
    """Date, passage count and opening lines of freshly ingested articles (blocking: run in a thread)."""
    previews: dict[str, StoredPreview] = {}
    for doc_id in doc_ids:
        try:
            info: DocumentInfo | None = service.document(doc_id)
        except errors.DocumentNotFoundError:
            info = None
        try:
            opening = opening_lines(service.passage(doc_id, 0, OPENING_CHARS))
        except errors.TalentQAError:
            # Removed again in the meantime, say; the rest of the preview still stands.
            opening = ""
        previews[doc_id] = StoredPreview(
            published=info.published if info else None,
            chunks=info.chunks if info else None,
            opening=opening,
        )
    return previews


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} minutes" if seconds >= 120 else f"{seconds:.0f} seconds"


def ingest_outcome(report: IngestReport) -> tuple[Outcome, str]:
    """The audit outcome of an ingest and its counts in words ("added 1, failed 2")."""
    counts = ", ".join(f"{status} {n}" for status, n in report.summary().items() if n)
    failed = report.count("failed")
    if not report.items:
        return "failed", "no article found"
    if failed == len(report.items):
        reasons = "; ".join(sorted({item.reason or "no reason given" for item in report.failed}))
        return "failed", clip(f"{counts}: {reasons}", 1000)
    return ("partial" if failed else "ok"), counts


@dataclass
class Attempt:
    """One /ingest or /forget as the audit log will record it; filled in as it goes."""

    command: Literal["ingest", "forget"]
    target: str
    interaction: discord.Interaction[TalentQABot]
    at: str = field(default_factory=utc_now)
    outcome: Outcome = "error"
    detail: str = "did not finish"
    documents: list[AuditDocument] = field(default_factory=list)

    def set(self, outcome: Outcome, detail: str, documents: Iterable[AuditDocument] = ()) -> None:
        self.outcome, self.detail, self.documents = outcome, detail, list(documents)

    def record(self) -> AuditRecord:
        user = self.interaction.user
        return AuditRecord(
            at=self.at,
            command=self.command,
            target=self.target,
            user_id=user.id,
            user_name=user.name,
            guild_id=self.interaction.guild_id,
            channel_id=self.interaction.channel_id,
            outcome=self.outcome,
            detail=self.detail,
            documents=self.documents,
        )


class IngestCog(commands.Cog, name="Ingest"):
    def __init__(self, bot: TalentQABot) -> None:
        self.bot = bot
        self.audit = AuditLog(bot.settings.bot.audit_log)
        self.timeout: float = INGEST_TIMEOUT_SECONDS
        self._writes = asyncio.Semaphore(1)

    # --- the commands ---------------------------------------------------------------------------

    @app_commands.command(name="ingest", description="Add a web article to the library (ingest role only).")
    @app_commands.guild_only()
    @app_commands.describe(url="The article's web address, starting with http:// or https://")
    async def ingest(
        self, interaction: discord.Interaction[TalentQABot], url: app_commands.Range[str, 1, MAX_URL_LENGTH]
    ) -> None:
        attempt = Attempt("ingest", url.strip(), interaction)
        await self._run(interaction, attempt, self._ingest)

    @app_commands.command(name="forget", description="Remove an article from the library (ingest role only).")
    @app_commands.guild_only()
    @app_commands.describe(doc="The article to remove (start typing its title or id)")
    async def forget(self, interaction: discord.Interaction[TalentQABot], doc: str) -> None:
        attempt = Attempt("forget", doc.strip(), interaction)
        await self._run(interaction, attempt, self._forget)

    @forget.autocomplete("doc")
    async def doc_choices(
        self, interaction: discord.Interaction[TalentQABot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Articles whose title or id starts with what was typed, found without listing the library."""
        return document_choices(await self.bot.suggest_documents(current))

    # --- one attempt, start to finish -----------------------------------------------------------

    async def _run(
        self,
        interaction: discord.Interaction[TalentQABot],
        attempt: Attempt,
        work: Callable[[Attempt], Awaitable[str | discord.Embed]],
    ) -> None:
        """Acknowledge, check who asks, do the work, audit, reply: in that order, whatever fails."""
        self.bot.track()  # a closing bot lets this finish, audit included
        if self.bot.shutting_down:
            attempt.set("refused", "the bot is shutting down")
            await self._audit(attempt)
            await self.bot.refuse_if_closing(interaction)
            return
        reply: str | discord.Embed
        try:
            await interaction.response.defer(thinking=True, ephemeral=True)
            refusal = self._who_refusal(interaction, attempt.command)
            if refusal is None and attempt.command == "ingest":
                refusal = url_refusal(attempt.target)
            if refusal is not None:
                attempt.set("refused", refusal.reason)
                reply = refusal.text
            else:
                reply = await work(attempt)
        except TimeoutError:
            log.warning("/%s of %r still running after %.0f s", attempt.command, attempt.target, self.timeout)
            attempt.set("timeout", f"still running after {self.timeout:.0f} s")
            reply = (
                f"This is taking longer than {_duration(self.timeout)}, so I stopped waiting. "
                "It may still finish: check /sources in a while."
            )
        except Exception as exc:
            attempt.set(
                "failed" if isinstance(exc, errors.TalentQAError) else "error",
                clip(f"{type(exc).__name__}: {exc}", 1000),
            )
            reply = explain_failure(exc, what=f"/{attempt.command}")
        await self._audit(attempt)
        await self._reply(interaction, reply)

    def _who_refusal(self, interaction: discord.Interaction[TalentQABot], command: str) -> Refusal | None:
        member = interaction.user
        if interaction.guild_id is None or not isinstance(member, discord.Member):
            return Refusal("not in a server", DM_TEXT)
        wanted = (self.bot.settings.bot.ingest_role or "").strip()
        if not wanted:
            return Refusal("no ingest role configured", NO_ROLE_TEXT)
        # member.roles resolves the ids the interaction carries against the cached guild; a guild the
        # bot does not know yields no roles, so the check fails closed.
        if has_role(((role.id, role.name) for role in member.roles), wanted):
            return None
        role = interaction.guild.get_role(int(wanted)) if interaction.guild and wanted.isdigit() else None
        name = escape(clip(role.name if role else wanted, 100))
        return Refusal(
            "member lacks the ingest role", f"Only members with the {name} role may use /{command}."
        )

    async def _ingest(self, attempt: Attempt) -> discord.Embed:
        url = attempt.target
        report = await self._write(functools.partial(self.bot.service.ingest_sources, [url]))
        outcome, detail = ingest_outcome(report)
        attempt.set(
            outcome,
            detail,
            [
                AuditDocument(
                    doc_id=item.doc_id,
                    title=item.title,
                    status=item.status,
                    chunks=item.chunks,
                    reason=item.reason,
                )
                for item in report.items
            ],
        )
        return ingest_embed(url, report, await self._previews(report))

    async def _forget(self, attempt: Attempt) -> str:
        given = attempt.target
        try:
            info = await self.bot.call(resolve_doc, self.bot.service, given)
        except Exception as exc:
            # Only the title in the reply depends on this; the removal below reports its own errors.
            log.warning("could not look up the document before /forget: %s", exc)
            info = None
        doc_id = info.doc_id if info is not None else given
        try:
            await self._write(functools.partial(self.bot.service.remove, doc_id))
        except errors.DocumentNotFoundError:
            attempt.set("failed", "no such document")
            return (
                f"No article with id {escape(clip(given, 200))} is in the library. "
                "Pick one of the suggestions, or see /sources."
            )
        title = info.title if info is not None else None
        chunks = info.chunks if info is not None else 0
        attempt.set(
            "ok", "removed", [AuditDocument(doc_id=doc_id, title=title, status="removed", chunks=chunks)]
        )
        return forgotten_text(doc_id, info)

    # --- helpers --------------------------------------------------------------------------------

    async def _write(self, fn: Callable[[], T]) -> T:
        """A store write in a worker thread, one at a time, within `self.timeout` (queueing included).

        The timeout is also the thread's deadline: the pages it fetches end by then, so a write that
        timed out for its user stops holding the queue and its slot soon after.
        """
        with deadline_after(self.timeout):
            async with asyncio.timeout(self.timeout), self._writes:
                return await self.bot.slots.run(fn)

    async def _previews(self, report: IngestReport) -> dict[str, StoredPreview]:
        wanted = [i.doc_id for i in report.items[:INGEST_SHOWN] if i.doc_id and i.status != "failed"]
        if not wanted:
            return {}
        try:
            return await self.bot.call(look_up_previews, self.bot.service, wanted)
        except Exception as exc:
            # The articles are stored already; a preview that cannot be read must not report a failure.
            log.warning("could not look up the preview of an ingest: %s", exc, exc_info=exc)
            return {}

    async def _audit(self, attempt: Attempt) -> None:
        record = attempt.record()
        try:
            await asyncio.to_thread(self.audit.append, record)
        except OSError as exc:
            # The attempt happened (or was refused) either way; keep the record in the bot's log at least.
            log.error(
                "could not write the audit log %s: %s; record: %s",
                self.audit.path,
                exc,
                record.model_dump_json(),
            )

    async def _reply(self, interaction: discord.Interaction[TalentQABot], reply: str | discord.Embed) -> None:
        # A reply Discord refuses goes to the command tree's on_error, which says so in a short text.
        if isinstance(reply, str):
            await send_text(interaction, reply)
        else:
            await interaction.followup.send(embed=reply, ephemeral=True, allowed_mentions=NO_PINGS)


async def setup(bot: TalentQABot) -> None:
    await bot.add_cog(IngestCog(bot))
