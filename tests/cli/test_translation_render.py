"""A citation's machine translation in the terminal (issue 16): the CLI and the REPL show it under the
verbatim quote after a label that says it is not a quote, as plain text; `ask --json` carries it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from talentqa.cli import ask as ask_command
from talentqa.cli.commands import app
from talentqa.cli.render import render_answer
from talentqa.models import TRANSLATION_LABEL, Answer, Citation

QUOTE = "学校为她提供了240万欧元的启动经费和一间位于新校区的实验室。"
RENDERING = "The university gave her 2.4 million euros in start-up funding [bold]and[/bold] a lab."


def translated_answer(question: str = "How much funding did Zhao Lin get?") -> Answer:
    citation = Citation(
        n=1,
        doc_id="zhao-returns",
        title="材料学家赵琳回国建立电池实验室",
        quote=QUOTE,
        start=74,
        end=74 + len(QUOTE),
        translation=RENDERING,
    )
    return Answer(question=question, text=f"\u201c{QUOTE}\u201d [1]", citations=[citation], answerer="llm")


def shown(answer: Answer, width: int = 100) -> str:
    console = Console(record=True, width=width)
    console.print(render_answer(answer))
    return console.export_text()


def test_the_rendering_is_labelled_under_the_quote_and_never_in_quotation_marks() -> None:
    text = shown(translated_answer())
    flat = " ".join(line.strip(" │") for line in text.splitlines())
    assert f"\u201c{QUOTE}\u201d" in flat
    assert f"{TRANSLATION_LABEL}: The university gave her" in flat
    assert flat.index(QUOTE) < flat.index(TRANSLATION_LABEL)
    # Rich markup in the model's words is shown as typed, not applied.
    assert "[bold]and[/bold]" in flat
    assert f"\u201c{RENDERING}" not in flat


def test_a_narrow_terminal_wraps_cjk_and_the_rendering_without_losing_them() -> None:
    text = shown(translated_answer(), width=40)
    flat = "".join(line.strip(" │") for line in text.splitlines())
    assert QUOTE in flat and "start-upfunding" in flat.replace(" ", "")


def test_an_answer_without_renderings_shows_no_label() -> None:
    answer = translated_answer()
    answer.citations[0].translation = None
    assert TRANSLATION_LABEL not in shown(answer)


class _OneAnswer:
    """Stands in for the opened app: answers every question with a translated answer."""

    def ask(self, question: str, **_: Any) -> Answer:
        return translated_answer(question)

    def close(self) -> None:
        pass


def test_ask_json_carries_the_rendering_with_its_citation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ask_command, "_open_app", lambda settings, create=False: _OneAnswer())

    result = CliRunner().invoke(app, ["ask", "How much funding did Zhao Lin get?", "--json"])

    assert result.exit_code == 0, result.output
    (citation,) = json.loads(result.stdout)["citations"]
    assert citation["quote"] == QUOTE and citation["translation"] == RENDERING
