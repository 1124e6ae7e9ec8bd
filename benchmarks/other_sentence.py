"""Where the fast reader's span heads nearly chose another sentence: how often that sentence holds the answer.

The reader quotes the sentence of its best span. Its span heads also score the best span outside that
sentence (`ReaderOutput.other`), and the gap between the two scores (start + end logit) says how close the
heads came to choosing it. An answer quotes that other sentence too when the gap is under
`TALENTQA_ANSWER__OTHER_SENTENCE_GAP`. This fits the cut on the SQuAD 2.0 calibration articles the reader
never trained on and checks it on the test half. Each question is read with its own paragraph under its
title (as `talentqa calibrate --short-answers` reads them), or with `--store` as `talentqa ask` reads it:
the passages retrieved there, the likeliest to answer quoted. Counted over the questions the reader
answers (probability at least the abstain threshold), unanswerable ones too, since an answer to one of
them gets the extra quote as well: per gap band, how many answers would get another quote, and of those
how many answerable questions gain the gold answer their first quote lacked ("yield"). The cut is the
first band edge after which no band yields one gained answer in ten added quotes.

    .venv/bin/python benchmarks/other_sentence.py [--store S] [--limit N] [--json FILE]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from _common import EVAL, console, environment, limit_and_json_args, table, write_json

from talentqa.answer.reading import shared_reader
from talentqa.app import TalentQA
from talentqa.eval.calibration import unseen
from talentqa.eval.evaluation import contains_answer, load_dataset, split_questions
from talentqa.eval.short_answers import paragraphs
from talentqa.reading.model import passage_header
from talentqa.settings import Settings
from talentqa.text import split_sentences

BANDS = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0, float("inf"))
MIN_YIELD = 0.1


def sentences_of(text: str, start: int, end: int) -> str:
    held = [s for s in split_sentences(text) if s.start < max(end, start + 1) and s.end > start]
    return text[held[0].start : held[-1].end] if held else ""


def read(split: str, args: Any, threshold: float) -> list[dict[str, Any]]:
    """The answered questions of `split`: each one's gap, and where its gold answer is."""
    data = load_dataset(args.dataset)
    questions, _ = unseen(split_questions(data.questions, split))  # type: ignore[arg-type]
    documents = paragraphs(data.document_paths)
    reader = shared_reader()
    qa = TalentQA.open(create=False) if args.store else None
    rows: list[dict[str, Any]] = []
    for question in questions[: args.limit]:
        if qa is not None:  # what `talentqa ask` reads: the retrieved passages, the likeliest answering
            readings = qa.read(question.question)
            if not readings:
                continue
            text, output = readings[0].passage.chunk.text, readings[0].output
        elif question.doc_ids and question.doc_ids[0] in documents:
            title, text = documents[question.doc_ids[0]]
            [output] = reader.read(question.question, [text], [passage_header(title)])
        else:
            continue
        if output.probability < threshold or output.other is None:
            continue
        first = sentences_of(text, output.start, output.end)
        other = sentences_of(text, output.other.start, output.other.end)
        rows.append(
            {
                "answerable": question.answerable,
                "gap": output.other.gap,
                "gained": question.answerable
                and not contains_answer(first, question.answers)
                and contains_answer(other, question.answers),
                "first_right": question.answerable and contains_answer(first, question.answers),
            }
        )
    if qa is not None:
        qa.close()
    return rows


def bands(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for low, high in zip(BANDS, BANDS[1:], strict=False):
        band = [r for r in rows if low <= r["gap"] < high]
        gained = sum(r["gained"] for r in band)
        out.append(
            {
                "from": low,
                "to": high,
                "added": len(band),
                "gained": gained,
                "yield": gained / max(1, len(band)),
            }
        )
    return out


def cut(table_rows: list[dict[str, Any]]) -> float:
    """The first band edge after which no band yields MIN_YIELD."""
    edge = 0.0
    for band in table_rows:
        if band["yield"] >= MIN_YIELD and band["to"] != float("inf"):
            edge = band["to"]
    return edge


def at(rows: list[dict[str, Any]], gap: float) -> dict[str, float]:
    answerable = [r for r in rows if r["answerable"]]
    return {
        "answers_with_another_quote": sum(r["gap"] < gap for r in rows) / max(1, len(rows)),
        "first_quote_right": sum(r["first_right"] for r in answerable) / max(1, len(answerable)),
        "right_with_other": sum(r["first_right"] or (r["gained"] and r["gap"] < gap) for r in answerable)
        / max(1, len(answerable)),
    }


def main() -> None:
    args = limit_and_json_args(
        __doc__,
        100_000,
        lambda parser: (
            parser.add_argument("--dataset", type=Path, default=EVAL / "squad2_dev"),
            parser.add_argument(
                "--store",
                type=Path,
                help="read the passages retrieved from this store (holding the dataset's documents, as "
                "`talentqa eval run DATASET --store S` builds it) instead of each question's own paragraph",
            ),
        ),
    )
    if args.store:
        os.environ["TALENTQA_STORE"] = str(args.store)
    answer = Settings().answer
    calibration = read("calibration", args, answer.abstain_threshold)
    fitted = bands(calibration)
    gap = cut(fitted)
    console.print(
        table(
            f"calibration articles the reader never trained on: {len(calibration)} answers, gold in "
            "the answered answerable questions' quotes",
            ["gap", "answers given another quote", "answerable gaining the gold answer", "yield"],
            [
                [f"{b['from']:g}-{b['to']:g}", str(b["added"]), str(b["gained"]), f"{b['yield']:.2f}"]
                for b in fitted
            ],
        )
    )
    test = read("test", args, answer.abstain_threshold)
    results: dict[str, Any] = {
        "cut": gap,
        "setting": answer.other_sentence_gap,
        "environment": environment(),
        "calibration": [dict(b, to=None if b["to"] == float("inf") else b["to"]) for b in fitted],
    }
    rows = []
    for name, readings in (("calibration", calibration), ("test", test)):
        for value in sorted({0.0, gap, answer.other_sentence_gap}):
            figures = at(readings, value)
            results[f"{name}@{value:g}"] = figures
            rows.append(
                [
                    name,
                    f"{value:g}",
                    f"{figures['answers_with_another_quote']:.3f}",
                    f"{figures['first_quote_right']:.3f}",
                    f"{figures['right_with_other']:.3f}",
                ]
            )
    console.print(f"fitted cut: {gap:g} (setting now {answer.other_sentence_gap:g})")
    console.print(
        table(
            "answered questions, "
            + ("read as `talentqa ask` reads them" if args.store else "each read with its own paragraph"),
            ["split", "gap", "answers given another quote", "gold in the first quote", "gold in either"],
            rows,
        )
    )
    write_json(args.json, results, "other_sentence.json")


if __name__ == "__main__":
    main()
