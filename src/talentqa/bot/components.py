"""Buttons and menus under the bot's messages, and the custom ids that route their clicks.

A click carries only its custom id, so the state a button needs is in the id: an answer key (into
the bot's bounded in-memory answer cache), a page or a citation index. The handlers are
`discord.ui.DynamicItem`s registered once (`cogs/answer_actions.py`, `cogs/sources.py`), matched by
the templates here, so no per-message view object is kept in memory.

The views sent with messages are `StaticView`s: they only render components. discord.py would
otherwise store every sent view (a leak for long-lived buttons) and, when a stored view times out,
drop dynamic-item routes it shares.

Every handler derives from `ActionItem`, the one error path of clicks: discord.py only logs what a
dynamic item's callback raises (a view's `on_error` never sees it), so `ActionItem.callback` runs the
handler and answers any failure through `replies.reply_failure`, as the command tree does for
commands.
"""

from __future__ import annotations

from typing import Any, ClassVar

import discord

from talentqa.bot import limits
from talentqa.bot.format_answer import CITATIONS_PER_PAGE, citation_number, cited, page_count
from talentqa.bot.format_text import clip, one_line
from talentqa.bot.replies import reply_failure
from talentqa.models import Answer

KEY = r"[0-9a-f]{12}"
MORE_TEMPLATE = rf"tqa:more:(?P<key>{KEY}):(?P<page>\d{{1,4}})"
PASSAGE_TEMPLATE = rf"tqa:psg:(?P<key>{KEY}):(?P<index>\d{{1,3}})"
FEEDBACK_TEMPLATE = rf"tqa:fb:(?P<key>{KEY}):(?P<kind>helpful|wrong)"
WRONG_SELECT_TEMPLATE = rf"tqa:wrong:(?P<key>{KEY})"
SOURCES_TEMPLATE = r"tqa:src:(?P<page>\d{1,5})"


def more_id(key: str, page: int) -> str:
    return f"tqa:more:{key}:{page}"


def passage_id(key: str, index: int) -> str:
    return f"tqa:psg:{key}:{index}"


def feedback_id(key: str, kind: str) -> str:
    return f"tqa:fb:{key}:{kind}"


def wrong_select_id(key: str) -> str:
    return f"tqa:wrong:{key}"


def sources_id(page: int) -> str:
    return f"tqa:src:{page}"


class ActionItem:
    """Mixin for the `discord.ui.DynamicItem`s that handle clicks; put it first among the bases.

    Subclasses implement `run` and name themselves in `what` (for the log); a failure in `run` is
    logged and answered with the short text for it, as a follow-up if the click was deferred.
    """

    what: ClassVar[str] = "a button"

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.run(interaction)
        except Exception as exc:
            await reply_failure(interaction, exc, what=self.what)

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError


class StaticView(discord.ui.View):
    """A view that renders its components but is never stored or dispatched by discord.py."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    def is_finished(self) -> bool:
        return True

    def is_dispatchable(self) -> bool:
        return False


def answer_view(
    key: str, answer: Answer, page: int = 0, *, feedback: bool = True, per_page: int = CITATIONS_PER_PAGE
) -> StaticView:
    """Row 0: "Show passage N" for each source on the page; row 1: "More sources" and feedback."""
    view = StaticView()
    items = cited(answer)
    first = page * per_page
    for index in range(first, min(first + per_page, len(items))):
        view.add_item(
            discord.ui.Button(
                label=f"Show passage {citation_number(answer, index)}",
                style=discord.ButtonStyle.secondary,
                custom_id=passage_id(key, index),
                row=0,
            )
        )
    if page + 1 < page_count(answer, per_page):
        view.add_item(
            discord.ui.Button(
                label="More sources",
                style=discord.ButtonStyle.primary,
                custom_id=more_id(key, page + 1),
                row=1,
            )
        )
    if feedback:
        view.add_item(
            discord.ui.Button(
                label="Helpful",
                emoji="👍",
                style=discord.ButtonStyle.success,
                custom_id=feedback_id(key, "helpful"),
                row=1,
            )
        )
        if answer.citations:
            view.add_item(
                discord.ui.Button(
                    label="Wrong citation",
                    emoji="⚠️",
                    style=discord.ButtonStyle.danger,
                    custom_id=feedback_id(key, "wrong"),
                    row=1,
                )
            )
    return view


def wrong_citation_view(key: str, answer: Answer) -> StaticView:
    """A menu of the answer's citations, to say which ones are wrong."""
    view = StaticView()
    options = [
        discord.SelectOption(
            label=clip(f"[{c.n}] {one_line(c.title or c.doc_id)}", limits.SELECT_OPTION_LABEL),
            description=clip(one_line(c.quote), limits.SELECT_OPTION_DESCRIPTION),
            value=str(i),
        )
        for i, c in enumerate(answer.citations[: limits.SELECT_OPTIONS])
    ]
    view.add_item(
        discord.ui.Select(
            custom_id=wrong_select_id(key),
            placeholder="Which citation is wrong?",
            min_values=1,
            max_values=len(options),
            options=options,
        )
    )
    return view


def sources_view(page: int, pages: int) -> StaticView:
    view = StaticView()
    view.add_item(
        discord.ui.Button(
            label="Previous",
            emoji="◀️",
            style=discord.ButtonStyle.secondary,
            custom_id=sources_id(max(page - 1, 0)),
            disabled=page <= 0,
        )
    )
    view.add_item(
        discord.ui.Button(
            label="Next",
            emoji="▶️",
            style=discord.ButtonStyle.secondary,
            # Always differs from Previous's id: Discord rejects a message with two equal custom ids.
            custom_id=sources_id(page + 1),
            disabled=page + 1 >= pages,
        )
    )
    return view
