"""`/sources [page]`: what is ingested, ten articles a page, with Previous / Next buttons.

Each page is read on its own (`QAService.documents_page`): a library of 150k articles costs what a
page of ten does.
"""

from __future__ import annotations

import re
from typing import Any, Self, cast

import discord
from discord import app_commands
from discord.ext import commands

from talentqa.bot.client import TalentQABot
from talentqa.bot.components import SOURCES_TEMPLATE, ActionItem, sources_id, sources_view
from talentqa.bot.format_library import DOCUMENTS_PER_PAGE, documents_page, page_count
from talentqa.bot.replies import NO_PINGS
from talentqa.models import DocumentPage
from talentqa.service import QAService


def library_page(service: QAService, page: int, per_page: int = DOCUMENTS_PER_PAGE) -> DocumentPage:
    """Page `page` (from 0) of the library, or its last page when `page` is past the end (the library
    shrank since the buttons were drawn, or a /sources page number too high). Blocking: run in a thread."""
    page = max(page, 0)
    listing = service.documents_page(page * per_page, per_page)
    last = page_count(listing.total, per_page) - 1
    if page > last:
        listing = service.documents_page(last * per_page, per_page)
    return listing


class SourcesPageButton(
    ActionItem, discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=SOURCES_TEMPLATE
):
    """Turns the page of the message it sits under; the page is in its custom id, so it never expires."""

    what = "/sources page"

    def __init__(self, page: int) -> None:
        super().__init__(discord.ui.Button(label="Page", custom_id=sources_id(page)))
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["page"]))

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        bot = cast(TalentQABot, interaction.client)
        await interaction.response.defer()
        listing = await bot.call(library_page, bot.service, self.page)
        embed, page, pages = documents_page(listing)
        await interaction.edit_original_response(
            embed=embed, view=sources_view(page, pages), allowed_mentions=NO_PINGS
        )


class SourcesCog(commands.Cog, name="Sources"):
    def __init__(self, bot: TalentQABot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SourcesPageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SourcesPageButton)

    @app_commands.command(name="sources", description="List the articles the bot answers from.")
    @app_commands.describe(page="Page number, from 1")
    async def sources(
        self, interaction: discord.Interaction[TalentQABot], page: app_commands.Range[int, 1, 100_000] = 1
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        listing = await self.bot.call(library_page, self.bot.service, page - 1)
        embed, shown, pages = documents_page(listing)
        await interaction.followup.send(
            embed=embed, view=sources_view(shown, pages), ephemeral=True, allowed_mentions=NO_PINGS
        )


async def setup(bot: TalentQABot) -> None:
    await bot.add_cog(SourcesCog(bot))
