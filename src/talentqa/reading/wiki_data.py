"""Reader examples from SQuAD-style questions written for training (`eval/reader-wiki/`).

The reader learns "no answer" mostly from near-misses made by rule (a deleted sentence, another paragraph,
a swapped name) and from the 1,953 unanswerable questions of the SQuAD 2.0 calibration articles it trains
on. SQuAD 2.0's unanswerable questions were written by people: on topic, with a plausible answer of the
right type in the paragraph (a negation, an antonym, a swapped entity or year, an impossible condition, an
attribute never given). The SQuAD 1.1 articles the reader trains on have answerable questions only.
Writers who saw only paragraphs of those articles (never a question, an answer or the code) wrote, for each
paragraph, one answerable question with its exact answer and two unanswerable ones of different shapes,
one of them the answerable question's "twin" (nearly the same words, one change), so that the writing
itself tells the reader nothing: only reading the paragraph separates the two.

Each becomes an example on its whole paragraph under its article's title, as the SQuAD examples are read.
The paragraphs must belong to articles the reader already trains on (`ReaderData.train_articles`): never
a held-out calibration article, never the SQuAD 2.0 test half (`train.with_wiki` checks).

Tried once, not in the shipped reader (docs/measured.md, "SQuAD-style questions written for training the
reader"): a student of v4 taught with them separated answerable from near-miss better on our held-out
rounds, SQuAD and MultiHop-RAG, but grew stricter with news quizzes that word a story loosely and withheld
more RealTimeQA answers.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from talentqa.reading.data import ReaderExample

WIKI_KIND = "written"
WIKI_NO_ANSWER_KIND = "written-no-answer"
# Examples the teacher of a distilled reader never learnt the like of: their labels alone teach them.
LABELS_ONLY_KINDS = frozenset({WIKI_KIND, WIKI_NO_ANSWER_KIND})


class WikiQuestion(BaseModel):
    """One written question on one paragraph: answerable with `answer` (an exact span), or not, with the
    span a careless reader would give (`plausible`), what the paragraph lacks (`missing`) and the shape."""

    id: str
    paragraph_id: str
    question: str
    answerable: bool
    answer: str = ""
    plausible: str = ""
    missing: str = ""
    shape: str = ""


class WikiExamples(BaseModel):
    train: list[ReaderExample]
    articles: list[str]  # the articles their paragraphs belong to
    skipped: list[str]  # question ids whose answer the paragraph does not hold (reported, never guessed)


def read_questions(folder: Path) -> list[WikiQuestion]:
    """Every written question of the folder's `part*.jsonl` files, in file order."""
    questions: list[WikiQuestion] = []
    for path in sorted(folder.glob("part*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        questions += [WikiQuestion.model_validate_json(line) for line in lines if line.strip()]
    return questions


def article_of(paragraph_id: str) -> str:
    """ "Kenya::p3" -> "Kenya" (the SQuAD JSONL's paragraph ids)."""
    return paragraph_id.split("::", 1)[0]


def example(question: WikiQuestion, paragraph: dict[str, object]) -> ReaderExample | None:
    """`question` as a reader example on its paragraph; None where an answerable one's answer is absent."""
    context = str(paragraph["text"])
    common = {"id": question.id, "question": question.question, "context": context,
              "title": str(paragraph.get("title", ""))}  # fmt: skip
    if not question.answerable:
        return ReaderExample(**common, kind=WIKI_NO_ANSWER_KIND)
    start = context.find(question.answer) if question.answer else -1
    if start < 0:
        return None
    return ReaderExample(**common, kind=WIKI_KIND, answer_start=start, answer_text=question.answer)


def build_wiki(folder: Path, documents: Path) -> WikiExamples:
    """The examples of the questions in `folder` on the paragraphs of `documents` (SQuAD JSONL)."""
    questions = read_questions(folder)
    wanted = {q.paragraph_id for q in questions}
    paragraphs: dict[str, dict[str, object]] = {}
    with documents.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                if row.get("id") in wanted:
                    paragraphs[str(row["id"])] = row
    missing = wanted - paragraphs.keys()
    if missing:
        raise ValueError(f"{len(missing)} paragraph(s) not in {documents}: {', '.join(sorted(missing)[:5])}")
    train: list[ReaderExample] = []
    skipped: list[str] = []
    for q in questions:
        made = example(q, paragraphs[q.paragraph_id])
        if made is None:
            skipped.append(q.id)
        else:
            train.append(made)
    return WikiExamples(train=train, articles=sorted({article_of(p) for p in wanted}), skipped=skipped)
