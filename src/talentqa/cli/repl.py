"""The interactive REPL: ask, follow up, and adjust settings with `:` commands."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from talentqa.cli.render import render_answer
from talentqa.errors import TalentQAError
from talentqa.models import AnswererName
from talentqa.service import QAService, Turn

SOURCES_PER_PAGE = 20

HELP = """\
Ask a question in plain words; follow-up questions use the conversation so far.
  :sources [N]    list ingested articles, page N ({per_page} a page)
  :k N            read N passages per question (now {k})
  :llm on|off     answer with the configured LLM, or extractively (now {llm})
  :accurate on|off  let an instruct LLM read the best passages (now {accurate})
  :new            forget the conversation
  :help           this text
  :quit           leave (Ctrl-D works too)"""


class Repl:
    def __init__(
        self,
        qa: QAService,
        *,
        console: Console | None = None,
        use_llm: bool = False,
        k: int | None = None,
        session: PromptSession[str] | None = None,
        history_file: Path | None = None,
    ) -> None:
        self.qa = qa
        self.console = console or Console()
        self.use_llm = use_llm
        self.use_accurate = False
        self.k = k
        self.turns: list[Turn] = []
        history: History = InMemoryHistory()
        if history_file is not None:
            history = self._file_history(history_file)
        self.session: PromptSession[str] = session or PromptSession(history=history)

    def _file_history(self, path: Path) -> History:
        """History kept across sessions in `path`, or in memory only (with a warning) where it cannot be
        written: an unwritable or odd HOME must not stop the REPL."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            self.console.print(
                f"[yellow]warning:[/] history is kept for this session only: cannot write "
                f"{escape(str(path))} ({escape(exc.strerror or str(exc))})",
                highlight=False,
            )
            return InMemoryHistory()
        return _ForgivingFileHistory(str(path), self.console)

    def run(self) -> None:
        self.console.print(
            "[bold]talentqa[/] — ask about the ingested articles. :help for commands, :quit to leave."
        )
        while True:
            try:
                line = self.session.prompt("talentqa> ")
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            if not self.handle(line):
                break

    def handle(self, line: str) -> bool:
        """Process one line; False means leave."""
        line = line.strip()
        if not line:
            return True
        if line.startswith(":"):
            return self._command(line)
        try:
            answer = self.qa.ask(line, history=self.turns[-6:], k=self.k, answerer=self._mode())
        except TalentQAError as exc:
            self.console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
            return True
        self.console.print(render_answer(answer))
        # The question as asked, never its rewrite: a rewrite is built from the last exchange only, so
        # rewrites cannot pile up over a conversation.
        self.turns.append(Turn(role="user", content=line))
        self.turns.append(Turn(role="assistant", content=answer.text, short_answer=answer.short_answer))
        return True

    def _command(self, line: str) -> bool:
        name, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        if name in {"q", "quit", "exit"}:
            return False
        if name in {"h", "help", "?"}:
            self.console.print(
                HELP.format(
                    per_page=SOURCES_PER_PAGE,
                    k=self.k or "default",
                    llm="on" if self.use_llm else "off",
                    accurate="on" if self.use_accurate else "off",
                )
            )
        elif name == "sources":
            if not arg:
                self._sources(1)
            elif arg.isdigit() and int(arg) >= 1:
                self._sources(int(arg))
            else:
                self.console.print("[red]usage:[/] :sources [N]   (N a page number, from 1)")
        elif name == "k":
            if arg.isdigit() and 1 <= int(arg) <= 50:
                self.k = int(arg)
                self.console.print(f"k = {self.k}")
            else:
                self.console.print("[red]usage:[/] :k N   (N between 1 and 50)")
        elif name == "llm":
            if arg in {"on", "off"}:
                self.use_llm = arg == "on"
                self.console.print(f"LLM answers {'on' if self.use_llm else 'off'}")
            else:
                self.console.print("[red]usage:[/] :llm on|off")
        elif name == "accurate":
            if arg in {"on", "off"}:
                self.use_accurate = arg == "on"
                self.console.print(f"accurate reader {'on' if self.use_accurate else 'off'}")
            else:
                self.console.print("[red]usage:[/] :accurate on|off")
        elif name == "new":
            self.turns.clear()
            self.console.print("conversation cleared")
        else:
            self.console.print(f"[red]unknown command[/] :{escape(name)} — :help lists them")
        return True

    def _mode(self) -> AnswererName:
        return "llm" if self.use_llm else "accurate" if self.use_accurate else "extractive"

    def _sources(self, page: int) -> None:
        """Page `page` (from 1) of the library: only that page is read from the store."""
        listing = self.qa.documents_page((page - 1) * SOURCES_PER_PAGE, SOURCES_PER_PAGE)
        pages = max(1, math.ceil(listing.total / SOURCES_PER_PAGE))
        if not listing.total:
            self.console.print("Nothing is ingested yet.")
            return
        if not listing.documents:
            self.console.print(
                f"[red]no page {page:,}:[/] {listing.total:,} articles fill {pages:,} "
                f"page{'s' if pages > 1 else ''} (:sources {pages} is the last)",
                highlight=False,
            )
            return
        first = listing.offset + 1
        last = listing.offset + len(listing.documents)
        table = Table(
            title=f"Articles {first:,}-{last:,} of {listing.total:,} (page {page:,} of {pages:,})",
            title_justify="left",
        )
        table.add_column("id", overflow="fold")
        table.add_column("title", overflow="fold")
        table.add_column("published")
        for doc in listing.documents:
            table.add_row(
                Text(doc.doc_id), Text(doc.title), doc.published.isoformat() if doc.published else ""
            )
        self.console.print(table)
        if page < pages:
            self.console.print(
                f":sources {page + 1} for the next page (`talentqa sources list` lists them all)",
                highlight=False,
                markup=False,
            )


class _ForgivingFileHistory(FileHistory):
    """A FileHistory that keeps going in memory when the file stops taking lines (a full disk, a
    HOME made read-only while the REPL runs)."""

    def __init__(self, filename: str, console: Console) -> None:
        super().__init__(filename)
        self._console = console
        self._broken = False

    def load_history_strings(self) -> Iterable[str]:
        try:
            yield from super().load_history_strings()
        except OSError:
            return

    def store_string(self, string: str) -> None:
        if self._broken:
            return
        try:
            super().store_string(string)
        except OSError as exc:
            self._broken = True
            self._console.print(
                f"[yellow]warning:[/] history is no longer saved ({escape(exc.strerror or str(exc))})",
                highlight=False,
            )
