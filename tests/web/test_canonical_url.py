"""canonical_url merges the spellings of one article URL and leaves meaningful differences alone."""

from __future__ import annotations

import pytest
from trafilatura.utils import load_html

from talentqa.ingest.web import canonical_url, declared_canonical_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.COM/World/Story", "https://news.example.com/World/Story"),
        ("https://news.example.com:443/a", "https://news.example.com/a"),
        ("http://news.example.com:80/a", "http://news.example.com/a"),
        ("http://news.example.com:8080/a", "http://news.example.com:8080/a"),
        ("https://news.example.com", "https://news.example.com/"),
        ("https://news.example.com/a#comments", "https://news.example.com/a"),
        ("https://news.example.com/a?utm_source=x&utm_medium=y&utm_campaign=z", "https://news.example.com/a"),
        (
            "https://news.example.com/a?id=7&fbclid=IwAR0&gclid=Cj0&mc_cid=1&mc_eid=2",
            "https://news.example.com/a?id=7",
        ),
        ("https://news.example.com/a?UTM_Source=x&page=2", "https://news.example.com/a?page=2"),
        ("https://news.example.com/a/amp", "https://news.example.com/a"),
        ("https://news.example.com/amp/a/", "https://news.example.com/a/"),
        ("https://news.example.com/a?amp", "https://news.example.com/a"),
        ("https://news.example.com/a?amp=1&id=3", "https://news.example.com/a?id=3"),
        ("https://news.example.com/a?outputType=amp", "https://news.example.com/a"),
        ("https://news.example.com/news/123.amp", "https://news.example.com/news/123"),
        ("https://news.example.com/story.amp.html", "https://news.example.com/story.html"),
        ("https://user:pw@news.example.com/a", "https://news.example.com/a"),
        ("https://news.example.com./a", "https://news.example.com/a"),
        ("http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"),
        # Meaningful differences stay: order, values, case of the path, unknown parameters.
        ("https://news.example.com/a?b=2&a=1", "https://news.example.com/a?b=2&a=1"),
        ("https://news.example.com/ampersand", "https://news.example.com/ampersand"),
        ("https://news.example.com/a?ref=homepage", "https://news.example.com/a?ref=homepage"),
        ("  https://news.example.com/a  ", "https://news.example.com/a"),
        ("mailto:desk@news.example.com", "mailto:desk@news.example.com"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_is_idempotent() -> None:
    url = "HTTPS://News.Example.com:443/amp/a?utm_source=x&id=1#f"
    assert canonical_url(canonical_url(url)) == canonical_url(url) == "https://news.example.com/a?id=1"


def _tree(head: str) -> object:
    return load_html(f"<html><head>{head}</head><body><p>text</p><p>more</p></body></html>")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<link rel="canonical" href="/news/a?utm_source=x">', "https://news.example.com/news/a"),
        (
            '<link rel="Canonical" href="https://www.news.example.com/news/a">',
            "https://www.news.example.com/news/a",
        ),
        (
            '<meta property="og:url" content="https://news.example.com/news/b">',
            "https://news.example.com/news/b",
        ),
        # A page cannot claim another site's article, nor a non-web URL.
        ('<link rel="canonical" href="https://other-paper.example/news/a">', None),
        ('<link rel="canonical" href="javascript:alert(1)">', None),
        ("", None),
    ],
)
def test_declared_canonical_url_is_taken_only_on_the_same_site(head: str, expected: str | None) -> None:
    assert declared_canonical_url(_tree(head), "https://news.example.com/news/a/amp?utm_source=y") == expected
