"""Training and held-out examples for the reader, built from `shared/eval`-style SQuAD JSONL.

Which questions a reader may learn from is decided here and nowhere else:
- SQuAD 2.0 dev is split by article as `talentqa calibrate` and `talentqa eval` split it
  (`evaluation.split_questions`): the test half is never read. Of the calibration half, the last
  `HOLDOUT_ARTICLES` articles (sorted by id) are held out of training: the reader's recorded metrics and its
  abstention threshold are measured on them, on questions the model has not seen.
- SQuAD 1.1 dev adds the articles that SQuAD 2.0 dev does not contain (answerable questions only); its
  questions on SQuAD 2.0 articles are the same questions again and are skipped.
- Near-misses, built from answerable questions: the paragraph with the answer's sentence deleted (the same
  people, places and topic, but not the asked-for fact), the most similar other paragraph of the same
  article, the question with one of its names or numbers swapped for another of the same article that
  the paragraph does not contain (a swapped name, a different year), and, on request, the question with
  one word turned into its opposite that the paragraph never uses ("When did it begin?" -> "When did it
  end?", as SQuAD 2.0's own antonym questions were written). All are "no answer" examples: the cases
  retrieval hands the reader most often.
- On request, lead-in questions: a share of every kind of example has its question led by a statement
  taken from its own paragraph ("The Normans gave their name to Normandy. In what country is Normandy
  located?"), as news quizzes and users write them ("NFL player Damar Hamlin suffered an on-field medical
  emergency this week. He is a valued member of which team?"). The statement matches the passage without
  being the asked-for fact, meant to teach that a question's own context is not an answer. Tried, not in
  the shipped reader: it learned to distrust long questions instead (see its card).
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel

from talentqa.eval.evaluation import EvalQuestion, split_questions
from talentqa.text import split_sentences

HOLDOUT_ARTICLES = 5
DELETED_SENTENCE_SHARE = 0.25
OTHER_PARAGRAPH_SHARE = 0.10
SWAPPED_SHARE = 0.15
OPPOSITE_SHARE = 0.6  # of the answerable questions that hold a word with an opposite
LEAD_IN_SHARE = 0.3  # of every kind of example, when lead-in questions are asked for
LEAD_IN_WORDS = (6, 35)  # a lead-in statement's length in words: a clause's worth, not a paragraph
LEAD_IN_SEED_OFFSET = 1  # lead-ins draw from their own stream: the other examples stay as they were
_WORD = re.compile(r"[a-z0-9]+")
# Words and their opposites, both ways, in the forms questions use them. A question turned by one of them
# asks for a fact its paragraph does not state, provided the paragraph never uses the opposite word.
_OPPOSITE_PAIRS = [
    ("begin", "end"), ("began", "ended"), ("begins", "ends"), ("start", "end"), ("started", "ended"),
    ("starts", "ends"), ("launched", "ended"), ("opened", "closed"), ("open", "close"),
    ("first", "last"), ("earliest", "latest"), ("oldest", "newest"), ("largest", "smallest"),
    ("biggest", "smallest"), ("highest", "lowest"), ("longest", "shortest"),
    ("maximum", "minimum"), ("increase", "decrease"), ("increased", "decreased"), ("rise", "fall"),
    ("rose", "fell"), ("won", "lost"), ("before", "after"), ("north", "south"),
    ("east", "west"), ("northern", "southern"), ("eastern", "western"), ("join", "leave"),
    ("bought", "sold"), ("buy", "sell"), ("import", "export"),
    ("imported", "exported"), ("allowed", "banned"), ("supported", "opposed"), ("support", "oppose"),
    ("accepted", "rejected"), ("strongest", "weakest"), ("best", "worst"), ("upper", "lower"),
    ("inside", "outside"), ("above", "below"), ("positive", "negative"), ("early", "late"),
]  # fmt: skip
_OPPOSITE = {a: b for a, b in _OPPOSITE_PAIRS} | {b: a for a, b in _OPPOSITE_PAIRS}
# Names (capitalised word runs) and numbers in a question: what a near-miss swaps for another of its article.
_NAME_OR_NUMBER = re.compile(r"\b\d[\d,.]*\b|\b[A-Z][\w'-]*(?:\s+(?:of|the|de|von|van)?\s*[A-Z][\w'-]*)*")


class ReaderExample(BaseModel):
    """A question, a passage and where in the passage the answer is (none: the passage does not answer)."""

    id: str
    question: str
    context: str
    answer_start: int | None = None
    answer_text: str = ""
    kind: str = "squad"
    title: str = ""
    date: str = ""  # the article's, for news passages: read in the header as at question time

    @property
    def answerable(self) -> bool:
        return self.answer_start is not None


class ReaderData(BaseModel):
    train: list[ReaderExample]
    holdout: list[ReaderExample]
    holdout_articles: list[str]
    train_articles: list[str]
    news_holdout: list[ReaderExample] = []  # written news questions held out (`talentqa.reading.news_data`)


def _read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _questions(path: Path) -> list[EvalQuestion]:
    return [EvalQuestion.model_validate(r) for r in _read_jsonl(path)]


def _paragraphs(path: Path) -> dict[str, dict[str, object]]:
    return {str(r["id"]): r for r in _read_jsonl(path)}


def _answer_start(question: EvalQuestion, context: str, raw: dict[str, object]) -> tuple[int, str] | None:
    starts = raw.get("answer_starts_first_occurrence")
    for i, answer in enumerate(question.answers):
        start = starts[i] if isinstance(starts, list) and i < len(starts) else -1
        if not (isinstance(start, int) and context[start : start + len(answer)] == answer):
            start = context.find(answer)
        if start >= 0:
            return start, answer
    return None


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _without_answer_sentence(context: str, start: int, answer: str) -> str | None:
    """The paragraph less every sentence that overlaps the answer; None where the answer survives."""
    end = start + len(answer)
    kept = [context[s.start : s.end] for s in split_sentences(context) if s.end <= start or s.start >= end]
    remaining = " ".join(kept)
    if len(kept) < 2 or answer.lower() in remaining.lower():
        return None
    return remaining


def _other_paragraph(question: str, answer: str, candidates: Sequence[str]) -> str | None:
    """The paragraph sharing most question words that does not contain the answer."""
    words = _words(question)
    best: tuple[int, str] | None = None
    for text in candidates:
        if answer.lower() in text.lower():
            continue
        score = len(words & _words(text))
        if best is None or score > best[0]:
            best = (score, text)
    return best[1] if best else None


def _examples(
    questions: Iterable[EvalQuestion],
    paragraphs: dict[str, dict[str, object]],
    raw: dict[str, dict[str, object]],
) -> list[ReaderExample]:
    examples: list[ReaderExample] = []
    for q in questions:
        # Unanswerable SQuAD 2.0 questions have no gold document but were written against one paragraph.
        paragraph_id = q.doc_ids[0] if q.doc_ids else raw[q.id].get("context_doc_id")
        if not isinstance(paragraph_id, str) or paragraph_id not in paragraphs:
            continue
        context = str(paragraphs[paragraph_id]["text"])
        title = str(paragraphs[paragraph_id].get("title", ""))
        if not q.answerable:
            examples.append(
                ReaderExample(id=q.id, question=q.question, context=context, kind="unanswerable", title=title)
            )
            continue
        found = _answer_start(q, context, raw[q.id])
        if found is None:
            continue
        examples.append(
            ReaderExample(
                id=q.id,
                question=q.question,
                context=context,
                answer_start=found[0],
                answer_text=found[1],
                title=title,
            )
        )
    return examples


def _near_misses(
    examples: Sequence[ReaderExample],
    article_of: dict[str, str],
    by_article: dict[str, list[str]],
    rng: random.Random,
    opposites: bool = False,
) -> list[ReaderExample]:
    made: list[ReaderExample] = []
    for ex in examples:
        if not ex.answerable or ex.answer_start is None:
            continue
        turned = _opposite(ex, rng) if opposites else None
        if turned:
            made.append(_no_answer(ex, "opposite", question=turned))
        roll = rng.random()
        if roll < DELETED_SENTENCE_SHARE:
            context = _without_answer_sentence(ex.context, ex.answer_start, ex.answer_text)
            kind = "deleted-sentence"
        elif roll < DELETED_SENTENCE_SHARE + OTHER_PARAGRAPH_SHARE:
            others = [p for p in by_article[article_of[ex.id]] if p != ex.context]
            context = _other_paragraph(ex.question, ex.answer_text, others)
            kind = "other-paragraph"
        elif roll < DELETED_SENTENCE_SHARE + OTHER_PARAGRAPH_SHARE + SWAPPED_SHARE:
            question = _swapped(ex, by_article[article_of[ex.id]], rng)
            if question:
                made.append(_no_answer(ex, "swapped", question=question))
            continue
        else:
            continue
        if context:
            made.append(_no_answer(ex, kind, context=context))
    return made


def _no_answer(
    ex: ReaderExample, kind: str, *, question: str | None = None, context: str | None = None
) -> ReaderExample:
    """A near-miss of `ex`: its question or its passage changed so that the passage no longer answers."""
    return ReaderExample(
        id=f"{ex.id}:{kind}",
        question=ex.question if question is None else question,
        context=ex.context if context is None else context,
        kind=kind,
        title=ex.title,
    )


def _swapped(ex: ReaderExample, paragraphs: Sequence[str], rng: random.Random) -> str | None:
    """The question with one name or number the paragraph holds replaced by a same-kind one of the article
    that the paragraph lacks: the passage no longer says what is asked."""
    first = re.match(r"\s*\S+", ex.question)
    offset = first.end() if first else 0
    mentions = [
        m
        for m in _NAME_OR_NUMBER.finditer(ex.question, offset)
        if m.group() in ex.context and m.group() not in ex.answer_text
    ]
    if not mentions:
        return None
    target = rng.choice(mentions)
    numeric = target.group()[0].isdigit()
    pool = sorted(
        {
            m.group()
            for p in paragraphs
            for m in _NAME_OR_NUMBER.finditer(p)
            if m.group()[0].isdigit() == numeric
            and m.group().lower() not in ex.context.lower()
            and len(m.group()) > 2
        }
    )
    if not pool:
        return None
    return ex.question[: target.start()] + rng.choice(pool) + ex.question[target.end() :]


def _opposite(ex: ReaderExample, rng: random.Random) -> str | None:
    """The question with one word turned into its opposite, when the paragraph never uses the opposite
    (else it may well answer the new question): "When did the program begin?" -> "... end?". The check
    is by exact word, as the shipped reader was trained: a paragraph saying "ended" does not stop "end"
    (comparing stems would drop 16 of its 529 such examples, some of them mislabelled)."""
    if rng.random() >= OPPOSITE_SHARE:
        return None
    used = _words(ex.context)
    turns = [
        m
        for m in re.finditer(r"[A-Za-z]+", ex.question)
        if m.group().lower() in _OPPOSITE
        and _OPPOSITE[m.group().lower()] not in used
        and (m.start() == 0 or m.group().islower())  # "Newton's First Law" is a name, not a word to turn
    ]
    if not turns:
        return None
    target = rng.choice(turns)
    word = target.group()
    opposite = _OPPOSITE[word.lower()]
    if word[0].isupper():
        opposite = opposite.capitalize()
    return ex.question[: target.start()] + opposite + ex.question[target.end() :]


def _led_in(ex: ReaderExample, rng: random.Random) -> ReaderExample | None:
    """`ex` with its question led by the sentence of its own passage most like the question that neither
    holds nor overlaps the answer; None where no sentence of the passage will do."""
    end = (ex.answer_start or 0) + len(ex.answer_text)
    low, high = LEAD_IN_WORDS
    statements = [
        text
        for s in split_sentences(ex.context)
        if (text := ex.context[s.start : s.end].strip())
        and low <= len(text.split()) <= high
        and text.endswith(".")
        and not (ex.answerable and s.start < end and s.end > (ex.answer_start or 0))
        and not (ex.answer_text and ex.answer_text.lower() in text.lower())
    ]
    if not statements:
        return None
    # The statement sharing most of the question's words: as in a quiz, the lead-in sets up the question's
    # own subject ("Damar Hamlin suffered ...") rather than any other fact of the passage.
    asked = _words(ex.question)
    most = max(len(asked & _words(t)) for t in statements)
    lead = rng.choice([t for t in statements if len(asked & _words(t)) == most])
    return ex.model_copy(update={"id": f"{ex.id}:lead-in", "question": f"{lead} {ex.question}"})


def _with_lead_ins(examples: Sequence[ReaderExample], rng: random.Random) -> list[ReaderExample]:
    """`examples` with `LEAD_IN_SHARE` of them (of every kind) led in (`_led_in`), in place: the same
    examples, so the same number of training steps."""
    led: list[ReaderExample] = []
    for ex in examples:
        changed = _led_in(ex, rng) if rng.random() < LEAD_IN_SHARE else None
        led.append(changed or ex)
    return led


def build(eval_root: Path, *, seed: int = 0, opposites: bool = False, lead_ins: bool = False) -> ReaderData:
    """The reader's training and held-out examples from `eval_root` (the `shared/eval` folder).
    `opposites` adds the opposite-word near-misses (tried, not in the shipped reader: see its card);
    `lead_ins` leads a share of the training questions with a statement from their passage (`_led_in`)."""
    squad2_dir, squad1_dir = eval_root / "squad2_dev", eval_root / "squad11_dev"
    squad2 = _questions(squad2_dir / "questions.jsonl")
    raw = {str(r["id"]): r for r in _read_jsonl(squad2_dir / "questions.jsonl")}
    calibration = split_questions(squad2, "calibration")
    test_articles = {q.article_id for q in split_questions(squad2, "test")}
    cal_articles = sorted({str(q.article_id) for q in calibration})
    holdout_articles = cal_articles[-HOLDOUT_ARTICLES:]
    paragraphs = _paragraphs(squad2_dir / "documents.jsonl")

    train_q = [q for q in calibration if q.article_id not in holdout_articles]
    holdout_q = [q for q in calibration if q.article_id in holdout_articles]

    squad1 = _questions(squad1_dir / "questions.jsonl")
    # SQuAD 1.1 records of the same ids list answers differently: never let them replace SQuAD 2.0's.
    for record in _read_jsonl(squad1_dir / "questions.jsonl"):
        raw.setdefault(str(record["id"]), record)
    squad2_articles = {q.article_id for q in squad2}
    extra_q = [q for q in squad1 if q.article_id not in squad2_articles]
    assert not {q.article_id for q in extra_q} & test_articles
    # The two sets number an article's paragraphs differently: SQuAD 2.0's ids keep SQuAD 2.0's text.
    for key, record in _paragraphs(squad1_dir / "documents.jsonl").items():
        paragraphs.setdefault(key, record)

    train = _examples(train_q, paragraphs, raw) + _examples(extra_q, paragraphs, raw)
    by_article: dict[str, list[str]] = defaultdict(list)
    for record in paragraphs.values():
        by_article[str(record["article_id"])].append(str(record["text"]))
    article_of = {q.id: str(q.article_id) for q in [*train_q, *extra_q]}
    rng = random.Random(seed)
    train += _near_misses(train, article_of, by_article, rng, opposites)
    if lead_ins:
        train = _with_lead_ins(train, random.Random(seed + LEAD_IN_SEED_OFFSET))
    rng.shuffle(train)
    return ReaderData(
        train=train,
        holdout=_examples(holdout_q, paragraphs, raw),
        holdout_articles=holdout_articles,
        train_articles=sorted({*(str(q.article_id) for q in train_q), *(str(q.article_id) for q in extra_q)}),
    )
