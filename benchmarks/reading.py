"""The reading stage alone: the trained reader over the passages that real questions retrieve. Three ways,
interleaved so that all run under the same load: the baseline (k passages, one inference batch padded to
the longest window, as before the keyword slot), the keyword slot with one padded batch, and the keyword
slot with length batches (`length_batches`; the shipped default).

The passages come from the cached 10k-chunk store of `query.py` (built if missing): each question is asked
through `TalentQA.read`, which retrieves as `ask` does and reads; the reader's inputs (question, passages,
headers) are recorded, with the keyword slot off and on, and then replayed `--repeats` times per way,
alternating. It prints the reading time per question (p50 / p95 / p99, ms; each question's median over the
replays), the padded token positions read, and checks that batching changes no span or probability.

    .venv/bin/python benchmarks/reading.py [--limit 150] [--repeats 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import console, environment, load_avg, percentile, table, write_json
from query import build_store, one_batch, questions

Call = tuple[str, list[str], list[str] | None]


def record_calls(folder: Path, asked: Sequence[str], keyword_slot: bool) -> list[Call]:
    """What the reader is given for each question: question, passage texts, headers."""
    from talentqa.answer import reading as answer_reading
    from talentqa.app import TalentQA
    from talentqa.settings import EmbeddingSettings, RetrievalSettings, Settings

    calls: list[Call] = []
    real = answer_reading.shared_reader()

    class Recorder:
        def read(self, question: str, passages: Sequence[str], headers: Sequence[str] | None = None) -> Any:
            calls.append((question, list(passages), list(headers) if headers is not None else None))
            return real.read(question, passages, headers)

    settings = Settings(
        store=folder,
        embedding=EmbeddingSettings(backend="torch"),
        retrieval=RetrievalSettings(keyword_slot=keyword_slot),
    )
    with TalentQA.open(settings) as qa:
        qa.extractive._reader = Recorder  # type: ignore[assignment]
        for question in asked:
            qa.read(question)
    return calls


def positions(reader: Any, call: Call, batching: Any) -> int:
    """Padded token positions read for one call under `batching`."""
    from talentqa.reading.model import padded

    question, passages, headers = call
    heads = headers or [""] * len(passages)
    lengths = [
        len(w.ids)
        for e in reader.tokenizer.encode_batch(
            [(question, h + p) for h, p in zip(heads, passages, strict=True)]
        )
        for w in [e, *e.overflowing]
    ]
    groups = batching(lengths)
    return sum(len(g) * padded(max(lengths[i] for i in g)) for g in groups)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=150, help="questions (default 150)")
    parser.add_argument("--repeats", type=int, default=3, help="replays per way of batching (default 3)")
    parser.add_argument("--pool-docs", type=int, default=200, help="the 10k store's sentence pool (query.py)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)

    from talentqa.answer.reading import shared_reader
    from talentqa.reading import model as reader_model

    spec = build_store(10_000, "torch", args.pool_docs)
    asked = questions(args.limit)
    console.print(f"recording the reader's inputs for {len(asked)} questions ...")
    recorded = {slot: record_calls(Path(spec["folder"]), asked, keyword_slot=slot) for slot in (False, True)}
    reader = shared_reader()

    ways = {
        "k passages, one padded batch (baseline)": (recorded[False], one_batch),
        "keyword slot, one padded batch": (recorded[True], one_batch),
        "keyword slot, length batches (default)": (recorded[True], reader_model.length_batches),
    }
    original = reader_model.length_batches
    times: dict[str, list[list[float]]] = {name: [] for name in ways}
    outputs: dict[str, list[Any]] = {}
    before = load_avg()
    try:
        for _ in range(args.repeats):
            for name, (calls, batching) in ways.items():
                reader_model.length_batches = batching
                reader.read(*calls[0])  # warm
                run: list[float] = []
                found = []
                for call in calls:
                    t = time.perf_counter()
                    found.append(reader.read(*call))
                    run.append((time.perf_counter() - t) * 1000)
                times[name].append(run)
                outputs[name] = found
    finally:
        reader_model.length_batches = original
    one, batched = (outputs[name] for name in list(ways)[1:])
    same = all(
        (a.start, a.end) == (b.start, b.end) and abs(a.probability - b.probability) < 1e-3
        for x, y in zip(one, batched, strict=True)
        for a, b in zip(x, y, strict=True)
    )
    figures: dict[str, Any] = {"questions": len(asked), "repeats": args.repeats, "same_outputs": same}
    rows = []
    for name, (calls, batching) in ways.items():
        per_question = np.median(np.array(times[name]), axis=0).tolist()  # each question's median replay
        read = [positions(reader, call, batching) for call in calls]
        figures[name] = {
            "p50_ms": percentile(per_question, 50),
            "p95_ms": percentile(per_question, 95),
            "p99_ms": percentile(per_question, 99),
            "mean_ms": float(np.mean(per_question)),
            "positions_mean": float(np.mean(read)),
        }
        figures[name]["passages_mean"] = float(np.mean([len(c[1]) for c in calls]))
        f = figures[name]
        rows.append(
            [
                name,
                f["passages_mean"],
                f["mean_ms"],
                f["p50_ms"],
                f["p95_ms"],
                f["p99_ms"],
                f["positions_mean"],
            ]
        )
    figures["load_avg"] = [before[0], load_avg()[0]]
    console.print(
        table(
            "reading stage per question, ms (median of the replays)",
            ["way", "passages", "mean", "p50", "p95", "p99", "token positions"],
            rows,
            caption=f"{len(asked)} questions; same outputs either batching: {'yes' if same else 'NO'}; "
            f"load {before[0]} -> {load_avg()[0]}",
        )
    )
    figures["environment"] = environment()
    write_json(args.json, figures, "reading.json")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
