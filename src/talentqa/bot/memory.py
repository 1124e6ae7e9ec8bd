"""What the bot remembers between messages: recent answers (for their buttons) and conversations.

Both are bounded and in memory. After a restart old buttons say they expired, and a follow-up in a
bot thread rebuilds its conversation from the thread's messages (see `cogs/mentions.py`).
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from talentqa.models import Answer
from talentqa.service import Turn


@dataclass(frozen=True)
class ShownAnswer:
    answer: Answer
    channel_id: int | None = None
    guild_id: int | None = None


class AnswerCache:
    """The most recent answers shown, by a short random key that buttons carry in their custom id."""

    def __init__(self, capacity: int = 1000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, ShownAnswer] = OrderedDict()

    def put(self, answer: Answer, *, channel_id: int | None = None, guild_id: int | None = None) -> str:
        key = secrets.token_hex(6)
        while key in self._items:
            key = secrets.token_hex(6)
        self._items[key] = ShownAnswer(answer, channel_id, guild_id)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return key

    def get(self, key: str) -> ShownAnswer | None:
        shown = self._items.get(key)
        if shown is not None:
            self._items.move_to_end(key)
        return shown

    def __len__(self) -> int:
        return len(self._items)


class Conversations:
    """Recent turns per channel (a thread or a DM), the oldest channels and turns forgotten first."""

    def __init__(
        self,
        *,
        max_turns: int = 10,
        capacity: int = 1000,
        idle_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_turns = max_turns
        self.capacity = capacity
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._items: OrderedDict[int, tuple[float, list[Turn]]] = OrderedDict()

    def history(self, channel_id: int) -> list[Turn] | None:
        """The turns so far, or None when the channel is unknown or idle for too long."""
        entry = self._items.get(channel_id)
        if entry is None:
            return None
        seen, turns = entry
        if self.idle_seconds is not None and self._clock() - seen > self.idle_seconds:
            del self._items[channel_id]
            return None
        return list(turns)

    def extend(self, channel_id: int, turns: Iterable[Turn]) -> None:
        """Append turns (creating the conversation), keeping the last `max_turns`."""
        current = self.history(channel_id) or []
        current.extend(turns)
        self._items[channel_id] = (self._clock(), current[-self.max_turns :])
        self._items.move_to_end(channel_id)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __contains__(self, channel_id: object) -> bool:
        return isinstance(channel_id, int) and self.history(channel_id) is not None
