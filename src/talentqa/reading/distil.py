"""Distil several readers into one: train `--teachers` readers of the shipped recipe (seeds 0, 1, ...),
average their logits, and train a student of the same size on the same examples against both the labels
and the teachers' average (`train.train_step`'s `soft`).

    python -m talentqa.reading.distil --examples examples.json.gz --teachers 4 \\
        --grid "soft_weight=0.5,0.8;temperature=2" --work .cache/reader-distil

Why: two seeds of one recipe differ by up to 0.04 in unanswerable questions rejected on the held-out
articles (the card's grid), so each reader is one draw of a noisy process; their average is a better
reader that costs several times as much to run. A student taught by the average keeps one reader's cost.
The teachers' average, every teacher and every student are measured on the held-out articles (before
int8 export) and written to `runs.json` in `train.py`'s layout, the student with the best
`selection_score` selected, so `python -m talentqa.reading.train --export-only --work ...` exports it.
Needs torch and transformers; meant for a GPU (one run: 50-60 s on an H200, 36 minutes on 2 cores
with `--grid attention_dropout=0`).

Measured once, on the CPU, with `--shipped-teacher` (docs/measured.md, "A second look at the answer's
window"): the student matched the shipped reader on the held-out articles (AUC 0.736 against 0.732,
rejected at 15% withheld 0.427 against 0.437, span F1 0.666 against 0.654) and abstained on more SQuAD 2.0
test questions,
but withheld more RealTimeQA answers: not shipped. The average of the two (`--int8-teacher` twice)
on the same held-out articles: AUC 0.739, rejected 0.443, F1 0.674; a student of that average, before
export: 0.733, 0.423, 0.672. With four trained teachers on a GPU (`--teachers 4`, 6 minutes on one H200)
the student (soft_weight 0.5) is the shipped reader v4: AUC 0.739, rejected 0.451, F1 0.680 after export
(v3: 0.732, 0.437, 0.654); the model card lists the teachers and their average.

`--judge-from` teaches from the accurate reader's LLM judge too (`talentqa.reading.judge_labels`). Tried
once on the CPU, a student of v4 without the 170 rule-made near-misses the judge read as answered: about
v4 on the held-out articles (AUC 0.739, rejected 0.449, F1 0.670), better SQuAD 2.0 test quotes, fewer
RealTimeQA abstentions: not shipped. With all 11,235 examples judged and `judge_weight=0.5`: below v4 on
the held-out articles (AUC 0.733, rejected 0.413, F1 0.669) and on RealTimeQA: not shipped either
(docs/measured.md, "The reading model, measured").

`--news eval/reader-news` adds news questions written for training (`talentqa.reading.news_data`), taught by
their labels alone. Tried once with `--shipped-teacher`: far better on the held-out written file, no better
on our other rounds and less sure of news passages in general: not shipped (docs/measured.md, "News
questions written for training the reader"). `--wiki eval/reader-wiki` adds SQuAD-style questions written on
the training articles' paragraphs (`talentqa.reading.wiki_data`), likewise: tried once, better separation on
our rounds and SQuAD, more RealTimeQA answers withheld: not shipped.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from talentqa.reading.data import ReaderExample
from talentqa.reading.judge_labels import (
    ANSWERED_AT,
    example_key,
    read_judgements,
    without_answered_near_misses,
)
from talentqa.reading.train import (
    HYPER,
    _batches,
    _count_kinds,
    _device,
    _read_with_net,
    _torch_modules,
    data_from_args,
    examples_parser,
    grid_runs,
    holdout_metrics,
    selection_score,
    tokenised,
    train,
)

DISTIL = {"soft_weight": 0.5, "temperature": 2.0}
# With --judge-from: the share of a judged example's answerability target that is the judge's log-odds
# (the rest the teachers'); clipped so a judge's 0.999 does not become a target of log-odds 7.
JUDGE = {"judge_weight": 0.0}
JUDGE_CLIP = 0.02


def with_judgements(
    soft: list[dict[str, Any]], batches: list[list[ReaderExample]], judged: dict[str, float], weight: float
) -> tuple[list[dict[str, Any]], int]:
    """The teachers' targets with each judged example's answerability log-odds moved `weight` of the way
    to the judge's (`talentqa.reading.judge_labels`); returns them and how many examples were judged."""
    mixed, count = [], 0
    for targets, members in zip(soft, batches, strict=True):
        answerable = np.array(targets["answerable"], dtype=np.float32)
        for row, example in enumerate(members):
            p_yes = judged.get(example_key(example))
            if p_yes is None:
                continue
            p = min(max(p_yes, JUDGE_CLIP), 1 - JUDGE_CLIP)
            answerable[row] = (1 - weight) * answerable[row] + weight * float(np.log(p / (1 - p)))
            count += 1
        mixed.append({**targets, "answerable": answerable})
    return mixed, count


def _load(torch: Any, reader_net: Any, folder: Path, base: Path | None, where: Any) -> Any:
    from talentqa.reading.model import encoder_path

    net = reader_net(base or encoder_path())
    net.load_state_dict(torch.load(folder / "reader.pt", map_location="cpu"))
    return net.to(where).eval()


