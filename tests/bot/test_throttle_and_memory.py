"""Off-loop execution, the concurrency bound, cooldowns, and the bot's bounded memories."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from talentqa.bot.client import TalentQABot, bot_intents
from talentqa.bot.memory import AnswerCache, Conversations
from talentqa.bot.throttle import Cooldown, Slots
from talentqa.feedback import FeedbackStore
from talentqa.models import Answer
from talentqa.service import Turn

from .conftest import FakeQAService, eventually, make_settings

T = TypeVar("T")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def loop_lag_during(make: Callable[[], Awaitable[T]], period: float = 0.01) -> tuple[T, float]:
    """Run a coroutine while a ticker measures the worst delay of the event loop."""
    worst = 0.0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(period)
            worst = max(worst, time.perf_counter() - before - period)

    tick = asyncio.create_task(ticker())
    try:
        result = await make()
    finally:
        stop.set()
        await tick
    return result, worst


@pytest.mark.asyncio
async def test_blocking_calls_run_in_worker_threads_at_most_n_at_once_and_the_loop_stays_free() -> None:
    slots = Slots(3)
    threads: list[str] = []

    def blocking(i: int) -> int:
        threads.append(threading.current_thread().name)
        time.sleep(0.1)
        return i

    async def run_all() -> list[int]:
        return await asyncio.gather(*(slots.run(functools.partial(blocking, i)) for i in range(9)))

    results, lag = await loop_lag_during(run_all)
    assert results == list(range(9))
    assert slots.peak == 3 and slots.active == 0
    assert threading.main_thread().name not in threads
    assert lag < 0.08  # 9 x 0.1 s of blocking work, yet the loop never stalled


@pytest.mark.asyncio
async def test_a_timed_out_call_keeps_its_slot_until_its_thread_really_ends() -> None:
    slots = Slots(1)
    release = threading.Event()
    with pytest.raises(TimeoutError):
        await slots.run(lambda: release.wait(5), timeout=0.05)
    assert slots.active == 1  # the thread is still running: the bound still counts it
    release.set()
    await eventually(lambda: slots.active == 0, what="the slot to be freed when its thread ends")
    assert await slots.run(lambda: 7, timeout=1) == 7


@pytest.mark.asyncio
async def test_bot_ask_runs_the_service_off_the_loop_with_its_timeout(tmp_path: Path) -> None:
    service = FakeQAService(delay=0.05, hang_seconds=1.0)
    settings = make_settings(tmp_path, answer_timeout=0.3)
    bot = TalentQABot(service, settings, FeedbackStore(settings.bot.feedback_db))
    answer = await bot.ask("council?", history=[Turn(role="user", content="hi")], since=None)
    assert isinstance(answer, Answer) and answer.citations
    assert service.calls[0].thread != threading.current_thread().name
    assert service.calls[0].history == [Turn(role="user", content="hi")]
    with pytest.raises(TimeoutError):
        await bot.ask("please hang")
    await bot.close()


def test_message_content_intent_is_requested_only_in_mention_mode() -> None:
    assert bot_intents(True).message_content and bot_intents(True).guild_messages
    off = bot_intents(False)
    assert not off.message_content and not off.guild_messages and not off.dm_messages
    assert off.guilds


def test_cooldown_is_per_user_and_says_how_long_to_wait() -> None:
    clock = FakeClock()
    cooldown = Cooldown(5.0, clock=clock)
    assert cooldown.hit(1) == 0.0
    clock.now += 2
    assert cooldown.hit(1) == pytest.approx(3.0)
    assert cooldown.hit(2) == 0.0
    clock.now += 3
    assert cooldown.hit(1) == 0.0
    assert Cooldown(0, clock=clock).hit(1) == 0.0


def test_answer_cache_forgets_the_least_recently_used_answer() -> None:
    cache = AnswerCache(capacity=2)
    a, b = Answer(question="a", text="a"), Answer(question="b", text="b")
    ka = cache.put(a)
    kb = cache.put(b)
    assert cache.get(ka) is not None  # a is now the most recent
    kc = cache.put(Answer(question="c", text="c"))
    assert cache.get(kb) is None and cache.get(ka) is not None and cache.get(kc) is not None
    assert len(ka) == 12 and int(ka, 16) >= 0


def test_conversations_keep_the_last_turns_and_forget_idle_ones() -> None:
    clock = FakeClock()
    conversations = Conversations(max_turns=4, capacity=2, idle_seconds=60, clock=clock)
    assert conversations.history(1) is None
    conversations.extend(1, [Turn(role="user", content=str(i)) for i in range(6)])
    assert [t.content for t in conversations.history(1) or []] == ["2", "3", "4", "5"]
    assert 1 in conversations
    clock.now += 61
    assert conversations.history(1) is None
    conversations.extend(2, [])
    conversations.extend(3, [])
    conversations.extend(4, [])
    assert 2 not in conversations and 3 in conversations and 4 in conversations
