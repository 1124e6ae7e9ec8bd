"""Web ingest end to end: the local test site into a real store, through the CLI users run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from talentqa.app import TalentQA
from talentqa.cli import app
from talentqa.settings import Settings
from tests.conftest import FakeEmbedder

from .localsite import LocalSite, make_settings

ARTICLES = ["/news/returning-physicist", "/news/marine-biologist", "/news/ai-researcher"]


def test_feed_sitemap_and_variants_store_each_article_once_and_rerun_stores_nothing(
    site: LocalSite, tmp_path: Path
) -> None:
    settings = make_settings(private=True).model_copy(update={"store": tmp_path / "vs"})
    sources = [
        site.url("/feed.rss"),
        site.url("/sitemap.xml"),
        site.url("/news/returning-physicist/amp"),
        site.url("/news/returning-physicist?utm_source=newsletter&utm_medium=email"),
    ]
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        first = qa.ingest_sources(sources)
        stored = {d.doc_id: d for d in qa.documents()}
        assert set(stored) == {site.url(path) for path in ARTICLES}
        for doc in stored.values():
            text = qa.store.text(doc.doc_id)
            assert "cookie" not in text.lower() and "ADVERTISEMENT" not in text
            assert doc.published is not None and doc.title
        assert first.count("added") == 3
        second = qa.ingest_sources(sources)
        assert second.count("added") == second.count("updated") == 0
        assert {d.doc_id for d in qa.documents()} == set(stored)


def test_private_addresses_are_refused_by_default_and_nothing_is_stored(
    site: LocalSite, tmp_path: Path
) -> None:
    settings = make_settings(private=False).model_copy(update={"store": tmp_path / "vs"})
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        report = qa.ingest_sources([site.url("/news/ai-researcher")])
        assert report.summary()["failed"] == 1
        assert "TALENTQA_ALLOW_PRIVATE_NETWORKS" in (report.failed[0].reason or "")
        assert qa.documents() == []


@pytest.mark.slow
def test_feeds_cli_follows_a_feed_and_update_takes_only_new_entries(
    site: LocalSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALENTQA_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("TALENTQA_INGEST__STATE_DIR", str(tmp_path / "state"))
    runner = CliRunner()
    store = str(tmp_path / "vs")
    assert runner.invoke(app, ["feeds", "add", site.url("/feed.atom")]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["feeds", "list", "--json"]).stdout)
    assert [f["url"] for f in listed] == [site.url("/feed.atom")]

    first = runner.invoke(app, ["feeds", "update", "--store", store, "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)[0]["stored"] == 3
    again = runner.invoke(app, ["feeds", "update", "--store", store, "--json"])
    assert json.loads(again.stdout)[0]["new"] == 0

    sources = json.loads(runner.invoke(app, ["sources", "list", "--json", "--store", store]).stdout)
    assert sorted(s["id"] for s in sources) == sorted(site.url(p) for p in ARTICLES)
    assert runner.invoke(app, ["feeds", "remove", site.url("/feed.atom")]).exit_code == 0


def test_settings_default_refuses_private_networks() -> None:
    assert Settings().allow_private_networks is False
