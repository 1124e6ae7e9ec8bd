from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from talentqa.errors import LoadError
from talentqa.ingest.loaders import iter_files, load_file
from talentqa.ingest.pipeline import iter_sources
from talentqa.models import Article
from talentqa.settings import Settings
from tests.ingest.pdfs import make_pdf

SETTINGS = Settings()


def load_one(path: Path) -> Article | LoadError:
    results = list(load_file(path, SETTINGS))
    assert len(results) == 1
    return results[0]


def test_markdown_front_matter_sets_identity_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "story.md"
    path.write_text(
        "---\ntitle: Labs lure researchers home\nurl: https://news.example/labs\nauthor: A. Writer\n"
        "published: 2024-05-02\n---\n\n# Heading\n\nA **bold** claim with a [link](https://x.example).\n"
    )
    article = load_one(path)
    assert isinstance(article, Article)
    assert article.doc_id == "https://news.example/labs"
    assert article.title == "Labs lure researchers home"
    assert article.author == "A. Writer"
    assert article.published == dt.date(2024, 5, 2)
    # Markup is stripped so quotes match what a reader sees.
    assert "A bold claim with a link." in article.text
    assert "**" not in article.text and "](" not in article.text


def test_markdown_without_front_matter_uses_file_stem_and_heading(tmp_path: Path) -> None:
    path = tmp_path / "Plain Story.md"
    path.write_text("# The headline\n\nBody text of the story.\n")
    article = load_one(path)
    assert isinstance(article, Article)
    assert article.doc_id == "plain-story"
    assert article.title == "The headline"


