"""The yes/no threshold: claims asked as yes/no questions of the abstract they cite, fitted as the
reader's own threshold is, through the library and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from talentqa.cli import app
from talentqa.errors import ConfigError
from talentqa.eval.yes_no import YES_NO_CALIBRATION, as_yes_no, load_claims
from talentqa.settings import AnswerSettings

runner = CliRunner()

DOCUMENTS = [
    {
        "id": "10",
        "title": "Vitamin D trial",
        "text": "In a trial of 2,000 adults, vitamin D lowered the risk of "
        "fractures by a fifth over three years.",
    },
    {
        "id": "11",
        "title": "Sleep and memory",
        "text": "Adults who slept less than six hours recalled fewer words "
        "the next day than those who slept eight hours.",
    },
    {
        "id": "12",
        "title": "Coffee survey",
        "text": "The survey asked 500 office workers how many cups of coffee they drank each day.",
    },
]
CLAIMS = [
    {"id": "1", "question": "Vitamin D lowers the risk of fractures.", "doc_ids": ["10"], "label": "SUPPORT"},
    {
        "id": "2",
        "question": "Short sleep improves next-day recall.",
        "doc_ids": ["11"],
        "label": "CONTRADICT",
    },
    {
        "id": "3",
        "question": "Coffee raises blood pressure in office workers.",
        "doc_ids": ["12"],
        "label": "NOT_ENOUGH_INFO",
    },
    {
        "id": "4",
        "question": "IL-6 predicts fractures.",
        "doc_ids": ["99"],
        "label": "SUPPORT",
    },  # no such abstract
    {"id": "5", "question": "Vitamin D helps.", "doc_ids": ["10"]},  # unlabelled
]


def _claims_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "claims"
    folder.mkdir()
    (folder / "documents.jsonl").write_text("".join(json.dumps(d) + "\n" for d in DOCUMENTS))
    (folder / "questions_train.jsonl").write_text("".join(json.dumps(c) + "\n" for c in CLAIMS))
    return folder


@pytest.mark.parametrize(
    ("claim", "question"),
    [
        ("Vitamin D lowers the risk.", "Is it true that vitamin D lowers the risk?"),
        ("IL-6 predicts outcomes.", "Is it true that IL-6 predicts outcomes?"),
        ("1,000 genomes project maps variants.", "Is it true that 1,000 genomes project maps variants?"),
        ("ALDH1 expression is high.", "Is it true that ALDH1 expression is high?"),
    ],
)
def test_a_claim_is_asked_as_a_yes_no_question_keeping_acronyms(claim: str, question: str) -> None:
    assert as_yes_no(claim) == question


def test_claims_the_abstract_settles_are_answerable_and_those_it_leaves_open_are_not(tmp_path: Path) -> None:
    pairs = load_claims(_claims_folder(tmp_path))
    assert [(p.id, p.answerable) for p in pairs] == [("1", True), ("2", True), ("3", False)]
    assert pairs[0].title == "Vitamin D trial" and pairs[0].text.startswith("In a trial")
    with pytest.raises(ConfigError, match="questions_train.jsonl"):
        load_claims(tmp_path)


def test_calibrate_yes_no_fits_a_threshold_with_the_real_reader(tmp_path: Path) -> None:
    out = tmp_path / "yes_no.json"
    result = runner.invoke(app, ["calibrate", str(_claims_folder(tmp_path)), "--yes-no", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "yes_no_threshold" in result.output
    fitted = json.loads(out.read_text())
    assert (fitted["questions"], fitted["answerable"], fitted["unanswerable"]) == (3, 2, 1)
    assert 0.0 <= fitted["abstain_threshold"] <= 1.0
    refused = runner.invoke(app, ["calibrate", str(tmp_path), "--yes-no", "--accurate"])
    assert refused.exit_code != 0 and "fast reader" in refused.output


def test_the_shipped_yes_no_threshold_is_the_recorded_calibration() -> None:
    recorded = json.loads(YES_NO_CALIBRATION.read_text())
    assert AnswerSettings().yes_no_threshold == recorded["abstain_threshold"]
    assert recorded["calibrated"]["wrongly_abstained"] <= recorded["max_wrong"]


@pytest.mark.slow
def test_the_yes_no_calibration_reproduces_on_scifacts_training_claims() -> None:
    from talentqa.answer.reading import shared_reader
    from talentqa.eval.calibration import calibrate
    from talentqa.eval.yes_no import read_claims
    from tests.integration.conftest import shared_path

    recorded = json.loads(YES_NO_CALIBRATION.read_text())
    readings = read_claims(shared_reader(), load_claims(shared_path("eval") / "scifact_beir"))
    fitted = calibrate(readings, current_threshold=recorded["abstain_threshold"])
    assert fitted.auc == pytest.approx(recorded["auc"], abs=0.005)
    # What the shipped threshold does reproduces. The threshold a refit picks need not: it is the best of
    # a flat objective (abstained less withheld), and a CPU whose int8 kernels round a little differently
    # (AVX-512 against AVX2) picked a neighbour, 0.0303 for 0.0347, at the same AUC within 0.001.
    shipped, figures = fitted.current, recorded["calibrated"]
    assert shipped.abstained_unanswerable == pytest.approx(figures["abstained_unanswerable"], abs=0.015)
    assert shipped.wrongly_abstained == pytest.approx(figures["wrongly_abstained"], abs=0.015)
    assert fitted.calibrated.wrongly_abstained <= recorded["max_wrong"]
