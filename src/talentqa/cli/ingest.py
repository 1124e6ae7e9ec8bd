"""`talentqa ingest` and `talentqa reindex`: add, update and re-embed articles, and their report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from talentqa.cli.common import (
    ChromaOpt,
    JsonOpt,
    StoreOpt,
    _open_app,
    err,
    friendly_errors,
    make_settings,
    out,
    parse_day,
)
from talentqa.models import IngestReport
from talentqa.settings import Settings


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


def reindex(store: StoreOpt = None, chroma_url: ChromaOpt = None) -> None:
    """Re-chunk and re-embed every stored article with the configured model (after changing models)."""
    settings = make_settings(store, chroma_url)
    with friendly_errors():
        from talentqa.app import TalentQA

        report = TalentQA.reindex(settings, create=False)  # nothing to re-embed in a store not made yet
    _print_report(report, as_json=False)
    if report.failed:
        raise typer.Exit(1)
