"""The training script's own logic: which runs a grid makes, how one is chosen, and that examples moved to
another machine (`--dump-examples` / `--examples`) come back the same. Training itself is measured by the
model card test in tests/answer/test_reading.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from talentqa.reading.data import ReaderData, ReaderExample
from talentqa.reading.train import HYPER, grid_runs, load_data, main, selection_score


def test_a_grid_is_every_combination_in_the_order_given() -> None:
    runs = grid_runs("epochs=3,2;answerability_loss_weight=1,2", HYPER)
    assert [(r["epochs"], r["answerability_loss_weight"]) for r in runs] == [
        (3, 1.0),
        (3, 2.0),
        (2, 1.0),
        (2, 2.0),
    ]
    assert all(isinstance(r["epochs"], int) and isinstance(r["learning_rate"], float) for r in runs)
    assert grid_runs("", HYPER) == [HYPER]
    assert [r["read_headers"] for r in grid_runs("read_headers=false,true", HYPER)] == [False, True]


def test_a_grid_naming_an_unknown_hyper_parameter_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown hyper-parameter 'epoch'"):
        grid_runs("epoch=3", HYPER)


def test_runs_are_chosen_by_abstention_and_span_f1_alike() -> None:
    abstains = {"unanswerable_rejected_at_15pct_withheld": 0.45, "f1": 0.60}
    reads = {"unanswerable_rejected_at_15pct_withheld": 0.30, "f1": 0.70}
    assert selection_score(abstains) > selection_score(reads)


@pytest.mark.parametrize("name", ["examples.json", "examples.json.gz"])
def test_examples_dumped_for_another_machine_load_back_unchanged(tmp_path: Path, name: str) -> None:
    data = ReaderData(
        train=[
            ReaderExample(
                id="q1", question="Who?", context="Sue Gove said.", answer_start=0, answer_text="Sue"
            )
        ],
        holdout=[ReaderExample(id="q2", question="When?", context="No date here.", kind="unanswerable")],
        holdout_articles=["B"],
        train_articles=["A"],
    )
    source = tmp_path / "source.json"
    source.write_text(data.model_dump_json(), encoding="utf-8")
    target = tmp_path / name
    main(["--examples", str(source), "--dump-examples", str(target)])
    assert load_data(target, tmp_path / "no-eval-root", seed=0) == data


def test_an_opposite_near_miss_turns_one_plain_word_the_paragraph_never_uses() -> None:
    import random

    from talentqa.reading.data import _opposite

    context = "The Apollo program began in 1961 under President Kennedy."
    example = ReaderExample(
        id="q",
        question="When did the First program begin?",
        context=context,
        answer_start=context.index("1961"),
        answer_text="1961",
    )
    turned = {_opposite(example, random.Random(seed)) for seed in range(20)} - {None}
    # "First" is part of a name and stays; "begin" becomes "end", which the paragraph never says.
    assert turned == {"When did the First program end?"}
    uses_both = example.model_copy(update={"context": context + " It came to an end in 1972."})
    assert {_opposite(uses_both, random.Random(seed)) for seed in range(20)} == {None}


def test_a_lead_in_is_the_passages_statement_most_like_the_question_and_never_the_answers() -> None:
    import random

    from talentqa.reading.data import _led_in

    context = (
        "The Apollo program was run by NASA for most of the 1960s. "
        "It began in 1961 under President Kennedy after the first Soviet flights. "
        "Twelve astronauts walked on the Moon before the Apollo program ended in 1972."
    )
    answerable = ReaderExample(
        id="q",
        question="When did the Apollo program end?",
        context=context,
        answer_start=context.index("1972"),
        answer_text="1972",
    )
    led = [_led_in(answerable, random.Random(seed)) for seed in range(10)]
    # The closest statement is the answer's own sentence: never used; of the rest, the one about the
    # program, not the one about 1961.
    assert {e.question for e in led if e} == {
        "The Apollo program was run by NASA for most of the 1960s. When did the Apollo program end?"
    }
    assert all(e and e.id == "q:lead-in" and e.answer_start == answerable.answer_start for e in led)
    # A passage that does not answer may lead with any of its statements: the closest ones, ties by chance.
    near_miss = answerable.model_copy(update={"answer_start": None, "answer_text": "", "kind": "swapped"})
    leads = {
        e.question.split(". ")[0] for seed in range(10) if (e := _led_in(near_miss, random.Random(seed)))
    }
    assert leads == {
        "The Apollo program was run by NASA for most of the 1960s",
        ("Twelve astronauts walked on the Moon before the Apollo program ended in 1972"),
    }
    one_sentence = answerable.model_copy(update={"context": "It ended in 1972."})
    assert _led_in(one_sentence.model_copy(update={"answer_start": 12}), random.Random(0)) is None


def test_lead_ins_change_only_a_share_of_the_questions_and_leave_the_rest_as_they_were() -> None:
    import random

    from talentqa.reading.data import LEAD_IN_SHARE, _with_lead_ins

    context = "The harbour lab hired forty engineers in March, its director said. Its budget grew by half."
    examples = [
        ReaderExample(id=f"q{i}", question=f"How many engineers did lab {i} hire?", context=context)
        for i in range(400)
    ]
    led = _with_lead_ins(examples, random.Random(0))
    changed = [e for e in led if e.id.endswith(":lead-in")]
    assert len(led) == len(examples)
    assert abs(len(changed) / len(examples) - LEAD_IN_SHARE) < 0.06
    assert all(e.question.startswith("The harbour lab hired forty engineers") for e in changed)
    assert [e.question for e in led if e not in changed] == [
        e.question for e in examples if f"{e.id}:lead-in" not in {c.id for c in changed}
    ]


def test_an_unknown_precision_is_refused_before_any_training() -> None:
    import torch

    from talentqa.reading.train import _autocast

    with pytest.raises(SystemExit, match="not one of fp32, bf16"):
        _autocast(torch, torch.device("cpu"), "fp16")


def _two_examples() -> list[ReaderExample]:
    """One answerable and one unanswerable question on the same sentence: enough for a training step."""
    context = "The Bills played the Bengals on Monday night in Cincinnati before 60,000 fans."
    return [
        ReaderExample(
            id="a",
            question="Where did the Bills play?",
            context=context,
            answer_start=48,
            answer_text="Cincinnati",
        ),
        ReaderExample(id="b", question="Who won the cup in 1990?", context=context, kind="unanswerable"),
    ]


@pytest.mark.slow
def test_a_bf16_run_trains_the_real_encoder_and_records_its_precision(tmp_path: Path) -> None:
    import torch

    from talentqa.reading.train import train

    if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        pytest.skip("this CPU has no native bfloat16, which --precision bf16 requires")
    examples = _two_examples() * 2
    record = train(
        examples, tmp_path, {**HYPER, "epochs": 1, "batch_size": 4}, device="cpu", precision="bf16"
    )
    assert record["precision"] == "bf16" and record["steps"] == 1
    weights = torch.load(tmp_path / "reader.pt")
    assert all(w.dtype == torch.float32 for w in weights.values())  # autocast leaves the weights float32
    from transformers import AutoModel

    from talentqa.reading.model import encoder_path

    base = AutoModel.from_pretrained(str(encoder_path()), local_files_only=True).state_dict()
    name = "encoder.layer.0.attention.self.query.weight"
    assert torch.isfinite(weights[f"encoder.{name}"]).all()
    assert not torch.equal(weights[f"encoder.{name}"], base[name].float())  # one step moved the encoder


@pytest.mark.parametrize("dropout", [0.0, 0.1])
def test_the_attention_dropout_setting_reaches_every_attention_layer(dropout: float) -> None:
    from talentqa.reading.model import encoder_path
    from talentqa.reading.train import _torch_modules

    _, reader_net = _torch_modules()
    net = reader_net(encoder_path(), dropout)
    attention = [m for m in net.encoder.modules() if type(m).__name__.endswith("SelfAttention")]
    assert len(attention) == net.encoder.config.num_hidden_layers
    assert all(m.dropout.p == dropout for m in attention)
    # Only the attention probabilities' dropout is the setting's; the hidden states keep the base model's.
    assert net.encoder.encoder.layer[0].output.dropout.p == pytest.approx(0.1)


def test_attention_dropout_defaults_to_the_base_models_and_a_grid_can_vary_it() -> None:
    assert HYPER["attention_dropout"] == pytest.approx(0.1)
    assert [r["attention_dropout"] for r in grid_runs("attention_dropout=0,0.1", HYPER)] == [0.0, 0.1]


@pytest.mark.slow
def test_the_attention_dropout_flag_trains_with_it_and_records_it(tmp_path: Path) -> None:
    import json

    context = "The Bills played the Bengals on Monday night in Cincinnati before 60,000 fans."
    answered = ReaderExample(
        id="a",
        question="Where did the Bills play?",
        context=context,
        answer_start=48,
        answer_text="Cincinnati",
    )
    unanswered = ReaderExample(
        id="b", question="Who won the cup in 1990?", context=context, kind="unanswerable"
    )
    data = ReaderData(
        train=[answered, unanswered] * 2,
        holdout=[answered, unanswered],
        holdout_articles=["B"],
        train_articles=["A"],
    )
    source = tmp_path / "examples.json"
    source.write_text(data.model_dump_json(), encoding="utf-8")
    work = tmp_path / "work"
    main(
        ["--examples", str(source), "--work", str(work), "--device", "cpu", "--epochs", "1"]
        + ["--attention-dropout", "0", "--no-export"]
    )
    (run,) = json.loads((work / "runs.json").read_text(encoding="utf-8"))["runs"]
    assert run["hyper_parameters"]["attention_dropout"] == 0.0
    assert run["steps"] == 1 and (work / "reader.pt").is_file()


def test_the_committed_card_is_what_the_script_writes_from_its_figures() -> None:
    import json

    from talentqa.reading.model import MODEL_DIR
    from talentqa.reading.train import card_text

    card = json.loads((MODEL_DIR / "card.json").read_text(encoding="utf-8"))
    assert (MODEL_DIR / "CARD.md").read_text(encoding="utf-8") == card_text(card)


@pytest.mark.slow
def test_frozen_layers_keep_the_embeddings_and_lowest_layers_of_the_base_and_train_the_rest(
    tmp_path: Path,
) -> None:
    import torch
    from transformers import AutoModel

    from talentqa.reading.model import encoder_path
    from talentqa.reading.train import train

    examples = _two_examples() * 2
    hyper = {**HYPER, "epochs": 1, "batch_size": 4, "attention_dropout": 0.0, "frozen_layers": 2}
    train(examples, tmp_path, hyper, device="cpu")
    weights = torch.load(tmp_path / "reader.pt")
    base = AutoModel.from_pretrained(str(encoder_path()), local_files_only=True).state_dict()
    for name in (
        "embeddings.word_embeddings.weight",
        "encoder.layer.0.attention.self.query.weight",
        "encoder.layer.1.output.dense.weight",
    ):
        assert torch.equal(weights[f"encoder.{name}"], base[name].float()), name
    moved = "encoder.layer.2.attention.self.query.weight"
    assert not torch.equal(weights[f"encoder.{moved}"], base[moved].float())


def test_more_frozen_layers_than_the_base_model_has_is_refused() -> None:
    from talentqa.reading.model import encoder_path
    from talentqa.reading.train import _torch_modules, freeze_lower

    _, reader_net = _torch_modules()
    net = reader_net(encoder_path(), 0.0)
    with pytest.raises(SystemExit, match="has 6 layers, not 7"):
        freeze_lower(net, 7)
    freeze_lower(net, 0)
    assert all(p.requires_grad for p in net.parameters())


def test_frozen_layers_default_to_none_as_the_shipped_reader_was_trained() -> None:
    assert HYPER["frozen_layers"] == 0
    assert [r["frozen_layers"] for r in grid_runs("frozen_layers=0,2", HYPER)] == [0, 2]


@pytest.mark.slow
def test_the_fused_cpu_update_moves_the_net_where_the_unfused_one_does() -> None:
    import torch
    from transformers import AutoTokenizer

    from talentqa.reading.model import encoder_path
    from talentqa.reading.train import (
        _batches,
        _features,
        _torch_modules,
        make_optimiser,
        train_step,
    )

    _, reader_net = _torch_modules()
    tokenizer = AutoTokenizer.from_pretrained(str(encoder_path()), local_files_only=True)
    hyper = {**HYPER, "attention_dropout": 0.0, "batch_size": 2}
    (batch,) = [_features(tokenizer, b, hyper) for b in _batches(_two_examples(), 2)]
    where, nullcontext = torch.device("cpu"), torch.autocast("cpu", enabled=False)
    weights = []
    for fused in (True, False):
        torch.manual_seed(0)
        net = reader_net(encoder_path(), 0.0)
        net.eval()  # no hidden-state dropout either: both ways see exactly the same forward pass
        optimiser, _ = make_optimiser(torch, net, {**hyper, "fused_adamw": fused}, 10, where)
        assert optimiser.defaults["fused"] is fused
        for _ in range(3):
            train_step(torch, net, optimiser, batch, hyper, where, nullcontext)
        weights.append(net.state_dict())
    fused_weights, unfused_weights = weights
    torch.manual_seed(0)
    base = reader_net(encoder_path(), 0.0).state_dict()
    # Adam's step on a near-zero gradient is about +-lr either way, so single elements can differ by
    # rounding; the whole update must not: the two ways' updates agree to a part in a thousand.
    fused_update = torch.cat([(fused_weights[k] - base[k]).flatten() for k in base])
    unfused_update = torch.cat([(unfused_weights[k] - base[k]).flatten() for k in base])
    assert unfused_update.norm() > 0  # the steps moved the net
    assert (fused_update - unfused_update).norm() / unfused_update.norm() < 1e-3


def test_the_card_of_a_student_of_one_teacher_says_which_and_what_the_judge_left_out() -> None:
    import json

    from talentqa.reading.model import MODEL_DIR
    from talentqa.reading.train import card_text

    card = json.loads((MODEL_DIR / "card.json").read_text(encoding="utf-8"))
    card["teachers_average"] = {
        "role": "teacher",
        "teacher": ["the shipped int8 reader"],
        "judged": {"from": "judged.jsonl", "judgements": 1709, "answered_at": 0.8, "left_out": 170},
    }
    text = card_text(card)
    assert "a student of one teacher (the shipped int8 reader)" in text
    assert "170 that the accurate reader's LLM judge read\n  as answered" in text
    assert "--shipped-teacher --judge-from JUDGED.jsonl --judged-answering 0.8" in text
