"""Failures below talentqa (a server that stops, a full disk, a read-only or damaged store, a bad setting)
reach the user as one line and a non-zero exit, never as a traceback (issue 13 item 14, issue 14)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from filelock import FileLock
from typer.testing import CliRunner

from talentqa.app import TalentQA
from talentqa.cli import app
from talentqa.errors import ConfigError, StoreError
from talentqa.settings import Settings, load_settings
from talentqa.store import LOCK_NAME, Store, translated
from talentqa.store import chroma as chroma_store
from talentqa.store.keyword import KeywordIndex, KeywordIndexCache
from tests.chroma_server import ChromaServer
from tests.conftest import FakeEmbedder

TALENTQA = Path(sys.executable).parent / "talentqa"


def write_articles(folder: Path, n: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = " ".join(f"Article {i} line {j} says researcher {i * 100 + j} moved labs." for j in range(12))
        (folder / f"a{i}.md").write_text(f"---\ntitle: Story {i}\n---\n\n{body}\n")
    return folder


def fill_store(settings: Settings, tmp_path: Path) -> None:
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        qa.ingest_sources([str(write_articles(tmp_path / "in"))])


def run_cli(*args: str, env: dict[str, str] | None = None, prefix: tuple[str, ...] = ()) -> Any:
    """The real console script in a subprocess: a Rust panic or a BaseException shows as it would."""
    return subprocess.run(
        [*prefix, str(TALENTQA), *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
    )


def assert_one_error_line(result: Any, *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    message = " ".join(result.stderr.split())
    assert "error:" in message, result.stderr
    for needle in needles:
        assert needle in message, result.stderr


# --- a Chroma server that stops while talentqa runs ---------------------------------------------------


@pytest.fixture()
def own_chroma_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A `chroma run` of this test's own, which the test may stop (the shared one must stay up)."""
    server = ChromaServer(tmp_path).start()
    assert server.process is not None
    try:
        yield server.process, server.url
    finally:
        server.stop()


def test_a_server_that_stops_while_talentqa_runs_is_a_store_error(
    own_chroma_server: tuple[subprocess.Popen[bytes], str], tmp_path: Path
) -> None:
    process, url = own_chroma_server
    settings = Settings(chroma_url=url, cache_dir=tmp_path / "cache")
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        qa.ingest_sources([str(write_articles(tmp_path / "in"))])
        process.kill()
        process.wait(timeout=10)
        with pytest.raises(StoreError, match="lost the connection to the Chroma server") as caught:
            qa.ask("Which researcher moved labs?")
        assert isinstance(caught.value.__cause__, httpx.TransportError | ValueError)
        with pytest.raises(StoreError, match="lost the connection"):
            qa.documents()
        with pytest.raises(StoreError, match="lost the connection"):
            qa.ingest_sources([str(write_articles(tmp_path / "more", 1))])


