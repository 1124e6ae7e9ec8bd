"""Redirects with malformed Location headers (issue 13, item 11): each is one URL's error or is followed
the way a browser follows it; none escapes `safe_fetch`, ends a batch, or stops `feeds update`."""

from __future__ import annotations

from pathlib import Path

import pytest

from talentqa.errors import FetchError, LoadError
from talentqa.ingest.feeds import FeedList
from talentqa.ingest.fetch import safe_fetch
from talentqa.ingest.web import load_url
from talentqa.models import Article
from talentqa.settings import Settings

from .localsite import LocalSite


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("https:x/y", "URL has no host"),  # a scheme and no host: httpx raised InvalidURL
        ("http://%5Bx/y", "malformed URL"),  # urljoin raises ValueError ("Invalid IPv6 URL")
        ("http:x/y", "HTTP 404"),  # same scheme: relative, as browsers read it; the page is missing
    ],
)
def test_malformed_redirect_location_is_a_fetch_error(
    site: LocalSite, open_settings: Settings, location: str, expected: str
) -> None:
    with pytest.raises(FetchError) as info:
        safe_fetch(site.url(f"/redirect?to={location}"), open_settings)
    assert expected in info.value.reason
    assert info.value.source == site.url(f"/redirect?to={location}")


def test_scheme_relative_location_is_followed_like_a_browser(
    site: LocalSite, open_settings: Settings
) -> None:
    page = safe_fetch(site.url("/redirect?to=http:news/ai-researcher"), open_settings)
    assert page.final_url == site.url("/news/ai-researcher")
    assert page.status == 200


def test_malformed_redirects_in_a_feed_fail_one_by_one_and_the_good_entry_loads(
    site: LocalSite, open_settings: Settings
) -> None:
    results = list(load_url(site.url("/feed-bad-redirects.rss"), open_settings))
    errors = [r for r in results if isinstance(r, LoadError)]
    articles = [r for r in results if isinstance(r, Article)]
    assert len(errors) == 3
    assert [a.title for a in articles] and articles[0].url is not None
    assert articles[0].url.endswith("/news/ai-researcher")


def test_a_feed_that_redirects_badly_is_an_error_and_the_next_feed_is_still_read(
    site: LocalSite, open_settings: Settings, tmp_path: Path
) -> None:
    feeds = FeedList(tmp_path)
    broken = site.url("/redirect?to=https:x/y")
    feeds.add(broken)
    feeds.add(site.url("/feed.rss"))
    taken: dict[str, list[str]] = {}
    failed: dict[str, str] = {}
    # What `feeds update` does for each followed feed: a LoadError is reported, and the loop goes on.
    for feed in feeds.list():
        try:
            taken[feed.url] = feeds.new_entries(feed.url, open_settings)
        except LoadError as exc:
            failed[feed.url] = exc.reason
    assert list(failed) == [broken] and "URL has no host" in failed[broken]
    assert taken[site.url("/feed.rss")]
