"""Distilling several readers into one: the teachers' average and the student's mixed loss."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from talentqa.reading.data import ReaderExample
from talentqa.reading.train import HYPER


def _constant_net(torch: Any, start: float, end: float, has: float) -> Any:
    class Constant(torch.nn.Module):  # type: ignore[misc]
        """A deterministic stand-in for a reader: the same logits for every token."""

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> tuple[Any, Any, Any]:
            shape = input_ids.shape
            return (
                torch.full(shape, start),
                torch.full(shape, end),
                torch.full(shape[:1], has),
            )

    return Constant()


def test_the_teachers_average_is_the_mean_of_their_logits() -> None:
    torch = pytest.importorskip("torch")
    from talentqa.reading.distil import _ensemble

    ensemble = _ensemble(torch, [_constant_net(torch, 1.0, 2.0, -3.0), _constant_net(torch, 3.0, 0.0, 1.0)])
    ids = torch.ones((2, 5), dtype=torch.long)
    start, end, has = ensemble(ids, ids, torch.zeros_like(ids))
    assert torch.allclose(start, torch.full((2, 5), 2.0))
    assert torch.allclose(end, torch.full((2, 5), 1.0))
    assert torch.allclose(has, torch.full((2,), -1.0))


def _examples() -> list[ReaderExample]:
    return [
        ReaderExample(
            id=f"q{i}",
            question="Who founded the museum?",
            context=f"The museum was founded in 18{50 + i} by a group of merchants in the old port.",
            title="Museum",
        )
        for i in range(4)
    ]


def test_a_student_taught_only_by_its_teacher_follows_the_teacher_not_the_labels() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from transformers import AutoTokenizer

    from talentqa.reading.model import encoder_path
    from talentqa.reading.train import (
        _autocast,
        _torch_modules,
        make_optimiser,
        tokenised,
        train_step,
    )

    torch.manual_seed(0)
    _, reader_net = _torch_modules()
    hyper = {**HYPER, "soft_weight": 1.0, "temperature": 2.0, "learning_rate": 1e-3, "batch_size": 4}
    tokenizer = AutoTokenizer.from_pretrained(str(encoder_path()), local_files_only=True)
    (batch,) = tokenised(tokenizer, _examples(), hyper)  # every example labelled "does not answer"
    width = batch["input_ids"].shape[1]
    sure = {
        "start": np.zeros((4, width), dtype=np.float16),
        "end": np.zeros((4, width), dtype=np.float16),
        "answerable": np.full(4, 6.0, dtype=np.float32),  # ... and a teacher sure that it does
    }
    where = torch.device("cpu")
    net = reader_net(encoder_path())

    def answerability() -> float:
        net.eval()
        with torch.no_grad():
            args = (torch.from_numpy(batch[k]) for k in ("input_ids", "attention_mask", "token_type_ids"))
            value = float(net(*args)[2].mean())
        net.train()
        return value

    before = answerability()
    optimiser, _ = make_optimiser(torch, net, hyper, 10, where)
    for _ in range(3):
        train_step(torch, net, optimiser, batch, hyper, where, _autocast(torch, where, "fp32"), sure)
    assert answerability() > before + 1.0


def test_teacher_batches_must_match_the_students() -> None:
    pytest.importorskip("torch")
    from talentqa.reading.train import train

    with pytest.raises(ValueError, match="teacher batches"):
        train(_examples(), __import__("pathlib").Path("/nonexistent"), {**HYPER, "batch_size": 2}, soft=[{}])


def test_the_shipped_reader_teaches_through_the_training_batches_it_is_given() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from transformers import AutoTokenizer

    from talentqa.reading.distil import _shipped, teacher_logits
    from talentqa.reading.model import encoder_path
    from talentqa.reading.train import tokenised

    answers = ReaderExample(
        id="a",
        question="In which year was the museum founded?",
        context="The museum was founded in 1852 by a group of merchants in the old port.",
        answer_start=26,
        answer_text="1852",
        title="Museum",
    )
    misses = answers.model_copy(
        update={
            "id": "b",
            "context": "The museum holds paintings given by merchants of the old port.",
            "answer_start": None,
        }
    )
    tokenizer = AutoTokenizer.from_pretrained(str(encoder_path()), local_files_only=True)
    batches = tokenised(tokenizer, [answers, misses], {**HYPER, "batch_size": 2})
    (taught,) = teacher_logits(torch, _shipped(torch), batches, torch.device("cpu"))
    width = batches[0]["input_ids"].shape[1]
    assert taught["start"].shape == taught["end"].shape == (2, width)
    order = [e.id for e in sorted([answers, misses], key=lambda e: len(e.question) + len(e.context))]
    by_id = dict(zip(order, taught["answerable"].tolist(), strict=True))
    assert by_id["a"] > by_id["b"]


def test_int8_teachers_are_averaged_logit_by_logit() -> None:
    torch = pytest.importorskip("torch")
    from talentqa.reading.distil import _shipped
    from talentqa.reading.model import MODEL_DIR

    ids = torch.tensor([[101, 2054, 2003, 102, 1996, 2781, 102]])
    args = (ids, torch.ones_like(ids), torch.tensor([[0, 0, 0, 0, 1, 1, 1]]))
    alone = _shipped(torch)(*args)
    twice = _shipped(torch, [MODEL_DIR, MODEL_DIR])(*args)
    for a, b in zip(alone, twice, strict=True):
        assert torch.allclose(a, b, atol=1e-5)


def _batches(*shapes: tuple[int, int]) -> list[dict[str, Any]]:
    return [{"input_ids": np.ones(shape, dtype=np.int64)} for shape in shapes]


def _targets(*shapes: tuple[int, int]) -> list[dict[str, Any]]:
    rng = np.random.default_rng(0)
    return [
        {
            "start": rng.normal(size=shape).astype(np.float16),
            "end": rng.normal(size=shape).astype(np.float16),
            "answerable": rng.normal(size=shape[:1]).astype(np.float32),
        }
        for shape in shapes
    ]


def test_saved_teacher_targets_load_back_equal_for_the_same_batches(tmp_path: Any) -> None:
    from talentqa.reading.distil import load_soft, save_soft

    soft = _targets((2, 7), (3, 9))
    save_soft(soft, tmp_path / "soft.npz")
    loaded = load_soft(tmp_path / "soft.npz", _batches((2, 7), (3, 9)))
    assert len(loaded) == 2
    for got, want in zip(loaded, soft, strict=True):
        for key in ("start", "end", "answerable"):
            assert got[key].dtype == want[key].dtype and np.array_equal(got[key], want[key])


@pytest.mark.parametrize("shapes", [[(2, 7)], [(2, 7), (3, 8)], [(2, 7), (3, 9), (1, 4)]])
def test_teacher_targets_saved_for_other_batches_are_refused(
    tmp_path: Any, shapes: list[tuple[int, int]]
) -> None:
    from talentqa.reading.distil import load_soft, save_soft

    save_soft(_targets((2, 7), (3, 9)), tmp_path / "soft.npz")
    with pytest.raises(SystemExit, match="do not match"):
        load_soft(tmp_path / "soft.npz", _batches(*shapes))