def _ensemble(torch: Any, nets: list[Any]) -> Any:
    class Ensemble(torch.nn.Module):  # type: ignore[misc]
        """The teachers as one net: each output the mean of theirs (logits, so log-odds are averaged)."""

        def __init__(self) -> None:
            super().__init__()
            self.members = torch.nn.ModuleList(nets)

        def forward(self, *inputs: Any) -> tuple[Any, Any, Any]:
            outs = [m(*inputs) for m in self.members]
            return tuple(torch.stack(parts).mean(0) for parts in zip(*outs, strict=True))

    return Ensemble().eval()


def _shipped(torch: Any, folders: list[Path] | None = None) -> Any:
    """The shipped int8 reader (or the int8 readers in `folders`, their logits averaged) as a teacher:
    the same call as a net's, on the CPU."""
    from talentqa.reading.model import MODEL_DIR, Reader

    readers = [Reader.load(folder) for folder in folders or [MODEL_DIR]]

    def run(input_ids: Any, attention_mask: Any, token_type_ids: Any) -> tuple[Any, Any, Any]:
        arrays = [t.cpu().numpy() for t in (input_ids, attention_mask, token_type_ids)]
        outputs = [reader.logits(*arrays) for reader in readers]
        return tuple(torch.from_numpy(np.mean(parts, axis=0)) for parts in zip(*outputs, strict=True))

    return run


def teacher_logits(
    torch: Any, teacher: Any, batches: list[dict[str, Any]], where: Any
) -> list[dict[str, Any]]:
    """The teacher's start, end and answerability logits for every batch (float16, to keep them small)."""
    out = []
    with torch.no_grad():
        for f in batches:
            start, end, has = teacher(
                *(torch.from_numpy(f[k]).to(where) for k in ("input_ids", "attention_mask", "token_type_ids"))
            )
            out.append(
                {
                    "start": start.float().cpu().numpy().astype(np.float16),
                    "end": end.float().cpu().numpy().astype(np.float16),
                    "answerable": has.float().cpu().numpy(),
                }
            )
    return out


def save_soft(soft: list[dict[str, Any]], path: Path) -> None:
    """The teachers' targets as one compressed file (float16; about 10 MB for the shipped data), so a
    GPU lease can hand them back and students be trained later anywhere, on the CPU too."""
    arrays = {f"{key}_{i}": batch[key] for i, batch in enumerate(soft) for key in batch}
    np.savez_compressed(path, batches=np.array(len(soft)), **arrays)


