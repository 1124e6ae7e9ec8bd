"""The REPL runs where its history file cannot be written: history stays in memory, with a warning."""

from __future__ import annotations

from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from talentqa.cli.repl import Repl
from tests.fake_service import FakeQAService


def test_a_home_that_cannot_hold_the_history_file_leaves_history_in_memory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("HOME is a file here, so nothing can be created under it")
    console = Console(record=True, width=200)
    with create_pipe_input() as pipe:
        pipe.send_text(":sources\n:quit\n")
        session: PromptSession[str] = PromptSession(input=pipe, output=DummyOutput())
        repl = Repl(
            FakeQAService(),
            console=console,
            session=session,
            history_file=home / ".cache" / "talentqa" / "repl-history",
        )
        repl.run()
    shown = console.export_text()
    assert "history is kept for this session only" in shown
    assert "of 25 (page 1 of 2)" in shown  # the REPL went on to list the library
    assert isinstance(repl._file_history(home / "history"), InMemoryHistory)


def test_a_history_file_that_stops_taking_lines_warns_once(tmp_path: Path) -> None:
    path = tmp_path / "history"
    console = Console(record=True, width=200)
    with create_pipe_input() as pipe:
        session: PromptSession[str] = PromptSession(input=pipe, output=DummyOutput())
        repl = Repl(FakeQAService(), console=console, session=session, history_file=path)
    history = repl._file_history(path)
    history.store_string("first")
    assert "+first" in path.read_text()
    path.unlink()
    path.mkdir()  # opening it for appending now fails, as a full disk or a read-only HOME would
    history.store_string("second")
    history.store_string("third")
    assert console.export_text().count("history is no longer saved") == 1
