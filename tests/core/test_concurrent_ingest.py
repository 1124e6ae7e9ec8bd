"""Writers that overlap or die: concurrent ingests on one Chroma server never delete each other's work,
an interrupted run (kill -9, even of a reindex) is repaired by the next one, and a record that claims
chunks the store lacks is embedded again instead of being "unchanged"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from talentqa.app import TalentQA
from talentqa.errors import StoreError
from talentqa.ingest.chunking import chunk_article
from talentqa.ingest.loaders import make_article
from talentqa.settings import Settings
from tests.conftest import FakeEmbedder
from tests.core.test_ingest_store import assert_consistent, write_articles

REPO = Path(__file__).resolve().parents[2]

# Ingests a folder one article per batch. With a gate file, it stops on its `pause_at`-th batch after the
# chunks are stored and before their record is: the window in which another process must not sweep them.
WRITER = """
import json, sys, time
from pathlib import Path
from talentqa.app import TalentQA
from talentqa.settings import Settings
from tests.conftest import FakeEmbedder

options, folder, pause_at, gate = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
base = Settings(**options)
settings = base.model_copy(update={"ingest": base.ingest.model_copy(update={"docs_per_batch": 1})})
qa = TalentQA.open(settings, embedder=FakeEmbedder())
write_records = qa.store.upsert_articles
calls = 0

def records_after_the_gate(articles):
    global calls
    calls += 1
    if calls == pause_at:
        print("chunks-stored", articles[0][0].doc_id, flush=True)
        while not gate.exists():
            time.sleep(0.05)
    write_records(articles)

qa.store.upsert_articles = records_after_the_gate
report = qa.ingest_sources([folder])
print("finished", json.dumps(report.summary()), flush=True)
qa.close()
"""

REINDEX_SLOWLY = """
import json, sys, time
from talentqa.app import TalentQA
from talentqa.settings import Settings
from tests.conftest import FakeEmbedder

class SlowEmbedder(FakeEmbedder):
    def embed(self, texts, *, batch_size=None):
        time.sleep(0.15)
        return super().embed(texts)

def tick(kind, n):
    if kind == "article":
        print("written", flush=True)

