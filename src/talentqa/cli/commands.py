"""The `talentqa` command. The only place (with the REPL and bot) that turns errors into user text."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from talentqa.cli import bot as bot_commands
from talentqa.cli import eval as eval_commands
from talentqa.cli import feeds as feed_commands
from talentqa.cli.common import (
    ChromaOpt,
    DocIdArg,
    JsonOpt,
    StoreOpt,
    _open_app,
    err,
    friendly_errors,
    make_settings,
    opened,
    out,
)
from talentqa.models import IngestReport
from talentqa.paths import user_cache_dir
from talentqa.settings import Settings

app = typer.Typer(
    help="Answers questions about news articles with verbatim, verified quotes.\n\n"
    'Start with `talentqa ingest ingest/samples` then `talentqa ask "..."`.',
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sources_app = typer.Typer(help="List, show and remove ingested articles.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")

# --- ingest ----------------------------------------------------------------------------------------------


def _estimate_total(sources: list[str], settings: Settings, glob: str | None) -> int | None:
    """Articles to expect, for the progress bar: a line per JSONL record, one per other file."""
    from talentqa.errors import LoadError
    from talentqa.ingest.loaders import iter_files, open_regular
    from talentqa.ingest.pipeline import is_url

    if any(is_url(s) for s in sources):
        return None
    total = 0
    for item in iter_files(sources, glob or settings.ingest.glob):
        if isinstance(item, Path) and item.suffix.lower() == ".jsonl":
            try:
                with open_regular(item) as handle:  # never blocks on a FIFO put there since the listing
                    total += sum(1 for line in handle if line.strip())
            except (OSError, LoadError):
                total += 1
        else:
            total += 1
    return total


@app.command()
def ingest(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files, folders (recursive) or URLs. Default: the inbox folder ingest/inbox/.",
            show_default=False,
        ),
    ] = None,
    glob: Annotated[
        str | None,
        typer.Option("--glob", help="Only files matching this pattern inside folders, e.g. '*.md'."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="For feeds and sitemaps: only entries published/modified on or after DATE."
        ),
    ] = None,
    store: StoreOpt = None,
    chroma_url: ChromaOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add or update articles: .txt, .md (YAML front matter), .html, .pdf, .jsonl bulk records, and
    http(s) URLs of article pages, RSS/Atom feeds (each entry's page) and sitemaps.

    Unchanged articles are not embedded again; a bad file is reported and the rest go on. Files of a
    type talentqa does not read, and empty files, found in a folder are skipped and listed.
    Exit status 0 when nothing failed, 1 when any input failed, 2 when ingest could not run.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    settings = make_settings(store, chroma_url)
    sources = list(paths or [str(settings.ingest.inbox)])
    since_day = parse_day(since, "--since")
    with friendly_errors():
        total = _estimate_total(sources, settings, glob)
        qa = _open_app(settings, create=True)
        try:
            progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
                disable=as_json or not err.is_terminal,
            )
            with progress:
                articles = progress.add_task("articles", total=total)
                chunks = progress.add_task("chunks embedded", total=None)

                def tick(kind: str, n: int) -> None:
                    progress.advance(articles if kind == "article" else chunks, n)

                report = qa.ingest_sources(sources, glob=glob, since=since_day, progress=tick)
        finally:
            qa.close()
    _print_report(report, as_json)
    if report.failed:
        raise typer.Exit(1)


def _print_report(report: IngestReport, as_json: bool) -> None:
    summary = report.summary()
    chunks = sum(item.chunks for item in report.items if item.status in {"added", "updated", "reindexed"})
    if as_json:
        payload = {
            "summary": summary,
            "seconds": round(report.seconds, 3),
            "chunks_written": chunks,
            "chunks_per_second": round(chunks / report.seconds, 1) if report.seconds else None,
            "items": [item.model_dump() for item in report.items],
        }
        out.print_json(json.dumps(payload))
        return
    for title, status in (("Skipped", "skipped"), ("Failed", "failed")):
        items = [item for item in report.items if item.status == status]
        if not items:
            continue
        table = Table(title=title, title_justify="left", show_lines=False)
        table.add_column("input", overflow="fold")
        table.add_column("reason", overflow="fold")
        for item in items:
            table.add_row(Text(item.source), Text(item.reason or ""))
        out.print(table)
    changed = [item for item in report.items if item.status in {"added", "updated", "reindexed"}]
    if changed and len(changed) <= 30:
        table = Table(title="Stored", title_justify="left")
        table.add_column("status")
        table.add_column("id", overflow="fold")
        table.add_column("title", overflow="fold")
        table.add_column("chunks", justify="right")
        for item in changed:
            table.add_row(item.status, Text(item.doc_id or ""), Text(item.title or ""), str(item.chunks))
        out.print(table)
    totals = Table(title="Ingest", title_justify="left")
    counted = ("added", "updated", "unchanged", "skipped", "failed")
    for name in (*counted, "chunks", "seconds", "chunks/s"):
        totals.add_column(name, justify="right")
    rate = f"{chunks / report.seconds:,.1f}" if report.seconds and chunks else "-"
    totals.add_row(
        *(f"{summary.get(k, 0):,}" for k in counted),
        f"{chunks:,}",
        f"{report.seconds:,.2f}",
        rate,
    )
    out.print(totals)


# --- sources and stats -------------------------------------------------------------------------------------


@sources_app.command("list")
def sources_list(store: StoreOpt = None, chroma_url: ChromaOpt = None, as_json: JsonOpt = False) -> None:
    """Every ingested article: id, title, url, published date, chunks."""
    settings = make_settings(store, chroma_url)
    with opened(settings) as qa:
        docs = qa.documents()
    if as_json:
        out.print_json(
            json.dumps(
                [
                    {
                        "id": d.doc_id,
                        "title": d.title,
                        "url": d.url,
                        "published": d.published.isoformat() if d.published else None,
                        "chunks": d.chunks,
                    }
                    for d in docs
                ]
            )
        )
        return
    table = Table(title=f"{len(docs):,} articles", title_justify="left")
    for col in ("id", "title", "published", "chunks"):
        table.add_column(col, overflow="fold", justify="right" if col == "chunks" else "left")
    for d in docs:
        table.add_row(
            Text(d.doc_id), Text(d.title), d.published.isoformat() if d.published else "", str(d.chunks)
        )
    out.print(table)


@sources_app.command("show")
def sources_show(
    doc_id: DocIdArg,
    store: StoreOpt = None,
    chroma_url: ChromaOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One article's metadata and the start of its stored text."""
    settings = make_settings(store, chroma_url)
    with opened(settings) as qa:
        info = qa.document(doc_id)
        text = qa.document_text(doc_id)
    if as_json:
        payload = info.model_dump(mode="json")
        payload["text"] = text
        out.print_json(json.dumps(payload))
        return
    out.print(f"[bold]{escape(info.title)}[/]  ({escape(info.doc_id)})", highlight=False)
    for label, value in (
        ("url", info.url),
        ("author", info.author),
        ("published", info.published),
        ("source", info.source),
        ("chunks", info.chunks),
        ("characters", info.chars),
        ("ingested", info.ingested_at),
    ):
        if value:
            out.print(f"  {label:<11}{value}", highlight=False, markup=False)
    preview = text[:600] + ("…" if len(text) > 600 else "")
    out.print()
    out.print(preview, highlight=False, markup=False)


