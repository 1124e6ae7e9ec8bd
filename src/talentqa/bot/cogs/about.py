"""`/about`: version, model, store and corpus size, as `service.about()` reports them."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from talentqa.bot.client import TalentQABot
from talentqa.bot.format_library import about_embed
from talentqa.bot.replies import NO_PINGS


class AboutCog(commands.Cog, name="About"):
    def __init__(self, bot: TalentQABot) -> None:
        self.bot = bot

    @app_commands.command(
        name="about", description="Version, model, store and how many articles are ingested."
    )
    async def about(self, interaction: discord.Interaction[TalentQABot]) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        info = await self.bot.call(self.bot.service.about)
        settings = self.bot.settings.bot
        extra = {
            "bot": {
                "mentions": "on" if settings.mentions else "off",
                "answers_at_once": settings.max_concurrent,
                "cooldown_seconds": settings.cooldown_seconds,
                "discord.py": discord.__version__,
            }
        }
        await interaction.followup.send(
            embed=about_embed(info, extra=extra), ephemeral=True, allowed_mentions=NO_PINGS
        )


async def setup(bot: TalentQABot) -> None:
    await bot.add_cog(AboutCog(bot))
