"""Where embedding time goes, against the hardware limit: the profile behind the 80% and 2x targets.

For each backend (fp32 `torch` and `int8` by default) it embeds talentqa's own chunks of the first news
articles with the model alone, exactly as ingest calls it (same batch size), under `torch.profiler`, and
prints:

- the share of time of each operator (matrix multiplications, attention, GELU, layer norms, copies, ...);
- the rate each of the two FLOP-carrying parts reaches: the linear layers (fp32 `addmm` or int8
  `quantized::linear_dynamic`) and the fused attention kernel, in GFLOP/s (int8: GOP/s) and as a share of
  the measured fp32 matmul rate (`benchmarks/limit.py`, the baseline of the same run);
- throughput as a share of the hardware limit, and the **bound**: the share the model would reach if
  everything but those two parts took no time at all. When the bound is under a target, no amount of
  pipeline work reaches the target: only faster matmul or attention kernels would.

FLOPs come from the shapes the profiler records (padding included, as the kernels do that work); the
share of the limit counts only the real tokens, as `ingest.py` does. The profiler adds a little overhead,
so throughput here is a few percent under `ingest.py`'s.

    .venv/bin/python benchmarks/profile_embed.py [--limit 96] [--backends torch,int8]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from _common import (
    MODEL_NAME,
    ModelShape,
    console,
    environment,
    get_limit,
    load_avg,
    table,
    token_lengths,
    warn_if_busy,
    write_json,
)
from recall import news_chunks

LINEAR_OPS = ("aten::addmm", "quantized::linear_dynamic")
COLUMNS = [
    "backend",
    "chunks/s",
    "of limit",
    "bound",
    "linear GFLOP/s",
    "of matmul",
    "attn GFLOP/s",
    "of matmul",
]
ATTENTION_MARK = "scaled_dot_product"


def profile_backend(backend: str, texts: list[str], batch_size: int, shape: ModelShape) -> dict[str, Any]:
    from sentence_transformers import SentenceTransformer
    from torch.profiler import ProfilerActivity, profile

    from talentqa.embeddings import resolve_model_path
    from talentqa.embeddings.int8 import prepare

    model = SentenceTransformer(str(resolve_model_path(MODEL_NAME)), device="cpu", local_files_only=True)
    prepare(model, backend)
    model.encode(texts[:8], batch_size=batch_size)
    started = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        model.encode(texts, batch_size=batch_size, normalize_embeddings=True)
    wall = time.perf_counter() - started

    per_op: dict[str, float] = {}
    attention_flops = 0.0
    padded_tokens_per_layer = 0
    for event in prof.key_averages(group_by_input_shape=True):
        seconds = event.self_cpu_time_total / 1e6
        per_op[event.key] = per_op.get(event.key, 0.0) + seconds
        if "flash_attention" in event.key and event.input_shapes and len(event.input_shapes[0]) == 4:
            batch, heads, length, head_dim = event.input_shapes[0]
            attention_flops += 4.0 * batch * heads * length * length * head_dim * event.count
            padded_tokens_per_layer += batch * length * event.count
    h, i = shape.hidden, shape.intermediate
    tokens = padded_tokens_per_layer / shape.layers
    linear_flops = (8 * h * h + 4 * h * i) * shape.layers * tokens
    profiled = sum(per_op.values())
    linear_s = sum(per_op.get(name, 0.0) for name in LINEAR_OPS)
    attention_s = sum(s for name, s in per_op.items() if ATTENTION_MARK in name or "flash_attention" in name)
    return {
        "backend": backend,
        "chunks": len(texts),
        "wall_seconds": wall,
        "chunks_per_second": len(texts) / wall,
        "profiled_seconds": profiled,
        "share": {name: s / profiled for name, s in sorted(per_op.items(), key=lambda kv: -kv[1])[:12]},
        "linear_seconds": linear_s,
        "attention_seconds": attention_s,
        "linear_gflops": linear_flops / linear_s / 1e9 if linear_s else None,
        "attention_gflops": attention_flops / attention_s / 1e9 if attention_s else None,
        "padded_tokens": tokens,
        "linear_flops": linear_flops,
        "attention_flops": attention_flops,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=96, help="embed the first N chunks of the news")
    parser.add_argument("--backends", default="torch,int8", help="comma-separated: torch, int8, bf16")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    from talentqa.settings import EmbeddingSettings

    warn_if_busy()
    env = environment()
    limit = get_limit()
    shape = ModelShape.load()
    texts = news_chunks(args.limit)
    lengths = token_lengths(texts)
    limit_chunks = limit.chunks_per_second(lengths, shape)
    real_flops = sum(shape.flops_per_sequence(n) for n in lengths)
    batch_size = EmbeddingSettings().batch_size
    console.print(
        f"{len(texts)} chunks ({sum(lengths) / len(lengths):.0f} tokens on average), batch {batch_size}; "
        f"fp32 matmul rate {limit.gflops:.0f} GFLOP/s ({limit.source}) -> limit {limit_chunks:.1f} chunks/s"
    )
    runs = []
    for backend in args.backends.split(","):
        console.print(f"[bold]{backend}[/bold] ...")
        run = profile_backend(backend.strip(), texts, batch_size, shape)
        run["share_of_limit"] = run["chunks_per_second"] / limit_chunks
        # Everything but the linear layers and attention at zero cost, over the real (unpadded) work:
        run["bound_share_of_limit"] = (
            real_flops / (run["linear_seconds"] + run["attention_seconds"]) / (limit.gflops * 1e9)
        )
        runs.append(run)

    console.print(
        table(
            "embedding against the hardware limit (profiled encode)",
            COLUMNS,
            [
                (
                    r["backend"],
                    r["chunks_per_second"],
                    f"{100 * r['share_of_limit']:.0f}%",
                    f"{100 * r['bound_share_of_limit']:.0f}%",
                    r["linear_gflops"],
                    f"{100 * r['linear_gflops'] / limit.gflops:.0f}%" if r["linear_gflops"] else "-",
                    r["attention_gflops"],
                    f"{100 * r['attention_gflops'] / limit.gflops:.0f}%" if r["attention_gflops"] else "-",
                )
                for r in runs
            ],
            caption="bound: the share of the limit if all other operators took no time; "
            "int8 linear rates are int8 operations/s",
        )
    )
    names = list(dict.fromkeys(name for r in runs for name in list(r["share"])[:8]))
    console.print(
        table(
            "share of profiled time per operator",
            ["operator", *[r["backend"] for r in runs]],
            [(name, *[f"{100 * r['share'].get(name, 0.0):.1f}%" for r in runs]) for name in names],
        )
    )
    if len(runs) > 1 and runs[0]["backend"] == "torch":
        base = runs[0]["chunks_per_second"]
        for r in runs[1:]:
            console.print(f"{r['backend']} / torch: {r['chunks_per_second'] / base:.2f}x chunks/s")
    write_json(
        args.json,
        {
            "environment": env,
            "limit": {"gflops": limit.gflops, "chunks_per_second": limit_chunks, "source": limit.source},
            "batch_size": batch_size,
            "mean_tokens": sum(lengths) / len(lengths),
            "runs": runs,
            "load_avg_at_end": load_avg(),
        },
        "profile_embed.json",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
