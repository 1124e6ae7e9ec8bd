"""`talentqa feeds update` on a feed longer than one update reads (issue 14): the output says how many
entries the feed lists and how many were read, and the next update reads the ones left."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from talentqa.cli import app
from talentqa.ingest import web
from talentqa.ingest.feeds import FeedList
from talentqa.settings import IngestSettings, Settings
from tests.ingest.conftest import Pages

WEB = Settings(_env_file=None, allow_private_networks=True, ingest=IngestSettings(fetch_timeout=5.0))


def _feed(base: str, n: int) -> bytes:
    items = "".join(f"<item><title>Story {i}</title><link>{base}/story/{i}</link></item>" for i in range(n))
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{items}</channel></rss>'.encode()
    )


@pytest.fixture()
def long_feed(serve: Callable[[Pages], str], monkeypatch: pytest.MonkeyPatch) -> str:
    """A feed of 10 entries whose pages are missing (each a failure, never a crash), with the bound on
    one read lowered from 500 to 3 so the test fetches a few pages, not 500."""
    monkeypatch.setattr(web, "MAX_FEED_ENTRIES", 3)
    pages: Pages = {}
    base = serve(pages)
    pages["/feed.xml"] = ("application/rss+xml", _feed(base, 10))
    return f"{base}/feed.xml"


def test_an_update_reads_one_bound_of_new_entries_and_the_next_update_the_rest(
    long_feed: str, tmp_path: Path
) -> None:
    feeds = FeedList(tmp_path / "state")
    feeds.add(long_feed)
    first = feeds.check(long_feed, WEB)
    assert (first.listed, first.new, len(first.urls), first.left) == (10, 10, 3, 7)
    assert first.note() == (
        "the feed lists 10 entries, 10 not read before; only the first 3 are read in one update, "
        "the other 7 in the next"
    )
    feeds.mark_seen(long_feed, first.urls)
    second = feeds.check(long_feed, WEB)
    assert (second.new, len(second.urls)) == (7, 3)
    assert not set(second.urls) & set(first.urls)
    feeds.mark_seen(long_feed, second.urls)
    feeds.mark_seen(long_feed, feeds.check(long_feed, WEB).urls)
    last = feeds.check(long_feed, WEB)
    assert (last.new, len(last.urls), last.note()) == (1, 1, None)


def test_feeds_update_reports_how_many_were_listed_and_read(
    long_feed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALENTQA_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("TALENTQA_INGEST__STATE_DIR", str(tmp_path / "state"))
    runner = CliRunner()
    store = str(tmp_path / "vs")
    assert runner.invoke(app, ["feeds", "add", long_feed]).exit_code == 0

    result = runner.invoke(app, ["feeds", "update", "--store", store, "--json"])
    row = json.loads(result.stdout)[0]
    assert (row["listed"], row["new"], row["read"], row["failed"]) == (10, 10, 3, 3), row
    assert "only the first 3 are read in one update" in row["note"]

    table = runner.invoke(app, ["feeds", "update", "--store", store], terminal_width=200)
    text = " ".join(table.output.split())
    assert "listed" in text and "read" in text
    assert "the feed lists 10 entries, 10 not read before; only the first 3 are read" in text, text
