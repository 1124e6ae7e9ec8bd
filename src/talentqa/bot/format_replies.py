"""The bot's short replies: what a failure says to the user, and the fixed texts (cooldown, expired
buttons, shutting down, an empty mention)."""

from __future__ import annotations

import math

from talentqa import errors
from talentqa.bot.format_text import clip

GENERIC_APOLOGY = "Sorry, something went wrong on my side. It has been logged; please try again later."


def error_text(exc: BaseException) -> str:
    """The short reply for a failure. Known errors say what happened; anything else gets an apology."""
    if isinstance(exc, errors.QuestionError):
        return clip(f"I can't answer that: {exc}", 300)
    if isinstance(exc, errors.DocumentNotFoundError):
        return "That article is no longer in the library."
    if isinstance(exc, errors.EmptyStoreError):
        return "Nothing has been added to the library yet, so I have nothing to quote."
    if isinstance(exc, errors.StoreError):
        return "The article store is unavailable right now. Please try again in a few minutes."
    if isinstance(exc, errors.AnswerError):
        return "The answerer failed this time. Please try again in a moment."
    if isinstance(exc, errors.ConfigError):
        return "The bot is misconfigured; the operator can see the details in its log."
    if isinstance(exc, errors.TalentQAError):
        return clip(f"Sorry: {exc}", 300)
    if isinstance(exc, TimeoutError):
        return "That took too long, so I gave up. Please try again later or ask something narrower."
    return GENERIC_APOLOGY


def cooldown_text(seconds: float) -> str:
    wait = max(1, math.ceil(seconds))
    return f"You're asking quickly. Please try again in {wait} s."


EMPTY_MENTION_TEXT = "Ask me a question after the mention, for example: @talentqa what did the mayor say?"
EXPIRED_TEXT = "This answer's buttons have expired (I keep recent answers only). Please ask again."
SHUTTING_DOWN_TEXT = "I'm restarting right now. Please ask again in a minute."
