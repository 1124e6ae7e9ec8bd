"""What a linear probe on the LLM's hidden state separates, against the accurate reader's YES/NO judge.

The accurate reader asks Qwen2.5-1.5B whether a window of a passage states the answer and reads P(YES)
against P(NO) at the first token: one direction of the model's last hidden state. A probe reads the
whole state, and may read it earlier in the model: `--blocks N` keeps the model's first N of its 28
blocks (a copy of the GGUF without the rest, written once under the bench cache with the `gguf` package:
`pip install gguf`), served by llama.cpp with `--embeddings --pooling last`, which returns the final
norm of block N's state at the prompt's last token, where the judge's YES or NO would be generated.
`--blocks 28` probes the whole model's state (its YES-NO projection is the judge itself).

Data: SQuAD 2.0 dev (`../shared/eval/squad2_dev`), each question given its own paragraph under its
article's title; the fast reader's span picks the window the accurate reader would judge (the span's
sentence and one each side; the second view ends at the span's sentence). The probe (logistic
regression on the standardised state, C chosen by 4-fold cross-validation grouped by article) is fitted
on questions of the calibration half's articles the fast reader trained on; the threshold, by
`talentqa calibrate`'s rule (the most unanswerable abstained with at most 15% of answerable withheld),
on the calibration articles no reader trained on; the figures that decide are the test half's.
Reported for the judge (one view and the shipped two), the probe, and the probe with the judge's second
view: AUC, and the test half's unanswerable abstained / answerable withheld at the threshold fitted on
calibration; and the seconds a window costs each way.

Every window's judgement and state is kept in a journal under the bench cache, so an interrupted run
resumes, and a run at another `--blocks` takes the judge's readings of the same windows from it. About
2 s a window for the probe of 18 blocks and 3 s for the judge's two views on 2 cores of an AMD EPYC
machine; about 1 s each (blocks 21 and 24) on an Intel Xeon one.

    .venv/bin/python benchmarks/judge_probe.py [--blocks 18] [--train 1000] [--limit 300] [--json FILE]
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from _common import CACHE, EVAL, console, environment, limit_and_json_args, load_avg, table, write_json
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from talentqa.answer.llm import build_chat_model
from talentqa.answer.reading import shared_reader
from talentqa.eval.calibration import auc, pick_threshold, trained_articles, unseen
from talentqa.eval.evaluation import (
    EvalQuestion,
    contains_answer,
    load_dataset,
    sample_questions,
    split_questions,
)
from talentqa.reading.llama_server import MODEL_ALIAS, LlamaServer, assemble_model
from talentqa.reading.llm_reader import JUDGE_SYSTEM, LLMReader
from talentqa.reading.model import passage_header
from talentqa.reading.news_data import build_news
from talentqa.settings import Settings
from talentqa.text import window

MAX_WITHHELD = 0.15
C_GRID = (0.0003, 0.001, 0.003, 0.01)


def first_blocks(model: Path, blocks: int, target: Path) -> Path:
    """A copy of the GGUF `model` holding only its first `blocks` blocks (its output layers kept)."""
    if target.exists():
        return target
    import gguf  # only this benchmark needs it

    target.parent.mkdir(parents=True, exist_ok=True)

    reader = gguf.GGUFReader(model)
    arch = reader.fields["general.architecture"].contents()
    writer = gguf.GGUFWriter(str(target) + ".part", arch=arch, endianess=reader.endianess)
    for field in reader.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        kind = field.types[0]
        value = blocks if field.name == f"{arch}.block_count" else field.contents()
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, value, kind, sub_type=sub)
    kept = [t for t in reader.tensors if not t.name.startswith("blk.") or int(t.name.split(".")[1]) < blocks]
    for t in kept:
        writer.add_tensor_info(t.name, t.data.shape, t.data.dtype, t.data.nbytes, t.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for t in kept:
        writer.write_tensor_data(t.data, tensor_endianess=reader.endianess)
    writer.close()
    Path(str(target) + ".part").rename(target)
    return target


# llama.cpp returns the final-normed state of the prompt's last token from `/embedding`.
STATE_ARGS = ("--embeddings", "--pooling", "last", "--embd-normalize", "-1")


def state(url: str, question: str, passage: str) -> list[float]:
    """The state at the judge prompt's last token: the same messages the judge is asked."""
    messages = [
        {"role": "system", "content": JUDGE_SYSTEM},
        {"role": "user", "content": f"Passage:\n{passage}\n\nQuestion: {question}"},
    ]
    prompt = httpx.post(f"{url}/apply-template", json={"messages": messages}, timeout=60).json()["prompt"]
    reply = httpx.post(f"{url}/embedding", json={"content": prompt}, timeout=600).json()
    vector = reply[0]["embedding"] if isinstance(reply, list) else reply["embedding"]
    return [float(x) for x in (vector[-1] if isinstance(vector[0], list) else vector)]


