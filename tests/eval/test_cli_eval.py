"""`talentqa eval`, `eval export-feedback` and `calibrate` end to end through the CLI, on a tiny hand-made
set: three short articles written for this test, three questions they answer and one they do not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from talentqa.cli import app
from talentqa.eval.evaluation import METRIC_KEYS
from talentqa.feedback import FeedbackStore
from talentqa.models import Answer, Citation

TINY = Path(__file__).parent / "data" / "tiny"
runner = CliRunner()

pytestmark = pytest.mark.slow  # the real embedding model


def invoke_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def test_eval_reports_talentqa_and_baseline(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    payload = invoke_json("eval", str(TINY), "--json", "--baseline", "--out", str(report))
    assert set(payload) >= {"talentqa", "baseline", "meta"}
    for system in ("talentqa", "baseline"):
        figures = payload[system]
        assert set(figures) == set(METRIC_KEYS)
        # Three one-chunk articles: every one of them is among the first five passages, whatever the order.
        assert figures["recall@5"] == figures["recall@10"] == 1.0
        assert figures["mrr"] >= 1 / 3
        assert figures["quote_exactness"] == 1.0
        assert figures["p50_ms"] > 0
    counts = payload["meta"]["counts"]["talentqa"]
    assert (counts["questions"], counts["answerable"], counts["unanswerable"]) == (4, 3, 1)
    assert payload["meta"]["documents"] == 3
    # The baseline never abstains; it cannot.
    assert payload["baseline"]["abstained_unanswerable"] == 0.0
    # Three one-chunk articles, all read: every gold answer was in front of talentqa's answerer. The
    # baseline quotes its top chunk without a reading step, so it has no such figure.
    assert payload["talentqa"]["answer_in_passages"] == 1.0
    assert payload["baseline"]["answer_in_passages"] is None
    html = report.read_text()
    assert html.startswith("<!doctype html>") and html.count("data:image/png;base64,") == 2


def test_eval_table_split_and_calibrate_round_trip(tmp_path: Path) -> None:
    # The table form, through the explicit `run` subcommand, on the second half of the four articles.
    result = runner.invoke(
        app, ["eval", "run", str(TINY), "--split", "test", "--store", str(tmp_path / "vs")]
    )
    assert result.exit_code == 0, result.output
    assert "recall@5" in result.stdout and "2 questions" in result.stdout

    result_file = tmp_path / "calibration.json"
    fitted = invoke_json(
        "calibrate",
        str(TINY),
        "--split",
        "all",
        "--json",
        "--out",
        str(result_file),
        "--store",
        str(tmp_path / "vs"),
    )
    assert (fitted["questions"], fitted["answerable"], fitted["unanswerable"]) == (4, 3, 1)
    assert 0.0 <= fitted["abstain_threshold"] <= 1.0
    assert json.loads(result_file.read_text())["abstain_threshold"] == fitted["abstain_threshold"]

    payload = invoke_json(
        "eval",
        str(TINY),
        "--json",
        "--threshold",
        str(fitted["abstain_threshold"]),
        "--store",
        str(tmp_path / "vs"),
    )
    assert payload["meta"]["abstain_threshold"] == fitted["abstain_threshold"]
    # a threshold given for the run serves yes/no questions too, and the report says so
    assert payload["meta"]["settings"]["yes_no_threshold"] == fitted["abstain_threshold"]
    assert payload["talentqa"]["quote_exactness"] == 1.0


def test_calibrate_refuses_the_test_split() -> None:
    result = runner.invoke(app, ["calibrate", str(TINY), "--split", "test"])
    assert result.exit_code != 0


def test_export_feedback(tmp_path: Path) -> None:
    db = tmp_path / "feedback.sqlite3"
    store = FeedbackStore(db)
    good = Citation(n=1, doc_id="lighthouse", quote="Margaret Ellison", start=63, end=79)
    bad = Citation(n=2, doc_id="bakery", quote="Rosa Delgado", start=0, end=12)
    answer = Answer(question="Who built the lighthouse?", text="...", citations=[good, bad])
    store.record(kind="helpful", answer=answer, answer_key="k1", user_id=1)
    store.record(kind="wrong_citation", answer=answer, answer_key="k1", user_id=2, flagged=[bad])
    abstention = Answer(question="Ticket price?", text="The sources don't say.", abstained=True)
    store.record(kind="helpful", answer=abstention, answer_key="k2", user_id=1)

    out = tmp_path / "feedback.jsonl"
    result = runner.invoke(app, ["eval", "export-feedback", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["feedback-k1", "feedback-k2"]
    first, second = rows
    assert first["doc_ids"] == ["lighthouse"] and first["answerable"] is True
    assert first["wrong_citations"] == ["bakery:0-12"] and first["needs_review"] is True
    assert first["helpful"] == 1
    assert second["answerable"] is False and second["doc_ids"] == []

    missing = runner.invoke(app, ["eval", "export-feedback", "--db", str(tmp_path / "none.sqlite3")])
    assert missing.exit_code == 2 and "no feedback log" in missing.output


def test_eval_with_a_journal_resumes_and_reports_the_same_figures(tmp_path: Path) -> None:
    journal = tmp_path / "run.jsonl"
    args = ["eval", str(TINY), "--json", "--store", str(tmp_path / "vs"), "--journal", str(journal)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert len(journal.read_text().splitlines()) == 5  # the run's header and its four questions
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "resuming: 4 of 4 questions already in" in again.stderr
    figures = [json.loads(result.stdout)["talentqa"] for result in (first, again)]
    assert figures[0] == figures[1]
    other = runner.invoke(app, [*args, "--seed", "3", "--limit", "2"])
    assert other.exit_code == 2  # a known error: one line, no traceback
    assert "records another run" in other.output


def test_calibrate_with_a_journal_resumes_and_fits_the_same_threshold(tmp_path: Path) -> None:
    journal = tmp_path / "calibration.jsonl"
    args = ["calibrate", str(TINY), "--split", "all", "--json", "--store", str(tmp_path / "vs")]
    first = runner.invoke(app, [*args, "--journal", str(journal)])
    assert first.exit_code == 0, first.output
    lines = journal.read_text().splitlines()
    assert len(lines) == 5 and json.loads(lines[0])["kind"] == "talentqa-calibration-journal"
    again = runner.invoke(app, [*args, "--journal", str(journal)])
    assert again.exit_code == 0, again.output
    assert "resuming: 4 of 4 questions already in" in again.stderr
    assert json.loads(first.stdout) == json.loads(again.stdout)

    # an eval's journal is another kind of run: refused, not read as readings
    eval_journal = tmp_path / "eval.jsonl"
    ran = runner.invoke(
        app, ["eval", str(TINY), "--json", "--store", str(tmp_path / "vs"), "--journal", str(eval_journal)]
    )
    assert ran.exit_code == 0, ran.output
    refused = runner.invoke(app, [*args, "--journal", str(eval_journal)])
    assert refused.exit_code == 2 and "records another run" in refused.output
    assert (
        "--journal"
        in runner.invoke(app, ["calibrate", str(TINY), "--yes-no", "--journal", str(journal)]).output
    )
