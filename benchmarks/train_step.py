"""What a training step of the reader costs on this machine's CPU, and so how long the training script's
run takes here: the shipped recipe as trained on the GPU (the base model's 10% attention dropout, the
unfused AdamW update) against the CPU recipe (`--attention-dropout 0`, whose net came out at the shipped
seeds' quality, and the fused AdamW update that `--device cpu` uses), optionally with bfloat16 autocast.

The batches are the real ones: the training examples chosen as `python -m talentqa.reading.train` chooses
them (from `../shared/eval`), batched by length as it batches them; a fixed-seed sample of `--limit` of
them is run by every way in turn (one batch each, alternating, after a warm-up), so all ways see the same
batches under the same load. It prints seconds a step (p50 and mean) and projects the whole run's
training time (steps = batches x epochs), against the baseline's in the same run.

    .venv/bin/python benchmarks/train_step.py [--limit 24] [--bf16] [--json FILE]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path
from typing import Any

from _common import EVAL, console, environment, load_avg, table, write_json

WAYS = {
    "shipped recipe (attention dropout 0.1, unfused AdamW)": {"attention_dropout": 0.1, "fused_adamw": False},
    "CPU recipe (attention dropout 0, fused AdamW)": {"attention_dropout": 0.0, "fused_adamw": True},
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=24, help="Batches timed per way (after 2 of warm-up).")
    parser.add_argument("--bf16", action="store_true", help="Also the CPU recipe under bfloat16 autocast.")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if not (EVAL / "squad2_dev").exists():
        raise SystemExit(f"needs the training data's source, {EVAL} (set TALENTQA_EVAL_DIR)")

    from transformers import AutoTokenizer

    from talentqa.reading.model import encoder_path
    from talentqa.reading.train import (
        DATA_SEED,
        HYPER,
        _autocast,
        _batches,
        _features,
        _torch_modules,
        load_data,
        make_optimiser,
        train_step,
    )

    load_before = load_avg()
    torch, ReaderNet = _torch_modules()
    torch.set_num_threads(HYPER["threads"])
    where = torch.device("cpu")
    started = time.perf_counter()
    data = load_data(None, EVAL, DATA_SEED)
    grouped = _batches(data.train, int(HYPER["batch_size"]))
    steps = len(grouped) * int(HYPER["epochs"])
    tokenizer = AutoTokenizer.from_pretrained(str(encoder_path()), local_files_only=True)
    sample = random.Random(0).sample(grouped, min(len(grouped), args.limit + 2))
    batches = [_features(tokenizer, b, HYPER) for b in sample]
    console.print(
        f"{len(data.train):,} examples in {len(grouped)} batches, {steps:,} steps; "
        f"data ready in {time.perf_counter() - started:.0f} s; timing {len(batches) - 2} batches per way"
    )

    ways: dict[str, dict[str, Any]] = {name: dict(v) for name, v in WAYS.items()}
    if args.bf16:
        ways["CPU recipe under bfloat16 autocast"] = {
            "attention_dropout": 0.0,
            "fused_adamw": True,
            "bf16": 1,
        }
    runners: dict[str, tuple[Any, Any, Any, dict[str, Any]]] = {}
    for name, way in ways.items():
        torch.manual_seed(HYPER["seed"])
        hyper = {**HYPER, "attention_dropout": way["attention_dropout"], "fused_adamw": way["fused_adamw"]}
        net = ReaderNet(encoder_path(), hyper["attention_dropout"]).to(where)
        net.train()
        optimiser, _ = make_optimiser(torch, net, hyper, steps, where)
        autocast = _autocast(torch, where, "bf16" if way.get("bf16") else "fp32")
        runners[name] = (net, optimiser, autocast, hyper)

    seconds: dict[str, list[float]] = {name: [] for name in ways}
    for i, batch in enumerate(batches):
        for name, (net, optimiser, autocast, hyper) in runners.items():
            tick = time.perf_counter()
            train_step(torch, net, optimiser, batch, hyper, where, autocast)
            if i >= 2:  # the first steps allocate and warm the kernels
                seconds[name].append(time.perf_counter() - tick)

    base = statistics.mean(next(iter(seconds.values())))
    rows, record = [], {}
    for name, times in seconds.items():
        mean = statistics.mean(times)
        minutes = steps * mean / 60
        rows.append(
            [name, f"{statistics.median(times):.3f}", f"{mean:.3f}", f"{minutes:.0f}", f"{base / mean:.2f}x"]
        )
        record[name] = {"p50_s": statistics.median(times), "mean_s": mean, "projected_minutes": minutes}
    console.print(
        table(
            f"A training step on {HYPER['threads']} CPU threads (batch {HYPER['batch_size']}, real batches)",
            ["way", "s a step p50", "mean", f"{steps:,} steps, min", "speed vs shipped recipe"],
            rows,
        )
    )
    load_after = load_avg()
    console.print(f"load average (1, 5, 15 min) before / after: {load_before} / {load_after}")
    write_json(
        Path(args.json) if args.json else None,
        {
            "environment": environment(),
            "steps": steps,
            "batches_timed": len(batches) - 2,
            "ways": record,
            "load": [load_before, load_after],
        },
        "train_step.json",
    )


if __name__ == "__main__":
    main()
