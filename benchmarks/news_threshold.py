"""The accurate reader's threshold for news, fitted on the written news questions of `eval/reader-news`.

`accurate_threshold` is fitted on SQuAD 2.0's Wikipedia paragraphs; on news the judge is less sure of the
answers it finds (the threshold withholds a fifth of answerable news questions, against the 15% budget).
This fits the news threshold by `talentqa calibrate`'s rule (the most unanswerable abstained less
answerable withheld, at most 15% of answerable withheld) on news questions no reader trained on: the 864
answerable questions and near-misses of `eval/reader-news`, on 72 RealTimeQA articles that are no
RealTimeQA question's answer and none of our held-out rounds' articles.

Two steps, the first of which asks the accurate reader (about 45 minutes for the 864 on 2 cores), at the
threshold the shipped one was fitted from (explicit, so news is not held to the news threshold being fitted;
a question's confidence does not depend on it):

    .venv/bin/python benchmarks/news_threshold.py questions OUT.jsonl
    .venv/bin/talentqa eval run OUT.jsonl --docs ../shared/eval/realtimeqa_news/documents.jsonl \\
        --answerer accurate --threshold 0.6057 --journal JOURNAL.jsonl
    .venv/bin/python benchmarks/news_threshold.py fit JOURNAL.jsonl [MORE.jsonl ...] \\
        [--questions OUT.jsonl] [--json FILE]

The shipped fit was asked in two parts (the seeded 480 with `--limit 480 --seed 0`, then the other 384 as
a file of their own), each with its journal: `fit` takes both.

`questions` writes the written questions in the eval schema, each asked on its article's publication day
(the writers asked about "this week's search" as the article reports it). `fit` reads each question's
confidence from the eval journal (what `talentqa ask` compares with the threshold) and fits the threshold,
with its AUC, its figures, and a bootstrap over articles of how far the fitted threshold moves.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

from _common import NEWS, REPO, console, read_jsonl, table, write_json

from talentqa.eval import calibration
from talentqa.eval.calibration import CalibrationResult, QuestionReading

WRITTEN = REPO / "eval" / "reader-news"
MAX_WITHHELD = 0.15
BOOTSTRAPS = 200


def eval_questions(written: Path = WRITTEN, documents: Path = NEWS) -> list[dict[str, Any]]:
    """`eval/reader-news`'s questions as eval questions asked on their article's publication day."""
    published = {d["id"]: d.get("publish_date") for d in read_jsonl(documents)}
    questions = []
    for part in sorted(written.glob("part*.jsonl")):
        for q in read_jsonl(part):
            day = published.get(q["article_id"])
            questions.append(
                {
                    "id": q["id"],
                    "question": q["question"],
                    "answers": [q["answer"]] if q["answerable"] else [],
                    "doc_ids": [q["article_id"]],
                    "answerable": q["answerable"],
                    "asked_on": day.replace("/", "-") if day else None,
                }
            )
    return questions


def readings(rows: list[dict[str, Any]]) -> list[QuestionReading]:
    """The journal's questions as `talentqa calibrate` reads them: each one's confidence is its best."""
    return [QuestionReading(id=r["id"], answerable=r["answerable"], best=r["confidence"]) for r in rows]


def figures(rows: list[dict[str, Any]], threshold: float) -> tuple[float, float]:
    """(unanswerable abstained, answerable withheld) at `threshold`."""
    found = calibration.figures(readings(rows), threshold)
    return found.abstained_unanswerable or 0.0, found.wrongly_abstained or 0.0


def fit(rows: list[dict[str, Any]], current: float | None = None) -> CalibrationResult:
    """`talentqa calibrate`'s fit of the journal's questions (compared with `current`, where given)."""
    return calibration.calibrate(readings(rows), current_threshold=current or 0.0, max_wrong=MAX_WITHHELD)


def bootstrap(rows: list[dict[str, Any]], article_of: dict[str, str], seed: int = 0) -> list[float]:
    """The threshold fitted on `BOOTSTRAPS` resamples of the articles (each with all its questions)."""
    by_article: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_article.setdefault(article_of[row["id"]], []).append(row)
    articles = sorted(by_article)
    rng = random.Random(seed)
    fits = []
    for _ in range(BOOTSTRAPS):
        drawn = [row for _ in articles for row in by_article[rng.choice(articles)]]
        fits.append(fit(drawn).abstain_threshold)
    return sorted(fits)


def journal_rows(journals: list[list[dict[str, Any]]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The questions of one or more eval journals (each question once), and how each journal asked them.

    The calibration set may be asked in parts (a seeded sample, then the rest); parts asked by another
    answerer or at another k or threshold would mix two readers' confidences, so they are refused.
    """
    keys = ("answerer", "limit", "seed", "k", "threshold")
    asked = [{key: lines[0].get(key) for key in keys} for lines in journals]
    if len({(a["answerer"], a["k"], a["threshold"]) for a in asked}) > 1:
        raise SystemExit(f"the journals were asked differently: {asked}")
    rows: dict[str, dict[str, Any]] = {}
    for lines in journals:
        for row in lines:
            if "confidence" in row:  # the first line is the journal's header
                if row["id"] in rows:
                    raise SystemExit(f"question {row['id']} is in two journals")
                rows[row["id"]] = row
    return list(rows.values()), asked


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    steps = parser.add_subparsers(dest="step", required=True)
    write = steps.add_parser("questions", help="write eval/reader-news as eval questions")
    write.add_argument("out", type=Path)
    fitting = steps.add_parser("fit", help="fit the news threshold on eval journals (the set, or its parts)")
    fitting.add_argument("journals", type=Path, nargs="+")
    fitting.add_argument("--questions", type=Path, default=None, help="the file `questions` wrote")
    fitting.add_argument("--current", type=float, default=None, help="a threshold to compare with")
    fitting.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    if args.step == "questions":
        questions = eval_questions()
        args.out.write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
        console.print(f"{len(questions)} questions written to {args.out}")
        return

    rows, asked = journal_rows([read_jsonl(path) for path in args.journals])
    questions = read_jsonl(args.questions) if args.questions else eval_questions()
    article_of = {q["id"]: q["doc_ids"][0] for q in questions}
    fitted = fit(rows, args.current)
    threshold = fitted.abstain_threshold
    fits = bootstrap(rows, article_of)
    spread = (fits[BOOTSTRAPS // 20], fits[BOOTSTRAPS // 2], fits[BOOTSTRAPS - BOOTSTRAPS // 20])
    result: dict[str, Any] = {
        **fitted.model_dump(exclude={"left_out_trained", "current_threshold", "current"}),
        "articles": len({article_of[r["id"]] for r in rows}),
        "bootstrap_5_50_95": spread,
        "asked": asked,  # as each journal's header records the `talentqa eval run` that asked its part
    }
    found = [("fitted", f"{threshold:.4f}", *figures(rows, threshold))]
    if args.current is not None:
        result["current_threshold"] = args.current
        result["current"] = fitted.current.model_dump()
        found.append(("current", f"{args.current:.4f}", *figures(rows, args.current)))
    console.print(
        table(
            f"news threshold: {len(rows)} questions ({fitted.answerable} answerable), "
            f"AUC {fitted.auc or 0.0:.3f}; "
            f"bootstrap over articles 5/50/95%: {spread}",
            ["threshold", "value", "unanswerable abstained", "answerable withheld"],
            found,
        )
    )
    write_json(args.json, result, "news_threshold")


if __name__ == "__main__":
    main()
