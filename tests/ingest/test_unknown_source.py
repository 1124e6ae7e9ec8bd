"""`--source ID` with an id that is not stored says "no such document", not "the sources don't say"
(issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from talentqa.app import TalentQA
from talentqa.cli import app
from talentqa.errors import DocumentNotFoundError
from talentqa.settings import Settings
from tests.conftest import FakeEmbedder


def _story(tmp_path: Path) -> Path:
    path = tmp_path / "story.md"
    path.write_text("# Labs hire\n\nThe harbour lab hired forty engineers in March.\n")
    return path


def test_an_unknown_source_id_is_no_such_document(tmp_path: Path) -> None:
    settings = Settings(store=tmp_path / "vs")
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        qa.ingest_sources([str(_story(tmp_path))])
        with pytest.raises(DocumentNotFoundError, match="no such document: nope"):
            qa.ask("How many engineers did the lab hire?", sources=["story", "nope"])
    # The same through the command, on a store it made (with the configured model).
    store = str(tmp_path / "cli-vs")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(tmp_path / "story.md"), "--store", store]).exit_code == 0
    result = runner.invoke(app, ["ask", "How many engineers?", "--source", "nope", "--store", store])
    assert result.exit_code == 2
    assert "no such document: nope" in result.output and "talentqa sources list" in result.output