@sources_app.command("remove")
def sources_remove(
    doc_id: DocIdArg,
    store: StoreOpt = None,
    chroma_url: ChromaOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove one article and all of its chunks."""
    settings = make_settings(store, chroma_url)
    with opened(settings) as qa:
        qa.remove(doc_id)
    if as_json:
        out.print_json(json.dumps({"removed": doc_id}))
    else:
        out.print(f"removed {doc_id}", highlight=False, markup=False)


@app.command()
def stats(store: StoreOpt = None, chroma_url: ChromaOpt = None, as_json: JsonOpt = False) -> None:
    """Documents, chunks, embedding model, store mode and size on disk."""
    settings = make_settings(store, chroma_url)
    with opened(settings) as qa:
        info = qa.about()
    if as_json:
        out.print_json(json.dumps(info))
        return
    table = Table(show_header=False, title="talentqa store", title_justify="left")
    table.add_column("key", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in info.items():
        if key == "size_bytes" and isinstance(value, int):
            value = f"{value / 1_000_000:,.1f} MB"
        table.add_row(key, "-" if value is None else str(value))
    out.print(table)


@app.command()
def reindex(store: StoreOpt = None, chroma_url: ChromaOpt = None) -> None:
    """Re-chunk and re-embed every stored article with the configured model (after changing models)."""
    settings = make_settings(store, chroma_url)
    with friendly_errors():
        from talentqa.app import TalentQA

        report = TalentQA.reindex(settings, create=False)  # nothing to re-embed in a store not made yet
    _print_report(report, as_json=False)
    if report.failed:
        raise typer.Exit(1)


def main() -> None:
    app()


# --- asking --------------------------------------------------------------------------------------------


def parse_day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    from talentqa.dates import parse_date

    day = parse_date(value)
    if day is None:
        raise typer.BadParameter(f"not a date: {value!r} (use YYYY-MM-DD)", param_hint=option)
    return day


@app.command()
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


@app.command()
def repl(
    store: StoreOpt = None,
    chroma_url: ChromaOpt = None,
    llm: Annotated[bool, typer.Option("--llm", help="Start with the LLM answerer on.")] = False,
) -> None:
    """An interactive session: ask, follow up, and use :sources, :k N, :llm on|off, :help, :quit."""
    from talentqa.cli.repl import Repl

    settings = make_settings(store, chroma_url)
    with opened(settings) as qa:
        history = user_cache_dir() / "repl-history"
        Repl(qa, console=out, use_llm=llm, history_file=history).run()


# Feature areas add their own subcommands (eval and calibrate, feeds, bot) from their own modules.
for _commands in (eval_commands, feed_commands, bot_commands):
    _commands.register(app)
