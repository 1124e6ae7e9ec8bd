"""load_url against a local news site: clean article text, correct metadata, one doc id per article
whichever URL, feed or sitemap it was reached through."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

import pytest
import trafilatura

from talentqa.errors import LoadError
from talentqa.ingest.web import load_url
from talentqa.models import Article
from talentqa.settings import Settings

from .localsite import LocalSite

NOISE = [
    "cookie",
    "Accept all",
    "ADVERTISEMENT",
    "Sponsored",
    "river cruises",
    "savings account",
    "Front page",
    "World desk",
    "Science desk",
    "Sign in",
    "Subscribe now",
    "Most read",
    "Central bank",
    "Copyright",
    "Privacy policy",
]


def load(url: str, settings: Settings, since: dt.date | None = None) -> tuple[list[Article], list[LoadError]]:
    results = list(load_url(url, settings, since=since))
    articles = [r for r in results if isinstance(r, Article)]
    errors = [r for r in results if isinstance(r, LoadError)]
    assert len(articles) + len(errors) == len(results)
    return articles, errors


def test_article_page_yields_clean_text_and_its_metadata(site: LocalSite, open_settings: Settings) -> None:
    url = site.url("/news/returning-physicist")
    articles, errors = load(url, open_settings)
    assert errors == []
    [article] = articles
    assert article.doc_id == article.url == url
    assert article.source == url
    assert article.title == "Quantum physicist Lin Haoran returns to Hefei to build a new lab"
    assert article.author == "Mei Tanaka-Ruiz"
    assert article.published == dt.date(2024, 3, 14)
    assert "lead a new group studying trapped-ion quantum memories" in article.text
    assert "vibration-isolated floor is due to be completed." in article.text
    for noise in NOISE:
        assert noise.lower() not in article.text.lower(), noise
    assert re.fullmatch(r"[0-9a-f]{64}", article.content_hash)


def test_article_text_is_normalised(site: LocalSite, open_settings: Settings) -> None:
    [article], _ = load(site.url("/news/marine-biologist"), open_settings)
    text = article.text
    assert text == unicodedata.normalize("NFC", text) == text.strip()
    assert "\r" not in text and "\n\n\n" not in text and "  " not in text and "\t" not in text
    assert "students here ask wonderful questions." in text


def test_loading_twice_gives_the_same_identity_and_hash(site: LocalSite, open_settings: Settings) -> None:
    [first], _ = load(site.url("/news/ai-researcher"), open_settings)
    [second], _ = load(site.url("/news/ai-researcher"), open_settings)
    assert (first.doc_id, first.content_hash) == (second.doc_id, second.content_hash)


@pytest.mark.parametrize(
    "variant",
    [
        "/news/returning-physicist/amp",
        "/news/returning-physicist?utm_source=newsletter&utm_medium=email&fbclid=IwAR0xyz#comments",
        "/news/returning-physicist?amp=1",
        "/redirect?to=/news/returning-physicist%3Fgclid%3DCj0KCQ",
    ],
)
def test_variants_of_one_article_get_the_canonical_doc_id(
    site: LocalSite, open_settings: Settings, variant: str
) -> None:
    [plain], _ = load(site.url("/news/returning-physicist"), open_settings)
    [article], errors = load(site.url(variant), open_settings)
    assert errors == []
    assert article.doc_id == plain.doc_id == site.url("/news/returning-physicist")
    assert article.source == site.url(variant)
    assert (article.title, article.published) == (plain.title, plain.published)


def test_page_claiming_another_sites_article_keeps_its_own_doc_id(
    site: LocalSite, open_settings: Settings
) -> None:
    [article], _ = load(site.url("/news/copycat"), open_settings)
    assert article.doc_id == site.url("/news/copycat")


EXPECTED = {
    "/news/returning-physicist": ("Mei Tanaka-Ruiz", dt.date(2024, 3, 14)),
    "/news/marine-biologist": ("Daniel Okafor", dt.date(2024, 5, 2)),
    "/news/ai-researcher": ("Priya Lindqvist", dt.date(2024, 6, 20)),
}


@pytest.mark.parametrize("feed", ["/feed.rss", "/feed.atom"])
def test_feed_yields_each_linked_article_once(site: LocalSite, open_settings: Settings, feed: str) -> None:
    # The RSS feed lists the physicist twice (tracking link and AMP link); the Atom feed reaches the
    # marine story through a redirect and the others with a fragment or a gclid.
    articles, errors = load(site.url(feed), open_settings)
    assert errors == []
    got = {a.doc_id: (a.author, a.published) for a in articles}
    assert got == {site.url(path): meta for path, meta in EXPECTED.items()}
    assert len(articles) == 3
    assert all(a.source == site.url(feed) for a in articles)
    assert all("ADVERTISEMENT" not in a.text and "cookie" not in a.text.lower() for a in articles)
    assert "/news/returning-physicist/amp" not in site.paths()  # a known variant is not fetched again


def test_malformed_feed_without_a_dtd_is_still_read(site: LocalSite, open_settings: Settings) -> None:
    # A bare "&" breaks strict XML parsing; without a DTD nothing can expand, so feedparser may read it.
    articles, errors = load(site.url("/feed-sloppy.rss"), open_settings)
    assert errors == []
    assert [a.doc_id for a in articles] == [site.url("/news/marine-biologist")]


def test_extractor_crash_on_one_entry_is_reported_and_the_feed_goes_on(
    monkeypatch: pytest.MonkeyPatch, site: LocalSite, open_settings: Settings
) -> None:
    real = trafilatura.bare_extraction

    def crash_on_marine(html: Any, url: str | None = None, **kwargs: Any) -> Any:
        if url and "marine" in url:
            raise RecursionError("maximum recursion depth exceeded")
        return real(html, url=url, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", crash_on_marine)
    articles, errors = load(site.url("/feed.rss"), open_settings)
    assert len(articles) == 2
    assert [(e.source, e.reason) for e in errors] == [
        (
            site.url("/news/marine-biologist"),
            "could not extract the article: RecursionError: maximum recursion depth exceeded",
        )
    ]


def test_feed_since_keeps_entries_published_on_or_after_the_date(
    site: LocalSite, open_settings: Settings
) -> None:
    articles, errors = load(site.url("/feed.rss"), open_settings, since=dt.date(2024, 5, 2))
    assert errors == []
    assert {a.doc_id for a in articles} == {
        site.url("/news/marine-biologist"),
        site.url("/news/ai-researcher"),
    }
    assert "/news/returning-physicist" not in site.paths()


def test_sitemap_yields_each_article_once_and_reports_a_dead_link(
    site: LocalSite, open_settings: Settings
) -> None:
    articles, errors = load(site.url("/sitemap.xml"), open_settings)
    assert {a.doc_id for a in articles} == {site.url(p) for p in EXPECTED}
    assert len(articles) == 3
    assert [(e.source, e.reason) for e in errors] == [
        (site.url("/news/withdrawn-story"), "HTTP 404 Not Found")
    ]


def test_sitemap_since_filters_by_lastmod(site: LocalSite, open_settings: Settings) -> None:
    articles, errors = load(site.url("/sitemap.xml"), open_settings, since=dt.date(2024, 1, 1))
    assert errors == []
    assert {a.doc_id for a in articles} == {site.url(p) for p in EXPECTED}
    assert "/news/withdrawn-story" not in site.paths()


def test_sitemap_index_follows_recent_sitemaps_only(site: LocalSite, open_settings: Settings) -> None:
    articles, errors = load(site.url("/sitemap-index.xml"), open_settings, since=dt.date(2024, 1, 1))
    assert errors == []
    assert {a.doc_id for a in articles} == {
        site.url("/news/marine-biologist"),
        site.url("/news/ai-researcher"),
    }
    assert "/sitemap-2019.xml" not in site.paths()


def test_sitemap_index_without_since_follows_every_sitemap(site: LocalSite, open_settings: Settings) -> None:
    articles, errors = load(site.url("/sitemap-index.xml"), open_settings)
    assert len(articles) == 2
    assert [e.source for e in errors] == [site.url("/news/withdrawn-story")]


def test_page_without_article_text_is_a_load_error(site: LocalSite, open_settings: Settings) -> None:
    articles, errors = load(site.url("/news/empty"), open_settings)
    assert articles == []
    assert [(e.source, e.reason) for e in errors] == [(site.url("/news/empty"), "no article text found")]


def test_pdf_url_is_extracted_with_its_metadata(site: LocalSite, open_settings: Settings) -> None:
    [article], errors = load(site.url("/report.pdf"), open_settings)
    assert errors == []
    assert article.doc_id == site.url("/report.pdf")
    assert article.title == "Why researchers return"
    assert article.author == "Harbour Ledger Research Unit"
    # Its CreationDate (2024-07-01) is when the file was made, not a publication date.
    assert article.published is None
    assert "Returning scientists cite laboratory space as the main reason." in article.text


def test_plain_text_url_is_normalised(site: LocalSite, open_settings: Settings) -> None:
    [article], _ = load(site.url("/notes.txt"), open_settings)
    assert article.text == "Line one.\n\nLine two."
