"""Written news questions become reader examples on the stored chunk that holds their sentence, and their
labels alone teach them when a reader is distilled."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from talentqa.reading.data import ReaderExample
from talentqa.reading.news_data import (
    NEWS_KIND,
    NEWS_NEAR_MISS_KIND,
    NewsQuestion,
    build_news,
    read_questions,
)
from talentqa.settings import ChunkSettings

FILLER = " ".join(f"Paragraph {i} says nothing about the council's vote." for i in range(40))
TEXT = (
    "CNN —\n\nThe city council voted 7-2 on Tuesday to ban gas stoves in new buildings. "
    + FILLER
    + " Mayor Ana Ruiz said the ban would take effect in 2025."
)
ARTICLE = {"id": "rtqa-1", "title": "Council bans gas stoves", "text": TEXT, "publish_date": "2023/01/10"}


def _write(tmp_path: Path, parts: dict[str, list[dict[str, object]]]) -> tuple[Path, Path]:
    documents = tmp_path / "documents.jsonl"
    documents.write_text(json.dumps(ARTICLE) + "\n", encoding="utf-8")
    folder = tmp_path / "reader-news"
    folder.mkdir()
    for name, rows in parts.items():
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder, documents


def _answerable(qid: str, answer: str, evidence: str) -> dict[str, object]:
    return {"id": qid, "article_id": "rtqa-1", "question": "When?", "answerable": True, "answer": answer,
            "evidence": evidence}  # fmt: skip


def _near_miss(qid: str, near: str) -> dict[str, object]:
    return {"id": qid, "article_id": "rtqa-1", "question": "How old is Ana Ruiz?", "answerable": False,
            "near": near, "missing": "her age", "shape": "other-attribute"}  # fmt: skip


def test_an_answerable_question_is_read_on_the_chunk_holding_its_sentence_with_the_answer_located(
    tmp_path: Path,
) -> None:
    late = "Mayor Ana Ruiz said the ban would take effect in 2025."
    folder, documents = _write(tmp_path, {"part1": [_answerable("a", "2025", late)]})
    built = build_news(folder, documents, ChunkSettings(target_tokens=60, max_tokens=80, overlap_tokens=10))
    (example,) = built.train
    assert example.kind == NEWS_KIND and example.answerable
    assert late in example.context and "voted 7-2" not in example.context  # the late chunk, not the first
    assert example.answer_start is not None
    assert example.context[example.answer_start : example.answer_start + 4] == "2025"
    assert (example.title, example.date) == ("Council bans gas stoves", "2023-01-10")


def test_a_near_miss_is_a_no_answer_example_on_the_chunk_a_careless_reader_would_quote(
    tmp_path: Path,
) -> None:
    near = "Mayor Ana Ruiz said the ban would take effect in 2025."
    folder, documents = _write(tmp_path, {"part1": [_near_miss("n", near)]})
    (example,) = build_news(folder, documents, ChunkSettings(target_tokens=60, max_tokens=80)).train
    assert example.kind == NEWS_NEAR_MISS_KIND and not example.answerable
    assert near in example.context


def test_the_held_out_part_is_measured_never_trained_on_and_bad_rows_are_skipped_not_guessed(
    tmp_path: Path,
) -> None:
    first = "The city council voted 7-2 on Tuesday to ban gas stoves in new buildings."
    folder, documents = _write(
        tmp_path,
        {
            "part1": [
                _answerable("a", "7-2", first),
                _answerable("gone", "8-1", "A sentence it never printed."),
            ],
            "part8": [_near_miss("h", first)],
        },
    )
    built = build_news(folder, documents)
    assert [e.id for e in built.train] == ["a"]
    assert [e.id for e in built.holdout] == ["h"]
    assert built.skipped == ["gone"]


def test_questions_are_read_by_part_in_file_order(tmp_path: Path) -> None:
    folder, _ = _write(tmp_path, {"part2": [_near_miss("x", "y")], "part1": [_near_miss("z", "y")]})
    parts = read_questions(folder)
    assert list(parts) == ["part1", "part2"]
    assert isinstance(parts["part1"][0], NewsQuestion)


def test_news_examples_learn_from_their_labels_alone_when_a_reader_is_distilled() -> None:
    """The teacher never learnt news near-misses: whatever it says of one must not move its loss, while a
    SQuAD example's loss follows the teacher."""
    torch = pytest.importorskip("torch")
    from transformers import AutoTokenizer

    from talentqa.reading.model import encoder_path
    from talentqa.reading.train import HYPER, _features, train_step

    tokenizer = AutoTokenizer.from_pretrained(str(encoder_path()), local_files_only=True)

    class FixedNet(torch.nn.Module):  # type: ignore[misc,name-defined]
        """Logits from one trainable scalar: the loss depends on the targets, not on an encoder."""

        def __init__(self) -> None:
            super().__init__()
            self.bias = torch.nn.Parameter(torch.tensor(2.0))

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> tuple[Any, Any, Any]:
            logits = torch.zeros(input_ids.shape) + self.bias
            return logits, logits, torch.zeros(input_ids.shape[0]) + self.bias

    def loss(kind: str, teacher_says: float) -> float:
        example = ReaderExample(id="x", question="How old is she?", context="She was elected.", kind=kind)
        f = _features(tokenizer, [example], {**HYPER, "read_headers": False})
        width = f["input_ids"].shape[1]
        soft = {
            "answerable": np.full(1, teacher_says, dtype=np.float32),
            "start": np.zeros((1, width), dtype=np.float32),
            "end": np.zeros((1, width), dtype=np.float32),
        }
        net = FixedNet()
        optimiser = torch.optim.SGD(net.parameters(), lr=0.0)
        hyper = {**HYPER, "soft_weight": 0.5, "temperature": 2.0}
        cpu, plain = torch.device("cpu"), contextlib.nullcontext()
        step = train_step(torch, net, optimiser, f, hyper, cpu, plain, soft)
        return float(step.item())

    assert loss(NEWS_NEAR_MISS_KIND, 5.0) == pytest.approx(loss(NEWS_NEAR_MISS_KIND, -5.0))
    assert abs(loss("deleted-sentence", 5.0) - loss("deleted-sentence", -5.0)) > 0.1
