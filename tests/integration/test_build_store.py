"""The seed store is built in a child process (issue 14): a native crash there is a failure that shows
the crash's stack, the test run goes on, and a store cut short is not kept for the next run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from talentqa.app import TalentQA
from talentqa.embeddings import Embedder
from talentqa.settings import Settings
from tests.conftest import MODEL_CACHE, SAMPLES
from tests.integration import build_store
from tests.integration.build_store import ChildFailed, build_in_child, run_isolated

SEGFAULT = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"


def test_a_child_that_segfaults_is_a_failure_with_its_stack(tmp_path: Path) -> None:
    with pytest.raises(ChildFailed, match="killed by SIGSEGV") as caught:
        run_isolated(["-c", SEGFAULT], tmp_path / "child.log", timeout=60)
    message = str(caught.value)
    assert caught.value.cut_short
    assert "Fatal Python error: Segmentation fault" in message  # faulthandler's report, in the failure
    assert 'File "<string>", line 1' in message


def test_a_child_that_runs_too_long_is_stopped(tmp_path: Path) -> None:
    with pytest.raises(ChildFailed, match="ran past 1 s"):
        run_isolated(["-c", "import time; time.sleep(60)"], tmp_path / "child.log", timeout=1)


def test_a_store_whose_build_was_cut_short_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"

    def crashing(command: Sequence[str], log: Path, timeout: float) -> None:
        (store / "half-written").mkdir(parents=True)
        raise ChildFailed("killed by SIGSEGV", -11)

    monkeypatch.setattr(build_store, "run_isolated", crashing)
    with pytest.raises(ChildFailed):
        build_in_child(store, MODEL_CACHE, "openvino", [SAMPLES])
    assert not store.exists()


def test_the_child_builds_a_store_the_test_process_then_reads(
    real_embedder: Embedder, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    build_in_child(store, MODEL_CACHE, real_embedder.settings.backend, [SAMPLES], timeout=600)
    with TalentQA.open(Settings(store=store), embedder=real_embedder, create=False) as qa:
        assert qa.store.count_documents() == len([p for p in SAMPLES.iterdir() if p.is_file()])
