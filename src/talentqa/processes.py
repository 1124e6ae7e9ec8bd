"""Child processes that must not outlive the process that started them (servers, builders).

`subprocess.Popen(..., preexec_fn=die_with_parent(), start_new_session=True)` gives a child that Linux
signals when its parent dies, however it dies (`kill -9`, a segfault), and that sits in its own process
group, so `stop_group` ends it and anything it started in one call.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    # Looked up here, in the parent: loading a library in a child forked from a threaded process can
    # deadlock, and the child must do nothing but call it.
    try:
        return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not Linux: only an orderly stop ends the child
        return None


def die_with_parent(sig: signal.Signals = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` after which Linux sends the child `sig` when the parent dies (PR_SET_PDEATHSIG).

    The signal follows the thread that started the child: start it from a thread that lives as long as
    the child should (the main thread, in tests and CLIs)."""
    prctl = _prctl()
    parent = os.getpid()

    def preexec() -> None:
        if prctl is None:
            return
        prctl(_PR_SET_PDEATHSIG, int(sig))
        if os.getppid() != parent:
            # The parent died between the fork and the prctl: no signal will ever come.
            os._exit(1)

    return preexec


def stop_group(process: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float = 10.0) -> None:
    """Stop a child started with `start_new_session=True`, and whatever it started: SIGTERM to its
    process group, then SIGKILL after `timeout` seconds."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    # The leader may be gone while others in its group live on.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=timeout)
