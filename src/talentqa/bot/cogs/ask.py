"""`/ask question [source] [since] [private]`: a deferred answer with numbered, quoted citations."""

from __future__ import annotations

import asyncio
import datetime as dt

import discord
from discord import app_commands
from discord.ext import commands

from talentqa.bot import limits
from talentqa.bot.client import EPHEMERAL, TalentQABot
from talentqa.bot.components import answer_view
from talentqa.bot.format_answer import answer_messages
from talentqa.bot.format_replies import cooldown_text
from talentqa.bot.format_text import clip, one_line
from talentqa.bot.replies import send_embeds, send_text
from talentqa.dates import parse_since


class AskCog(commands.Cog, name="Ask"):
    def __init__(self, bot: TalentQABot) -> None:
        self.bot = bot

    @app_commands.command(name="ask", description="Ask the news library; every answer quotes its sources.")
    @app_commands.describe(
        question="Your question",
        source="Only this article (start typing its title)",
        since="Only articles published since: 2024-05-01, 2024-05, 2024, or 30d / 6w / 3m / 1y",
        private="Only you see the answer",
    )
    async def ask(
        self,
        interaction: discord.Interaction[TalentQABot],
        question: str,
        source: str | None = None,
        since: str | None = None,
        private: bool = False,
    ) -> None:
        if await self.bot.refuse_if_closing(interaction):
            return
        since_date: dt.date | None = None
        if since:
            try:
                since_date = parse_since(since, today=dt.date.today())
            except ValueError as exc:
                await send_text(interaction, str(exc))
                return
        wait = self.bot.cooldowns.hit(interaction.user.id)
        if wait > 0:
            await send_text(interaction, cooldown_text(wait))
            return
        self.bot.track()
        interaction.extras[EPHEMERAL] = private  # a failure is shown where the answer would have been
        # The answer starts at once and the acknowledgement goes out while it runs: Discord fails an
        # interaction not acknowledged within 3 s (a question may wait longer for a free slot), and
        # waiting for the acknowledgement first would add a network round trip to every answer.
        answering = asyncio.ensure_future(
            self.bot.ask(question, sources=[source] if source else None, since=since_date)
        )
        try:
            await interaction.response.defer(thinking=True, ephemeral=private)
        except BaseException:
            answering.cancel()
            raise
        answer = await answering
        key = self.bot.answers.put(answer, channel_id=interaction.channel_id, guild_id=interaction.guild_id)
        await send_embeds(
            interaction, answer_messages(answer), view=answer_view(key, answer), ephemeral=private
        )

    @ask.autocomplete("source")
    async def source_choices(
        self, interaction: discord.Interaction[TalentQABot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Articles whose title or id starts with what was typed; the value is the document id.

        The service finds them without listing the library; ids longer than a choice value allows are
        left out (the source option takes the id as it is)."""
        docs = await self.bot.suggest_documents(current)
        return [
            app_commands.Choice(
                name=clip(one_line(doc.title or doc.doc_id), limits.CHOICE_NAME), value=doc.doc_id
            )
            for doc in docs
            if len(doc.doc_id) <= limits.CHOICE_VALUE
        ]


async def setup(bot: TalentQABot) -> None:
    await bot.add_cog(AskCog(bot))
