"""Calibrate the fast reader's abstention threshold for yes/no questions.

The reader learnt from SQuAD, where an answer is a span and almost no question is yes/no ("Did The Verge
report ...?"). It still tells a passage that settles a yes/no question from one that only shares its
topic, but far less surely: a passage that states what the question asks gets a probability well below
one that holds a span, so the span questions' threshold withholds most yes/no answers. Yes/no questions
get their own threshold, fitted the same way (withhold at most `max_wrong` of answerable questions) on
questions of that form: expert-written scientific claims (SciFact, its training claims; its dev claims
stay unseen), each asked as "Is it true that ...?" of the abstract it cites. The abstract supports or
contradicts the claim (answerable: the evidence says yes or no) or, for the claims its annotators found
no evidence for, only shares the claim's subject (the near-miss: unanswerable).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel

from talentqa.errors import ConfigError
from talentqa.eval.calibration import QuestionReading
from talentqa.reading.model import PassageReader, passage_header

# Relative to the dataset folder: the claims the threshold is fitted on (SciFact's training split).
CLAIMS_FILE = "questions_train.jsonl"
NO_EVIDENCE = "NOT_ENOUGH_INFO"
YES_NO_CALIBRATION = Path(__file__).resolve().parent.parent / "reading" / "model" / "calibration_yes_no.json"


class ClaimPair(BaseModel):
    """A claim asked as a yes/no question of the passage it cites."""

    id: str
    question: str
    title: str
    text: str
    answerable: bool


def as_yes_no(claim: str) -> str:
    """ "Vitamin D lowers the risk of X." -> "Is it true that vitamin D lowers the risk of X?"; a claim
    opening with an acronym or a number ("IL-6 ...", "1,000 genomes ...") keeps its case."""
    text = claim.strip().rstrip(".").strip()
    if (
        len(text) > 1
        and text[0].isupper()
        and not (text[1].isupper() or text[1].isdigit() or text[1] in "-/")
    ):
        text = text[0].lower() + text[1:]
    return f"Is it true that {text}?"


def load_claims(folder: Path, file: str = CLAIMS_FILE) -> list[ClaimPair]:
    """Each labelled claim of `folder/file` with the first abstract it cites (`documents.jsonl`)."""
    claims_path, documents_path = folder / file, folder / "documents.jsonl"
    for path in (claims_path, documents_path):
        if not path.is_file():
            raise ConfigError(f"{folder} has no {path.name}: yes/no calibration needs SciFact-style claims")
    documents: dict[str, dict[str, str]] = {}
    with documents_path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                documents[str(record["id"])] = record
    pairs: list[ClaimPair] = []
    with claims_path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            cited = [str(d) for d in record.get("doc_ids") or () if str(d) in documents]
            label = record.get("label")
            if not cited or not label:
                continue
            document = documents[cited[0]]
            pairs.append(
                ClaimPair(
                    id=str(record["id"]),
                    question=as_yes_no(str(record["question"])),
                    title=str(document.get("title") or ""),
                    text=str(document["text"]),
                    answerable=label != NO_EVIDENCE,
                )
            )
    if not pairs:
        raise ConfigError(f"{claims_path} has no labelled claims citing a document")
    return pairs


def read_claims(
    reader: PassageReader,
    pairs: Sequence[ClaimPair],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[QuestionReading]:
    """The reader's probability that each claim's passage answers its yes/no question, read under its
    title as the answerer reads passages."""
    readings: list[QuestionReading] = []
    for i, pair in enumerate(pairs, start=1):
        [output] = reader.read(pair.question, [pair.text], [passage_header(pair.title)])
        readings.append(QuestionReading(id=pair.id, answerable=pair.answerable, best=output.probability))
        if progress:
            progress(i, len(pairs))
    return readings