base = Settings(**json.loads(sys.argv[1]))
settings = base.model_copy(update={"ingest": base.ingest.model_copy(update={"docs_per_batch": 2})})
report = TalentQA.reindex(settings, embedder=SlowEmbedder("fake-b", 32), progress=tick)
print("finished", json.dumps(report.summary()), flush=True)
"""


def _server_options(url: str, name: str, tmp_path: Path) -> dict[str, Any]:
    return {"chroma_url": url, "collection": f"{name}-{os.getpid()}", "cache_dir": str(tmp_path / "cache")}


def _python(script: str, *args: str) -> list[str]:
    return [sys.executable, "-c", script, *args]


class PausedWriter:
    """A writer process held between storing an article's chunks and storing its record."""

    def __init__(self, options: dict[str, Any], folder: Path, gate: Path, pause_at: int = 3) -> None:
        self.gate = gate
        self.process = subprocess.Popen(
            _python(WRITER, json.dumps(options), str(folder), str(pause_at), str(gate)),
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("chunks-stored"), f"writer did not reach the pause: {line!r}"
        self.doc_id = line.split()[1]

    def release(self) -> dict[str, int]:
        self.gate.touch()
        out, _ = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, out
        finished = [line for line in out.splitlines() if line.startswith("finished")]
        assert finished, out
        summary: dict[str, int] = json.loads(finished[0].split(" ", 1)[1])
        return summary

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()


@pytest.fixture()
def writers() -> Iterator[list[PausedWriter]]:
    started: list[PausedWriter] = []
    yield started
    for writer in started:
        if writer.process.poll() is None:
            writer.kill()


def _ingest_in_another_process(options: dict[str, Any], folder: Path) -> None:
    result = subprocess.run(
        _python(WRITER, json.dumps(options), str(folder), "0", "unused"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.server
def test_an_ingest_started_during_another_never_deletes_its_passages(
    chroma_server: str, tmp_path: Path, writers: list[PausedWriter]
) -> None:
    options = _server_options(chroma_server, "overlap", tmp_path)
    write_articles(tmp_path / "first", 6)
    second = tmp_path / "second"
    second.mkdir()
    for i in range(3):
        (second / f"other-{i}.md").write_text(f"Other story {i} about a chip lab opening in Hefei.\n")

    first = PausedWriter(options, tmp_path / "first", tmp_path / "go")
    writers.append(first)
    # Another editor ingests while the first writer holds chunks whose record is not yet written.
    _ingest_in_another_process(options, second)
    assert first.release() == {"added": 6, "updated": 0, "unchanged": 0, "failed": 0}

    with TalentQA.open(Settings(**options), embedder=FakeEmbedder()) as qa:
        per_doc = assert_consistent(qa.store)
        assert len(per_doc) == 9
        assert per_doc[first.doc_id] > 0


@pytest.mark.slow
@pytest.mark.server
def test_the_repair_sweeps_a_dead_writers_orphans_and_spares_a_live_ones(
    chroma_server: str, tmp_path: Path, writers: list[PausedWriter]
) -> None:
    options = _server_options(chroma_server, "sweep", tmp_path)
    write_articles(tmp_path / "live", 4)
    dead_folder = tmp_path / "dead"
    dead_folder.mkdir()
    (dead_folder / "doomed.md").write_text("A story whose writer is killed before its record is stored.\n")

    live = PausedWriter(options, tmp_path / "live", tmp_path / "go-live")
    writers.append(live)
    dead = PausedWriter(options, dead_folder, tmp_path / "never", pause_at=1)
    writers.append(dead)
    dead.kill()

    settings = Settings(**options)
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        assert qa.store.chunks_of("doomed") and qa.store.chunks_of(live.doc_id)
        (tmp_path / "mine.md").write_text("A third editor's story about returning scientists.\n")
        report = qa.ingest_sources([str(tmp_path / "mine.md")])
        assert report.summary()["added"] == 1
        assert qa.store.chunks_of("doomed") == [], "the killed writer's orphans are swept"
        assert qa.store.chunks_of(live.doc_id), "the live writer's chunks are not"

    assert live.release()["added"] == 4
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        assert set(assert_consistent(qa.store)) == {f"article-{i:03d}" for i in range(4)} | {"mine"}


@pytest.mark.slow
@pytest.mark.server
def test_a_reindex_is_refused_while_another_process_writes(
    chroma_server: str, tmp_path: Path, writers: list[PausedWriter]
) -> None:
    options = _server_options(chroma_server, "reidx", tmp_path)
    write_articles(tmp_path / "in", 4)
    writer = PausedWriter(options, tmp_path / "in", tmp_path / "go")
    writers.append(writer)
    with pytest.raises(StoreError, match="cannot reindex while another process writes"):
        TalentQA.reindex(Settings(**options), embedder=FakeEmbedder())
    assert writer.release()["added"] == 4
    with TalentQA.open(Settings(**options), embedder=FakeEmbedder()) as qa:
        assert len(assert_consistent(qa.store)) == 4


@pytest.mark.server
def test_a_writer_on_another_machine_is_spared_until_its_lease_runs_out(
    chroma_server: str, tmp_path: Path
) -> None:
    """Another machine's process cannot be checked: its silence alone, past the lease, makes it dead."""
    from talentqa.store import RUN_LEASE_SECONDS

    settings = Settings(**_server_options(chroma_server, "lease", tmp_path))
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        for name, silent_for in (("quiet", 60.0), ("gone", RUN_LEASE_SECONDS + 60)):
            run_id = f"run-on-another-machine-{name}"
            qa.store.runs.upsert(
                ids=[run_id],
                embeddings=np.asarray([[1.0]], dtype=np.float32),
                metadatas=[
                    {
                        "kind": "ingest",
                        "status": "open",
                        "host": "elsewhere",
                        "machine": "elsewhere/boot/ns",
                        "pid": 4242,
                        "pstart": "1",
                        "started": "",
                        "heartbeat": time.time() - silent_for,
                    }
                ],
            )
            # Chunks stored, record not yet: that writer's work in progress.
            article = make_article(doc_id=name, text=f"A story written elsewhere: {name}.", source=name)
            chunks = chunk_article(article, settings.chunking)
            vectors = qa.embedder.embed([chunk.text for chunk in chunks])
            qa.store.upsert_chunks([(c, article.content_hash) for c in chunks], vectors, run_id=run_id)
        (tmp_path / "here.md").write_text("A story written on this machine.\n")
        qa.ingest_sources([str(tmp_path / "here.md")])
        assert qa.store.chunks_of("quiet"), "a writer heard from recently is spared"
        assert qa.store.chunks_of("gone") == [], "one silent past the lease is repaired after"


def test_a_record_whose_chunks_are_missing_is_embedded_again_not_unchanged(
    mode_settings: Settings, tmp_path: Path
) -> None:
    write_articles(tmp_path / "in", 3)
    with TalentQA.open(mode_settings, embedder=FakeEmbedder()) as qa:
        qa.ingest_sources([str(tmp_path / "in")])
        # What the lost-update bugs left behind: records intact, chunks gone (all, or some).
        qa.store.chunks.delete(where={"doc_id": "article-001"})
        qa.store.chunks.delete(ids=[qa.store.chunks_of("article-002")[1].id])

        report = qa.ingest_sources([str(tmp_path / "in")])
        assert report.summary() == {"added": 0, "updated": 2, "unchanged": 1, "failed": 0}
        reasons = {item.doc_id: item.reason or "" for item in report.items if item.status == "updated"}
        assert set(reasons) == {"article-001", "article-002"}
        assert all("missing" in reason for reason in reasons.values())
        assert_consistent(qa.store)
        again = qa.ingest_sources([str(tmp_path / "in")])
        assert again.summary() == {"added": 0, "updated": 0, "unchanged": 3, "failed": 0}


def _kill_reindex(options: dict[str, Any], after: int = 6) -> None:
    process = subprocess.Popen(
        _python(REINDEX_SLOWLY, json.dumps(options)), cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    written = 0
    for line in process.stdout:
        written += line.startswith("written")
        if written >= after or line.startswith("finished"):
            break
    assert process.poll() is None, "reindex finished before it could be killed; make the corpus larger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["embedded", pytest.param("server", marks=pytest.mark.server)])
def test_a_killed_reindex_is_finished_by_the_next_ingest_whatever_it_ingests(
    mode: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if mode == "server":
        options = _server_options(request.getfixturevalue("chroma_server"), "killed", tmp_path)
    else:
        options = {"store": str(tmp_path / "vs")}
    settings = Settings(**options)
    write_articles(tmp_path / "in", 40)
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        qa.ingest_sources([str(tmp_path / "in")])

    _kill_reindex(options)  # to the model "fake-b": the old vectors are gone, a few new ones written

    (tmp_path / "extra.md").write_text("An unrelated story ingested after the crash.\n")
    with TalentQA.open(settings, embedder=FakeEmbedder("fake-b", 32)) as qa:
        # Not the reindexed folder: every article must get its chunks back all the same.
        report = qa.ingest_sources([str(tmp_path / "extra.md")])
        assert report.summary()["failed"] == 0
        restored = [item for item in report.items if item.status == "updated"]
        assert restored and all("missing" in (item.reason or "") for item in restored)
        per_doc = assert_consistent(qa.store)
        assert len(per_doc) == 41
        assert qa.store.recorded_model() == "fake-b"
        again = qa.ingest_sources([str(tmp_path / "in")])
        assert again.summary() == {"added": 0, "updated": 0, "unchanged": 40, "failed": 0}
