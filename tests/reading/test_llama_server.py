"""The llama.cpp server talentqa starts itself, run against a stand-in binary (a real process serving a
real /health over HTTP): which flags it is started with, and what happens when it dies while starting."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from talentqa.errors import ConfigError
from talentqa.reading import llama_server
from talentqa.reading.llama_server import NO_REPACK, LlamaServer

STAND_IN = """\
import http.server, json, os, signal, sys
args = sys.argv[1:]
with open(os.environ["STAND_IN_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
crash = os.environ["STAND_IN_CRASH"]
if crash == "always" or (crash == "unless-no-repack" and "--no-repack" not in args):
    os.kill(os.getpid(), signal.SIGSEGV)
if crash == "exit":
    sys.exit(3)
port = int(args[args.index("--port") + 1])

class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()
    def log_message(self, *a):
        pass

http.server.HTTPServer(("127.0.0.1", port), Health).serve_forever()
"""


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    binary = tmp_path / "llama-server"
    binary.write_text(f"#!{sys.executable}\n{STAND_IN}", encoding="utf-8")
    binary.chmod(0o755)
    monkeypatch.setattr(llama_server, "server_binary", lambda: binary)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("STAND_IN_LOG", str(log))
    return log


def _calls(log: Path) -> list[list[str]]:
    import json

    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_a_server_that_starts_is_started_once_with_repacking_left_to_llama_cpp(
    stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAND_IN_CRASH", "never")
    with LlamaServer(tmp_path / "model.gguf", threads=2) as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
    (call,) = _calls(stand_in)
    assert NO_REPACK not in call and call[call.index("--threads") + 1] == "2"


def test_extra_server_options_reach_both_the_first_start_and_the_no_repack_retry(
    stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAND_IN_CRASH", "unless-no-repack")
    extra = ("--embeddings", "--pooling", "last")
    server = LlamaServer(tmp_path / "model.gguf", extra_args=extra).start()
    try:
        for call in _calls(stand_in):
            at = call.index("--embeddings")
            assert tuple(call[at : at + len(extra)]) == extra
    finally:
        server.stop()


def test_a_server_killed_by_a_signal_while_starting_is_started_again_without_repacked_weights(
    stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAND_IN_CRASH", "unless-no-repack")
    server = LlamaServer(tmp_path / "model.gguf").start()
    try:
        first, second = _calls(stand_in)
        # The same command with the flag added, on a port of its own (the last two arguments).
        assert NO_REPACK not in first and second[:-2] == [*first[:-2], NO_REPACK]
        assert server._process is not None and server._process.poll() is None
    finally:
        server.stop()


@pytest.mark.parametrize(("crash", "status"), [("always", "-11"), ("exit", "3")])
def test_a_server_that_cannot_start_says_how_it_exited_after_at_most_one_retry(
    stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash: str, status: str
) -> None:
    monkeypatch.setenv("STAND_IN_CRASH", crash)
    with pytest.raises(ConfigError, match=f"exited with status {status} while starting"):
        LlamaServer(tmp_path / "model.gguf").start()
    assert len(_calls(stand_in)) == (2 if crash == "always" else 1)  # a plain failure is not retried


def _started_by_settings(
    stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings: object
) -> list[list[str]]:
    from talentqa.settings import LLMSettings

    monkeypatch.setattr(llama_server, "assemble_model", lambda model_dir: tmp_path / "model.gguf")
    server = llama_server.start_local_server(LLMSettings(**settings))  # type: ignore[arg-type]
    server.stop()
    return _calls(stand_in)


def test_the_server_talentqa_starts_reads_plain_weights_unless_repacking_is_asked_for(
    stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAND_IN_CRASH", "never")
    (plain,) = _started_by_settings(stand_in, tmp_path, monkeypatch)
    assert NO_REPACK in plain
    stand_in.unlink()
    (repacked,) = _started_by_settings(stand_in, tmp_path, monkeypatch, server_repack=True)
    assert NO_REPACK not in repacked


def test_server_options_from_the_settings_reach_the_server(
    stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAND_IN_CRASH", "never")
    monkeypatch.setenv("TALENTQA_LLM__SERVER_ARGS", '["--flash-attn", "off"]')
    from talentqa.settings import Settings

    args = Settings().llm.server_args
    (call,) = _started_by_settings(stand_in, tmp_path, monkeypatch, server_args=args)
    at = call.index("--flash-attn")
    assert call[at : at + 2] == ["--flash-attn", "off"]


def test_a_server_crashing_on_plain_weights_is_not_started_again(
    stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAND_IN_CRASH", "always")
    with pytest.raises(ConfigError, match="exited with status -11 while starting"):
        _started_by_settings(stand_in, tmp_path, monkeypatch)
    assert len(_calls(stand_in)) == 1  # already without repacking: nothing left to retry