def windows(
    questions: Sequence[EvalQuestion], paragraphs: dict[str, dict[str, str]], context: dict[str, str]
) -> list[dict[str, Any]]:
    """Each question's window as the accurate reader judges it, in its own paragraph (`context`: an
    unanswerable question's paragraph, which its `doc_ids` leave out)."""
    reader = shared_reader()
    found = []
    for q in questions:
        doc = paragraphs[q.doc_ids[0] if q.doc_ids else context[q.id]]
        head = passage_header(doc["title"])
        (guess,) = reader.read(q.question, [doc["text"]], [head])
        s11, e11 = window(doc["text"], guess.start, guess.end, (1, 1))
        s10, e10 = window(doc["text"], guess.start, guess.end, (1, 0))
        wide = head + doc["text"][s11:e11]
        found.append(
            {
                "id": q.id,
                "question": q.question,
                "article": q.article_id,
                "answerable": q.answerable,
                "gold": bool(q.answerable and contains_answer(wide, q.answers)),
                "window": wide,
                "narrow": head + doc["text"][s10:e10],
            }
        )
    return found


JUDGED = ("p11", "p10", "judge_s")
FITTED_ON = ("train", "news")  # the journal's windows the probe is fitted on (`--news`: the second)


def news_windows(folder: Path) -> list[dict[str, Any]]:
    """The training parts of the written news questions (`eval/reader-news`, as `talentqa.reading.news_data`
    makes reader examples of them: the stored chunk holding the answer's or the near-miss's sentence, under
    its article's title and date), each as the window the accurate reader would judge. A near-miss is
    unanswerable; its sentence is about the question's subject but does not state what is asked."""
    reader = shared_reader()
    found = []
    for ex in build_news(folder, EVAL / "realtimeqa_news" / "documents.jsonl").train:
        head = passage_header(ex.title, ex.date)
        (guess,) = reader.read(ex.question, [ex.context], [head])
        s11, e11 = window(ex.context, guess.start, guess.end, (1, 1))
        s10, e10 = window(ex.context, guess.start, guess.end, (1, 0))
        wide = head + ex.context[s11:e11]
        found.append(
            {
                "id": ex.id,
                "question": ex.question,
                "article": ex.title,
                "answerable": ex.answerable,
                "gold": bool(ex.answerable and contains_answer(wide, [ex.answer_text])),
                "window": wide,
                "narrow": head + ex.context[s10:e10],
            }
        )
    return found


def earlier_judgements(journal: Path) -> dict[str, dict[str, Any]]:
    """The judge's readings in the journals of other `--blocks`: the whole model's judgement of a window
    does not depend on the blocks probed, so a second depth costs only its states."""
    found: dict[str, dict[str, Any]] = {}
    for other in sorted(journal.parent.glob("judge_probe_[0-9]*.jsonl")):  # not judge_probe_news.py's
        if other != journal:
            for r in map(json.loads, other.read_text().splitlines()):
                if "p11" in r:
                    found[r["key"]] = r
    return found


