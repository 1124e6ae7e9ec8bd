"""What ingest does with inputs it does not read, cannot read, or reads twice (issues 13 and 14): files
it skips are report lines and exit status 0, unreadable folders and unaddressable ids are failures,
one file reached twice is read once, and nothing is left out of a feed or sitemap without a word."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from talentqa.app import TalentQA
from talentqa.cli import app
from talentqa.errors import LoadError, SkippedInput
from talentqa.ingest import web
from talentqa.ingest.loaders import iter_files, load_file
from talentqa.ingest.pipeline import iter_sources
from talentqa.models import Article
from talentqa.settings import IngestSettings, Settings
from tests.conftest import FakeEmbedder
from tests.ingest.conftest import Pages

if TYPE_CHECKING:
    from os import _ScandirIterator  # what os.scandir returns (typeshed's name; no public one)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "story.md").write_text("# Labs hire\n\nThe harbour lab hired forty engineers in March.\n")
    (folder / "photo.png").write_bytes(PNG)
    (folder / "empty.txt").write_text("")
    (folder / "empty.pdf").write_bytes(b"")
    return folder


def test_files_it_does_not_read_in_a_folder_are_skipped_and_listed_with_exit_status_0(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    result = CliRunner().invoke(app, ["ingest", str(folder), "--json", "--store", str(tmp_path / "vs")])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["summary"] == {"added": 1, "updated": 0, "unchanged": 0, "failed": 0, "skipped": 3}
    skipped = {Path(i["source"]).name: i["reason"] for i in payload["items"] if i["status"] == "skipped"}
    assert skipped == {
        "photo.png": "unsupported file type .png (not read)",
        "empty.txt": "empty file",
        "empty.pdf": "empty file",
    }
    table = CliRunner().invoke(app, ["ingest", str(folder), "--store", str(tmp_path / "vs")])
    assert table.exit_code == 0 and "Skipped" in table.output, table.output
    assert "unsupported file type .png" in table.output, table.output


def test_a_file_named_on_its_own_that_is_not_read_is_a_failure(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    found = [r for r in iter_sources([str(folder)], Settings()) if isinstance(r, LoadError)]
    assert len(found) == 3 and all(isinstance(r, SkippedInput) for r in found)
    # Asked for by name and nothing read: that is a failure (exit status 1), not a skip.
    named = list(iter_sources([str(folder / "photo.png"), str(folder / "empty.txt")], Settings()))
    assert [type(r) for r in named] == [LoadError, LoadError]
    result = CliRunner().invoke(app, ["ingest", str(folder / "photo.png"), "--store", str(tmp_path / "vs")])
    assert result.exit_code == 1, result.output


def test_an_unreadable_folder_is_a_failure_not_silently_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path)
    locked = folder / "locked"
    locked.mkdir()
    (locked / "secret.md").write_text("A story nobody can read.\n")
    locked.chmod(0)
    try:
        if os.geteuid() == 0:
            # root reads any folder whatever its mode: list this one as a user would, refused.
            real = os.scandir

            def scandir(path: str | os.PathLike[str]) -> _ScandirIterator[str]:
                if Path(path) == locked:
                    raise PermissionError(13, "Permission denied", str(path))
                return real(path)

            monkeypatch.setattr(os, "scandir", scandir)
        results = list(iter_files([folder]))
    finally:
        locked.chmod(0o755)
    errors = [r for r in results if isinstance(r, LoadError)]
    assert [(e.source, e.reason) for e in errors] == [
        (str(locked), "cannot read the folder: Permission denied")
    ]
    assert sorted(r.name for r in results if isinstance(r, Path)) == [
        "empty.pdf",
        "empty.txt",
        "photo.png",
        "story.md",
    ]


def test_the_same_file_given_twice_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    monkeypatch.chdir(folder)
    with TalentQA.open(Settings(store=tmp_path / "vs"), embedder=FakeEmbedder()) as qa:
        report = qa.ingest_sources(["story.md", "./story.md", str(folder / "story.md"), str(folder), "."])
    assert report.summary() == {"added": 1, "updated": 0, "unchanged": 0, "failed": 0, "skipped": 3}


def test_an_id_holding_a_control_character_is_refused_with_a_report_line(tmp_path: Path) -> None:
    path = tmp_path / "bulk.jsonl"
    ids = ["fine", "nul\u0000id", "tab\tid", "zero\u200bwidth", "line\u2028sep"]
    path.write_text(
        "\n".join(json.dumps({"id": i, "text": f"Story {n} is fine."}) for n, i in enumerate(ids))
    )
    (tmp_path / "front.md").write_text('---\nid: "a\\0b"\n---\n\nA story with a NUL in its id.\n')
    results = [*load_file(path, Settings()), *load_file(tmp_path / "front.md", Settings())]
    assert [r.doc_id for r in results if isinstance(r, Article)] == ["fine"]
    errors = [r for r in results if isinstance(r, LoadError)]
    assert [e.source for e in errors] == [f"{path}:{n}" for n in (2, 3, 4, 5)] + [str(tmp_path / "front.md")]
    assert "U+0000" in errors[0].reason and "control character" in errors[0].reason
    assert all("control character" in e.reason for e in errors)


# --- feeds and sitemaps: what is left out is said --------------------------------------------------------

WEB = Settings(_env_file=None, allow_private_networks=True, ingest=IngestSettings(fetch_timeout=5.0))


def _feed(base: str, n: int) -> bytes:
    items = "".join(f"<item><title>Story {i}</title><link>{base}/missing/{i}</link></item>" for i in range(n))
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{items}</channel></rss>'.encode()
    )


def test_a_feed_longer_than_one_ingest_takes_says_so(
    serve: Callable[[Pages], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real limit is 500 entries; 3 keeps the test from fetching 500 pages.
    monkeypatch.setattr(web, "MAX_FEED_ENTRIES", 3)
    pages: Pages = {}
    base = serve(pages)
    pages["/feed.xml"] = ("application/rss+xml", _feed(base, 10_000))
    results = list(web.load_url(f"{base}/feed.xml", WEB))
    notes = [r for r in results if isinstance(r, SkippedInput)]
    assert [(n.source, n.reason) for n in notes] == [
        (f"{base}/feed.xml", "the feed lists 10,000 entries; only the first 3 are read in one ingest")
    ]
    assert len(results) == 4  # the note and three entries (each a 404 here)


def test_a_sitemap_without_urls_gives_a_report_line(serve: Callable[[Pages], str], tmp_path: Path) -> None:
    empty = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>'
    base = serve({"/sitemap.xml": ("application/xml", empty)})
    results = list(web.load_url(f"{base}/sitemap.xml", WEB))
    assert [(type(r), r.source, r.reason) for r in results if isinstance(r, LoadError)] == [
        (SkippedInput, f"{base}/sitemap.xml", "the sitemap lists no URLs")
    ]
    with TalentQA.open(WEB.model_copy(update={"store": tmp_path / "vs"}), embedder=FakeEmbedder()) as qa:
        report = qa.ingest_sources([f"{base}/sitemap.xml"])
    assert [(i.status, i.reason) for i in report.items] == [("skipped", "the sitemap lists no URLs")]
