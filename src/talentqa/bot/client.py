"""The Discord client: a `commands.Bot` given its dependencies, one extension per feature.

The bot talks to the library only through the `QAService` protocol. The service is created once by
the caller; the bot never builds one per question. Every service call runs in a worker thread;
questions are also bounded (`settings.bot.max_concurrent`) and rate limited per user
(`settings.bot.cooldown_seconds`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from talentqa.bot import limits
from talentqa.bot.format_replies import SHUTTING_DOWN_TEXT
from talentqa.bot.memory import AnswerCache, Conversations
from talentqa.bot.replies import NO_PINGS, reply_failure, send_text
from talentqa.bot.throttle import Cooldown, Slots
from talentqa.deadline import deadline_after
from talentqa.feedback import FeedbackStore
from talentqa.models import Answer, DocumentInfo
from talentqa.service import QAService, Turn
from talentqa.settings import Settings

log = logging.getLogger("talentqa.bot")

T = TypeVar("T")

EXTENSIONS = (
    "talentqa.bot.cogs.ask",
    "talentqa.bot.cogs.answer_actions",
    "talentqa.bot.cogs.mentions",
    "talentqa.bot.cogs.sources",
    "talentqa.bot.cogs.about",
    "talentqa.bot.cogs.ingest",
)

# How long a closing bot lets questions already being answered finish and be delivered.
SHUTDOWN_GRACE_SECONDS = 10.0
DM_IDLE_SECONDS = 3600.0


def bot_intents(mentions: bool) -> discord.Intents:
    """Slash commands need no privileged intent; reading "@bot question" messages needs message content."""
    intents = discord.Intents.none()
    # The channel and thread cache that thread replies rely on.
    intents.guilds = True
    if mentions:
        intents.guild_messages = True
        intents.dm_messages = True
        intents.message_content = True
    return intents


# The key in `Interaction.extras` where a command that answers publicly says so (its failure is then
# public too); unset, a failure is shown only to whoever used the command.
EPHEMERAL = "talentqa.ephemeral"


class TalentQATree(app_commands.CommandTree["TalentQABot"]):
    """The one error path of slash commands: whatever a command raises is logged and answered here.

    Commands therefore do not catch their own failures; a deferred interaction gets the reply as its
    follow-up, so nobody is left looking at "thinking…".
    """

    async def on_error(
        self, interaction: discord.Interaction[TalentQABot], error: app_commands.AppCommandError, /
    ) -> None:
        original: BaseException = error
        if isinstance(error, app_commands.CommandInvokeError):
            original = error.original
        name = interaction.command.name if interaction.command else "command"
        ephemeral = bool(interaction.extras.get(EPHEMERAL, True))
        await reply_failure(interaction, original, what=f"/{name}", ephemeral=ephemeral)


class TalentQABot(commands.Bot):
    """The talentqa Discord bot.

    Args:
        service: the question-answering service, created once by the caller.
        settings: all settings; the bot reads `settings.bot`.
        feedback: where the feedback buttons write.
        sync_guild: sync the slash commands to this guild at start-up (instant; for development).
        sync_global: sync them globally at start-up (takes up to an hour to show everywhere).
        clock: monotonic clock for cooldowns and conversation expiry (tests pass a fake one).
    """

    def __init__(
        self,
        service: QAService,
        settings: Settings,
        feedback: FeedbackStore,
        *,
        sync_guild: int | None = None,
        sync_global: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # The bot never joins voice, so discord.py's start-up warnings about missing voice libraries
        # (PyNaCl, davey) would only alarm whoever reads the log. Class flags, read in Client.__init__.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=bot_intents(settings.bot.mentions),
            help_command=None,
            allowed_mentions=NO_PINGS,
            tree_cls=TalentQATree,
        )
        self.service = service
        self.settings = settings
        self.feedback = feedback
        self.sync_guild = sync_guild
        self.sync_global = sync_global
        self.slots = Slots(settings.bot.max_concurrent)
        self.cooldowns = Cooldown(settings.bot.cooldown_seconds, clock=clock)
        self.answers = AnswerCache()
        self.threads = Conversations(clock=clock)
        self.dms = Conversations(idle_seconds=DM_IDLE_SECONDS, clock=clock)
        self.shutting_down = False
        self._jobs: set[asyncio.Task[Any]] = set()
        self._shutdown: asyncio.Future[None] | None = None

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            # A login retried after a network failure can run this hook again.
            if extension not in self.extensions:
                await self.load_extension(extension)
        # Syncing is rate limited and slow to propagate, so it happens only when asked for.
        if self.sync_guild is not None:
            guild = discord.Object(id=self.sync_guild)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), self.sync_guild)
        if self.sync_global:
            synced = await self.tree.sync()
            log.info("synced %d commands globally", len(synced))

    async def on_ready(self) -> None:
        log.info(
            "connected as %s (%s) to %d servers", self.user, getattr(self.user, "id", "?"), len(self.guilds)
        )

    async def on_message(self, message: discord.Message, /) -> None:
        # No prefix commands: the mentions cog answers "@bot question" itself.
        return

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        log.exception("unhandled error in %s", event_method)

    # --- the service, off the event loop ------------------------------------------------------

    async def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        sources: Sequence[str] | None = None,
        since: dt.date | None = None,
    ) -> Answer:
        """Answer in a worker thread, at most `max_concurrent` at once, within `answer_timeout`."""
        call = functools.partial(
            self.service.ask, question, history=list(history), sources=sources, since=since
        )
        return await self.slots.run(call, timeout=self.settings.bot.answer_timeout)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """A quick service call (a document lookup, a passage, about) in a worker thread, under the same
        deadline."""
        timeout = self.settings.bot.answer_timeout
        with deadline_after(timeout):
            return await asyncio.wait_for(asyncio.to_thread(fn, *args), timeout)

    async def suggest_documents(self, current: str) -> list[DocumentInfo]:
        """Documents whose title or id starts with `current`, for autocomplete; none if the lookup fails.

        An autocomplete failure only means no suggestions; the command itself still works.
        """
        try:
            return await self.call(
                functools.partial(self.service.find_documents, current, limit=limits.AUTOCOMPLETE_CHOICES)
            )
        except Exception:
            return []

    # --- shutdown -----------------------------------------------------------------------------

    def track(self) -> None:
        """Mark the current task as answering someone, so that close() lets it finish first."""
        task = asyncio.current_task()
        if task is not None:
            self._jobs.add(task)
            task.add_done_callback(self._jobs.discard)

    async def close(self) -> None:
        """Stop taking questions, let answers in progress be delivered (briefly), then disconnect."""
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._close_after_answers())
        await self._shutdown

    async def _close_after_answers(self) -> None:
        self.shutting_down = True
        pending = {t for t in self._jobs if not t.done()}
        if pending:
            log.info("waiting up to %.0f s for %d answers in progress", SHUTDOWN_GRACE_SECONDS, len(pending))
            await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_SECONDS)
        await super().close()

    async def refuse_if_closing(self, interaction: discord.Interaction[Any]) -> bool:
        if self.shutting_down:
            await send_text(interaction, SHUTTING_DOWN_TEXT)
            return True
        return False
