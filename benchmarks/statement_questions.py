"""Questions about what someone said: answered with that speaker's statements (`attributed_statements`,
the default) against the reader alone (the baseline), in the same run on one store.

The public eval sets hold almost no such questions (RealTimeQA 0 of 240, NewsQA 1 of 42), so they are
made from news text by a template: for every article of the chosen half (a hash of its id; `all` for
every article), each sentence in which a capitalised name of two or more words stands right before a
reporting verb ("Pentagon press secretary John Kirby said ...") gives "What did NAME VERB?" (say, find,
report, ...), one question per name, a seeded sample of `--limit`. The template makes some odd speakers
("Weather Service"), as real users do not; the figures are for comparing the two settings, not absolute.

Asked of the whole store (`talentqa ingest` the documents into `--store` first; a store `talentqa eval
run DATASET --store S` built works). For each answer: abstained or not, whether the first quote names the
speaker (its last word), and whether it is a sentence of the question's own article naming the speaker
beside a reporting verb ("attributed"); for abstentions, whether the first related passage is one.

    .venv/bin/python benchmarks/statement_questions.py --store /work/stores/rtqa \\
        --documents ../shared/eval/realtimeqa_news/documents.jsonl --half 0 [--limit 150] [--json FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
from pathlib import Path
from typing import Any

from _common import console, environment, limit_and_json_args, read_jsonl, table, write_json

VERBS = {
    "said": "say",
    "says": "say",
    "told": "say",
    "found": "find",
    "finds": "find",
    "reported": "report",
    "warned": "warn",
    "argued": "argue",
    "wrote": "write",
    "concluded": "conclude",
    "estimated": "estimate",
}
NAME = r"((?:[A-Z][a-z]+|[A-Z]\.)(?: (?:[A-Z][a-z]+|[A-Z]\.|de|van|von))+)"
PATTERN = re.compile(NAME + r",?(?: [a-z][^,.]{0,60},)? (" + "|".join(VERBS) + r")\b")
OPENERS = {"The", "But", "In", "On", "And", "A", "As", "When", "While", "He", "She", "It"}
ATTRIBUTING = re.compile(r"\b(" + "|".join(VERBS) + r"|according to)\b")


def questions(documents: Path, half: str, limit: int) -> list[dict[str, str]]:
    from talentqa.text import split_sentences

    found: list[dict[str, str]] = []
    for doc in read_jsonl(documents):
        if half != "all" and str(int(hashlib.sha1(doc["id"].encode()).hexdigest(), 16) % 2) != half:
            continue
        for span in split_sentences(doc["text"]):
            sentence = doc["text"][span.start : span.end]
            m = PATTERN.search(sentence)
            if m and len(sentence) > 60 and m.group(1).split()[0] not in OPENERS:
                found.append({"doc": doc["id"], "name": m.group(1), "verb": VERBS[m.group(2)]})
    random.Random(0).shuffle(found)
    picked: list[dict[str, str]] = []
    names: set[str] = set()
    for case in found:
        if case["name"] not in names:
            names.add(case["name"])
            picked.append(case)
    return picked[:limit]


def ask_all(
    store: Path, cases: list[dict[str, str]], attributed: bool, lower_case: bool = False
) -> list[dict[str, Any]]:
    from talentqa.app import TalentQA
    from talentqa.settings import Settings

    settings = Settings(store=store)
    settings.answer.attributed_statements = attributed
    rows: list[dict[str, Any]] = []
    with TalentQA.open(settings, create=False) as qa:
        for case in cases:
            question = f"What did {case['name']} {case['verb']}?"
            if lower_case:  # as typed in a chat: "what did kathy hochul say"
                question = question.lower().rstrip("?")
            answer = qa.ask(question)
            last = case["name"].split()[-1]
            top = answer.citations[0] if answer.citations else None
            related = answer.related[0] if answer.related else None
            rows.append(
                {
                    "question": question,
                    "abstained": answer.abstained,
                    "quote": top.quote if top else None,
                    "names": bool(top and last in top.quote),
                    "attributed": bool(
                        top
                        and top.doc_id == case["doc"]
                        and last in top.quote
                        and ATTRIBUTING.search(top.quote)
                    ),
                    "related_attributed": bool(
                        answer.abstained
                        and related
                        and last in related.quote
                        and ATTRIBUTING.search(related.quote)
                    ),
                }
            )
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    answered = [r for r in rows if not r["abstained"]]
    return {
        "questions": len(rows),
        "answered": len(answered),
        "first quote names the speaker": sum(r["names"] for r in answered),
        "first quote attributed, own article": sum(r["attributed"] for r in answered),
        "abstained, speaker's statement related": sum(r["related_attributed"] for r in rows),
    }


def more(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", type=Path, required=True, help="a store holding the documents")
    parser.add_argument("--documents", type=Path, required=True, help="documents.jsonl the store holds")
    parser.add_argument("--half", choices=["0", "1", "all"], default="0", help="articles by id hash")
    parser.add_argument(
        "--lower-case", action="store_true", help="ask each question typed in lower case, without its '?'"
    )


def main() -> None:
    args = limit_and_json_args(__doc__, 150, more)
    os.environ.pop("TALENTQA_ANSWER__ATTRIBUTED_STATEMENTS", None)
    cases = questions(args.documents, args.half, args.limit)
    results = {
        name: ask_all(args.store, cases, on, args.lower_case)
        for name, on in (("reader alone", False), ("attributed", True))
    }
    figures = {name: summary(rows) for name, rows in results.items()}
    keys = list(figures["attributed"])
    console.print(
        table(
            f"'What did X say?' questions from {args.documents.parent.name} (half {args.half})",
            ["figure", *figures],
            [[key, *(figures[name][key] for name in figures)] for key in keys],
        )
    )
    changed = sum(
        a["quote"] != b["quote"] or a["abstained"] != b["abstained"]
        for a, b in zip(results["reader alone"], results["attributed"], strict=True)
    )
    console.print(f"answers that changed: {changed} of {len(cases)}")
    write_json(
        args.json,
        {"environment": environment(), "figures": figures, "answers": results},
        "statement_questions.json",
    )


if __name__ == "__main__":
    main()
