"""What the Discord bot adds over the bare answer: `/ask` end to end next to `TalentQA.ask` alone.

Target (the performance issue): the bot adds at most 20 ms over the bare answer.

One real store, built once in a temp dir from the sample articles in `ingest/samples` with the real
embedder (default settings), and one real `TalentQA` over it. The bot is the real `TalentQABot`, with
discord.py unmodified, logged in to the local stand-in for Discord from `tests/bot/fake_discord.py` (real
REST routes and a gateway websocket on 127.0.0.1, served from its own thread and event loop). Cooldown 0,
questions asked one at a time, so no throttle or queue delays an ask. For each question, after a few
warm-up asks through both paths:

- **bare**: `service.ask(question)` called directly (on the main thread, the bot idle), wall time
  (`time.perf_counter`) around the call.
- **bot**: from the moment the stand-in sends the `/ask` INTERACTION_CREATE on the gateway websocket to the
  moment the follow-up carrying the answer's buttons (the last message of the answer; almost always the
  only one) reaches the stand-in's REST route, both stamped by the stand-in with `time.monotonic`. In
  between: the gateway dispatch into discord.py, command parsing, the defer callback (a localhost HTTP
  round trip the bot awaits before it starts answering), the hop to a worker thread (`Slots.run`,
  `asyncio.to_thread`), `TalentQA.ask` itself, the answer cache, formatting the embeds and buttons, and the
  follow-up POST.
- **answer**: `timings["total_ms"]` of the `Answer` that bot ask produced (read back from the bot's answer
  cache through the key in the buttons' custom ids): the time spent inside `TalentQA.ask`.

Two overheads: `bot - bare` (the bot path against a separate bare ask of the same question) and
`bot - answer` (against the same ask's own `total_ms`: exactly what the bot spends outside `TalentQA.ask`;
the more exact figure, and the one held to the target). Fairness: the service's caches (question
vectors, candidate-sentence vectors, article texts; as `query.py`'s `clear_caches`) are cleared before
every measured ask, so both paths do the same retrieval and embedding work, and the order alternates
(bare first for even questions, bot first for odd ones).

Not measured: real Discord's network latency. The stand-in runs on localhost, so what remains is the bot's
own processing plus two localhost HTTP round trips (the defer callback, the follow-up) and one websocket
hop. On real Discord each of those adds a network round trip (tens of ms or more), which no change to the
bot removes. The stand-in also shares this process (and the GIL) with the bot; its own request handling,
small next to the answer, is counted in the bot figures.

    .venv/bin/python benchmarks/bot.py [--limit N] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import REPO, console, environment, load_avg, percentile, table, warn_if_busy, write_json
from query import clear_caches

SAMPLES = REPO / "ingest" / "samples"
TARGET_MS = 20.0
QUESTIONS = (
    "Which area sent the most returning scientists back to China?",
    "Who carried out the study of scientists returning to China?",
    "In which journal did the study of returning scientists appear?",
    "How many returnees did the study count among the fund's grantees?",
    "What are the age limits of the National Outstanding Young Scientist Fund?",
    "Where did the returnees from Cambridge settle in China?",
    "Why did Chinese scientists choose to leave the United States?",
    "In what year did the China Initiative begin?",
    "Who is Feng Tao?",
    "Which university did Feng Tao sue for discrimination?",
    "What did Michael German say about the China Initiative?",
    "What did Yaqiu Wang argue in ChinaFile?",
    "How do Chinese researchers in the U.S. describe the mood?",
    "Where did Zizheng Pan work after his internship at Nvidia?",
    "From which universities does DeepSeek hire graduates and interns?",
    "What did the 2023 MacroPolo report find?",
    "Why do young Chinese AI engineers build their careers at home?",
    "Which Chinese AI companies compete for talent?",
    "What makes Chinese engineers hesitate to move to the United States?",
    "Where is the MacroPolo think tank based?",
    "Who won the football match last Sunday?",  # not in the samples: the abstaining path
)
WARMUP = (
    "What is DeepSeek?",
    "What was the China Initiative?",
    "Who funds young scientists in China?",
)
KEY = re.compile(r"tqa:[a-z]+:([0-9a-f]{12})")


def stats(values: Sequence[float]) -> dict[str, float]:
    return {
        "mean": sum(values) / len(values) if values else float("nan"),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "min": min(values, default=float("nan")),
        "max": max(values, default=float("nan")),
    }


def answer_key(body: Any) -> str | None:
    """The answer-cache key in the custom ids of a message's buttons."""
    for row in (body or {}).get("components") or []:
        for component in row.get("components") or []:
            found = KEY.match(str(component.get("custom_id", "")))
            if found:
                return found.group(1)
    return None


