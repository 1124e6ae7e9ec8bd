"""The hidden-state probe of `judge_probe.py` inside the accurate reader, end to end on RealTimeQA.

`judge_probe.py` measures the probe on SQuAD 2.0 windows, each question given its own paragraph. The
accurate reader's weakest set is news, where it judges the windows its retrieval and fast reader find; this
benchmark puts the probe in the judge's place there. The probe is fitted on `judge_probe.py --blocks N`'s
journal of training windows (run that first; with `--news`, also on its written news questions' windows),
and each judgement's threshold by `talentqa calibrate`'s rule on that journal's calibration windows.
Then the accurate reader answers every RealTimeQA question
(each on its own date, as `talentqa eval` asks it) with the same retrieval, fast reader and copy, judging
each passage's window by:

- the judge's two views (shipped), at the shipped threshold and at the journal's calibration threshold;
- the probe of the span's window (`--blocks` of the model's 28);
- the probe with the judge's second view (the window ending at the span's sentence), log-odds mean.

Reported for each: gold answer in the quotes and the top quote, citation precision, unanswerable abstained
and answerable withheld. Every judgement, state and copy is kept in a journal under the bench cache, so the
runs read each window once, an interrupted run resumes, and another `--blocks` reads only its states.

    .venv/bin/python benchmarks/judge_probe_news.py --store DIR [--blocks 21] [--limit N] [--json FILE]

`--store`: an embedded store to hold RealTimeQA's documents (ingested first where missing, as `talentqa
eval --store` does).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import CACHE, EVAL, console, environment, limit_and_json_args, table, write_json
from judge_probe import (
    MAX_WITHHELD,
    STATE_ARGS,
    Probe,
    first_blocks,
    logit,
    read_journal,
    split,
    state,
    window_scorers,
)

from talentqa.app import TalentQA
from talentqa.cli.common import make_settings
from talentqa.eval.calibration import pick_threshold
from talentqa.eval.evaluation import load_dataset, run_talentqa, sample_questions
from talentqa.reading.llama_server import LlamaServer, assemble_model
from talentqa.reading.llm_reader import CascadeReader, LLMReader
from talentqa.reading.model import ReaderOutput
from talentqa.reading.second_look import mean_log_odds
from talentqa.text import window

NARROW = (1, 0)  # the second view: the judge's (`accurate_views`' default)


class Readings:
    """Judgements, states and copies by (kind, question, passage), kept in JSONL journals under `folder`:
    a state in its depth's (`judge_probe_news_<blocks>.jsonl`), judgements and copies where every depth
    finds them (the whole model's readings do not depend on the blocks probed)."""

    def __init__(self, folder: Path, blocks: int) -> None:
        self.shared = folder / "judge_probe_news.jsonl"
        self.own = folder / f"judge_probe_news_{blocks}.jsonl"
        self.found: dict[tuple[str, str, str], Any] = {}
        for path in sorted(folder.glob("judge_probe_news*.jsonl")):
            for r in map(json.loads, path.read_text().splitlines()):
                if r["kind"] != "state" or path == self.own:
                    self.found[(r["kind"], r["question"], r["passage"])] = r["value"]

    def get(self, kind: str, question: str, passage: str, compute: Callable[[], Any]) -> Any:
        key = (kind, question, passage)
        if key not in self.found:
            self.found[key] = compute()
            with (self.own if kind == "state" else self.shared).open("a") as out:
                record = {"kind": kind, "question": question, "passage": passage, "value": self.found[key]}
                out.write(json.dumps(record) + "\n")
        return self.found[key]


class RecordedLLM:
    """The accurate reader's LLM with its judgements and copies read once across the runs."""

    def __init__(self, llm: LLMReader, readings: Readings) -> None:
        self.llm = llm
        self.readings = readings

    def judge(self, question: str, passage: str) -> float:
        return float(self.readings.get("judge", question, passage, lambda: self.llm.judge(question, passage)))

    def copy(self, question: str, passage: str) -> str:
        return str(self.readings.get("copy", question, passage, lambda: self.llm.copy(question, passage)))


Score = Callable[[str, str, str], float]  # (question, window, narrow window) -> probability


class ScoredCascade(CascadeReader):
    """The accurate reader with each passage's judgement from `score` of its two windows."""

    def __init__(self, score: Score, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.score = score

    def _judge_views(self, question: str, text: str, head: str, guess: ReaderOutput) -> float:
        start, end = window(text, guess.start, guess.end, self.sentences)
        n_start, n_end = window(text, guess.start, guess.end, NARROW)
        return self.score(question, head + text[start:end], head + text[n_start:n_end])


def reader_of(cascade: CascadeReader) -> Callable[[], CascadeReader]:
    return lambda: cascade


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def main() -> None:
    def more(parser: Any) -> None:
        parser.add_argument("--blocks", type=int, default=21, help="the model's blocks probed (of 28)")
        parser.add_argument("--store", type=Path, required=True, help="embedded store for the documents")
        parser.add_argument(
            "--news",
            action="store_true",
            help="fit the probe on the journal's written news windows too (`judge_probe.py --news`)",
        )

    args = limit_and_json_args(__doc__, 0, more)
    journal = read_journal(CACHE / f"judge_probe_{args.blocks}.jsonl")
    fitted_on = ("train:", "news:") if args.news else ("train:",)
    train = [r for k, r in journal.items() if k.startswith(fitted_on)]
    calibration = [r for k, r in journal.items() if k.startswith("calibration:") and "p11" in r]
    if not train or not calibration:
        raise SystemExit(f"no windows journaled for --blocks {args.blocks}: run judge_probe.py first")
    probe = Probe(train)
    thresholds = {
        name: pick_threshold(*split([f(r) for r in calibration], calibration), MAX_WITHHELD)
        for name, f in window_scorers(probe, args.blocks).items()
    }

    dataset = load_dataset(EVAL / "realtimeqa_news")
    questions = sample_questions(dataset.questions, args.limit or None, 0)
    settings = make_settings(args.store)
    readings = Readings(CACHE, args.blocks)
    model = assemble_model(settings.llm.model_dir)
    probed = (
        first_blocks(model, args.blocks, CACHE / f"qwen-{args.blocks}.gguf") if args.blocks < 28 else model
    )
    qa = TalentQA.open(settings)
    try:
        qa.ingest_sources([str(p) for p in dataset.document_paths])
        accurate = qa.accurate_answerer()  # starts the judge's own server
        shipped = accurate._reader()
        assert isinstance(shipped, CascadeReader)
        llm = RecordedLLM(shipped.llm, readings)
        with LlamaServer(probed, threads=settings.llm.server_threads, extra_args=STATE_ARGS) as server:
            url = f"http://127.0.0.1:{server.port}"

            def judged(question: str, passage: str) -> float:
                return llm.judge(question, passage)

            def probed_log_odds(question: str, passage: str) -> float:
                vector = readings.get("state", question, passage, lambda: state(url, question, passage))
                return probe.state_log_odds(vector)

            scores: dict[str, Score] = {
                "judge, two views (shipped)": lambda q, w, n: mean_log_odds([judged(q, w), judged(q, n)]),
                f"probe, {args.blocks} blocks": lambda q, w, n: sigmoid(probed_log_odds(q, w)),
                "probe + judge's second view": lambda q, w, n: sigmoid(
                    (probed_log_odds(q, w) + logit(judged(q, n))) / 2
                ),
            }
            runs = [("judge, two views (shipped)", settings.answer.accurate_threshold, "shipped threshold")]
            runs += [(name, thresholds[name], "calibration windows' threshold") for name in scores]
            results = []
            for name, threshold, which in runs:
                accurate._reader = reader_of(ScoredCascade(scores[name], **{**vars(shipped), "llm": llm}))
                run = run_talentqa(qa, questions, answerer="accurate", threshold=threshold)
                m = run.metrics
                results.append(
                    {
                        "judgement": name,
                        "threshold": f"{threshold:.4f} ({which})",
                        "gold in quotes": m.answer_in_quotes,
                        "top quote": m.answer_in_top_quote,
                        "citation precision": m.citation_precision,
                        "abstained": m.abstained_unanswerable,
                        "withheld": m.wrongly_abstained,
                    }
                )
                console.print(results[-1])
    finally:
        qa.close()
    console.print(
        table(
            f"RealTimeQA ({len(questions)}), the accurate reader judging by each",
            list(results[0]),
            [list(r.values()) for r in results],
        )
    )
    write_json(
        args.json,
        {
            "blocks": args.blocks,
            "questions": len(questions),
            "train_windows": probe.windows,
            "fitted_on_news": args.news,
            "c": probe.c,
            "calibration_windows": len(calibration),
            "results": results,
            "environment": environment(),
        },
        f"judge_probe_news_{args.blocks}{'_news' if args.news else ''}.json",
    )


if __name__ == "__main__":
    main()