class Probe:
    """A logistic regression on the standardised state, C chosen by 4-fold cross-validation grouped by
    article, fitted on windows labelled by whether they hold a gold answer (answerable windows without
    one left out: they are neither)."""

    def __init__(self, rows: Sequence[dict[str, Any]]) -> None:
        fit = [r for r in rows if r["gold"] or not r["answerable"]]
        x = np.array([r["state"] for r in fit], dtype=np.float64)
        y = np.array([int(r["gold"]) for r in fit])
        groups = np.array([r["article"] for r in fit])
        self.mean, self.scale = x.mean(0), x.std(0) + 1e-6
        z = (x - self.mean) / self.scale

        def fitted(c: float, which: Any) -> LogisticRegression:
            return LogisticRegression(C=c, max_iter=5000).fit(z[which], y[which])

        folds = list(GroupKFold(4).split(z, y, groups))
        self.cv = {
            c: float(np.mean([roc_auc_score(y[b], fitted(c, a).decision_function(z[b])) for a, b in folds]))
            for c in C_GRID
        }
        self.c = max(self.cv, key=lambda k: self.cv[k])
        self.model = fitted(self.c, slice(None))
        self.windows = len(fit)

    def state_log_odds(self, state: Sequence[float]) -> float:
        return float(self.model.decision_function(((np.array(state) - self.mean) / self.scale)[None])[0])

    def log_odds(self, row: dict[str, Any]) -> float:
        return self.state_log_odds(row["state"])


def window_scorers(probe: Probe, blocks: int) -> dict[str, Callable[[dict[str, Any]], float]]:
    """Each judgement of a journaled window, as log-odds: the judge's views and the probe's."""
    return {
        "judge, one view": lambda r: logit(r["p11"]),
        "judge, two views (shipped)": lambda r: (logit(r["p11"]) + logit(r["p10"])) / 2,
        f"probe, {blocks} blocks": probe.log_odds,
        "probe + judge's second view": lambda r: (probe.log_odds(r) + logit(r["p10"])) / 2,
    }


def read_journal(journal: Path) -> dict[str, dict[str, Any]]:
    """The journal's windows by key ("train:<id>", "calibration:<id>", "test:<id>")."""
    if not journal.exists():
        return {}
    return {r["key"]: r for r in map(json.loads, journal.read_text().splitlines())}


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def split(scores: Sequence[float], rows: Sequence[dict[str, Any]]) -> tuple[list[float], list[float]]:
    """Each question's probability (its log-odds score through the logistic), answerable and not."""
    p = [1 / (1 + np.exp(-score)) for score in scores]
    return [x for x, r in zip(p, rows, strict=True) if r["answerable"]], [
        x for x, r in zip(p, rows, strict=True) if not r["answerable"]
    ]


