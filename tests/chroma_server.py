"""A `chroma run` for tests that stops with the test run, however the run ends.

Started in its own process group (so teardown stops it and anything it started) and with a parent-death
signal (so a test run killed or crashed, where no teardown runs, takes it along; a server left behind
holds its port and folder until someone finds it).

`python -m tests.chroma_server FOLDER` starts one, prints `PID PORT`, and waits: the test that kills that
process checks that its server went with it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from talentqa.processes import die_with_parent, stop_group


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_command() -> str:
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(chroma).exists():
        raise FileNotFoundError(
            "the `chroma` command is missing from the environment (chromadb not installed?)"
        )
    return chroma


class ChromaServer:
    """`chroma run --path FOLDER/data` on a free loopback port; its log in FOLDER/server.log."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> ChromaServer:
        command = [chroma_command(), "run", "--path", str(self.folder / "data")]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"chroma server did not start: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_group(process)


if __name__ == "__main__":
    server = ChromaServer(Path(sys.argv[1])).start()
    assert server.process is not None
    print(server.process.pid, server.port, flush=True)
    time.sleep(600)
