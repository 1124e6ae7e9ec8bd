"""`talentqa feeds`: follow RSS/Atom feeds and ingest only what is new."""

from __future__ import annotations

import json
import re
import time
from typing import Annotated

import typer
from rich.markup import escape
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
)
from talentqa.errors import LoadError, TalentQAError
from talentqa.ingest.feeds import FeedList

feeds_app = typer.Typer(
    help="Follow RSS/Atom feeds; `update` ingests only entries not seen before.", no_args_is_help=True
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d)?\s*$", re.I)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """'30m' -> 1800.0; a bare number is minutes."""
    match = _DURATION.match(text)
    if not match:
        raise typer.BadParameter(f"not a duration: {text!r} (e.g. 30m, 2h, 90s)", param_hint="--every")
    seconds = float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "m").lower()]
    if seconds < 10:
        raise typer.BadParameter("poll at most every 10 seconds", param_hint="--every")
    return seconds


def register(app: typer.Typer) -> None:
    def feed_list() -> FeedList:
        return FeedList(make_settings().ingest.state_dir)

    @feeds_app.command("add")
    def add(url: Annotated[str, typer.Argument(help="Feed URL (RSS or Atom).")]) -> None:
        """Follow a feed (nothing is fetched until `feeds update`)."""
        with friendly_errors():
            feed = feed_list().add(url)
        out.print(f"following {feed.url}", highlight=False, markup=False)

    @feeds_app.command("list")
    def list_(as_json: JsonOpt = False) -> None:
        """The followed feeds, with when each was last checked and how many entries were taken."""
        with friendly_errors():
            feeds = feed_list().list()
        if as_json:
            out.print_json(
                json.dumps(
                    [f.model_dump(mode="json", exclude={"seen"}) | {"seen": len(f.seen)} for f in feeds]
                )
            )
            return
        table = Table(title=f"{len(feeds)} feeds", title_justify="left")
        for col in ("url", "last checked", "entries taken"):
            table.add_column(col, overflow="fold")
        for feed in feeds:
            checked = feed.last_checked.isoformat() if feed.last_checked else "never"
            table.add_row(Text(feed.url), checked, str(len(feed.seen)))
        out.print(table)

    @feeds_app.command("remove")
    def remove(url: Annotated[str, typer.Argument(help="Feed URL.")]) -> None:
        """Stop following a feed (its articles stay ingested)."""
        with friendly_errors():
            removed = feed_list().remove(url)
        if not removed:
            err.print(f"[red]error:[/] not a followed feed: {escape(url)}", highlight=False)
            raise typer.Exit(2)
        out.print(f"stopped following {url}", highlight=False, markup=False)

    @feeds_app.command("update")
    def update(
        every: Annotated[
            str | None, typer.Option("--every", help="Keep running and poll every DURATION (e.g. 30m, 2h).")
        ] = None,
        store: StoreOpt = None,
        chroma_url: ChromaOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Fetch every followed feed and ingest the entries not seen before.

        At most 500 new entries of a feed are read in one update; the table says how many each feed
        lists and how many were read, a line names a feed cut short, and the next update reads the rest.
        """
        from rich.progress import Progress

        interval = parse_duration(every) if every else None
        settings = make_settings(store, chroma_url)
        feeds = feed_list()
        failed_any = False
        with friendly_errors():
            qa = _open_app(settings, create=True)
            try:
                while True:
                    results = []
                    followed = feeds.list()
                    with Progress(console=err, transient=True, disable=as_json or not err.is_terminal) as bar:
                        task = bar.add_task("feeds", total=len(followed))
                        for feed in followed:
                            row: dict[str, object] = {
                                "feed": feed.url,
                                "listed": 0,
                                "new": 0,
                                "read": 0,
                                "stored": 0,
                                "failed": 0,
                                "error": None,
                                "note": None,
                            }
                            try:
                                check = feeds.check(feed.url, settings)
                                urls = check.urls
                                row.update(
                                    listed=check.listed, new=check.new, read=len(urls), note=check.note()
                                )
                                if urls:
                                    report = qa.ingest_sources(urls)
                                    ok = [i.source for i in report.items if i.status != "failed"]
                                    feeds.mark_seen(feed.url, ok)
                                    row["stored"] = len(ok)
                                    row["failed"] = len(report.failed)
                            except (LoadError, TalentQAError) as exc:
                                row["error"] = str(exc)
                            failed_any = failed_any or bool(row["failed"] or row["error"])
                            results.append(row)
                            bar.advance(task)
                    _print_update(results, as_json)
                    if interval is None:
                        break
                    err.print(f"next check in {every}; Ctrl-C to stop", style="dim")
                    time.sleep(interval)
            finally:
                qa.close()
        if failed_any and interval is None:
            raise typer.Exit(1)

    def _print_update(results: list[dict[str, object]], as_json: bool) -> None:
        if as_json:
            out.print_json(json.dumps(results))
            return
        table = Table(title="Feeds update", title_justify="left")
        columns = ("feed", "listed", "new", "read", "stored", "failed", "error")
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in results:
            table.add_row(*(Text(str(row[c] if row[c] is not None else "")) for c in columns))
        out.print(table)
        for row in results:
            if row["note"]:
                # Like ingest's `skipped` line for a long feed: what was left is said, not dropped.
                out.print(Text(f"{row['feed']}: {row['note']}", style="yellow"))

    app.add_typer(feeds_app, name="feeds")
