"""What the accurate reader's answer costs with one of its time-saving settings against the same reader
without it (the baseline):

- `--compare min-fast` (default): a passage after the fast reader's first is judged only where the fast
  reader gives it at least `accurate_min_fast` (the shipped 0.1), against judging all `accurate_passages`.
- `--compare views`: each passage judged in two windows (`accurate_views`, the default) against the one
  window, each at its own calibrated threshold (0.6276 and 0.6209).
- `--compare stop-early`: stopping at the first passage its LLM judges above the threshold
  (`accurate_stop_early=true`) against judging all its passages and taking the surest (the default).
- `--compare repack`: the llama.cpp server reading the weights as stored (`--no-repack`, the default)
  against one repacking them for its CPU kernels (`TALENTQA_LLM__SERVER_REPACK=true`); the same reader.

Target (issue 17): the accurate reader's median answer within 5 s on these 2 cores. Each judgement reads a
window of a passage (about 1.3 s on SQuAD, 2.5 s on news here); an answer that is given adds one copy.

Data: a seed-0 sample of the SQuAD 2.0 calibration half (`../shared/eval/squad2_dev`, articles the fast
reader never trained on, answerable and unanswerable), ingested into a store kept under the bench cache.
Each question is retrieved once and answered by both answerers, over the same passages, each on its own
llama.cpp server (the packaged Qwen2.5-Coder-1.5B-Instruct; one shared server would answer the second
from its prompt cache), in alternating order. Reported:
answer time (`time.perf_counter` around `answer`), LLM judgements a question, how often both make the
same decision (answer or abstain) and quote the same sentence first, and how often each quotes a gold
answer.

    .venv/bin/python benchmarks/accurate_answer.py [--compare min-fast|stop-early|views]
        [--limit N] [--json FILE]
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from _common import (
    CACHE,
    EVAL,
    console,
    environment,
    limit_and_json_args,
    load_avg,
    table,
    timing,
    warn_if_busy,
    write_json,
)

from talentqa.answer.llm import build_chat_model
from talentqa.answer.reading import ReadingAnswerer, accurate_ranker
from talentqa.app import TalentQA
from talentqa.eval.calibration import unseen
from talentqa.eval.evaluation import contains_answer, load_dataset, sample_questions, split_questions
from talentqa.models import Answer
from talentqa.reading.llama_server import MODEL_ALIAS, NO_REPACK, LlamaServer, assemble_model
from talentqa.reading.llm_reader import CascadeReader, build_cascade
from talentqa.settings import AnswerSettings, Settings

TARGET_S = 5.0
# Each comparison: (variant name, its settings), (baseline name, its settings), on top of the defaults.
COMPARISONS: dict[str, tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "min-fast": (
        (f"judged where fast >= {AnswerSettings().accurate_min_fast}", {}),
        ("all judged", {"accurate_min_fast": 0.0}),
    ),
    "stop-early": (
        ("first passing", {"accurate_stop_early": True}),
        ("all judged", {"accurate_stop_early": False}),
    ),
    # The second view's judgement against the one window, each at its own calibrated threshold.
    "views": (
        ("two views", {}),
        ("one window", {"accurate_views": [], "abstain_threshold": 0.6209}),
    ),
    "repack": (("plain weights", {}), ("repacked", {})),
    "rank": (
        ("ranked with the second look", {"accurate_rank_second_look": True}),
        ("passage reading alone", {"accurate_rank_second_look": False}),
    ),
}
# The servers' own options where a comparison is of them: (the variant's, the baseline's).
SERVER_OPTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {"repack": ((NO_REPACK,), ())}


def _cascade(settings: Settings, answer: AnswerSettings, server: LlamaServer) -> Callable[[], CascadeReader]:
    """The accurate reader as `TalentQA.accurate_answerer` builds it, on `server`."""
    llm = settings.llm.model_copy(update={"base_url": server.base_url, "model": MODEL_ALIAS})
    cascade = build_cascade(answer, build_chat_model(llm), accurate_ranker(answer))
    return lambda: cascade


def judged(answer: Answer) -> int:
    """Passages the LLM read: unread ones keep probability 0."""
    return sum(1 for r in (answer.debug or {}).get("readings", []) if r["p"] > 0)


def main() -> None:
    args = limit_and_json_args(
        __doc__,
        40,
        lambda parser: parser.add_argument(
            "--compare", choices=sorted(COMPARISONS), default="min-fast", help="the setting measured"
        ),
    )
    (variant, variant_update), (baseline, baseline_update) = COMPARISONS[args.compare]
    warn_if_busy()
    load_before = load_avg()
    dataset = load_dataset(EVAL / "squad2_dev")
    questions, _ = unseen(split_questions(dataset.questions, "calibration"))
    questions = sample_questions(questions, args.limit, 0)
    settings = Settings(store=CACHE / "accurate_answer_store")
    rows: dict[str, list[dict[str, Any]]] = {variant: [], baseline: []}
    same_decision = same_quote = 0
    model = assemble_model(settings.llm.model_dir)
    threshold = settings.answer.accurate_threshold
    shipped = (*(() if settings.llm.server_repack else (NO_REPACK,)), *settings.llm.server_args)
    variant_options, baseline_options = SERVER_OPTIONS.get(args.compare, (shipped, shipped))
    threads = settings.llm.server_threads
    with (
        TalentQA.open(settings) as qa,
        LlamaServer(model, threads=threads, extra_args=variant_options) as variant_server,
        LlamaServer(model, threads=threads, extra_args=baseline_options) as baseline_server,
    ):
        qa.ingest_sources([str(p) for p in dataset.document_paths])
        # One server each: llama.cpp keeps recent prompts, so a second answerer asking the same judgements
        # of one server would be served from its cache. Only one computes at a time (the loop is serial).
        answerers = {}
        for name, update, server in (
            (variant, variant_update, variant_server),
            (baseline, baseline_update, baseline_server),
        ):
            answer = settings.answer.model_copy(update={"abstain_threshold": threshold, **update})
            answerers[name] = ReadingAnswerer(
                answer, reader=_cascade(settings, answer, server), name="accurate"
            )
        for n, question in enumerate(questions):
            passages = qa.retrieve(question.question)
            order = list(answerers) if n % 2 == 0 else list(reversed(answerers))
            got: dict[str, Answer] = {}
            for name in order:
                started = time.perf_counter()
                got[name] = answerers[name].answer(question.question, passages, qa.store.text)
                seconds = time.perf_counter() - started
                quotes = " ".join(c.quote for c in got[name].citations)
                rows[name].append(
                    {
                        "seconds": seconds,
                        "judged": judged(got[name]),
                        "answered": not got[name].abstained,
                        "gold": question.answerable and contains_answer(quotes, question.answers),
                    }
                )
            a, b = got[variant], got[baseline]
            same_decision += a.abstained == b.abstained
            same_quote += a.abstained == b.abstained and (
                a.abstained or a.citations[0].quote == b.citations[0].quote
            )
            console.print(f"{n + 1}/{len(questions)}", end="\r")
    answerable = sum(q.answerable for q in questions)
    summary = {
        name: {
            **timing(found),
            "judgements": statistics.fmean(r["judged"] for r in found),
            "answered": statistics.fmean(r["answered"] for r in found),
            "gold_in_quotes": sum(r["gold"] for r in found) / max(1, answerable),
        }
        for name, found in rows.items()
    }
    console.print(
        table(
            f"The accurate answer: {variant} vs {baseline} (baseline)",
            ["judging", "questions", "p50 s", "p95 s", "judgements", "answered", "gold in quotes"],
            [
                [name, *(s[key] for key in ("questions", "p50_s", "p95_s", "judgements", "answered"))]
                + [s["gold_in_quotes"]]
                for name, s in summary.items()
            ],
        )
    )
    total = max(1, len(questions))
    console.print(
        f"same decision {same_decision}/{total}, same first quote {same_quote}/{total}; "
        f"p50 {summary[variant]['p50_s']:.2f} s vs {summary[baseline]['p50_s']:.2f} s "
        f"(target: within {TARGET_S} s)"
    )
    load_after = load_avg()
    write_json(
        args.json,
        {
            "compare": args.compare,
            "summary": summary,
            "same_decision": same_decision,
            "same_first_quote": same_quote,
            "load_before": load_before,
            "load_after": load_after,
            "environment": environment(),
        },
        "accurate_answer.json",
    )
    console.print(f"load average {load_before[0]:.1f} -> {load_after[0]:.1f}")


if __name__ == "__main__":
    main()
