"""Label training examples with the accurate reader's judge, once, offline, for a fast reader to learn from.

    python -m talentqa.reading.judge_labels --examples examples.json.gz --out judged.jsonl \\
        [--limit N] [--budget-seconds S]

The accurate reader's judge (Qwen2.5-1.5B asked whether a window of the passage states the answer, its
P(YES) against P(NO)) separates answerable from unanswerable SQuAD 2.0 calibration questions far better than
the fast reader (AUC 0.83 against 0.74-0.77). The judge costs about a second a window on 2 CPU cores, so it
cannot run at every answer of the fast default; but its judgements of the *training* examples can teach the
fast reader (`talentqa.reading.distil --judge-from`), as the issue's "the 1.5B model can label ... once,
offline, as a teacher" route asks.

Each example is judged as the accurate reader judges a passage at answer time: the window around the
shipped fast reader's best span (its sentence and one each side) under the example's title header. The
examples are taken in a seeded random order, and every judgement is appended to `--out` as it is made
(one JSON line: the example's key, P(YES), the fast reader's probability), so a run stopped by its budget
or by hand resumes where it stopped, and a labelling shared between sessions (or a GPU lease) adds up.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel

from talentqa.reading.data import ReaderExample
from talentqa.reading.model import Reader, passage_header
from talentqa.text import WINDOW_SENTENCES, window

ORDER_SEED = 0
# The near-misses made by rule (`talentqa.reading.data`), whose "no answer" label is an assumption the judge
# can check; SQuAD 2.0's own unanswerable questions were written and checked by people, and are kept.
RULE_MADE = frozenset({"deleted-sentence", "other-paragraph", "swapped", "opposite"})
ANSWERED_AT = 0.8


class Judgement(BaseModel):
    """One example's judgement: `p_yes` is the judge's, `fast` the fast reader's probability."""

    key: str
    p_yes: float
    fast: float
    answerable: bool


def example_key(example: ReaderExample) -> str:
    """A key naming the example by its content (ids repeat across near-miss variants of one question)."""
    text = f"{example.id}\n{example.kind}\n{example.question}\n{example.context}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def read_judgements(path: Path) -> dict[str, Judgement]:
    """The judgements recorded so far (an absent file: none)."""
    if not path.exists():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    found = (Judgement.model_validate_json(line) for line in lines if line.strip())
    return {j.key: j for j in found}


def without_answered_near_misses(
    examples: Sequence[ReaderExample], judged: dict[str, Judgement], at: float = ANSWERED_AT
) -> tuple[list[ReaderExample], list[ReaderExample]]:
    """The examples less the rule-made near-misses the judge reads as answered (P(YES) >= `at`), and
    those left out. Deleting the answer's sentence often leaves the answer said in other words ("Where did
    Tesla work in Budapest?" with "he worked as a draftsman in the Central Telegraph Office" still there):
    taught as "no answer", such an example tells the reader that a paraphrased answer does not count."""
    kept: list[ReaderExample] = []
    dropped: list[ReaderExample] = []
    for example in examples:
        judgement = judged.get(example_key(example)) if example.kind in RULE_MADE else None
        (dropped if judgement is not None and judgement.p_yes >= at else kept).append(example)
    return kept, dropped


def judging_order(examples: Iterable[ReaderExample], seed: int = ORDER_SEED) -> list[ReaderExample]:
    """The examples in the seeded order they are judged in: any prefix is a random sample."""
    ordered = list(examples)
    random.Random(seed).shuffle(ordered)
    return ordered


def judged_window(reader: Reader, example: ReaderExample) -> tuple[str, float]:
    """The text the judge reads for `example` (header + the window around the fast reader's span) and
    the fast reader's probability for the whole passage."""
    header = passage_header(example.title, example.date)
    output = reader.read(example.question, [example.context], [header])[0]
    start, end = window(example.context, output.start, output.end, WINDOW_SENTENCES)
    return header + example.context[start:end], output.probability


def main(argv: list[str] | None = None) -> None:
    from talentqa.answer.llm import build_chat_model
    from talentqa.reading.llama_server import pointed_at, start_local_server
    from talentqa.reading.llm_reader import LLMReader
    from talentqa.reading.train import data_from_args, examples_parser
    from talentqa.settings import Settings

    parser = examples_parser(__doc__)
    parser.add_argument("--out", type=Path, required=True, help="JSONL of judgements (appended to).")
    parser.add_argument(
        "--kinds",
        default="",
        help="Judge only examples of these kinds, comma-separated (e.g. deleted-sentence: the near-misses "
        "whose rule most often leaves the answer said in other words).",
    )
    parser.add_argument("--limit", type=int, default=None, help="Judge at most the first N of the order.")
    parser.add_argument("--budget-seconds", type=float, default=float("inf"), help="Stop after this long.")
    args = parser.parse_args(argv)

    data = data_from_args(args, copies=1)
    kinds = {k.strip() for k in args.kinds.split(",") if k.strip()}
    order = judging_order(e for e in data.train if not kinds or e.kind in kinds)[: args.limit]
    done = read_judgements(args.out)
    todo = [e for e in order if example_key(e) not in done]
    print(f"{len(order)} examples in order, {len(order) - len(todo)} judged already", flush=True)
    if not todo:
        return
    settings = Settings()
    llm = settings.llm
    server = None
    if llm.base_url is None:
        server = start_local_server(llm)
        llm = pointed_at(llm, server)
    judge = LLMReader(build_chat_model(llm))
    reader = Reader.load()
    started = time.time()
    try:
        with args.out.open("a", encoding="utf-8") as out:
            for n, example in enumerate(todo, 1):
                if time.time() - started > args.budget_seconds:
                    print(f"budget spent after {n - 1} judgements", flush=True)
                    break
                text, fast = judged_window(reader, example)
                p_yes = judge.judge(example.question, text)
                record = Judgement(
                    key=example_key(example), p_yes=p_yes, fast=fast, answerable=example.answerable
                )
                out.write(record.model_dump_json() + "\n")
                out.flush()
                if n % 50 == 0:
                    rate = n / (time.time() - started)
                    print(f"{n}/{len(todo)} judged ({rate:.2f} a second)", flush=True)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
