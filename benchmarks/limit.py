"""The hardware limit for embedding throughput on this machine.

measured fp32 matmul rate (GFLOP/s, torch.matmul on large square matrices, the thread count torch uses)
  / FLOPs of one chunk (from the model config: layers, hidden and intermediate sizes, the chunk's tokens,
    attention included)
= the most chunks per second any fp32 implementation could embed. The ingest tables show their throughput as
  a share of it. The figure is cached in ~/.cache/talentqa-bench/limit.json for the other benchmarks.

    .venv/bin/python benchmarks/limit.py [--limit N] [--json FILE] [--threads T] [--seconds S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from _common import (
    NEWS,
    Limit,
    ModelShape,
    console,
    environment,
    load_avg,
    measure_matmul_gflops,
    read_jsonl,
    save_limit,
    table,
    token_lengths,
    warn_if_busy,
    write_json,
)


def news_chunk_lengths(limit: int | None) -> list[int]:
    """Token lengths of talentqa's chunks of the news corpus (what ingest embeds)."""
    from talentqa.ingest.chunking import chunk_article
    from talentqa.ingest.loaders import make_article
    from talentqa.settings import ChunkSettings

    settings = ChunkSettings()
    texts: list[str] = []
    for record in read_jsonl(NEWS, limit):
        article = make_article(
            doc_id=str(record["id"]), text=record["text"], source="bench", title=record["title"]
        )
        texts.extend(chunk.text for chunk in chunk_article(article, settings))
    return token_lengths(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=None, help="use the first N news documents for lengths")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds of matmuls per measurement")
    parser.add_argument("--size", type=int, default=2048, help="matrix side")
    parser.add_argument("--no-save", action="store_true", help="do not update the cached limit")
    args = parser.parse_args(argv)

    warn_if_busy()
    env = environment()
    load_before = load_avg()
    fp32 = measure_matmul_gflops(args.threads, args.size, args.seconds)
    others = [measure_matmul_gflops(args.threads, args.size, args.seconds / 2, dtype="bfloat16")]
    load_after = load_avg()

    shape = ModelShape.load()
    lengths = news_chunk_lengths(args.limit)
    mean_len = sum(lengths) / len(lengths)
    limit = Limit(
        gflops=fp32["best_gflops"],
        threads=fp32["threads"],
        matmul_size=fp32["size"],
        measured_at=dt.datetime.now().isoformat(timespec="seconds"),
        load_avg=max(load_before[0], load_after[0]),
    )
    if not args.no_save:
        save_limit(limit)

    console.print(
        table(
            "matmul rate (torch.matmul, square matrices)",
            ["dtype", "size", "threads", "best GFLOP/s", "median GFLOP/s"],
            [
                [m["dtype"], m["size"], m["threads"], m["best_gflops"], m["median_gflops"]]
                for m in [fp32, *others]
            ],
            caption=f"load average {load_before[0]} before, {load_after[0]} after",
        )
    )
    per_token_mean = shape.flops_per_token(round(mean_len))
    rows = []
    for n in (32, 64, 128, round(mean_len), shape.max_seq_length):
        rows.append(
            [
                f"{n} tokens" + (" (mean news chunk)" if n == round(mean_len) else ""),
                shape.flops_per_token(n) / 1e6,
                shape.flops_per_sequence(n) / 1e9,
                limit.gflops * 1e9 / shape.flops_per_sequence(n),
            ]
        )
    console.print(
        table(
            f"model: {shape.layers} layers, hidden {shape.hidden}, intermediate {shape.intermediate}",
            ["sequence", "MFLOP/token", "GFLOP/sequence", "limit sequences/s (fp32)"],
            rows,
        )
    )
    limit_chunks = limit.chunks_per_second(lengths, shape)
    console.print(
        f"news chunks: {len(lengths):,}, mean {mean_len:.1f} tokens -> fp32 limit "
        f"[bold]{limit_chunks:.1f} chunks/s[/bold] ({limit.tokens_per_second(lengths, shape):,.0f} tokens/s) "
        f"at {limit.gflops:.0f} GFLOP/s"
    )
    write_json(
        args.json,
        {
            "environment": env,
            "load_avg_after": load_after,
            "matmul": [fp32, *others],
            "model": {
                "layers": shape.layers,
                "hidden": shape.hidden,
                "intermediate": shape.intermediate,
                "max_seq_length": shape.max_seq_length,
                "flops_per_token_at_mean_chunk": per_token_mean,
            },
            "chunks": {"count": len(lengths), "mean_tokens": mean_len},
            "limit": {
                "gflops": limit.gflops,
                "chunks_per_s": limit_chunks,
                "tokens_per_s": limit.tokens_per_second(lengths, shape),
            },
        },
        "limit.json",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