def test_a_text_files_front_matter_gives_its_metadata_and_is_never_quotable(tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_text(
        "---\ntitle: Labs lure researchers home\nurl: https://news.example/labs\npublished: 2024-05-02\n"
        "note: A sample, not a real news story.\n---\n\nLabs lure researchers home\n\nThe lab hired 40.\n"
    )
    article = load_one(path)
    assert isinstance(article, Article)
    assert article.doc_id == "https://news.example/labs"
    assert article.title == "Labs lure researchers home"
    assert article.published == dt.date(2024, 5, 2)
    assert "sample" not in article.text and "published" not in article.text
    assert article.text.strip().endswith("The lab hired 40.")


def test_a_text_file_opening_with_rules_around_prose_keeps_it_all_as_text(tmp_path: Path) -> None:
    path = tmp_path / "ruled.txt"
    path.write_text("---\nA line of prose between rules.\n---\n\nThe rest of the story.\n")
    article = load_one(path)
    assert isinstance(article, Article)
    assert "A line of prose between rules." in article.text
    assert article.published is None


def test_html_extracts_main_text_and_metadata_without_boilerplate() -> None:
    path = Path(__file__).resolve().parents[2] / "ingest" / "samples" / "ai-engineers-stay-home.html"
    article = load_one(path)
    assert isinstance(article, Article)
    assert article.doc_id == "https://example.org/talentqa-samples/ai-engineers-stay-home"
    assert article.title.startswith("Sample: Young AI engineers")
    assert article.published == dt.date(2025, 2, 20)
    assert "Zizheng Pan" in article.text
    for noise in ("Subscribe now", "cookies", "Advertisement", "All rights reserved"):
        assert noise not in article.text


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    pdf = _tiny_pdf("Returnee scientists founded new labs in Shenzhen.")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    article = load_one(path)
    assert isinstance(article, Article), article
    assert "Returnee scientists founded new labs in Shenzhen." in article.text


def test_jsonl_records_load_one_article_each_and_bad_lines_fail_alone(tmp_path: Path) -> None:
    path = tmp_path / "bulk.jsonl"
    lines = [
        json.dumps({"id": "a1", "title": "First", "text": "Alpha text.", "published": "2023/01/05"}),
        "{not json",
        json.dumps({"id": "a2", "title": "Second", "text": "Beta text.", "url": "https://n.example/b"}),
        json.dumps({"title": "No id", "text": "Gamma."}),
    ]
    path.write_text("\n".join(lines) + "\n")
    results = list(load_file(path, SETTINGS))
    articles = [r for r in results if isinstance(r, Article)]
    errors = [r for r in results if isinstance(r, LoadError)]
    assert [a.doc_id for a in articles] == ["a1", "a2"]
    assert articles[0].published == dt.date(2023, 1, 5)
    assert [e.source for e in errors] == [f"{path}:2", f"{path}:4"]
    assert "invalid JSON" in errors[0].reason and "no 'id'" in errors[1].reason


def test_non_utf8_text_is_detected_and_decoded(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Le chercheur est rentré à Pékin après dix années à l'étranger.\n".encode("latin-1"))
    article = load_one(path)
    assert isinstance(article, Article)
    assert "rentré à Pékin" in article.text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"   \n\n", "empty file"),
        ("binary.txt", bytes(range(256)) * 20, "binary"),
        ("corrupt.pdf", b"%PDF-1.4\n this is not really a pdf \x00\x01", "PDF"),
        ("nothing.html", b"<html><body><nav>Home</nav></body></html>", "no article text"),
        ("picture.png", b"\x89PNG\r\n\x1a\n", "unsupported file type"),
    ],
)
def test_bad_input_yields_one_clear_error_naming_the_file(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = load_one(path)
    assert isinstance(result, LoadError)
    assert result.source == str(path)
    assert reason.lower() in result.reason.lower()


def test_missing_path_and_symlink_loop_are_reported_not_raised(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "ok.txt").write_text("A fine article body.\n")
    os.symlink(folder, folder / "again")  # a folder that contains itself
    results = list(iter_files([tmp_path / "missing.md", loop, folder]))
    errors = [r for r in results if isinstance(r, LoadError)]
    files = [r for r in results if isinstance(r, Path)]
    assert [f.name for f in files] == ["ok.txt"]
    reasons = {Path(e.source).name: e.reason for e in errors}
    assert reasons["missing.md"] == "no such file or folder"
    assert "loop" in reasons["loop"]
    assert any("loop" in e.reason for e in errors if e.source.endswith("again"))


def test_folder_walk_honours_glob_and_skips_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("Alpha body.")
    (tmp_path / "b.txt").write_text("Beta body.")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.md").write_text("Gamma body.")
    (tmp_path / ".hidden.md").write_text("Hidden body.")
    names = sorted(
        r.doc_id for r in iter_sources([str(tmp_path)], SETTINGS, "*.md") if isinstance(r, Article)
    )
    assert names == ["a", "c"]


def _tiny_pdf(text: str) -> bytes:
    """A one-page PDF holding `text` on one line."""
    return make_pdf([[[text]]])


# --- inputs that used to hang or blow up an ingest (issue 13, items 8 and 9) ---

_LOAD_IN_A_CHILD = """
import json, sys
from pathlib import Path
from talentqa.cli.ingest import _estimate_total
from talentqa.ingest.loaders import load_file
from talentqa.ingest.pipeline import iter_sources
from talentqa.models import Article
from talentqa.settings import Settings

settings = Settings()
sources = json.loads(sys.argv[1])
def show(results):
    return [r.doc_id if isinstance(r, Article) else f"error: {r.source}: {r.reason}" for r in results]
out = {
    "estimate": _estimate_total(sources + [str(settings.ingest.inbox)], settings, None),
    "sources": show(iter_sources(sources, settings)),
    "inbox": show(iter_sources([str(settings.ingest.inbox)], settings)),
    "direct": show(load_file(Path(sources[0]), settings)),
}
print(json.dumps(out))
"""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_fifos_among_the_inputs_are_refused_and_the_rest_loads(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    inbox = Path(os.environ["TALENTQA_INGEST__INBOX"])
    inbox.mkdir(parents=True)
    fifos = [
        tmp_path / "alone.txt",
        tmp_path / "bulk.jsonl",
        folder / "sub" / "deep.md",
        folder / "records.jsonl",
        inbox / "story.html",
        inbox / "more.jsonl",
    ]
    for fifo in fifos:
        os.mkfifo(fifo)
    (folder / "fine.txt").write_text("A fine story about a lab that opened in May.\n")
    (inbox / "also-fine.md").write_text("# Also fine\n\nThe inbox still loads its real files.\n")
    sources = [str(tmp_path / "alone.txt"), str(tmp_path / "bulk.jsonl"), str(folder)]

    # Opening a FIFO blocks until a writer comes, which is never: a regression hangs, so it runs in a
    # child that can be killed.
    try:
        done = subprocess.run(
            [sys.executable, "-c", _LOAD_IN_A_CHILD, json.dumps(sources)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("ingest hung on a FIFO")
    out = json.loads(done.stdout)
    assert out["sources"] == [
        f"error: {tmp_path / 'alone.txt'}: not a regular file (a FIFO)",
        f"error: {tmp_path / 'bulk.jsonl'}: not a regular file (a FIFO)",
        "fine",
        f"error: {folder / 'records.jsonl'}: not a regular file (a FIFO)",
        f"error: {folder / 'sub' / 'deep.md'}: not a regular file (a FIFO)",
    ]
    assert out["inbox"] == [
        "also-fine",
        f"error: {inbox / 'more.jsonl'}: not a regular file (a FIFO)",
        f"error: {inbox / 'story.html'}: not a regular file (a FIFO)",
    ]
    # Even handed straight to the loader (as if it became a FIFO after the folder was listed).
    assert out["direct"] == [f"error: {tmp_path / 'alone.txt'}: not a regular file (a FIFO)"]
    assert out["estimate"] == 8


def test_a_device_is_not_read_as_an_article(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    link = tmp_path / "endless.txt"
    link.symlink_to("/dev/zero")
    assert [str(r) for r in iter_files([link])] == [f"{link}: not a regular file (a device)"]
    [error] = list(load_file(link, SETTINGS))
    assert isinstance(error, LoadError) and error.reason == "not a regular file (a device)"


# About 320 bytes of front matter whose title is eight levels of nine aliases: 9**8 strings as text.
ALIAS_BOMB = (
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefg", "bcdefgh", strict=True))
    + "title: *h\n---\nThe body of an article with a hostile header.\n"
)


def test_yaml_alias_bomb_in_front_matter_is_refused_without_growing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.md"
    path.write_text(ALIAS_BOMB)
    assert len(ALIAS_BOMB.split("---\n")[1]) < 400
    # In a child with a 1 GiB address-space cap, so a regression fails fast instead of taking the host's
    # memory (it used to grow to 3.6 GB).
    child = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from pathlib import Path
        from talentqa.ingest.loaders import load_file
        from talentqa.settings import Settings
        [result] = load_file(Path({str(path)!r}), Settings())
        print(type(result).__name__, getattr(result, "reason", ""))
        """
    )
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "LoadError invalid YAML front matter: aliases (*name) are not allowed"


def test_anchors_without_aliases_still_load(tmp_path: Path) -> None:
    path = tmp_path / "anchored.md"
    path.write_text("---\ntitle: &t Labs lure researchers home\n---\n\nThe body of the story.\n")
    article = load_one(path)
    assert isinstance(article, Article) and article.title == "Labs lure researchers home"


def test_bidi_overrides_are_not_stored_so_no_quote_displays_reversed(tmp_path: Path) -> None:
    from talentqa.text import normalise

    spoof = "The lab said \u202eyrtsinim eht\u202c approved the grant.\u2066 It was \u2069signed."
    stored = normalise(spoof)
    assert not any(ch in stored for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert stored == "The lab said yrtsinim eht approved the grant. It was signed."
    # Right-to-left marks that Arabic and Hebrew text use legitimately are kept.
    assert normalise("\u05e9\u05dc\u05d5\u05dd\u200f!") == "\u05e9\u05dc\u05d5\u05dd\u200f!"


@pytest.mark.parametrize("value", ["2024-02-30", "2024-13-45", "2024-01-01T10:00:00+99:00"])
def test_an_impossible_front_matter_date_is_no_date_not_a_failed_batch(tmp_path: Path, value: str) -> None:
    from talentqa.ingest.loaders import load_file
    from talentqa.settings import Settings

    path = tmp_path / "odd-date.md"
    path.write_text(f"---\ntitle: Odd\npublished: {value}\nupdated: {value}\n---\nThe lab opened.\n")
    [article] = list(load_file(path, Settings()))
    assert not isinstance(article, Exception)
    assert article.title == "Odd"
    assert article.published is None or article.published.isoformat() == "2024-01-01"


def test_the_outlet_is_read_from_records_and_front_matter_and_a_path_is_not_one(tmp_path: Path) -> None:
    path = tmp_path / "bulk.jsonl"
    records = [
        {"id": "a", "text": "Alpha.", "source": "The Verge"},  # news datasets' name for it
        {"id": "b", "text": "Beta.", "source": {"id": "reuters", "name": "Reuters"}},  # NewsAPI's shape
        {"id": "c", "text": "Gamma.", "outlet": "South China Morning Post", "source": "ignored"},
        {"id": "d", "text": "Delta.", "source": "feeds/wire/2024.jsonl"},  # a file, not an outlet
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    outlets = [a.outlet for a in load_file(path, SETTINGS) if isinstance(a, Article)]
    assert outlets == ["The Verge", "Reuters", "South China Morning Post", None]
    story = tmp_path / "story.md"
    story.write_text("---\ntitle: Labs\noutlet: Caixin\n---\n\nBody text.\n")
    article = load_one(story)
    assert isinstance(article, Article) and article.outlet == "Caixin"


def test_the_publication_date_is_read_under_the_names_news_exports_give_it(tmp_path: Path) -> None:
    path = tmp_path / "bulk.jsonl"
    records = [
        {"id": "a", "text": "Alpha.", "published_at": "2023-09-26T17:01:22+00:00"},  # news datasets
        {"id": "b", "text": "Beta.", "publishedAt": "2024-02-03T08:00:00Z"},  # NewsAPI
        {"id": "c", "text": "Gamma.", "pubDate": "Tue, 05 Mar 2024 10:00:00 GMT"},  # RSS
        {"id": "d", "text": "Delta.", "datePublished": "2024-04-01"},  # schema.org
        {"id": "e", "text": "Epsilon.", "published": "", "date": "2024-05-06"},  # empty is absent
        {"id": "f", "text": "Zeta."},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    dates = [a.published for a in load_file(path, SETTINGS) if isinstance(a, Article)]
    assert dates == [
        dt.date(2023, 9, 26),
        dt.date(2024, 2, 3),
        dt.date(2024, 3, 5),
        dt.date(2024, 4, 1),
        dt.date(2024, 5, 6),
        None,
    ]
    story = tmp_path / "story.md"
    story.write_text("---\ntitle: Labs\npublished_at: 2024-07-08\n---\n\nBody text.\n")
    article = load_one(story)
    assert isinstance(article, Article) and article.published == dt.date(2024, 7, 8)


def test_an_article_without_an_outlet_hashes_as_before_outlets_were_kept() -> None:
    from talentqa.ingest.loaders import make_article
    from talentqa.text import content_hash

    plain = make_article(doc_id="a", text="Body.", source="x", title="T", published="2024-05-02")
    assert plain.content_hash == content_hash("T", None, None, "2024-05-02", "Body.")
    named = make_article(
        doc_id="a", text="Body.", source="x", title="T", published="2024-05-02", outlet="CNN"
    )
    assert named.content_hash != plain.content_hash  # a changed outlet is a changed article


def test_a_web_page_names_its_outlet_from_its_site_name(tmp_path: Path) -> None:
    page = tmp_path / "budget.html"
    body = " ".join(
        f"The council debated line {i} of the harbour budget for a long while." for i in range(12)
    )
    page.write_text(
        '<html><head><title>Budget passes</title><meta property="og:site_name" content="Harbour Gazette">'
        f"</head><body><article><h1>Budget passes</h1><p>{body}</p></article></body></html>"
    )
    article = load_one(page)
    assert isinstance(article, Article) and article.outlet == "Harbour Gazette"
