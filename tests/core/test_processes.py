"""Multi-process properties: the embedded store's lock, and crash repair after SIGKILL mid-ingest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from talentqa.app import TalentQA
from talentqa.settings import Settings
from tests.conftest import FakeEmbedder
from tests.core.test_ingest_store import assert_consistent, write_articles

HOLD_STORE = """
import sys, time
from talentqa.settings import Settings
from talentqa.store import Store
store = Store.open(Settings(store=sys.argv[1]), model_name="fake-hash-64", dimension=64)
print("ready", flush=True)
time.sleep(120)
"""


def test_second_process_on_embedded_store_fails_fast_and_explains_server_mode(tmp_path: Path) -> None:
    folder = tmp_path / "vs"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_STORE, str(folder)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "talentqa", "stats", "--store", str(folder)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "200"},
        )
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "in use by another talentqa process" in message
    assert "chroma run" in message and "TALENTQA_CHROMA_URL" in message
    # It must fail at once, not wait for the lock (interpreter start-up dominates this time).
    assert elapsed < 30


INGEST_SLOWLY = """
import sys
from talentqa.app import TalentQA
from talentqa.settings import Settings
from tests.conftest import FakeEmbedder

class SlowEmbedder(FakeEmbedder):
    def embed(self, texts, *, batch_size=None):
        import time
        time.sleep(0.15)
        return super().embed(texts)

def tick(kind, n):
    # Articles are reported once written: the parent kills us after a few, mid-way through the next batch.
    if kind == "article":
        print("written", flush=True)

base = Settings(store=sys.argv[1])
settings = base.model_copy(update={"ingest": base.ingest.model_copy(update={"docs_per_batch": 2})})
qa = TalentQA.open(settings, embedder=SlowEmbedder())
report = qa.ingest_sources([sys.argv[2]], progress=tick)
print("finished", report.summary(), flush=True)
"""


def _kill_mid_ingest(store: Path, folder: Path, after: int = 5) -> None:
    """Start an ingest and SIGKILL it once `after` articles are written, inside the batch loop."""
    process = subprocess.Popen(
        [sys.executable, "-c", INGEST_SLOWLY, str(store), str(folder)],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    written = 0
    for line in process.stdout:
        if line.startswith("finished"):
            break
        written += line.startswith("written")
        if written >= after:
            break
    assert process.poll() is None, "ingest finished before it could be killed; make the corpus larger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


@pytest.mark.slow
def test_sigkill_mid_batch_then_rerun_leaves_exactly_the_right_chunks(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    store = tmp_path / "vs"
    write_articles(folder, 40)
    settings = Settings(store=store)

    _kill_mid_ingest(store, folder)
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        partial = len(qa.documents())
        assert 0 < partial < 40
        report = qa.ingest_sources([str(folder)])
        assert report.summary()["failed"] == 0
        assert len(qa.documents()) == 40
        assert_consistent(qa.store)

    # Now a crash while every article is being *changed*: old chunks must be gone after the rerun.
    write_articles(folder, 40, version="v2")
    _kill_mid_ingest(store, folder)
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        qa.ingest_sources([str(folder)])
        per_doc = assert_consistent(qa.store)
        assert len(per_doc) == 40
        for doc_id in per_doc:
            assert all("lab v2" in c.text for c in qa.store.chunks_of(doc_id))
