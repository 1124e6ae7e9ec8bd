"""Fill a store in a process of its own.

Building the 15k-chunk seed store inside the test process once ended the whole run with SIGSEGV on a
cold machine: no summary, and the session's `chroma run` left behind. `build_in_child` runs
`python -X faulthandler -m tests.integration.build_store STORE MODEL_CACHE BACKEND SOURCE...` instead: a
native crash ends only that process, faulthandler writes the Python stack of every thread to its log, and
the caller gets the log's tail in an exception. The child dies with its parent and is stopped with its
process group, so it never outlives the run either.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, cast

from talentqa.processes import die_with_parent, stop_group

REPO = Path(__file__).resolve().parents[2]

Backend = Literal["torch", "int8", "bf16", "openvino"]


class ChildFailed(Exception):
    """The child crashed, failed or ran out of time; the message ends with its log."""

    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code  # None: it ran out of time; negative: the signal that ended it

    @property
    def cut_short(self) -> bool:
        return self.code is None or self.code < 0


def run_isolated(command: Sequence[str], log: Path, timeout: float) -> None:
    """Run `python -X faulthandler COMMAND...` from the repository, without TALENTQA_* variables, its
    output in `log`; ChildFailed unless it exits with status 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALENTQA_")}
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        child = subprocess.Popen(
            [sys.executable, "-X", "faulthandler", *command],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGKILL),
        )
        try:
            code: int | None = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            stop_group(child)
    if code == 0:
        return
    if code is None:
        what = f"ran past {timeout:.0f} s"
    elif code < 0:
        what = f"was killed by {signal.Signals(-code).name}"
    else:
        what = f"exited with status {code}"
    tail = log.read_text(errors="replace")[-6000:]
    raise ChildFailed(f"{' '.join(command[:2])} {what}; its log ({log}) ends:\n{tail}", code)


def build_in_child(
    store: Path, model_cache: Path, backend: str, sources: Sequence[Path], *, timeout: float = 3600
) -> None:
    """Ingest `sources` into `store` in a child process; ChildFailed with the child's log otherwise."""
    log = store.parent / f"{store.name}.build.log"
    command = ["-m", "tests.integration.build_store", str(store), str(model_cache), backend]
    try:
        run_isolated([*command, *map(str, sources)], log, timeout)
    except ChildFailed as exc:
        if exc.cut_short:
            # A write cut short can leave a half-flushed HNSW segment, on which Chroma 1.5's loader
            # itself segfaults: the next run builds this cached store again rather than open its rest.
            shutil.rmtree(store, ignore_errors=True)
        raise


def main(argv: list[str]) -> int:
    from talentqa.app import TalentQA
    from talentqa.embeddings import Embedder
    from talentqa.settings import EmbeddingSettings, Settings

    store, model_cache, backend, *sources = argv
    embedder = Embedder(EmbeddingSettings(backend=cast(Backend, backend), cache_dir=Path(model_cache)))
    with TalentQA.open(Settings(_env_file=None, store=Path(store)), embedder=embedder) as qa:
        report = qa.ingest_sources(sources)
    failed = [(item.source, item.reason) for item in report.failed]
    print(json.dumps({"summary": report.summary(), "failed": failed}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
