"""`talentqa sources list|show|remove` and `talentqa stats`: what the store holds."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from talentqa.cli.common import ChromaOpt, DocIdArg, JsonOpt, StoreOpt, make_settings, opened, out

sources_app = typer.Typer(help="List, show and remove ingested articles.", no_args_is_help=True)


@sources_app.command("list")
def sources_list(store: StoreOpt = None, chroma_url: ChromaOpt = None, as_json: JsonOpt = False) -> None:
    """Every ingested article: id, title, outlet, url, published date, chunks."""
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
                        "outlet": d.outlet,
                        "published": d.published.isoformat() if d.published else None,
                        "chunks": d.chunks,
                    }
                    for d in docs
                ]
            )
        )
        return
    table = Table(title=f"{len(docs):,} articles", title_justify="left")
    outlets = any(d.outlet for d in docs)  # a column only where some article names one
    for col in ("id", "title", *(("outlet",) if outlets else ()), "published", "chunks"):
        table.add_column(col, overflow="fold", justify="right" if col == "chunks" else "left")
    for d in docs:
        cells = [Text(d.doc_id), Text(d.title), *((Text(d.outlet or ""),) if outlets else ())]
        table.add_row(*cells, d.published.isoformat() if d.published else "", str(d.chunks))
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
        ("outlet", info.outlet),
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
