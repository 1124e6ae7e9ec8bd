"""What the accurate reader's answer phrase costs: the copy asked as the next turn of the passage's
judgement with the question asked again (`accurate_copy=turn`, the default; llama.cpp reuses the judged
prompt) against the copy prompt of its own (`accurate_copy=prompt`, the earlier default, the baseline).

Target (issue 17): the accurate reader's median answer within 5 s on these 2 cores. An answer is two
one-token judgements plus, when it answers, one copy; the copy was a full second read of the passage.

Data: answerable SQuAD 2.0 questions of the calibration half (`../shared/eval/squad2_dev`, articles the
fast reader never trained on, seed-0 sample), each given the window the reader would judge: the sentence
holding the gold answer and one sentence each side, under the article title. For each question, in this
order, on one llama.cpp server that talentqa starts (the packaged Qwen2.5-Coder-1.5B-Instruct): the
judgement (`LLMReader.judge`), a second judgement of another question's window (as the reader judges two
passages, so the server's last prompt is not the one copied from), then

- **turn**: `LLMReader(copy_turn=True).copy`, the judgement's conversation plus YES and the instruction
  with the question asked again;
- **prompt** (the baseline): `LLMReader.copy`, its own system prompt, then passage and question.

Both are timed around the call (`time.perf_counter`), and each phrase is scored against the gold answers
(SQuAD exact match and token F1 after the usual normalisation). Order alternates by question.

    .venv/bin/python benchmarks/accurate_copy.py [--limit N] [--json FILE]
"""

from __future__ import annotations

import re
import statistics
import string
import time
from collections import Counter
from typing import Any

from _common import (
    EVAL,
    console,
    environment,
    limit_and_json_args,
    load_avg,
    read_jsonl,
    table,
    timing,
    warn_if_busy,
    write_json,
)

from talentqa.answer.llm import build_chat_model
from talentqa.eval.calibration import unseen
from talentqa.eval.evaluation import load_dataset, sample_questions, split_questions
from talentqa.reading.llama_server import MODEL_ALIAS, LlamaServer, assemble_model
from talentqa.reading.llm_reader import LLMReader
from talentqa.settings import Settings
from talentqa.text import window

TARGET_S = 5.0


def normalise(text: str) -> list[str]:
    text = "".join(c for c in text.lower() if c not in string.punctuation)
    return re.sub(r"\b(a|an|the)\b", " ", text).split()


def f1(phrase: str, gold: str) -> float:
    got, want = normalise(phrase), normalise(gold)
    common = sum((Counter(got) & Counter(want)).values())
    if not got or not want or common == 0:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)


def cases(limit: int) -> list[dict[str, Any]]:
    dataset = load_dataset(EVAL / "squad2_dev")
    questions, _ = unseen(split_questions(dataset.questions, "calibration"))
    docs = {d["id"]: d for path in dataset.document_paths for d in read_jsonl(path)}
    picked = []
    for q in sample_questions([q for q in questions if q.answerable and q.doc_ids], 4 * limit, 0):
        doc = docs.get(q.doc_ids[0])
        if doc is None or not q.answers or (at := doc["text"].find(q.answers[0])) < 0:
            continue
        start, end = window(doc["text"], at, at + len(q.answers[0]))
        passage = f"{doc.get('title', '')}\n{doc['text'][start:end]}"
        picked.append({"question": q.question, "answers": q.answers, "passage": passage})
    return picked[:limit]


def main() -> None:
    args = limit_and_json_args(__doc__, 40)
    warn_if_busy()
    load_before = load_avg()
    settings = Settings()
    picked = cases(args.limit + 1)
    rows: dict[str, list[dict[str, float]]] = {"turn": [], "prompt": []}
    model = assemble_model(settings.llm.model_dir)
    with LlamaServer(model, threads=settings.llm.server_threads) as server:
        llm = settings.llm.model_copy(update={"base_url": server.base_url, "model": MODEL_ALIAS})
        reader = LLMReader(build_chat_model(llm))  # judges, and copies with a prompt of its own
        turn = LLMReader(build_chat_model(llm), copy_turn=True)
        reader.judge(picked[-1]["question"], picked[-1]["passage"])  # warm-up: the system prompt cached
        for n, case in enumerate(picked[:-1]):
            question, passage, other = case["question"], case["passage"], picked[n + 1]
            reader.judge(question, passage)
            reader.judge(other["question"], other["passage"])
            order = ("turn", "prompt") if n % 2 == 0 else ("prompt", "turn")
            for name in order:
                started = time.perf_counter()
                phrase = (turn if name == "turn" else reader).copy(question, passage)
                seconds = time.perf_counter() - started
                rows[name].append(
                    {
                        "seconds": seconds,
                        "exact": float(max(normalise(phrase) == normalise(g) for g in case["answers"])),
                        "f1": max(f1(phrase, g) for g in case["answers"]),
                    }
                )
            console.print(f"{n + 1}/{len(picked) - 1}", end="\r")
    summary = {
        name: {
            **timing(found),
            "exact_match": statistics.fmean(r["exact"] for r in found),
            "f1": statistics.fmean(r["f1"] for r in found),
        }
        for name, found in rows.items()
    }
    console.print(
        table(
            "The answer phrase: next turn of the judgement (default) vs a prompt of its own (baseline)",
            ["copy", "questions", "p50 s", "p95 s", "exact match", "F1"],
            [
                [name, s["questions"], s["p50_s"], s["p95_s"], s["exact_match"], s["f1"]]
                for name, s in summary.items()
            ],
        )
    )
    saved = summary["prompt"]["p50_s"] - summary["turn"]["p50_s"]
    console.print(
        f"the turn saves {saved:.2f} s a given answer at the median (target: answers within {TARGET_S} s)"
    )
    load_after = load_avg()
    out = write_json(
        args.json,
        {
            "summary": summary,
            "load_before": load_before,
            "load_after": load_after,
            "environment": environment(),
        },
        "accurate_copy.json",
    )
    console.print(f"written to {out}; load average {load_before[0]:.1f} -> {load_after[0]:.1f}")


if __name__ == "__main__":
    main()
