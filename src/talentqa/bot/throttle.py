"""Keeping the bot responsive: blocking work off the event loop, bounded, and per-user cooldowns.

The gateway heartbeat is sent from the event loop, so a retrieval that ran on the loop would stall
it; `Slots.run` runs each call in a worker thread (`asyncio.to_thread`) with at most N in flight.
A call's timeout is also its thread's deadline (`talentqa.deadline`): every HTTP request the thread
makes (an LLM endpoint dripping a byte at a time included) ends by then, so a call that timed out
for its user also ends, and frees its slot, instead of holding it for as long as a server likes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from talentqa.deadline import deadline_after

T = TypeVar("T")


class Slots:
    """Runs blocking calls in worker threads, at most `size` at once, callers queueing for a slot."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._semaphore = asyncio.Semaphore(size)
        self.active = 0
        self.peak = 0

    async def run(self, fn: Callable[[], T], *, timeout: float | None = None) -> T:
        """`fn()` in a thread; raises TimeoutError after `timeout` seconds, waiting for a slot included.

        A call that times out keeps its slot until its thread really ends, so the bound holds even
        when callers give up; the thread runs under a deadline at the same moment, so its requests
        end then too.
        """
        # Set before the task and the thread start: both copy the context, deadline included.
        with deadline_after(timeout):
            return await asyncio.wait_for(self._limited(fn), timeout)

    async def _limited(self, fn: Callable[[], T]) -> T:
        await self._semaphore.acquire()
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            task = asyncio.ensure_future(asyncio.to_thread(fn))
        except BaseException:
            self._release(None)
            raise
        task.add_done_callback(self._release)
        return await asyncio.shield(task)

    def _release(self, task: asyncio.Future[T] | None) -> None:
        self.active -= 1
        self._semaphore.release()
        if task is not None and not task.cancelled():
            # Marks the outcome as seen when the waiter gave up, so asyncio does not warn about it.
            task.exception()


class Cooldown:
    """Per-user pause between questions."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: dict[int, float] = {}

    def hit(self, user_id: int) -> float:
        """0.0 when `user_id` may ask now (their pause starts), else the seconds left to wait."""
        if self.seconds <= 0:
            return 0.0
        now = self._clock()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        self._last[user_id] = now
        if len(self._last) > 10_000:
            self._last = {u: t for u, t in self._last.items() if now - t < self.seconds}
        return 0.0