def main() -> None:
    def more(parser: Any) -> None:
        parser.add_argument("--blocks", type=int, default=18, help="the model's blocks probed (of 28)")
        parser.add_argument("--train", type=int, default=1000, help="questions the probe is fitted on")
        parser.add_argument(
            "--news",
            type=Path,
            default=None,
            help="also fit the probe on these written news questions' training parts (eval/reader-news)",
        )

    args = limit_and_json_args(__doc__, 300, more)
    load_before = load_avg()
    dataset = load_dataset(EVAL / "squad2_dev")
    paragraphs = {d["id"]: d for d in map(json.loads, (dataset.document_paths[0]).read_text().splitlines())}
    context = {
        r["id"]: r.get("context_doc_id", "")
        for r in map(json.loads, dataset.questions_path.read_text().splitlines())
    }
    calibration = split_questions(dataset.questions, "calibration")
    trained = trained_articles()
    sets = {
        "train": sample_questions([q for q in calibration if q.article_id in trained], args.train, 1),
        "calibration": sample_questions(unseen(calibration)[0], args.limit, 0),
        "test": sample_questions(split_questions(dataset.questions, "test"), args.limit, 0),
    }
    settings = Settings()
    model = assemble_model(settings.llm.model_dir)
    probed = (
        model if args.blocks >= 28 else first_blocks(model, args.blocks, CACHE / f"qwen-{args.blocks}.gguf")
    )
    journal = CACHE / f"judge_probe_{args.blocks}.jsonl"
    journal.parent.mkdir(parents=True, exist_ok=True)  # --blocks 28 writes no model copy there first
    done = read_journal(journal)
    judged = earlier_judgements(journal)
    threads = settings.llm.server_threads
    with (
        LlamaServer(model, threads=threads) as judge_server,
        LlamaServer(probed, threads=threads, extra_args=STATE_ARGS) as state_server,
        journal.open("a") as out,
    ):
        judge = LLMReader(
            build_chat_model(
                settings.llm.model_copy(update={"base_url": judge_server.base_url, "model": MODEL_ALIAS})
            )
        )
        state_url = f"http://127.0.0.1:{state_server.port}"  # llama.cpp's own routes, not /v1
        rows: dict[str, list[dict[str, Any]]] = {}
        found = {name: windows(questions, paragraphs, context) for name, questions in sets.items()}
        if args.news:
            found["news"] = news_windows(args.news)
        for name, read in found.items():
            rows[name] = []
            for n, w in enumerate(read):
                key = f"{name}:{w['id']}"
                if key not in done:
                    started = time.perf_counter()
                    w["state"] = state(state_url, w["question"], w["window"])
                    w["probe_s"] = time.perf_counter() - started
                    same = judged.get(key, {})
                    reused = [same.get("window"), same.get("narrow")] == [w["window"], w["narrow"]]
                    judged_here = name not in FITTED_ON  # the probe learns from labels alone
                    if judged_here and reused:
                        w.update({k: same[k] for k in JUDGED})  # the judge is the same whatever --blocks
                    elif judged_here:
                        started = time.perf_counter()
                        w["p11"] = judge.judge(w["question"], w["window"])
                        w["p10"] = (
                            w["p11"]
                            if w["narrow"] == w["window"]
                            else judge.judge(w["question"], w["narrow"])
                        )
                        w["judge_s"] = time.perf_counter() - started
                    done[key] = {"key": key, **w}
                    out.write(json.dumps(done[key]) + "\n")
                    out.flush()
                rows[name].append(done[key])
                console.print(f"{name} {n + 1}/{len(read)}", end="\r")
    probe = Probe([r for name in FITTED_ON for r in rows.get(name, [])])
    scorers = window_scorers(probe, args.blocks)
    results = {}
    for name, score in scorers.items():
        cal_yes, cal_no = split([score(r) for r in rows["calibration"]], rows["calibration"])
        t = pick_threshold(cal_yes, cal_no, MAX_WITHHELD)  # `talentqa calibrate`'s rule
        yes, no = split([score(r) for r in rows["test"]], rows["test"])
        results[name] = {
            "calibration_auc": auc(cal_yes, cal_no),
            "test_auc": auc(yes, no),
            "test_abstained": float(np.mean(np.asarray(no) < t)),
            "test_withheld": float(np.mean(np.asarray(yes) < t)),
        }
    seconds = {
        "probe": float(np.mean([r["probe_s"] for r in rows["calibration"] + rows["test"]])),
        "judge": float(np.mean([r["judge_s"] for r in rows["calibration"] + rows["test"]])),
    }
    console.print(
        table(
            f"Probe of {args.blocks} blocks ({probe.windows} windows, C {probe.c}) against the judge",
            ["judgement", "calibration AUC", "test AUC", "test abstained", "test withheld"],
            [[name, *r.values()] for name, r in results.items()],
            caption=f"seconds a window: probe {seconds['probe']:.2f}, judge's views {seconds['judge']:.2f}",
        )
    )
    load_after = load_avg()
    console.print(f"load average {load_before[0]:.1f} -> {load_after[0]:.1f}")
    write_json(
        args.json,
        {
            "blocks": args.blocks,
            "train_windows": probe.windows,
            "news": str(args.news) if args.news else None,
            "cv_auc": probe.cv,
            "c": probe.c,
            "results": results,
            "seconds_a_window": seconds,
            "load_before": load_before,
            "load_after": load_after,
            "environment": environment(),
        },
        f"judge_probe_{args.blocks}.json",
    )


if __name__ == "__main__":
    main()
