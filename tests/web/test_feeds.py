"""The followed-feed list persists, and hands out each entry until it is marked seen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from talentqa.errors import FetchError, LoadError
from talentqa.ingest.feeds import FeedList
from talentqa.settings import Settings

from .localsite import LocalSite


def test_added_feeds_persist_across_instances_and_can_be_removed(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    feeds = FeedList(folder)
    first = feeds.add("https://News.Example.com/feed.rss?utm_source=x")
    assert first.url == "https://news.example.com/feed.rss"
    assert feeds.add("https://news.example.com/feed.rss") == first  # idempotent
    feeds.add("https://other.example/atom.xml")

    reopened = FeedList(folder)
    assert [f.url for f in reopened.list()] == [
        "https://news.example.com/feed.rss",
        "https://other.example/atom.xml",
    ]
    assert reopened.remove("https://other.example/atom.xml") is True
    assert reopened.remove("https://other.example/atom.xml") is False
    assert [f.url for f in FeedList(folder).list()] == ["https://news.example.com/feed.rss"]
    assert json.loads((folder / "feeds.json").read_text())["version"] == 1


def test_empty_list_needs_no_file(tmp_path: Path) -> None:
    assert FeedList(tmp_path / "nowhere").list() == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/feed", "feeds.rss"])
def test_only_web_feeds_can_be_followed(tmp_path: Path, url: str) -> None:
    with pytest.raises(LoadError, match="must start with http"):
        FeedList(tmp_path).add(url)


def test_new_entries_are_returned_until_marked_seen(
    tmp_path: Path, site: LocalSite, open_settings: Settings
) -> None:
    feeds = FeedList(tmp_path)
    feed = site.url("/feed.rss")
    feeds.add(feed)
    assert feeds.get(feed) is not None and feeds.get(feed).last_checked is None  # type: ignore[union-attr]

    new = feeds.new_entries(feed, open_settings)
    # Four entries, but the tracking and AMP links are one article.
    assert new == [
        site.url("/news/ai-researcher"),
        site.url("/news/marine-biologist"),
        site.url("/news/returning-physicist?utm_source=rss&utm_medium=feed&fbclid=IwAR0abc"),
    ]
    assert feeds.get(feed).last_checked is not None  # type: ignore[union-attr]

    # Only two were ingested; the third failed and must come back next time.
    feeds.mark_seen(feed, new[:1] + [new[2]])
    assert FeedList(tmp_path).new_entries(feed, open_settings) == [site.url("/news/marine-biologist")]
    feeds.mark_seen(feed, [site.url("/news/marine-biologist#top")])
    assert feeds.new_entries(feed, open_settings) == []
    assert feeds.seen(feed) == {
        site.url(p) for p in ("/news/ai-researcher", "/news/marine-biologist", "/news/returning-physicist")
    }


def test_new_entries_of_an_unfollowed_feed_is_an_error(
    tmp_path: Path, site: LocalSite, open_settings: Settings
) -> None:
    with pytest.raises(LoadError, match="not a followed feed"):
        FeedList(tmp_path).new_entries(site.url("/feed.rss"), open_settings)
    with pytest.raises(LoadError, match="not a followed feed"):
        FeedList(tmp_path).mark_seen(site.url("/feed.rss"), ["https://x.example/a"])


def test_unsafe_or_unreachable_feed_raises_a_clear_error(
    tmp_path: Path, site: LocalSite, open_settings: Settings, guarded_settings: Settings
) -> None:
    feeds = FeedList(tmp_path)
    feeds.add(site.url("/billion-laughs.xml"))
    with pytest.raises(LoadError, match="unsafe XML refused"):
        feeds.new_entries(site.url("/billion-laughs.xml"), open_settings)
    feeds.add(site.url("/feed.rss"))
    with pytest.raises(FetchError, match="loopback"):
        feeds.new_entries(site.url("/feed.rss"), guarded_settings)
    feeds.add(site.url("/news/ai-researcher"))
    with pytest.raises(LoadError, match="content type 'text/html'"):
        feeds.new_entries(site.url("/news/ai-researcher"), open_settings)


def test_corrupt_feed_list_is_reported_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "feeds.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LoadError, match="feed list is corrupt"):
        FeedList(tmp_path).add("https://news.example.com/feed.rss")
    assert (tmp_path / "feeds.json").read_text(encoding="utf-8") == "{not json"
