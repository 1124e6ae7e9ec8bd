"""Inputs that used to lose data silently: one bad JSONL line dropped the rest of its file, and a file
named like one already stored from another folder replaced it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from talentqa.app import TalentQA
from talentqa.errors import LoadError
from talentqa.ingest.loaders import load_file
from talentqa.models import Article
from talentqa.settings import Settings
from tests.conftest import FakeEmbedder
from tests.core.test_ingest_store import assert_consistent

DEEP = "[" * 100_000 + "]" * 100_000


def _bulk(path: Path) -> Path:
    def good(n: int) -> str:
        return json.dumps({"id": f"r{n}", "title": f"Record {n}", "text": f"Record {n} is a fine story."})

    lines = [
        good(1),
        '{"id": "s1", "title": "Surrogate", "text": "broken \\ud800 text"}',
        good(2),
        DEEP,
        good(3),
        '{"id": "\\udfff", "text": "An id that is no string of characters."}',
        good(4),
        '{"id": "s3", "title": "bad \\ud800 title", "text": "Fine text."}',
        good(5),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_each_bad_jsonl_line_fails_alone_and_the_lines_after_it_load(tmp_path: Path) -> None:
    path = _bulk(tmp_path / "bulk.jsonl")
    results = list(load_file(path, Settings()))
    assert [r.doc_id for r in results if isinstance(r, Article)] == ["r1", "r2", "r3", "r4", "r5"]
    errors = {r.source: r.reason for r in results if isinstance(r, LoadError)}
    assert list(errors) == [f"{path}:{n}" for n in (2, 4, 6, 8)]
    assert "surrogate" in errors[f"{path}:2"] and "text" in errors[f"{path}:2"]
    assert "nested too deeply" in errors[f"{path}:4"]
    assert "surrogate" in errors[f"{path}:6"] and "id" in errors[f"{path}:6"]
    assert "surrogate" in errors[f"{path}:8"] and "title" in errors[f"{path}:8"]


def test_bad_lines_and_bad_ids_are_report_lines_and_the_rest_is_stored(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    path = _bulk(folder / "bulk.jsonl")
    # Front matter reaches the same escapes through YAML.
    (folder / "escaped.md").write_text('---\nid: "\\ud800"\n---\n\nA story with an impossible id.\n')
    (folder / "fine.md").write_text("A fine story about a lab.\n")
    with TalentQA.open(Settings(store=tmp_path / "vs"), embedder=FakeEmbedder()) as qa:
        report = qa.ingest_sources([str(folder)])
        assert report.summary() == {"added": 6, "updated": 0, "unchanged": 0, "failed": 5}
        assert sorted(item.source for item in report.failed) == sorted(
            [f"{path}:{n}" for n in (2, 4, 6, 8)] + [str(folder / "escaped.md")]
        )
        assert all(item.reason for item in report.failed)
        assert set(assert_consistent(qa.store)) == {"r1", "r2", "r3", "r4", "r5", "fine"}


def test_a_file_named_like_another_stored_file_is_refused_not_swapped_in(
    mode_settings: Settings, tmp_path: Path
) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    (tmp_path / "a" / "same.md").write_text("The first story, from folder a.\n")
    (tmp_path / "b" / "same.md").write_text("The second story, from folder b.\n")
    (tmp_path / "a" / "note.txt").write_text("A note from folder a.\n")
    (tmp_path / "b" / "note.txt").write_text("A different note from folder b.\n")
    with TalentQA.open(mode_settings, embedder=FakeEmbedder()) as qa:
        assert qa.ingest_sources([str(tmp_path / "a")]).summary()["added"] == 2

        report = qa.ingest_sources([str(tmp_path / "b")])
        assert report.summary() == {"added": 0, "updated": 0, "unchanged": 0, "failed": 2}
        reasons = {Path(item.source).name: item.reason or "" for item in report.failed}
        assert "`id:`" in reasons["same.md"] and str(tmp_path / "a" / "same.md") in reasons["same.md"]
        assert "rename" in reasons["note.txt"] and str(tmp_path / "a" / "note.txt") in reasons["note.txt"]
        assert qa.store.text("same") == "The first story, from folder a."
        assert qa.store.text("note") == "A note from folder a."

        # The fix the refusal names.
        (tmp_path / "b" / "same.md").write_text("---\nid: same-b\n---\n\nThe second story, from folder b.\n")
        (tmp_path / "b" / "note.txt").rename(tmp_path / "b" / "note-b.txt")
        again = qa.ingest_sources([str(tmp_path / "b")])
        assert again.summary() == {"added": 2, "updated": 0, "unchanged": 0, "failed": 0}
        assert qa.store.text("same") == "The first story, from folder a."
        assert qa.store.text("same-b") == "The second story, from folder b."
        assert_consistent(qa.store)


def test_file_name_ids_stay_stable_for_the_same_file_however_it_is_reached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    inbox = tmp_path / "inbox"
    for folder in ("x", "y", "z"):
        (inbox / folder).mkdir(parents=True)
    story = inbox / "x" / "story.md"
    story.write_text("A story that will move.\n")
    with TalentQA.open(Settings(store=tmp_path / "vs"), embedder=FakeEmbedder()) as qa:
        assert qa.ingest_sources(["inbox"]).summary()["added"] == 1
        # The same file by another spelling of its path is the same article.
        assert qa.ingest_sources([str(story)]).summary()["unchanged"] == 1

        # Moved, unchanged: the same article, and the store learns where its file is now.
        moved = story.rename(inbox / "y" / "story.md")
        assert qa.ingest_sources(["inbox"]).summary()["unchanged"] == 1
        # So a new file at the old place is another article.
        story.write_text("A newcomer where the story used to be.\n")
        refused = qa.ingest_sources([str(story)])
        assert refused.summary()["failed"] == 1
        assert "another file" in (refused.failed[0].reason or "")
        story.unlink()

        # Edited where it is: an update.
        moved.write_text("A story that moved, then changed.\n")
        assert qa.ingest_sources(["inbox"]).summary()["updated"] == 1

        # Moved and edited: the same article, or another one where the first was deleted? Refused, and
        # the reason says how to settle it either way.
        moved = moved.rename(inbox / "z" / "story.md")
        moved.write_text("A story that moved twice and changed again.\n")
        refused = qa.ingest_sources(["inbox"])
        assert refused.summary()["failed"] == 1
        reason = refused.failed[0].reason or ""
        assert "no longer there" in reason and "talentqa sources remove story" in reason and "`id:`" in reason
        assert qa.store.text("story") == "A story that moved, then changed."
        qa.remove("story")
        assert qa.ingest_sources(["inbox"]).summary()["added"] == 1
        assert_consistent(qa.store)


def test_records_stored_before_origins_were_kept_are_checked_by_their_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder in ("a", "b", "c", "elsewhere"):
        (tmp_path / folder).mkdir()
    first = tmp_path / "a" / "same.md"
    first.write_text("The first story.\n")
    (tmp_path / "b" / "same.md").write_text("Another story of the same name.\n")
    gone = tmp_path / "c" / "old.md"
    gone.write_text("An old story.\n")
    (tmp_path / "c" / "relative.md").write_text("A story ingested by a relative path.\n")
    monkeypatch.chdir(tmp_path)
    with TalentQA.open(Settings(store=tmp_path / "vs"), embedder=FakeEmbedder()) as qa:
        qa.ingest_sources([str(first), str(gone), "c/relative.md"])
        # As an older talentqa stored them: no origin, only the path as given.
        qa.store.documents.update(ids=["same", "old", "relative"], metadatas=[{"origin": ""}] * 3)
        assert qa.ingest_sources([str(tmp_path / "b" / "same.md")]).summary()["failed"] == 1
        assert qa.ingest_sources([str(first)]).summary()["unchanged"] == 1

        os.remove(gone)
        (tmp_path / "b" / "old.md").write_text("The old story, moved and edited.\n")
        assert qa.ingest_sources([str(tmp_path / "b" / "old.md")]).summary()["failed"] == 1

        # Edited in place, ingested from another working folder: its relative source still tells.
        monkeypatch.chdir(tmp_path / "elsewhere")
        (tmp_path / "c" / "relative.md").write_text("A story ingested by a relative path, edited.\n")
        assert qa.ingest_sources([str(tmp_path / "c" / "relative.md")]).summary()["updated"] == 1
        assert_consistent(qa.store)
