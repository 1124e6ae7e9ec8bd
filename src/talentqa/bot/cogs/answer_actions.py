"""The buttons under an answer: "Show passage N", "More sources", "Helpful" and "Wrong citation".

Clicks are routed by custom id (`components.py`) to the dynamic items here, which look the answer
up in the bot's answer cache. Replies are ephemeral: one person's click changes nobody else's view.

`AnswerItem.interaction_check` looks the answer up once for all of them (an expired one gets
`EXPIRED_TEXT` and no callback); failures take the one error path of `components.ActionItem`.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Self, cast

import discord
from discord.ext import commands

from talentqa.bot.client import TalentQABot
from talentqa.bot.components import (
    FEEDBACK_TEMPLATE,
    MORE_TEMPLATE,
    PASSAGE_TEMPLATE,
    WRONG_SELECT_TEMPLATE,
    ActionItem,
    answer_view,
    feedback_id,
    more_id,
    passage_id,
    wrong_citation_view,
    wrong_select_id,
)
from talentqa.bot.format_answer import citation_number, citations_page, cited, page_count, passage_messages
from talentqa.bot.format_replies import EXPIRED_TEXT
from talentqa.bot.memory import ShownAnswer
from talentqa.bot.replies import NO_PINGS, send_embeds, send_text
from talentqa.feedback import FeedbackKind
from talentqa.models import Citation

Button = discord.ui.Button[discord.ui.View]
Select = discord.ui.Select[discord.ui.View]


def _bot(interaction: discord.Interaction[Any]) -> TalentQABot:
    return cast(TalentQABot, interaction.client)


class AnswerItem(ActionItem):
    """Mixin for the items under an answer: the click is handled only while the answer is remembered.

    discord.py creates one item per click (`from_custom_id`), so `shown` belongs to this click alone.
    """

    key: str
    shown: ShownAnswer
    what: ClassVar[str] = "an answer button"

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        shown = _bot(interaction).answers.get(self.key)
        if shown is None:
            await send_text(interaction, EXPIRED_TEXT)
            return False
        self.shown = shown
        return True


class PassageButton(AnswerItem, discord.ui.DynamicItem[Button], template=PASSAGE_TEMPLATE):
    """The paragraph around one quote, shown only to whoever clicked."""

    what = "Show passage"

    def __init__(self, key: str, index: int) -> None:
        super().__init__(
            discord.ui.Button(label=f"Show passage {index + 1}", custom_id=passage_id(key, index))
        )
        self.key = key
        self.index = index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["key"], int(match["index"]))

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        shown = self.shown
        items = cited(shown.answer)
        if not 0 <= self.index < len(items):
            await send_text(interaction, EXPIRED_TEXT)
            return
        citation = items[self.index]
        await interaction.response.defer(thinking=True, ephemeral=True)
        passage = await bot.call(bot.service.passage, citation.doc_id, citation.start, citation.end)
        number = citation_number(shown.answer, self.index)
        embeds = passage_messages(citation, passage, number=number)
        await send_embeds(interaction, embeds, view=None, ephemeral=True)


class MoreSourcesButton(AnswerItem, discord.ui.DynamicItem[Button], template=MORE_TEMPLATE):
    """The next page of an answer's sources, with its own passage buttons."""

    what = "More sources"

    def __init__(self, key: str, page: int) -> None:
        super().__init__(discord.ui.Button(label="More sources", custom_id=more_id(key, page)))
        self.key = key
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["key"], int(match["page"]))

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        shown = self.shown
        page = min(self.page, page_count(shown.answer) - 1)
        await interaction.response.send_message(
            embed=citations_page(shown.answer, page),
            view=answer_view(self.key, shown.answer, page, feedback=False),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )


async def _record(
    interaction: discord.Interaction[Any],
    key: str,
    shown: ShownAnswer,
    kind: FeedbackKind,
    flagged: list[Citation],
) -> None:
    bot = _bot(interaction)
    await bot.call(
        lambda: bot.feedback.record(
            kind=kind,
            answer=shown.answer,
            answer_key=key,
            user_id=interaction.user.id,
            flagged=flagged,
            channel_id=interaction.channel_id,
            guild_id=interaction.guild_id,
        )
    )


class FeedbackButton(AnswerItem, discord.ui.DynamicItem[Button], template=FEEDBACK_TEMPLATE):
    """Helpful records at once; Wrong citation asks which one when there are several."""

    what = "feedback"

    def __init__(self, key: str, kind: str) -> None:
        super().__init__(discord.ui.Button(label=kind, custom_id=feedback_id(key, kind)))
        self.key = key
        self.kind = kind

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["key"], match["kind"])

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        shown = self.shown
        citations = shown.answer.citations
        if self.kind == "wrong" and len(citations) > 1:
            await interaction.response.send_message(
                "Which citation is wrong? Pick one or more.",
                view=wrong_citation_view(self.key, shown.answer),
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        if self.kind == "helpful":
            await _record(interaction, self.key, shown, "helpful", [])
            await send_text(interaction, "Thanks! Recorded as helpful.")
        else:
            await _record(interaction, self.key, shown, "wrong_citation", list(citations))
            await send_text(interaction, "Thanks! Recorded the citation as wrong.")


class WrongCitationSelect(AnswerItem, discord.ui.DynamicItem[Select], template=WRONG_SELECT_TEMPLATE):
    what = "feedback"

    def __init__(self, key: str) -> None:
        super().__init__(
            discord.ui.Select(custom_id=wrong_select_id(key), options=[discord.SelectOption(label="-")])
        )
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["key"])

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        shown = self.shown
        data = cast(dict[str, Any], interaction.data or {})
        chosen = {int(v) for v in data.get("values", []) if str(v).isdigit()}
        flagged = [c for i, c in enumerate(shown.answer.citations) if i in chosen]
        if not flagged:
            await send_text(interaction, "Nothing was selected.")
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        await _record(interaction, self.key, shown, "wrong_citation", flagged)
        numbers = ", ".join(str(c.n) for c in flagged)
        await send_text(interaction, f"Thanks! Recorded citation {numbers} as wrong.")


DYNAMIC_ITEMS = (PassageButton, MoreSourcesButton, FeedbackButton, WrongCitationSelect)


class AnswerActions(commands.Cog, name="Answer actions"):
    def __init__(self, bot: TalentQABot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)


async def setup(bot: TalentQABot) -> None:
    await bot.add_cog(AnswerActions(bot))