def ask_bare(service: Any, question: str) -> dict[str, Any]:
    clear_caches(service)
    started = time.perf_counter()
    answer = service.ask(question)
    wall = (time.perf_counter() - started) * 1000
    return {"bare_ms": wall, "bare_total_ms": answer.timings["total_ms"], "abstained": answer.abstained}


async def ask_bot(fake: Any, bot: Any, service: Any, question: str) -> dict[str, Any]:
    from tests.bot.fake_discord import for_interaction, is_callback, is_followup

    clear_caches(service)
    iid = fake.slash("ask", question=question)
    mine = for_interaction(iid)
    [last] = await fake.wait_for(
        lambda r: mine(r) and is_followup(r) and answer_key(r.body) is not None, timeout=120
    )
    sent = fake.dispatched_at[iid]
    [callback] = fake.find(lambda r: mine(r) and is_callback(r))
    followups = fake.find(lambda r: mine(r) and is_followup(r))
    key = answer_key(last.body)
    shown = bot.answers.get(key) if key else None
    total = shown.answer.timings.get("total_ms") if shown is not None else None
    bot_ms = (last.at - sent) * 1000
    ack_ms = (callback.at - sent) * 1000
    return {
        "bot_ms": bot_ms,
        "ack_ms": ack_ms,
        "first_followup_ms": (followups[0].at - sent) * 1000,
        "followups": len(followups),
        "answer_total_ms": total,
        "after_ack_outside_answer_ms": None if total is None else bot_ms - ack_ms - total,
        "bot_abstained": None if shown is None else shown.answer.abstained,
    }


