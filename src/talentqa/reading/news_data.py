"""Reader examples from news questions written for training (`eval/reader-news/`).

The reader learnt from Wikipedia paragraphs, whose near-misses are made by rule (a deleted sentence, a
swapped name). News near-misses take other shapes: another attribute of the story's people, the same figure
for another year or another party, a part where the article gives the total. Writers who read each article
whole wrote such questions, each with the sentence a careless reader would quote (`near`), and answerable
questions with their exact answer and its sentence (`evidence`). Each becomes an example read the way the
answerer reads a stored passage: the article loaded as `talentqa ingest` loads a JSONL record, chunked with
the store's settings, the chunk holding that sentence under the article's title and date.

The articles are RealTimeQA's (`shared/eval/realtimeqa_news/documents.jsonl`), none of them a gold or
silver article of its questions nor an article of our own held-out rounds (`eval/own/`). One part of the
files is held out of training (`HOLDOUT_PARTS`): news questions the reader never saw, to measure it on.

Tried once, not in the shipped reader (docs/measured.md, "News questions written for training the reader"):
a student of v4 taught with them separated the held-out file far better (AUC 0.771 -> 0.862) but not our
other held-out rounds, and grew less sure of news passages in general, withholding more RealTimeQA,
NewsQA and MultiHop-RAG answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel

from talentqa.ingest.chunking import chunk_article
from talentqa.ingest.loaders import load_records
from talentqa.models import Article, Chunk
from talentqa.reading.data import ReaderExample
from talentqa.settings import ChunkSettings

NEWS_KIND = "news"
NEWS_NEAR_MISS_KIND = "news-near-miss"
# Examples the teacher of a distilled reader never learnt the like of: their labels alone teach them.
LABELS_ONLY_KINDS = frozenset({NEWS_KIND, NEWS_NEAR_MISS_KIND})
HOLDOUT_PARTS = frozenset({"part8"})


class NewsQuestion(BaseModel):
    """One written question: answerable with `answer` inside `evidence`, or a near-miss whose `near`
    sentence is about its subject but does not state what `missing` says is asked."""

    id: str
    article_id: str
    question: str
    answerable: bool
    answer: str = ""
    evidence: str = ""
    near: str = ""
    missing: str = ""
    shape: str = ""


class NewsExamples(BaseModel):
    train: list[ReaderExample]
    holdout: list[ReaderExample]
    skipped: list[str]  # question ids whose sentence no chunk holds whole (reported, never guessed)


def read_questions(folder: Path) -> dict[str, list[NewsQuestion]]:
    """The written questions by part (file stem), in file order."""
    parts: dict[str, list[NewsQuestion]] = {}
    for path in sorted(folder.glob("part*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        parts[path.stem] = [NewsQuestion.model_validate_json(line) for line in lines if line.strip()]
    return parts


def load_articles(documents: Path, ids: Iterable[str]) -> dict[str, Article]:
    """The articles `ids` from a JSONL documents file, loaded as `talentqa ingest` loads its records."""
    wanted = set(ids)
    lines = []
    with documents.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip() and json.loads(line).get("id") in wanted:
                lines.append(line)
    articles = {a.doc_id: a for a in load_records(lines, str(documents)) if isinstance(a, Article)}
    missing = wanted - articles.keys()
    if missing:
        raise ValueError(f"{len(missing)} article(s) not in {documents}: {', '.join(sorted(missing)[:5])}")
    return articles


def _chunk_holding(chunks: Sequence[Chunk], start: int, end: int) -> Chunk | None:
    """The first chunk holding [start, end) whole (chunks overlap, so a sentence may be in two)."""
    return next((c for c in chunks if c.start <= start and end <= c.end), None)


def example(question: NewsQuestion, article: Article, chunks: Sequence[Chunk]) -> ReaderExample | None:
    """`question` as a reader example on the chunk that holds its sentence; None where none holds it."""
    sentence = question.evidence if question.answerable else question.near
    at = article.text.find(sentence)
    if not sentence or at < 0:
        return None
    chunk = _chunk_holding(chunks, at, at + len(sentence))
    if chunk is None:
        return None
    date = article.published.isoformat() if article.published else ""
    kind = NEWS_KIND if question.answerable else NEWS_NEAR_MISS_KIND
    common = {"id": question.id, "question": question.question, "context": chunk.text, "kind": kind,
              "title": article.title, "date": date}  # fmt: skip
    if not question.answerable:
        return ReaderExample(**common)
    inside = sentence.find(question.answer)
    if not question.answer or inside < 0:
        return None
    return ReaderExample(**common, answer_start=at + inside - chunk.start, answer_text=question.answer)


def build_news(folder: Path, documents: Path, settings: ChunkSettings | None = None) -> NewsExamples:
    """The training and held-out news examples of the questions in `folder`."""
    parts = read_questions(folder)
    articles = load_articles(documents, {q.article_id for qs in parts.values() for q in qs})
    chunked = {doc_id: chunk_article(a, settings or ChunkSettings()) for doc_id, a in articles.items()}
    train: list[ReaderExample] = []
    holdout: list[ReaderExample] = []
    skipped: list[str] = []
    for part, questions in parts.items():
        for q in questions:
            made = example(q, articles[q.article_id], chunked[q.article_id])
            if made is None:
                skipped.append(q.id)
            else:
                (holdout if part in HOLDOUT_PARTS else train).append(made)
    return NewsExamples(train=train, holdout=holdout, skipped=skipped)
