"""Questions by message: "@talentqa question" in a channel opens a thread with the answer; any later
message in that thread is a follow-up, asked with the thread's conversation as context. Direct
messages work the same way, the DM being the conversation (forgotten after an hour of quiet).

Loaded always, but it only hears messages when `settings.bot.mentions` turned the message intents on.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Final

import discord
from discord.ext import commands

from talentqa.bot import limits
from talentqa.bot.client import TalentQABot
from talentqa.bot.components import answer_view
from talentqa.bot.format_answer import answer_messages
from talentqa.bot.format_replies import EMPTY_MENTION_TEXT, SHUTTING_DOWN_TEXT, cooldown_text
from talentqa.bot.format_text import clip, one_line, unescape
from talentqa.bot.memory import Conversations
from talentqa.bot.replies import channel_text, explain_failure, send_to_channel
from talentqa.service import Turn

log = logging.getLogger("talentqa.bot")

THREAD_ARCHIVE_MINUTES: Final = 1440
HISTORY_MESSAGES = 20
TYPING_REFRESH_SECONDS = 8.0

_QUESTION_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def question_from_mention(content: str, bot_id: int) -> str:
    """The question in "@bot question": every mention of the bot removed, whitespace tidied."""
    return one_line(re.sub(rf"<@!?{bot_id}>", " ", content))


def thread_name(question: str) -> str:
    return clip(one_line(question) or "Question", limits.THREAD_NAME)


def turns_from_transcript(entries: Sequence[tuple[bool, str]], *, max_turns: int = 10) -> list[Turn]:
    """Conversation turns from (is_bot, text) entries, oldest first; consecutive same-side texts merge."""
    turns: list[Turn] = []
    for is_bot, text in entries:
        text = text.strip()
        if not text:
            continue
        role = "assistant" if is_bot else "user"
        if turns and turns[-1].role == role:
            turns[-1] = Turn(role=role, content=f"{turns[-1].content}\n{text}")
        else:
            turns.append(Turn(role=role, content=text))
    return turns[-max_turns:]


@asynccontextmanager
async def typing(channel: discord.abc.Messageable) -> AsyncIterator[None]:
    """Show "typing…" while answering; a refused typing request never stops the answer."""

    async def keep_typing() -> None:
        while True:
            try:
                await channel.typing()
            except discord.HTTPException as exc:
                log.debug("typing indicator refused: %s", exc)
                return
            await asyncio.sleep(TYPING_REFRESH_SECONDS)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


class MentionsCog(commands.Cog, name="Mentions"):
    def __init__(self, bot: TalentQABot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot or message.type not in _QUESTION_TYPES:
            return
        channel = message.channel
        if message.guild is None:
            await self._conversation(message, self.bot.dms, channel.id)
        elif self._is_bot_thread(channel):
            await self._conversation(message, self.bot.threads, channel.id)
        elif any(user.id == me.id for user in message.mentions):
            await self._new_question(message)

    def _is_bot_thread(self, channel: object) -> bool:
        me = self.bot.user
        if isinstance(channel, discord.Thread) and me is not None and channel.owner_id == me.id:
            return True
        return getattr(channel, "id", None) in self.bot.threads

    async def _new_question(self, message: discord.Message) -> None:
        """A mention outside a bot thread: answer in a new thread (in place where threads are impossible)."""
        assert self.bot.user is not None
        question = question_from_mention(message.content, self.bot.user.id)
        if not question:
            await channel_text(message.channel, EMPTY_MENTION_TEXT, reference=message)
            return
        if not await self._admit(message, message.channel):
            return
        target: discord.abc.Messageable = message.channel
        reference: discord.Message | None = message
        if not isinstance(message.channel, discord.Thread):
            try:
                target = await message.create_thread(
                    name=thread_name(question), auto_archive_duration=THREAD_ARCHIVE_MINUTES
                )
                reference = None
            except (discord.HTTPException, ValueError) as exc:
                log.info("could not open a thread in %s (%s); answering in place", message.channel.id, exc)
        remember = self.bot.threads if reference is None else None
        await self._answer(message, question, target, history=[], reference=reference, remember=remember)

    async def _conversation(self, message: discord.Message, store: Conversations, key: int) -> None:
        """A message in a bot thread or a DM: a follow-up with the conversation so far."""
        assert self.bot.user is not None
        question = question_from_mention(message.content, self.bot.user.id)
        if not question:
            return
        if not await self._admit(message, message.channel):
            return
        history = store.history(key)
        if history is None and store is self.bot.threads:
            history = await self._history_from_thread(message)
            store.extend(key, history)
        reference = message if message.guild is None else None
        await self._answer(
            message, question, message.channel, history=history or [], reference=reference, remember=store
        )

    async def _admit(self, message: discord.Message, where: discord.abc.Messageable) -> bool:
        if self.bot.shutting_down:
            await channel_text(where, SHUTTING_DOWN_TEXT, reference=message)
            return False
        wait = self.bot.cooldowns.hit(message.author.id)
        if wait > 0:
            await channel_text(where, cooldown_text(wait), reference=message)
            return False
        return True

    async def _answer(
        self,
        message: discord.Message,
        question: str,
        target: discord.abc.Messageable,
        *,
        history: list[Turn],
        reference: discord.Message | None,
        remember: Conversations | None,
    ) -> None:
        """Answer into `target`; `remember` is where this exchange is kept as conversation, if anywhere."""
        self.bot.track()
        try:
            async with typing(target):
                answer = await self.bot.ask(question, history=history)
            key = self.bot.answers.put(
                answer,
                channel_id=getattr(target, "id", None),
                guild_id=message.guild.id if message.guild else None,
            )
            await send_to_channel(
                target, answer_messages(answer), view=answer_view(key, answer), reference=reference
            )
        except Exception as exc:
            await channel_text(target, explain_failure(exc, what="a mention"), reference=reference)
            return
        key_id = getattr(target, "id", None)
        if remember is not None and isinstance(key_id, int):
            remember.extend(
                key_id,
                [
                    Turn(role="user", content=question),
                    Turn(role="assistant", content=answer.text, short_answer=answer.short_answer),
                ],
            )

    async def _history_from_thread(self, message: discord.Message) -> list[Turn]:
        """Rebuild a thread's conversation from Discord (after a restart lost the bot's memory)."""
        me = self.bot.user
        channel = message.channel
        if me is None or not isinstance(channel, discord.Thread):
            return []
        starter: list[tuple[bool, str]] = []
        recent: list[tuple[bool, str]] = []
        try:
            parent = channel.parent
            if isinstance(parent, discord.TextChannel):
                # A thread opened from a message has that message's id: the original question.
                with suppress(discord.HTTPException):
                    first = await parent.fetch_message(channel.id)
                    starter.append((False, question_from_mention(first.content, me.id)))
            async for past in channel.history(limit=HISTORY_MESSAGES, before=message):
                if past.author.id == me.id and past.embeds:
                    recent.append((True, unescape(past.embeds[0].description or "")))
                elif not past.author.bot:
                    recent.append((False, question_from_mention(past.content, me.id)))
        except discord.HTTPException as exc:
            log.info("could not read the history of thread %s: %s", channel.id, exc)
        recent.reverse()
        return turns_from_transcript(starter + recent)


async def setup(bot: TalentQABot) -> None:
    await bot.add_cog(MentionsCog(bot))
