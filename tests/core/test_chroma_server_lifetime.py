"""The tests' `chroma run` stops with the run that started it (issue 14): a run killed by SIGKILL or a
segfault runs no teardown, and the server it left kept its port and folder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # A zombie has ended; it waits only for its (new) parent to collect it.
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_server_started_by_a_run_that_is_killed_stops_too(tmp_path: Path) -> None:
    run = subprocess.Popen(
        [sys.executable, "-m", "tests.chroma_server", str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    server_pid = port = 0
    try:
        assert run.stdout is not None
        line = run.stdout.readline().split()
        assert len(line) == 2, f"the server did not start: {(tmp_path / 'server.log').read_text()[-2000:]}"
        server_pid, port = int(line[0]), int(line[1])
        assert _alive(server_pid) and _listening(port)
        run.send_signal(signal.SIGKILL)  # no teardown, no atexit: as a segfault would end it
        run.wait(timeout=10)
        deadline = time.monotonic() + 15
        while _alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(server_pid), "the chroma server outlived the run that started it"
        assert not _listening(port)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        if server_pid and _alive(server_pid):
            os.killpg(server_pid, signal.SIGKILL)  # the server started in its own group: leave nothing
