"""Sending to Discord safely: never a ping, never over a limit, failures logged rather than raised.

Every send in the bot goes through these helpers or passes `NO_PINGS` itself, so a quote holding
"@everyone", a role or a user mention notifies nobody.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from talentqa import errors
from talentqa.bot import limits
from talentqa.bot.format_replies import error_text
from talentqa.bot.format_text import clip

log = logging.getLogger("talentqa.bot")

NO_PINGS = discord.AllowedMentions.none()


def explain_failure(exc: BaseException, *, what: str) -> str:
    """Log a failure (a traceback only for unexpected ones) and return the short text for the user."""
    if isinstance(exc, errors.TalentQAError):
        log.warning("%s failed: %s: %s", what, type(exc).__name__, exc)
    elif isinstance(exc, TimeoutError):
        log.warning("%s timed out", what)
    else:
        log.error("%s failed unexpectedly", what, exc_info=exc)
    return error_text(exc)


async def reply_failure(
    interaction: discord.Interaction[Any], error: BaseException, *, what: str, ephemeral: bool = True
) -> None:
    """The one error path of commands and components: log `error`, tell the user in a short text.

    Used by the command tree's `on_error` (`client.py`) and by every button's callback
    (`components.ActionItem`); answers as a follow-up when the interaction was deferred.
    """
    await send_text(interaction, explain_failure(error, what=what), ephemeral=ephemeral)


async def send_text(interaction: discord.Interaction[Any], text: str, *, ephemeral: bool = True) -> bool:
    """Reply with plain text, as the response or as a follow-up; False (logged) if Discord refused it.

    A deferred ("thinking") interaction is resolved by the follow-up, so calling this on every
    failure path is what guarantees nobody is left looking at "thinking…".
    """
    text = clip(text, limits.MESSAGE_CONTENT)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=ephemeral, allowed_mentions=NO_PINGS)
        else:
            await interaction.response.send_message(text, ephemeral=ephemeral, allowed_mentions=NO_PINGS)
    except discord.HTTPException as exc:
        log.warning("could not deliver a reply to interaction %s: %s", interaction.id, exc)
        return False
    return True


async def send_embeds(
    interaction: discord.Interaction[Any],
    embeds: list[discord.Embed],
    *,
    view: discord.ui.View | None,
    ephemeral: bool,
) -> None:
    """Send one message per embed as follow-ups; the view goes under the last one."""
    for i, embed in enumerate(embeds):
        if view is not None and i == len(embeds) - 1:
            await interaction.followup.send(
                embed=embed, view=view, ephemeral=ephemeral, allowed_mentions=NO_PINGS
            )
        else:
            await interaction.followup.send(embed=embed, ephemeral=ephemeral, allowed_mentions=NO_PINGS)


async def send_to_channel(
    channel: discord.abc.Messageable,
    embeds: list[discord.Embed],
    *,
    view: discord.ui.View | None,
    reference: discord.Message | None = None,
) -> None:
    """Send one message per embed to a channel (the first as a reply to `reference`); view on the last."""
    for i, embed in enumerate(embeds):
        ref = reference if i == 0 else None
        if view is not None and i == len(embeds) - 1:
            await _send(channel, embed=embed, view=view, reference=ref)
        else:
            await _send(channel, embed=embed, reference=ref)


async def _send(
    channel: discord.abc.Messageable,
    *,
    embed: discord.Embed,
    reference: discord.Message | None,
    view: discord.ui.View | None = None,
) -> None:
    if view is not None and reference is not None:
        await channel.send(embed=embed, view=view, reference=reference, allowed_mentions=NO_PINGS)
    elif view is not None:
        await channel.send(embed=embed, view=view, allowed_mentions=NO_PINGS)
    elif reference is not None:
        await channel.send(embed=embed, reference=reference, allowed_mentions=NO_PINGS)
    else:
        await channel.send(embed=embed, allowed_mentions=NO_PINGS)


async def channel_text(
    channel: discord.abc.Messageable, text: str, *, reference: discord.Message | None = None
) -> bool:
    """Plain text to a channel (as a reply to `reference`); False (logged) if Discord refused it."""
    text = clip(text, limits.MESSAGE_CONTENT)
    try:
        if reference is not None:
            await channel.send(text, reference=reference, allowed_mentions=NO_PINGS)
        else:
            await channel.send(text, allowed_mentions=NO_PINGS)
    except discord.HTTPException as exc:
        log.warning("could not send a message: %s", exc)
        return False
    return True
