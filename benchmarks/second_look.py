"""What the second look costs: the reader alone against the reader with its second look
(`talentqa.reading.second_look`: the window around each passage's span read again, by the window reader
as shipped, and by the reader itself as before the window reader), over the passages
that real questions retrieve. The two are replayed alternately on the same recorded inputs, so both run
under the same load; the plain reader is the baseline.

The passages come from the cached 10k-chunk store of `query.py` (built if missing), recorded as
`reading.py` records them (keyword slot on, as shipped). It prints the reading time per question (p50 /
p95 / p99, ms; each question's median over the replays) and the difference, which is what the second look
adds to `query.py`'s answer latency at any store size (retrieval does not change).

    .venv/bin/python benchmarks/second_look.py [--limit 150] [--repeats 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import console, environment, load_avg, percentile, table, write_json
from query import build_store, questions

from reading import record_calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=150, help="questions (default 150)")
    parser.add_argument("--repeats", type=int, default=3, help="replays per way (default 3)")
    parser.add_argument("--pool-docs", type=int, default=200, help="the 10k store's sentence pool (query.py)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)

    from talentqa.answer.reading import shared_own_second_look, shared_reader, shared_second_look

    spec = build_store(10_000, "torch", args.pool_docs)
    asked = questions(args.limit)
    console.print(f"recording the reader's inputs for {len(asked)} questions ...")
    calls = record_calls(Path(spec["folder"]), asked, keyword_slot=True)
    ways: dict[str, Any] = {
        "reader alone (baseline)": shared_reader(),
        "with the second look (default)": shared_second_look(),
        "second look by the reader itself (window_reader off)": shared_own_second_look(),
    }
    times: dict[str, list[list[float]]] = {name: [] for name in ways}
    before = load_avg()
    for _ in range(args.repeats):
        for name, reader in ways.items():
            reader.read(*calls[0])  # warm
            run: list[float] = []
            for call in calls:
                t = time.perf_counter()
                reader.read(*call)
                run.append((time.perf_counter() - t) * 1000)
            times[name].append(run)
    figures: dict[str, Any] = {"questions": len(calls), "repeats": args.repeats}
    rows = []
    medians = {name: np.median(np.array(runs), axis=0) for name, runs in times.items()}
    for name, per_question in medians.items():
        figures[name] = {q: percentile(per_question.tolist(), q) for q in (50, 95, 99)}
        figures[name]["mean"] = float(np.mean(per_question))
        rows.append([name, *(figures[name][q] for q in (50, 95, 99)), figures[name]["mean"]])
    added = medians["with the second look (default)"] - medians["reader alone (baseline)"]
    figures["added"] = {q: percentile(added.tolist(), q) for q in (50, 95, 99)}
    rows.append(
        ["added by the second look", *(figures["added"][q] for q in (50, 95, 99)), float(np.mean(added))]
    )
    figures["load_avg"] = {"before": before, "after": load_avg()}
    figures["environment"] = environment()
    console.print(table("Reading a question's passages (ms)", ["way", "p50", "p95", "p99", "mean"], rows))
    write_json(args.json, figures, "second_look.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