# --- embedded store: full disk, read-only, damaged, missing ---------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        # What chromadb 1.5.9 raised when its database filled a 2 MB tmpfs.
        "chroma",
        "oserror",
    ],
)
def test_a_full_disk_while_ingesting_is_a_store_error(
    failure: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chromadb.api.models.Collection import Collection
    from chromadb.errors import InternalError

    def disk_full(self: Collection, *args: Any, **kwargs: Any) -> None:
        if failure == "chroma":
            raise InternalError(
                "Query error: Database error: error returned from database: "
                "(code: 13) database or disk is full"
            )
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    settings = Settings(store=tmp_path / "vectorstore")
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        monkeypatch.setattr(Collection, "upsert", disk_full)
        with pytest.raises(StoreError, match="disk holding the store .* is full"):
            qa.ingest_sources([str(write_articles(tmp_path / "in"))])


def test_after_a_failed_write_an_embedded_ingest_writes_nothing_more_and_the_next_run_repairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails on a full disk can leave Chroma's SQLite transaction open on a pooled
    connection; any later write of the process then waits for Chroma's busy timeout (1000 s): an
    `ingest` with 96 KB left hung past 180 s in the attack run. So after a failure the run writes no
    "failed" mark, and its marker, left open, is repaired by the next run as after a crash."""
    from chromadb.api.models.Collection import Collection
    from chromadb.errors import InternalError

    writes_after_failure: list[str] = []
    failed = False
    real = {name: getattr(Collection, name) for name in ("upsert", "add", "update", "delete", "modify")}

    def guarded(name: str) -> Any:
        def write(self: Collection, *args: Any, **kwargs: Any) -> Any:
            nonlocal failed
            if failed:
                # What the hang looked like: a write queued behind the failed write's lock.
                writes_after_failure.append(f"{self.name}.{name}")
                raise AssertionError("this write would wait on the failed write's lock")
            if name == "upsert" and self.name.endswith("-documents"):
                failed = True
                raise InternalError(
                    "Query error: Database error: error returned from database: "
                    "(code: 13) database or disk is full"
                )
            return real[name](self, *args, **kwargs)

        return write

    settings = Settings(store=tmp_path / "vectorstore")
    folder = write_articles(tmp_path / "in")
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        for name in real:
            monkeypatch.setattr(Collection, name, guarded(name))
        with pytest.raises(StoreError, match="disk holding the store .* is full"):
            qa.ingest_sources([str(folder)])
        assert failed
        assert writes_after_failure == []
        stranded = qa.store.count_chunks()
        assert stranded > 0, "the chunks were written before the article records failed"
        monkeypatch.undo()
    # The next run is a new process (`talentqa ingest` again): nothing of this process's failure stays.
    monkeypatch.setattr(chroma_store, "_STUCK_WRITES", {})
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        report = qa.ingest_sources([str(folder)])
        assert report.summary() == {"added": 3, "updated": 0, "unchanged": 0, "failed": 0}
        assert qa.store.count_chunks() == stranded
        assert {info.doc_id for info in qa.store.documents_info()} == {"a0", "a1", "a2"}
        assert qa.store.live_runs() == set()
        assert qa.store.runs.count() == 0, "the failed run's marker was settled by the repair"


def test_after_a_full_disk_a_long_lived_process_refuses_writes_at_once_and_still_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot keeps one process: after a write failed on a full disk, Chroma may hold that write's lock
    for 1000 s, so its next /ingest or /forget is refused with a StoreError at once (no write reaches the
    store) instead of waiting; asking still works."""
    from chromadb.api.models.Collection import Collection
    from chromadb.errors import InternalError

    monkeypatch.setattr(chroma_store, "_STUCK_WRITES", {})
    settings = Settings(store=tmp_path / "vectorstore")
    folder = write_articles(tmp_path / "in")
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        qa.ingest_sources([str(folder)])
        real_upsert = Collection.upsert

        def disk_full(self: Collection, *args: Any, **kwargs: Any) -> None:
            raise InternalError("Database error: (code: 13) database or disk is full")

        monkeypatch.setattr(Collection, "upsert", disk_full)
        with pytest.raises(StoreError, match="is full"):
            qa.ingest_sources([str(_one_article(tmp_path / "more.md", "Seven"))])
        writes: list[str] = []

        def recorded(self: Collection, *args: Any, **kwargs: Any) -> Any:
            writes.append(self.name)
            return real_upsert(self, *args, **kwargs)

        monkeypatch.setattr(Collection, "upsert", recorded)
        with pytest.raises(StoreError, match="restart talentqa"):
            qa.ingest_sources([str(_one_article(tmp_path / "later.md", "Nine"))])
        with pytest.raises(StoreError, match="restart talentqa"):
            qa.remove("a0")
        assert writes == []
        assert qa.retrieve("researcher 101 moved labs")


def _one_article(path: Path, title: str) -> Path:
    body = " ".join(f"{title} line {j} says a scientist returned." for j in range(12))
    path.write_text(f"---\ntitle: {title}\n---\n\n{body}\n")
    return path


def _can_unshare() -> bool:
    if not shutil.which("unshare"):
        return False
    try:
        done = subprocess.run(["unshare", "-Urm", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


needs_unshare = pytest.mark.skipif(
    not _can_unshare(), reason="needs user and mount namespaces (unshare -Urm) for a private mount"
)


@needs_unshare
def test_a_full_disk_on_a_real_tiny_filesystem_is_one_line(tmp_path: Path) -> None:
    mount = tmp_path / "tiny"
    mount.mkdir()
    script = (
        "import numpy as np, sys\n"
        "from talentqa.settings import Settings\n"
        "from talentqa.store import Store\n"
        f"store = Store.open(Settings(store={str(mount / 'store')!r}), model_name='fake', dimension=64)\n"
        "for i in range(2000):\n"
        "    store.chunks.upsert(ids=[f'c{i}-{j}' for j in range(100)],\n"
        "        embeddings=np.random.rand(100, 64).astype(np.float32), documents=['x' * 2000] * 100,\n"
        "        metadatas=[{'doc_id': 'd', 'start': 0, 'end': 1}] * 100)\n"
    )
    done = subprocess.run(
        [
            "unshare",
            "-Urm",
            "sh",
            "-c",
            f'mount -t tmpfs -o size=2m tmpfs "{mount}" && exec "$0" -c "$1"',
            sys.executable,
            f"from talentqa.errors import StoreError\ntry:\n{_indent(script)}\n"
            "except StoreError as exc:\n    print('STORE ERROR', exc)\n",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "STORE ERROR" in done.stdout and "is full" in done.stdout, done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def _indent(code: str) -> str:
    return "\n".join("    " + line for line in code.splitlines())


@needs_unshare
@pytest.mark.parametrize("what", ["folder", "database"])
def test_a_read_only_store_is_one_line(what: str, tmp_path: Path) -> None:
    store = tmp_path / "vectorstore"
    fill_store(Settings(store=store), tmp_path)
    target = store if what == "folder" else store / "chroma.sqlite3"
    # A private read-only bind mount: chmod does not stop root, a read-only mount stops everyone.
    result = run_cli(
        "sources",
        "remove",
        "a0",
        env={"TALENTQA_STORE": str(store)},
        prefix=(
            "unshare",
            "-Urm",
            "sh",
            "-c",
            f'mount --bind "{target}" "{target}" && mount -o remount,bind,ro "{target}" && exec "$0" "$@"',
        ),
    )
    assert_one_error_line(result, "read-only")


def test_garbage_in_chroma_sqlite3_is_a_store_error(tmp_path: Path) -> None:
    store = tmp_path / "vectorstore"
    fill_store(Settings(store=store), tmp_path)
    (store / "chroma.sqlite3").write_bytes(np.random.default_rng(0).bytes(200_000))
    with pytest.raises(StoreError, match="is damaged"):
        Store.open(Settings(store=store), model_name=FakeEmbedder().name, dimension=64)
    # The lock was let go: the next process is told the store is damaged, not that it is in use.
    lock = FileLock(str(store / LOCK_NAME), is_singleton=False)
    lock.acquire(timeout=0)
    lock.release()


def _damage_collection_row(store: Path) -> None:
    """A value of the wrong type where Chroma's Rust core expects an integer: it panics."""
    with sqlite3.connect(store / "chroma.sqlite3") as db:
        db.execute("UPDATE collections SET dimension = 'abc'")


def test_chromas_rust_panic_is_a_store_error(tmp_path: Path) -> None:
    store = tmp_path / "vectorstore"
    fill_store(Settings(store=store), tmp_path)
    _damage_collection_row(store)
    with pytest.raises(StoreError, match="is damaged") as caught:
        Store.open(Settings(store=store), model_name=FakeEmbedder().name, dimension=64)
    assert type(caught.value.__cause__).__name__ == "PanicException"


def test_chromas_rust_panic_in_the_cli_is_one_line(tmp_path: Path) -> None:
    store = tmp_path / "vectorstore"
    fill_store(Settings(store=store), tmp_path)
    _damage_collection_row(store)
    result = run_cli("sources", "list", env={"TALENTQA_STORE": str(store)})
    assert_one_error_line(result, "is damaged")


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_a_store_whose_database_is_gone_is_not_silently_empty(how: str, tmp_path: Path) -> None:
    store = tmp_path / "vectorstore"
    fill_store(Settings(store=store), tmp_path)
    with TalentQA.open(Settings(store=store), embedder=FakeEmbedder()) as qa:
        qa.keyword.current()  # leaves the keyword index beside the database, as any ask does
    database = store / "chroma.sqlite3"
    if how == "deleted":
        database.unlink()
    else:
        database.write_bytes(b"")
    with pytest.raises(StoreError, match="damaged: its database chroma.sqlite3 is"):
        TalentQA.open(Settings(store=store), embedder=FakeEmbedder())
    assert not database.exists() or database.stat().st_size == 0, "no new empty database was made"


def test_a_new_store_folder_still_opens(tmp_path: Path) -> None:
    (tmp_path / "fresh").mkdir()
    with Store.open(Settings(store=tmp_path / "fresh"), model_name="fake", dimension=4) as store:
        assert store.count_chunks() == 0


# --- the keyword index --------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["ids", "doc_ids", "published", "rows"])
def test_a_keyword_index_whose_ids_do_not_match_its_arrays_is_rebuilt(damage: str, tmp_path: Path) -> None:
    settings = Settings(store=tmp_path / "vectorstore")
    fill_store(settings, tmp_path)
    with TalentQA.open(settings, embedder=FakeEmbedder()) as qa:
        folder = qa.keyword.folder
        qa.keyword.current()
        meta_path = folder / "talentqa-keyword.json"
        meta = json.loads(meta_path.read_text())
        if damage == "rows":
            # Another index's BM25 rows under these ids: one passage fewer than the ids name.
            other = KeywordIndex.build(qa.store, meta["revision"])
            other.ids = other.ids[:-1]
            other.doc_ids = other.doc_ids[:-1]
            other.published = other.published[:-1]
            import bm25s

            texts = [c.text for c in qa.store.get_chunks(other.ids)]
            retriever = bm25s.BM25()
            retriever.index(bm25s.tokenize(texts, show_progress=False), show_progress=False)
            retriever.save(str(folder), show_progress=False)
        else:
            meta[damage] = meta[damage][:-1]
            meta_path.write_text(json.dumps(meta))
        # Same revision as the store: only a check on load can tell the index is broken.
        fresh = KeywordIndexCache(qa.store).current()
        assert len(fresh.ids) == qa.store.count_chunks() == len(fresh.doc_ids) == len(fresh.published)
        hits = fresh.search("researcher moved labs", 50)
        assert hits and {chunk_id for chunk_id, _ in hits} <= set(fresh.ids)
        answer = qa.ask("Which researcher moved labs?")
        assert answer is not None


# --- settings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TALENTQA_RETRIEVAL__K", "eight"),
        ("TALENTQA_RETRIEVAL__K", "0"),
        ("TALENTQA_ANSWER__ABSTAIN_THRESHOLD", "nan"),
        ("TALENTQA_ANSWER__ABSTAIN_THRESHOLD", "-5"),
        ("TALENTQA_EMBEDDING__BACKEND", "gpu"),
        ("TALENTQA_ALLOW_PRIVATE_NETWORKS", "perhaps"),
        ("TALENTQA_LLM__TIMEOUT", "-1"),
        ("TALENTQA_STORE", ""),
        ("TALENTQA_STORE", "   "),
        ("TALENTQA_LLM", "null"),
        ("TALENTQA_ANSWER", " null "),
    ],
)
def test_every_invalid_setting_is_a_config_error_naming_it(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        load_settings()
    result = CliRunner().invoke(app, ["stats"])
    assert result.exit_code == 2 and variable in result.output and result.exception is not None
    assert "Traceback" not in result.output


def test_a_nested_section_that_is_not_json_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALENTQA_RETRIEVAL", "{k: 8")
    with pytest.raises(ConfigError, match="retrieval"):
        load_settings()


def test_a_section_set_to_null_in_dotenv_is_a_config_error_unless_the_environment_sets_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("TALENTQA_LLM=null\n")
    with pytest.raises(ConfigError, match="TALENTQA_LLM is null"):
        load_settings()
    monkeypatch.setenv("TALENTQA_LLM", '{"timeout": 5}')
    assert load_settings().llm.timeout == 5


def test_an_empty_store_setting_creates_nothing_in_the_current_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TALENTQA_STORE", "")
    result = CliRunner().invoke(app, ["sources", "list"])
    assert result.exit_code == 2
    assert not (tmp_path / "chroma.sqlite3").exists() and not (tmp_path / ".talentqa.lock").exists()


def test_a_dotenv_that_is_not_utf8_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_bytes(b"TALENTQA_COLLECTION=caf\xe9\n")
    with pytest.raises(ConfigError, match=r"\.env: it is not UTF-8"):
        load_settings()
    result = CliRunner().invoke(app, ["stats"])
    assert result.exit_code == 2 and "not UTF-8" in result.output


def test_an_unreadable_dotenv_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    dotenv = tmp_path / ".env"
    dotenv.write_text("TALENTQA_COLLECTION=x\n")
    dotenv.chmod(0)
    if os.access(dotenv, os.R_OK):
        # Root reads a mode-000 file; refuse this one file the way the kernel refuses everyone else.
        import builtins

        real_open = builtins.open

        def guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
            if Path(str(file)).resolve() == dotenv.resolve():
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", guarded_open)
    with pytest.raises(ConfigError, match="cannot read .*Permission denied"):
        load_settings()


def test_a_malformed_chroma_url_is_one_line() -> None:
    for url in ("http://[::1", "http://localhost:99999", "ftp://localhost:8000", "http://"):
        result = CliRunner().invoke(app, ["stats", "--chroma-url", url])
        assert result.exit_code == 2, (url, result.output)
        assert "invalid Chroma URL" in result.output
        assert isinstance(result.exception, SystemExit)


# --- narrow translation -------------------------------------------------------------------------------


def test_programming_errors_are_not_dressed_up_as_store_errors() -> None:
    with pytest.raises(TypeError), translated("somewhere", server=False):
        raise TypeError("a bug")
    with pytest.raises(ValueError), translated("somewhere", server=False):
        raise ValueError("a bad argument")
    with pytest.raises(StoreError, match="lost the connection"), translated("http://x", server=True):
        raise httpx.ConnectError("refused")
