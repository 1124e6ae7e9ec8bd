"""The ingest pipeline against a real Chroma store, embedded and server mode alike."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from talentqa.app import TalentQA
from talentqa.errors import DocumentNotFoundError, ModelMismatchError, StoreError
from talentqa.ingest.chunking import chunk_article
from talentqa.ingest.loaders import make_article
from talentqa.settings import Settings
from talentqa.store import Store, sanitise_metadata
from tests.conftest import FakeEmbedder


def write_articles(folder: Path, n: int, *, version: str = "v1") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        body = " ".join(
            f"Article {i} sentence {j} says returnee number {i * 100 + j} joined lab {version}."
            for j in range(30 + i)
        )
        path = folder / f"article-{i:03d}.md"
        path.write_text(f"---\ntitle: Story {i}\npublished: 2024-01-{(i % 28) + 1:02d}\n---\n\n{body}\n")
        paths.append(path)
    return paths


def assert_consistent(store: Store) -> dict[str, int]:
    """Every chunk belongs to a stored article's current version; no duplicates, no orphans."""
    docs = {info.doc_id: info for info in store.documents_info()}
    per_doc: Counter[str] = Counter()
    numbers: set[tuple[str, int]] = set()
    for _chunk_id, meta in store.iter_chunk_meta():
        doc_id = str(meta["doc_id"])
        assert doc_id in docs, f"orphan chunk of {doc_id}"
        assert meta["content_hash"] == docs[doc_id].content_hash, f"stale chunk of {doc_id}"
        key = (doc_id, int(meta["n"]))
        assert key not in numbers, f"duplicate chunk {key}"
        numbers.add(key)
        per_doc[doc_id] += 1
    for doc_id, info in docs.items():
        assert per_doc[doc_id] == info.chunks, doc_id
    return dict(per_doc)


def test_second_ingest_is_all_unchanged_and_embeds_nothing(mode_settings: Settings, tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 6)
    embedder = FakeEmbedder()
    with TalentQA.open(mode_settings, embedder=embedder) as qa:
        first = qa.ingest_sources([str(tmp_path / "in")])
        assert first.summary() == {"added": 6, "updated": 0, "unchanged": 0, "failed": 0}
        embedded = embedder.texts_embedded
        chunks_before = qa.store.count_chunks()
        second = qa.ingest_sources([str(tmp_path / "in")])
        assert second.summary() == {"added": 0, "updated": 0, "unchanged": 6, "failed": 0}
        assert embedder.texts_embedded == embedded, "re-ingest must not embed anything"
        assert qa.store.count_chunks() == chunks_before
        assert_consistent(qa.store)


def test_changed_article_replaces_its_chunks_and_removal_leaves_no_orphans(
    mode_settings: Settings, tmp_path: Path
) -> None:
    paths = write_articles(tmp_path / "in", 3)
    with TalentQA.open(mode_settings, embedder=FakeEmbedder()) as qa:
        qa.ingest_sources([str(tmp_path / "in")])
        old_ids = {c.id for c in qa.store.chunks_of("article-001")}
        paths[1].write_text(paths[1].read_text().replace("joined lab", "left lab"))
        report = qa.ingest_sources([str(tmp_path / "in")])
        assert report.summary() == {"added": 0, "updated": 1, "unchanged": 2, "failed": 0}
        new_chunks = qa.store.chunks_of("article-001")
        assert old_ids.isdisjoint(c.id for c in new_chunks)
        assert all("left lab" in c.text for c in new_chunks)
        assert "left lab" in qa.store.text("article-001")
        assert_consistent(qa.store)

        qa.remove("article-001")
        assert qa.store.chunks_of("article-001") == []
        with pytest.raises(DocumentNotFoundError):
            qa.store.document("article-001")
        with pytest.raises(DocumentNotFoundError):
            qa.remove("article-001")
        assert set(assert_consistent(qa.store)) == {"article-000", "article-002"}