async def measure(service: Any, settings: Any, asked: Sequence[str]) -> list[dict[str, Any]]:
    import discord
    import yarl
    from tests.bot.conftest import running_bot
    from tests.bot.fake_discord import FakeDiscord

    fake = FakeDiscord().start()
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    rows: list[dict[str, Any]] = []
    try:
        async with running_bot(fake, service, settings) as bot:
            for question in WARMUP:  # the model, keyword index, HTTP session and worker thread warm up
                ask_bare(service, question)
                await ask_bot(fake, bot, service, question)
            for i, question in enumerate(asked):
                row: dict[str, Any] = {"question": question, "bare_first": i % 2 == 0}
                if i % 2 == 0:
                    row.update(ask_bare(service, question))
                    row.update(await ask_bot(fake, bot, service, question))
                else:
                    row.update(await ask_bot(fake, bot, service, question))
                    row.update(ask_bare(service, question))
                row["overhead_ms"] = row["bot_ms"] - row["bare_ms"]
                total = row["answer_total_ms"]
                row["overhead_vs_answer_ms"] = None if total is None else row["bot_ms"] - total
                rows.append(row)
                console.print(
                    f"  [dim]{i + 1}/{len(asked)} bare {row['bare_ms']:.0f} ms, bot {row['bot_ms']:.0f} ms, "
                    f"outside the answer {_ms(row['overhead_vs_answer_ms'])}[/dim]"
                )
    finally:
        fake.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
    return rows


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=None, help="ask the first N questions (default: all)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))  # for tests.bot.fake_discord and tests.bot.conftest
    from talentqa.app import TalentQA
    from talentqa.settings import BotSettings, Settings

    env = environment()
    warn_if_busy()
    asked = list(QUESTIONS[: args.limit] if args.limit else QUESTIONS)
    with tempfile.TemporaryDirectory(prefix="talentqa-bench-bot-") as tmp:
        folder = Path(tmp)
        settings = Settings(
            store=folder / "vectorstore",
            chroma_url=None,
            cache_dir=folder / "cache",
            bot=BotSettings(
                feedback_db=folder / "feedback.sqlite3",
                audit_log=folder / "audit.jsonl",
                cooldown_seconds=0,
            ),
        )
        t = time.perf_counter()
        service = TalentQA.open(settings)
        try:
            report = service.ingest_sources([str(SAMPLES)])
            failed = report.count("failed")
            chunks = service.store.count_chunks()
            console.print(
                f"store: {service.store.count_documents()} sample articles, {chunks} chunks "
                f"({service.embedder.name}) in {time.perf_counter() - t:.1f} s"
                + (f", [red]{failed} failed[/red]" if failed else "")
            )
            console.print(
                f"{len(asked)} questions, each asked bare and through the bot ({len(WARMUP)} warm-ups)"
            )
            load_before = load_avg()
            rows = asyncio.run(measure(service, settings, asked))
        finally:
            service.close()

    def column(name: str) -> list[float]:
        return [float(row[name]) for row in rows if row.get(name) is not None]

    figures = {
        name: stats(column(name))
        for name in (
            "bare_ms",
            "bot_ms",
            "answer_total_ms",
            "overhead_ms",
            "overhead_vs_answer_ms",
            "ack_ms",
            "after_ack_outside_answer_ms",
        )
    }
    exact = figures["overhead_vs_answer_ms"]
    labels = {
        "bare_ms": "bare: TalentQA.ask (wall)",
        "bot_ms": "bot: /ask sent -> answer follow-up",
        "answer_total_ms": "  of which TalentQA.ask (total_ms)",
        "ack_ms": "  /ask sent -> defer callback",
        "after_ack_outside_answer_ms": "  after the callback, outside ask",
        "overhead_ms": "overhead: bot - bare",
        "overhead_vs_answer_ms": "overhead: bot - answer",
    }
    table_rows: list[list[Any]] = [
        [label, len(column(name)), *(figures[name][k] for k in ("mean", "p50", "p95", "p99", "max"))]
        for name, label in labels.items()
    ]
    table_rows.append(
        [
            f"target: bot - answer <= {TARGET_MS:.0f} ms",
            len(column("overhead_vs_answer_ms")),
            "-",
            "yes" if exact["p50"] <= TARGET_MS else "no",
            "yes" if exact["p95"] <= TARGET_MS else "no",
            "-",
            "-",
        ]
    )
    load_end = load_avg()
    console.print(
        table(
            "/ask through the bot next to the bare answer, ms (Discord stand-in on localhost)",
            ["", "n", "mean", "p50", "p95", "p99", "max"],
            table_rows,
            caption=f"{len(rows)} questions, caches cleared before each ask; "
            f"{sum(bool(r['abstained']) for r in rows)} abstained; "
            f"load {load_before[0]} -> {load_end[0]}",
        )
    )
    write_json(
        args.json,
        {
            "environment": env,
            "questions": len(rows),
            "store": {"samples": str(SAMPLES), "chunks": chunks, "failed": failed},
            "bare_ms": figures["bare_ms"],
            "bot_ms": figures["bot_ms"],
            "answer_total_ms": figures["answer_total_ms"],
            "overhead_ms": figures["overhead_ms"],
            "overhead_vs_answer_ms": exact,
            "ack_ms": figures["ack_ms"],
            "after_ack_outside_answer_ms": figures["after_ack_outside_answer_ms"],
            "target_ms": TARGET_MS,
            "target_met": {"p50": exact["p50"] <= TARGET_MS, "p95": exact["p95"] <= TARGET_MS},
            "rows": rows,
            "load_avg_before": load_before,
            "load_avg_at_end": load_end,
        },
        "bot.json",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
