"""`--help` reads as prose: each paragraph of a command's docstring is one paragraph on the terminal,
however the source wrapped it, and list items keep their own lines."""

from __future__ import annotations

import re

import typer
from typer.testing import CliRunner

from talentqa.cli import app
from talentqa.cli.common import reflow_help


def test_a_docstring_wrapped_in_the_source_is_one_paragraph_in_help() -> None:
    demo = typer.Typer()

    @demo.command()
    def first() -> None:
        """Say hello.

        Unchanged articles are not embedded again; a bad file is reported and the rest go on. Files of a
        type talentqa does not read are skipped.

        Steps:
        - one thing
          that wraps
        - another
        """

    @demo.command()
    def second() -> None:
        """Say goodbye."""

    reflow_help(demo)
    [info, _] = demo.registered_commands
    assert info.help == (
        "Say hello.\n\nUnchanged articles are not embedded again; a bad file is reported and the rest go on. "
        "Files of a type talentqa does not read are skipped.\n\nSteps:\n- one thing that wraps\n- another"
    )


def test_every_command_of_talentqa_has_help_without_source_line_breaks() -> None:
    def commands(group: typer.Typer) -> list[str]:
        found = [info.help or "" for info in group.registered_commands]
        for sub in group.registered_groups:
            if sub.typer_instance is not None:
                found += commands(sub.typer_instance)
        return found

    helps = commands(app)
    assert len(helps) >= 15
    for text in helps:
        assert text, "every command explains itself"
        # a single line break inside a paragraph only before a list item
        assert not re.search(r"[^\n]\n(?![\n\-*•\d])", text), text


def test_ingest_help_is_not_ragged_on_the_terminal() -> None:
    result = CliRunner().invoke(app, ["ingest", "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "Files of a type talentqa does not read" in " ".join(result.output.split())
    # the source's line break ("... the rest go on. Files of a" / "type talentqa ...") is gone
    assert not any(line.rstrip().endswith("Files of a") for line in result.output.splitlines())