def test_a_run_that_fails_midway_is_repaired_by_the_next(
    mode_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = write_articles(tmp_path / "in", 2)
    with TalentQA.open(mode_settings, embedder=FakeEmbedder()) as qa:

        def records_fail(_articles: object) -> None:
            raise StoreError("disk full while writing article records")

        monkeypatch.setattr(qa.store, "upsert_articles", records_fail)
        with pytest.raises(StoreError):
            qa.ingest_sources([str(tmp_path / "in")])
        assert qa.store.count_chunks() > 0, "the chunks were written before the records failed"
        monkeypatch.undo()
        # The articles change before the retry, so the stranded chunks carry an old hash of new articles.
        for path in paths:
            path.write_text(path.read_text().replace("joined lab", "left lab"))
        report = qa.ingest_sources([str(tmp_path / "in")])
        assert report.summary() == {"added": 2, "updated": 0, "unchanged": 0, "failed": 0}
        assert set(assert_consistent(qa.store)) == {"article-000", "article-001"}


def test_bad_files_fail_alone_and_write_nothing(mode_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_articles(folder, 2)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    with TalentQA.open(mode_settings, embedder=FakeEmbedder()) as qa:
        report = qa.ingest_sources([str(folder), str(tmp_path / "nope.md")])
        assert report.summary()["added"] == 2
        failed = {Path(item.source).name: item.reason for item in report.failed}
        assert set(failed) == {"binary.txt", "broken.pdf", "nope.md"}
        assert all(failed.values())
        # An empty file in a folder is skipped and listed, not a failure (issue 14).
        assert [(Path(i.source).name, i.status) for i in report.items if i.status == "skipped"] == [
            ("empty.txt", "skipped")
        ]
        assert sorted(d.doc_id for d in qa.documents()) == ["article-000", "article-001"]
        assert_consistent(qa.store)


def test_two_inputs_with_one_id_do_not_merge(mode_settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "same.md").write_text("First version of the story.")
    (tmp_path / "b" / "same.md").write_text("Second, different story.")
    with TalentQA.open(mode_settings, embedder=FakeEmbedder()) as qa:
        report = qa.ingest_sources([str(tmp_path / "a"), str(tmp_path / "b")])
        assert report.summary()["added"] == 1
        assert "duplicate document id" in (report.failed[0].reason or "")
        assert qa.store.text("same") == "First version of the story."


class RecordingCollection:
    """Wraps a real collection, recording batch sizes; every call still reaches Chroma."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.upserts: list[int] = []

    def upsert(self, **kwargs: Any) -> None:
        self.upserts.append(len(kwargs["ids"]))
        self._inner.upsert(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_writes_respect_the_clients_max_batch_size(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 4)
    settings = Settings(store=tmp_path / "vs")
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        qa.store.max_batch = 3
        recorder = RecordingCollection(qa.store.chunks)
        qa.store.chunks = recorder  # type: ignore[assignment]
        qa.ingest_sources([str(tmp_path / "in")])
        assert recorder.upserts and max(recorder.upserts) <= 3
        assert sum(recorder.upserts) == qa.store.count_chunks()


def test_metadata_is_sanitised_to_chromas_types() -> None:
    import datetime as dt

    clean = sanitise_metadata({"a": None, "b": dt.date(2024, 1, 2), "c": ["x"], "d": 3, "e": True})
    assert clean == {"b": "2024-01-02", "c": "['x']", "d": 3, "e": True}


def test_opening_with_another_model_names_the_fix_and_reindex_repairs(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 2)
    settings = Settings(store=tmp_path / "vs")
    with TalentQA.open(settings, embedder=FakeEmbedder("model-a", 64)) as qa:
        qa.ingest_sources([str(tmp_path / "in")])
    with pytest.raises(ModelMismatchError, match="talentqa reindex"):
        TalentQA.open(settings, embedder=FakeEmbedder("model-b", 32))
    report = TalentQA.reindex(settings, embedder=FakeEmbedder("model-b", 32))
    assert report.count("reindexed") == 2
    with TalentQA.open(settings, embedder=FakeEmbedder("model-b", 32)) as qa:
        assert len(qa.documents()) == 2
        assert_consistent(qa.store)
        # The new model's vectors are searched (whether the reader then answers is not this test's point).
        assert qa.retrieve("returnee number 105 joined lab")


def test_full_article_text_and_chunk_offsets_round_trip(mode_settings: Settings, tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 1)
    with TalentQA.open(mode_settings, embedder=FakeEmbedder()) as qa:
        qa.ingest_sources([str(tmp_path / "in")])
        text = qa.store.text("article-000")
        chunks = qa.store.chunks_of("article-000")
        assert chunks and [c.n for c in chunks] == list(range(len(chunks)))
        for chunk in chunks:
            assert text[chunk.start : chunk.end] == chunk.text
            assert chunk.title == "Story 0"
            assert chunk.published is not None
        expected = chunk_article(
            make_article(doc_id="article-000", text=text, source="x"), mode_settings.chunking
        )
        assert [(c.start, c.end) for c in chunks] == [(c.start, c.end) for c in expected]


def test_keyword_index_follows_writes_from_another_process(chroma_server: str, tmp_path: Path) -> None:
    """Two clients on one server: the reader's keyword index notices the writer's change."""
    settings = Settings(chroma_url=chroma_server, collection="kwsync", cache_dir=tmp_path / "c1")
    other = settings.model_copy(update={"cache_dir": tmp_path / "c2"})
    (tmp_path / "one.md").write_text("Zebras graze near the laboratory.")
    (tmp_path / "two.md").write_text("Quokkas visited the physics department.")
    with (
        TalentQA.open(settings, embedder=FakeEmbedder()) as reader,
        TalentQA.open(other, embedder=FakeEmbedder()) as writer,
    ):
        writer.ingest_sources([str(tmp_path / "one.md")])
        assert [cid for cid, _ in reader.keyword.current().search("zebras", 5)]
        assert reader.keyword.current().search("quokkas", 5) == []
        writer.ingest_sources([str(tmp_path / "two.md")])
        hits = reader.keyword.current().search("quokkas", 5)
        assert [reader.store.get_chunks([cid])[0].doc_id for cid, _ in hits] == ["two"]
        writer.remove("two")
        assert reader.keyword.current().search("quokkas", 5) == []


def test_cli_json_report_lists_every_item(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from talentqa.cli import app

    write_articles(tmp_path / "in", 2)
    (tmp_path / "in" / "empty.txt").write_text("")
    result = CliRunner().invoke(
        app, ["ingest", str(tmp_path / "in"), "--json", "--store", str(tmp_path / "vs")]
    )
    # An empty file in a folder is skipped and listed, not a failure (issue 14).
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["summary"] == {"added": 2, "updated": 0, "unchanged": 0, "failed": 0, "skipped": 1}
    assert any(i["status"] == "skipped" and i["reason"] == "empty file" for i in payload["items"])


def test_the_outlet_is_kept_on_the_article_and_every_chunk(mode_settings: Settings, tmp_path: Path) -> None:
    records = tmp_path / "in" / "bulk.jsonl"
    records.parent.mkdir()
    text = " ".join(f"Sentence {i} of the report on returning scientists." for i in range(120))
    records.write_text(json.dumps({"id": "r1", "title": "Report", "text": text, "source": "Caixin"}) + "\n")
    with TalentQA.open(mode_settings, embedder=FakeEmbedder()) as qa:
        qa.ingest_sources([str(records)])
        chunks = qa.store.chunks_of("r1")
        assert len(chunks) > 1 and {c.outlet for c in chunks} == {"Caixin"}
        assert qa.document("r1").outlet == "Caixin"
        [passage, *_] = qa.retrieve("returning scientists report")
        assert passage.chunk.outlet == "Caixin"