def load_soft(path: Path, batches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Targets saved by `save_soft`, checked against the batches they must be aligned with (the same
    examples, tokenised the same way): a file from other examples is refused rather than taught from."""
    with np.load(path) as saved:
        count = int(saved["batches"])
        soft = [{key: saved[f"{key}_{i}"] for key in ("start", "end", "answerable")} for i in range(count)]
    shapes = [b["input_ids"].shape for b in batches]
    if count != len(batches) or any(s["start"].shape != shape for s, shape in zip(soft, shapes, strict=True)):
        raise SystemExit(f"--soft-from {path}: its targets do not match these examples' batches")
    return soft


def main(argv: list[str] | None = None) -> None:
    parser = examples_parser(__doc__)
    parser.add_argument("--base", type=Path, default=None, help="Base model folder (default: packaged).")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--work", type=Path, default=Path(".cache/reader-distil"))
    parser.add_argument("--teachers", type=int, default=4, help="Readers averaged (seeds 0 .. N-1).")
    parser.add_argument(
        "--shipped-teacher",
        action="store_true",
        help="Teach from the shipped int8 reader alone instead of training teachers (a born-again student: "
        "one reader's knowledge, re-learnt with its soft labels; the CPU way, one training run).",
    )
    parser.add_argument(
        "--grid", default="", help='Students\' hyper-parameters, e.g. "soft_weight=0.5,0.8;seed=0,1".'
    )
    parser.add_argument(
        "--int8-teacher",
        type=Path,
        action="append",
        default=None,
        help="With --shipped-teacher: teach from the int8 reader in this folder instead (reader.xml; "
        "repeatable: their logits averaged).",
    )
    parser.add_argument(
        "--save-soft", type=Path, default=None, help="Also write the teachers' targets here (.npz)."
    )
    parser.add_argument(
        "--soft-from",
        type=Path,
        default=None,
        help="Teach from targets written by --save-soft (no teacher is trained or read): students "
        "on a CPU from teachers trained on a GPU.",
    )
    parser.add_argument(
        "--judge-from",
        type=Path,
        default=None,
        help="Judgements from `talentqa.reading.judge_labels`: rule-made near-misses the LLM judge reads "
        "as answered are left out (see --judged-answering), and with `judge_weight` (a grid axis, default "
        "0) judged examples' answerability targets move that share of the way to the judge's.",
    )
    parser.add_argument(
        "--judged-answering",
        type=float,
        default=ANSWERED_AT,
        help="With --judge-from: a rule-made near-miss judged at least this likely to answer is left out.",
    )
    parser.add_argument("--budget-seconds", type=float, default=float("inf"), help="Start no student after.")
    parser.add_argument("--limit", type=int, default=None, help="Train on the first N examples (smoke).")
    args = parser.parse_args(argv)

    data = data_from_args(args)
    examples = data.train[: args.limit] if args.limit else data.train
    judgements = read_judgements(args.judge_from) if args.judge_from else {}
    left_out: list[ReaderExample] = []
    if judgements:
        examples, left_out = without_answered_near_misses(examples, judgements, args.judged_answering)
        print(f"{len(left_out)} rule-made near-misses left out: the judge reads them as answered", flush=True)
    print(f"{len(examples)} training examples, {len(data.holdout)} held out", flush=True)
    torch, reader_net = _torch_modules()
    from transformers import AutoTokenizer

    from talentqa.reading.model import encoder_path

    where = _device(torch, args.device)
    started = time.time()
    runs: list[dict[str, Any]] = []
    teachers = []
    for seed in range(0 if args.shipped_teacher or args.soft_from else args.teachers):
        hyper = {**HYPER, "seed": seed}
        record = train(examples, args.work / f"teacher{seed}", hyper, base=args.base, device=args.device,
                       holdout=data.holdout)  # fmt: skip
        runs.append({"role": "teacher", "hyper_parameters": hyper, **record})
        print(json.dumps(runs[-1]), flush=True)
        teachers.append(_load(torch, reader_net, args.work / f"teacher{seed}", args.base, where))

    tokenizer = AutoTokenizer.from_pretrained(str(args.base or encoder_path()), local_files_only=True)
    batches = tokenised(tokenizer, examples, HYPER)
    average: dict[str, Any]
    if args.soft_from:
        soft = load_soft(args.soft_from, batches)
        average = {"role": "teacher", "teacher": f"targets from {args.soft_from}"}
    elif args.shipped_teacher:
        teacher: Any = _shipped(torch, args.int8_teacher)
        named = [str(f) for f in args.int8_teacher] if args.int8_teacher else ["the shipped int8 reader"]
        average = {"role": "teacher", "teacher": named}
        if args.int8_teacher:
            outputs = _read_with_net(torch, teacher, tokenizer, data.holdout, where, HYPER)
            average["holdout"] = holdout_metrics(outputs, data.holdout)
        if data.news_holdout:
            outputs = _read_with_net(torch, teacher, tokenizer, data.news_holdout, where, HYPER)
            average["news_holdout"] = holdout_metrics(outputs, data.news_holdout)
    else:
        teacher = _ensemble(torch, teachers)
        outputs = _read_with_net(torch, teacher, tokenizer, data.holdout, where, HYPER)
        average = {"role": "teachers' average", "teachers": args.teachers,
                   "holdout": holdout_metrics(outputs, data.holdout)}  # fmt: skip
    if not args.soft_from:
        soft = teacher_logits(torch, teacher, batches, where)
        del teachers, teacher
    print(json.dumps(average), flush=True)
    if args.save_soft:
        save_soft(soft, args.save_soft)
    judged = {k: j.p_yes for k, j in judgements.items()}
    extra = {**JUDGE} if args.judge_from else {}
    if args.judge_from:
        average["judged"] = {"from": str(args.judge_from), "judgements": len(judgements),
                             "answered_at": args.judged_answering, "left_out": len(left_out),
                             "left_out_kinds": _count_kinds(left_out)}  # fmt: skip

    students: list[dict[str, Any]] = []
    for i, hyper in enumerate(grid_runs(args.grid, {**HYPER, **DISTIL, **extra})):
        if students and time.time() - started > args.budget_seconds:
            print(f"budget spent: {i} students trained", flush=True)
            break
        taught = soft
        if judged and hyper["judge_weight"] > 0:
            members = _batches(examples, int(HYPER["batch_size"]))
            taught, count = with_judgements(soft, members, judged, hyper["judge_weight"])
            print(f"{count} of {len(examples)} examples judged by the LLM", flush=True)
        record = train(examples, args.work / f"student{i}", hyper, base=args.base, device=args.device,
                       holdout=data.holdout, soft=taught, news_holdout=data.news_holdout)  # fmt: skip
        students.append({"role": "student", "folder": f"student{i}", "hyper_parameters": hyper, **record})
        print(json.dumps(students[-1]), flush=True)
    best = max(students, key=lambda r: selection_score(r["holdout"]))
    shutil.copyfile(args.work / best["folder"] / "reader.pt", args.work / "reader.pt")
    chosen = [*runs, *students]
    (args.work / "runs.json").write_text(
        json.dumps({"selected": chosen.index(best), "runs": chosen, "teachers_average": average}, indent=2),
        encoding="utf-8",
    )
    print(f"selected {best['folder']}: {json.dumps(best['hyper_parameters'])}", flush=True)


if __name__ == "__main__":
    main()
