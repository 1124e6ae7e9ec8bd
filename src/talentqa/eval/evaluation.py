"""Evaluation over `shared/eval`-style JSONL: datasets, splits, per-question scoring and aggregate metrics.

A dataset is a folder with `documents.jsonl` + `questions.jsonl`, or a questions file plus the document
paths to ingest. Every question goes through `TalentQA.ask`, the code path users get, and is scored from
what that returned:

- retrieval: ten passages are retrieved and their documents ranked by first appearance (an article
  with three passages counts once). recall@k is the share of questions with gold documents that have
  one among the first k documents (a hit rate, so a question with five silver documents is not
  penalised for finding one); MRR is the mean of 1/rank of the first gold document (0 when none);
- answers: on answerable questions with gold strings, whether one appears in the cited quotes (any quote /
  the first quote; case-insensitive, whitespace-normalised) and SQuAD token F1 of the answer text;
- citations: quote exactness over every quote shown (citations and related passages), citation precision
  (cited passages in a gold document, over all citations on questions with gold documents) and citation
  recall (share of those questions with at least one gold document cited);
- abstention: share of unanswerable questions abstained on, and of answerable ones wrongly abstained on;
- latency of `ask` per question, p50 and p95.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import string
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from talentqa.answer.texts import as_of_note
from talentqa.dates import parse_date
from talentqa.errors import ConfigError
from talentqa.models import Answer, AnswererName, Article
from talentqa.settings import Settings

if TYPE_CHECKING:
    from talentqa.eval.baseline import LangChainBaseline
    from talentqa.service import QAService

Split = Literal["all", "calibration", "test"]
RECALL_KS = (1, 5, 10)
RETRIEVAL_DEPTH = 10
SHORT_ANSWER_RIGHT_F1 = 0.5  # a short answer sharing half its words with the gold one names the same thing
METRIC_KEYS = (
    "recall@1",
    "recall@5",
    "recall@10",
    "mrr",
    "answer_in_quotes",
    "answer_in_top_quote",
    "answer_in_passages",
    "f1",
    "short_answer_shown",
    "short_answer_right",
    "quote_exactness",
    "citation_precision",
    "citation_recall",
    "abstained_unanswerable",
    "wrongly_abstained",
    "p50_ms",
    "p95_ms",
)


# --- datasets ------------------------------------------------------------------------------------------


class EvalQuestion(BaseModel):
    """One question of an eval set; unknown keys in the JSONL are ignored."""

    model_config = ConfigDict(extra="ignore")

    id: str
    question: str
    answers: list[str] = Field(default_factory=list)
    doc_ids: list[str] = Field(default_factory=list)
    silver_doc_ids: list[str] = Field(default_factory=list)
    answerable: bool = True
    article_id: str | None = None
    asked_on: dt.date | None = Field(
        default=None,
        validation_alias=AliasChoices("asked_on", "question_date"),
        description="The day the question was asked (a news quiz's date), which its 'this week' counts from; "
        "today where the set gives none.",
    )

    @field_validator("asked_on", mode="before")
    @classmethod
    def _read_date(cls, value: Any) -> dt.date | None:
        return parse_date(value)

    @property
    def gold_docs(self) -> set[str]:
        """Documents that count as correct evidence: the gold ids plus the silver ones where present."""
        return set(self.doc_ids) | set(self.silver_doc_ids)


class Dataset(BaseModel):
    name: str
    questions_path: Path
    document_paths: list[Path]
    questions: list[EvalQuestion]


def read_questions(path: Path) -> list[EvalQuestion]:
    """Questions from a JSONL file; a malformed line is an error naming the file and line."""
    questions: list[EvalQuestion] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read questions file {path}: {exc.strerror or exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            record["id"] = str(record.get("id", f"line-{number}"))
            if record.get("article_id") is not None:
                record["article_id"] = str(record["article_id"])
            questions.append(EvalQuestion.model_validate(record))
        except (json.JSONDecodeError, ValueError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{path}:{number}: not a valid question record ({exc})") from exc
    if not questions:
        raise ConfigError(f"{path} holds no questions")
    return questions


def load_dataset(target: Path, docs: Sequence[Path] = (), distractors: Sequence[Path] = ()) -> Dataset:
    """A dataset folder (documents.jsonl + questions.jsonl) or a questions file with `docs` to ingest."""
    if target.is_dir():
        questions_path = target / "questions.jsonl"
        documents = target / "documents.jsonl"
        if not questions_path.exists():
            raise ConfigError(f"{target} has no questions.jsonl")
        doc_paths = ([documents] if documents.exists() else []) + list(docs)
        name = target.name
    elif target.is_file():
        questions_path = target
        doc_paths = list(docs)
        name = target.stem
    else:
        raise ConfigError(f"no such dataset folder or questions file: {target}")
    doc_paths += list(distractors)
    doc_paths = [_documents_of(path) for path in doc_paths]
    if not doc_paths:
        raise ConfigError(f"{target}: no documents to ingest (give --docs for a questions file)")
    for path in doc_paths:
        if not path.exists():
            raise ConfigError(f"no such documents file or folder: {path}")
    return Dataset(
        name=name,
        questions_path=questions_path,
        document_paths=doc_paths,
        questions=read_questions(questions_path),
    )


def _documents_of(path: Path) -> Path:
    """A dataset folder given as documents (`--distractors ../shared/eval/realtimeqa_news`) stands for its
    documents.jsonl: its questions.jsonl holds no article text, and ingesting it fails record by record."""
    documents = path / "documents.jsonl"
    if path.is_dir() and documents.is_file() and (path / "questions.jsonl").is_file():
        return documents
    return path


def split_questions(questions: Sequence[EvalQuestion], split: Split) -> list[EvalQuestion]:
    """First (calibration) or second (test) half of the articles by sorted article id.

    Splitting by article keeps every question about one article on one side, so weights fitted on the
    calibration half never see text the test half asks about. Sets without article ids split by question id.
    """
    if split == "all":
        return list(questions)
    keys = sorted({q.article_id if q.article_id is not None else q.id for q in questions})
    half = len(keys) // 2
    chosen = set(keys[:half] if split == "calibration" else keys[half:])
    return [q for q in questions if (q.article_id if q.article_id is not None else q.id) in chosen]


def sample_questions(questions: Sequence[EvalQuestion], limit: int | None, seed: int) -> list[EvalQuestion]:
    """A seeded random sample of `limit` questions, kept in dataset order (all of them without a limit)."""
    if limit is None or limit >= len(questions):
        return list(questions)
    picked = set(random.Random(seed).sample(range(len(questions)), limit))
    return [q for i, q in enumerate(questions) if i in picked]


# --- text normalisation ---------------------------------------------------------------------------------

_WS = re.compile(r"\s+")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation) | {"\u2018", "\u2019", "\u201c", "\u201d", "\u2013", "\u2014"}
_MARKERS = re.compile(r"\[\d+\]")


# Typographic quotation marks and apostrophes written plain: a gold answer typed '"American Graffiti"'
# is in a quote printing “American Graffiti”, and "Russia's" in "Russia’s".
_PLAIN_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'"})


def fold(text: str) -> str:
    """Case-insensitive, whitespace-normalised form for answer-in-quote containment."""
    return _WS.sub(" ", unicodedata.normalize("NFC", text).translate(_PLAIN_QUOTES)).strip().casefold()


def gold_form(answer: str) -> str:
    """A gold answer as a quote must hold it: folded, without the quotation marks around a title
    (RealTimeQA's '“Spare”' is answered by "his autobiography Spare")."""
    folded = fold(answer)
    if len(folded) > 2 and folded[0] == folded[-1] == '"':
        return folded[1:-1].strip()
    return folded


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    folded = fold(text)
    return any(gold_form(a) and gold_form(a) in folded for a in answers)


def squad_normalize(text: str) -> str:
    """SQuAD's official normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """Best SQuAD token F1 of `prediction` against any gold answer."""
    pred = squad_normalize(prediction).split()
    best = 0.0
    for gold in golds:
        ref = squad_normalize(gold).split()
        if not pred or not ref:
            best = max(best, float(pred == ref))
            continue
        common = sum((Counter(pred) & Counter(ref)).values())
        if common:
            precision, recall = common / len(pred), common / len(ref)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def answer_text(answer: Answer) -> str:
    """What the answer says, without citation markers or the trailing 'as of' date; empty when abstaining."""
    if answer.abstained:
        return ""
    text = answer.text.rstrip()
    if answer.as_of is not None:
        text = text.removesuffix(as_of_note(answer.as_of))
    return _MARKERS.sub("", text).strip()


# --- per-question scoring ---------------------------------------------------------------------------------


class QuoteCheck(BaseModel):
    doc_id: str
    quote: str
    exact: bool


class QuestionResult(BaseModel):
    """Everything the metrics need about one asked question (JSON-serialisable, for reports)."""

    id: str
    question: str
    answerable: bool
    answers: list[str]
    gold_docs: list[str]
    retrieved_docs: list[str] = Field(description="Document of each retrieved passage, best first.")
    abstained: bool
    answer_text: str
    short_answer: str | None = Field(default=None, description="The span the answer led with, if any.")
    citations: list[QuoteCheck]
    related: list[QuoteCheck] = Field(default_factory=list)
    confidence: float | None = None
    answerer: str | None = Field(default=None, description="Who answered: `Answer.answerer`.")
    latency_ms: float
    answer_in_passages: bool | None = Field(
        default=None,
        description="Whether a gold answer string is in any passage the answerer was handed (None: unknown).",
    )

    @property
    def gold_rank(self) -> int | None:
        """1-based rank of the first gold document among the retrieved documents (each counted once)."""
        gold = set(self.gold_docs)
        ranked = list(dict.fromkeys(self.retrieved_docs))
        return next((i for i, d in enumerate(ranked, start=1) if d in gold), None)


def _check(doc_id: str, quote: str, start: int, end: int, text_of: Callable[[str], str]) -> QuoteCheck:
    try:
        exact = text_of(doc_id)[start:end] == quote
    except Exception:  # a vanished document cannot vouch for its quote
        exact = False
    return QuoteCheck(doc_id=doc_id, quote=quote, exact=exact)


def score_answer(
    question: EvalQuestion,
    answer: Answer,
    retrieved_docs: Sequence[str],
    latency_ms: float,
    text_of: Callable[[str], str],
    passages: Sequence[str] | None = None,
) -> QuestionResult:
    """Turn one answer (and the retrieval behind it) into a `QuestionResult`; `passages`, the texts the
    answerer was handed, tell whether it could have quoted a gold answer at all."""
    confidence = answer.debug.get("confidence")
    return QuestionResult(
        id=question.id,
        question=question.question,
        answerable=question.answerable,
        answers=question.answers,
        gold_docs=sorted(question.gold_docs),
        retrieved_docs=list(retrieved_docs),
        abstained=answer.abstained,
        answer_text=answer_text(answer),
        short_answer=None if answer.abstained else answer.short_answer,
        citations=[_check(c.doc_id, c.quote, c.start, c.end, text_of) for c in answer.citations],
        related=[_check(c.doc_id, c.quote, c.start, c.end, text_of) for c in answer.related],
        confidence=float(confidence) if isinstance(confidence, int | float) else None,
        answerer=answer.answerer,
        latency_ms=latency_ms,
        answer_in_passages=(
            any(contains_answer(p, question.answers) for p in passages)
            if passages is not None and question.answers
            else None
        ),
    )


# --- aggregate metrics ---------------------------------------------------------------------------------


class Metrics(BaseModel):
    """Aggregate figures; None where a figure has no denominator (e.g. no unanswerable questions)."""

    model_config = ConfigDict(populate_by_name=True)

    recall_1: float | None = Field(default=None, alias="recall@1")
    recall_5: float | None = Field(default=None, alias="recall@5")
    recall_10: float | None = Field(default=None, alias="recall@10")
    mrr: float | None = None
    answer_in_quotes: float | None = None
    answer_in_top_quote: float | None = None
    answer_in_passages: float | None = Field(
        default=None,
        description="Share of answerable questions with a gold answer in some passage the answerer read: "
        "the most `answer_in_quotes` can reach with this retrieval.",
    )
    f1: float | None = None
    short_answer_shown: float | None = Field(
        default=None,
        description="Share of answered answerable questions whose answer leads with a short answer.",
    )
    short_answer_right: float | None = Field(
        default=None,
        description="Share of those short answers with token F1 >= 0.5 against a gold answer: how often "
        "the words a reader sees first are right.",
    )
    quote_exactness: float | None = None
    citation_precision: float | None = None
    citation_recall: float | None = None
    abstained_unanswerable: float | None = None
    wrongly_abstained: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    questions: int = 0
    answerable: int = 0
    unanswerable: int = 0
    with_gold_docs: int = 0
    with_gold_answers: int = 0
    quotes: int = 0
    recall_curve: list[float] = Field(default_factory=list, description="recall@k for k = 1..10.")

    def figures(self) -> dict[str, float | None]:
        """The headline figures under their report keys (`recall@1`, ..., `p95_ms`)."""
        dumped = self.model_dump(by_alias=True)
        return {key: dumped[key] for key in METRIC_KEYS}


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def quotable(answers: Sequence[str]) -> bool:
    """Whether a gold answer is a string a quote can hold: "yes" or "no" (MultiHop-RAG's comparison
    questions) is a verdict, not text of the article, and as a substring "no" is in "not" and "know"."""
    return any(fold(a).strip(" .!") not in _VERDICTS for a in answers if fold(a))


_VERDICTS = frozenset(("yes", "no"))


def compute_metrics(results: Sequence[QuestionResult]) -> Metrics:
    with_docs = [r for r in results if r.answerable and r.gold_docs]
    # Answer-string figures count the questions whose gold answers are text; yes/no verdicts count in the
    # abstention and citation figures.
    with_answers = [r for r in results if r.answerable and quotable(r.answers)]
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    ranks = [r.gold_rank for r in with_docs]
    curve = [
        sum(1 for rank in ranks if rank is not None and rank <= k) / len(ranks)
        for k in range(1, RETRIEVAL_DEPTH + 1)
        if ranks
    ]
    answered = [r for r in with_answers if not r.abstained]
    shorts = [r for r in answered if r.short_answer]
    quotes = [q for r in results for q in (*r.citations, *r.related)]
    cited = [(c, set(r.gold_docs)) for r in with_docs for c in r.citations]
    latencies = [r.latency_ms for r in results]
    return Metrics(
        recall_1=curve[0] if ranks else None,
        recall_5=curve[4] if ranks else None,
        recall_10=curve[9] if ranks else None,
        mrr=float(np.mean([1 / rank if rank else 0.0 for rank in ranks])) if ranks else None,
        answer_in_quotes=_share(
            [any(contains_answer(c.quote, r.answers) for c in r.citations) for r in with_answers]
        ),
        answer_in_top_quote=_share(
            [bool(r.citations) and contains_answer(r.citations[0].quote, r.answers) for r in with_answers]
        ),
        answer_in_passages=_share(
            [bool(r.answer_in_passages) for r in with_answers if r.answer_in_passages is not None]
        ),
        f1=float(np.mean([token_f1(r.answer_text, r.answers) for r in with_answers]))
        if with_answers
        else None,
        short_answer_shown=_share([bool(r.short_answer) for r in answered]),
        short_answer_right=_share(
            [token_f1(r.short_answer or "", r.answers) >= SHORT_ANSWER_RIGHT_F1 for r in shorts]
        ),
        quote_exactness=_share([q.exact for q in quotes]),
        citation_precision=_share([c.doc_id in gold for c, gold in cited]),
        citation_recall=_share([any(c.doc_id in set(r.gold_docs) for c in r.citations) for r in with_docs]),
        abstained_unanswerable=_share([r.abstained for r in unanswerable]),
        wrongly_abstained=_share([r.abstained for r in answerable]),
        p50_ms=float(np.percentile(latencies, 50)) if latencies else None,
        p95_ms=float(np.percentile(latencies, 95)) if latencies else None,
        questions=len(results),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        with_gold_docs=len(with_docs),
        with_gold_answers=len(with_answers),
        quotes=len(quotes),
        recall_curve=curve,
    )


def abstention_tradeoff(
    results: Sequence[QuestionResult], points: int = 101
) -> list[tuple[float, float, float]]:
    """(threshold, abstained_unanswerable, wrongly_abstained) as the threshold moves over [0, 1].

    Read from each answer's confidence: a question abstains at threshold t when its confidence is below t.
    """
    scored = [r for r in results if r.confidence is not None]
    yes = np.array([r.confidence for r in scored if r.answerable], dtype=float)
    no = np.array([r.confidence for r in scored if not r.answerable], dtype=float)
    curve: list[tuple[float, float, float]] = []
    for t in np.linspace(0.0, 1.0, points):
        unanswerable = float(np.mean(no < t)) if no.size else float("nan")
        wrong = float(np.mean(yes < t)) if yes.size else float("nan")
        curve.append((float(t), unanswerable, wrong))
    return curve


# --- running ---------------------------------------------------------------------------------------------


class SystemRun(BaseModel):
    """One system's results on the sampled questions."""

    system: str
    metrics: Metrics
    results: list[QuestionResult]


class EvalReport(BaseModel):
    dataset: str
    split: Split
    limit: int | None
    seed: int
    answerer: str
    k: int
    abstain_threshold: float | None
    documents: int
    settings: dict[str, Any] = Field(default_factory=dict)
    runs: list[SystemRun]

    def figures(self) -> dict[str, dict[str, float | None]]:
        return {run.system: run.metrics.figures() for run in self.runs}

    def to_json(self) -> dict[str, Any]:
        payload: dict[str, Any] = self.figures()
        payload["meta"] = {
            "dataset": self.dataset,
            "split": self.split,
            "limit": self.limit,
            "seed": self.seed,
            "answerer": self.answerer,
            "k": self.k,
            "abstain_threshold": self.abstain_threshold,
            "documents": self.documents,
            "settings": self.settings,
            "counts": {
                run.system: run.metrics.model_dump(
                    include={
                        "questions",
                        "answerable",
                        "unanswerable",
                        "with_gold_docs",
                        "with_gold_answers",
                        "quotes",
                    }
                )
                for run in self.runs
            },
        }
        return payload


Progress = Callable[[int, int], None]


def run_talentqa(
    qa: QAService,
    questions: Sequence[EvalQuestion],
    *,
    k: int | None = None,
    answerer: AnswererName | None = None,
    threshold: float | None = None,
    progress: Progress | None = None,
    system: str = "talentqa",
    done: Mapping[str, QuestionResult] | None = None,
    record: Callable[[QuestionResult], None] | None = None,
) -> SystemRun:
    """Ask every question through `QAService.ask` and score it (reported under the name `system`).

    Retrieval is read separately at depth ten for recall@k, and at the answer's k for the passages the
    answerer reads (whether a gold answer was among them: the reading step's ceiling). The first
    question is asked once untimed so model loading does not count as latency. Questions whose id is in
    `done` (an interrupted run's journal) are not asked again; each new result goes to `record` as soon
    as it is scored.
    """
    done = done or {}
    pending = [question for question in questions if question.id not in done]
    if pending:
        qa.ask(pending[0].question, k=k, answerer=answerer, threshold=threshold, today=pending[0].asked_on)
    results: list[QuestionResult] = []
    for i, question in enumerate(questions, start=1):
        if question.id in done:
            results.append(done[question.id])
        else:
            results.append(_ask_and_score(qa, question, k, answerer, threshold))
            if record:
                record(results[-1])
        if progress:
            progress(i, len(questions))
    return SystemRun(system=system, metrics=compute_metrics(results), results=results)


def _ask_and_score(
    qa: QAService,
    question: EvalQuestion,
    k: int | None,
    answerer: AnswererName | None,
    threshold: float | None,
) -> QuestionResult:
    asked_on = question.asked_on
    docs = [p.chunk.doc_id for p in qa.retrieve(question.question, k=RETRIEVAL_DEPTH, today=asked_on)]
    read = [p.chunk.text for p in qa.retrieve(question.question, k=k, today=asked_on)]
    started = time.perf_counter()
    answer = qa.ask(question.question, k=k, answerer=answerer, threshold=threshold, today=asked_on)
    latency = (time.perf_counter() - started) * 1000
    return score_answer(question, answer, docs, latency, qa.document_text, read)


def run_baseline(
    baseline: LangChainBaseline, questions: Sequence[EvalQuestion], *, progress: Progress | None = None
) -> SystemRun:
    """Score the LangChain baseline on the same questions with the same metrics.

    One dense search at depth ten serves both recall@k and the answer (its top chunk), and is what is timed.
    """
    results: list[QuestionResult] = []
    for i, question in enumerate(questions, start=1):
        started = time.perf_counter()
        hits = baseline.search(question.question, RETRIEVAL_DEPTH)
        answer = baseline.answer(question.question, hits)
        latency = (time.perf_counter() - started) * 1000
        docs = [hit.doc_id for hit in hits]
        results.append(score_answer(question, answer, docs, latency, baseline.text))
        if progress:
            progress(i, len(questions))
    return SystemRun(system="baseline", metrics=compute_metrics(results), results=results)


def load_articles(paths: Sequence[Path], settings: Settings) -> list[Article]:
    """The documents as talentqa loads them (same ids, same normalised text), for the baseline."""
    from talentqa.ingest.pipeline import iter_sources

    return [item for item in iter_sources([str(p) for p in paths], settings) if isinstance(item, Article)]


# --- the bot's feedback as an eval set ---------------------------------------------------------------------


def feedback_questions(path: Path) -> list[dict[str, Any]]:
    """One eval record per answer users clicked on, in the questions.jsonl schema.

    Users give no gold strings, so `answers` is empty (a reviewer fills it in). An answer found helpful
    makes its unflagged cited documents the gold `doc_ids`; an abstention found helpful becomes an
    unanswerable question; a flagged citation is listed under `wrong_citations` and marks the record for
    review, since a wrong quote says nothing certain about what the right one is.
    """
    from talentqa.feedback import FeedbackRecord, list_feedback

    groups: dict[str, list[FeedbackRecord]] = {}
    for record in list_feedback(path):
        groups.setdefault(record.answer_key, []).append(record)
    questions: list[dict[str, Any]] = []
    for key, records in groups.items():
        first = records[0]
        helpful = sum(r.kind == "helpful" for r in records)
        flagged = sorted({c for r in records for c in r.flagged_ids})
        if first.abstained and not helpful:
            continue  # nothing was shown to judge
        kept = [c for c in first.citation_ids if c not in flagged]
        questions.append(
            {
                "id": f"feedback-{key}",
                "question": first.question,
                "answers": [],
                "doc_ids": sorted({c.rsplit(":", 1)[0] for c in kept}),
                "answerable": not first.abstained,
                "gold_type": "feedback",
                "evidence": kept,
                "wrong_citations": flagged,
                "helpful": helpful,
                "needs_review": bool(flagged),
                "answerer": first.answerer,
                "asked_at": first.created_at.isoformat(),
            }
        )
    return questions
