"""A real HTTP server on loopback that answers as slowly as an attacker likes: one header line, or one
byte of the body, every `interval` seconds, each well within any read timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

# A valid OpenAI chat completion, sent a byte at a time in "body" mode.
COMPLETION = (
    b'{"id": "c1", "object": "chat.completion", "created": 0, "model": "m", "choices": [{"index": 0, '
    b'"message": {"role": "assistant", "content": "{\\"answerable\\": false, \\"claims\\": []}"}, '
    b'"finish_reason": "stop"}], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}'
)


@dataclass
class DrippingServer:
    """Accepts any number of connections; each request is answered by dripping for at most `lasts` s."""

    mode: Literal["headers", "body"] = "body"
    interval: float = 0.5
    lasts: float = 30.0
    port: int = 0
    requests: int = 0
    finished: list[float] = field(default_factory=list)  # seconds each dripping answer ran

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _serve(self, conn: socket.socket, stop: threading.Event) -> None:
        started = time.monotonic()
        try:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                piece = conn.recv(65536)
                if not piece:
                    return
                data += piece
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            while len(body) < length:
                piece = conn.recv(65536)
                if not piece:
                    return
                body += piece
            self.requests += 1
            if self.mode == "headers":
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                drip = [f"X-Drip-{n}: x\r\n".encode() for n in range(100_000)]
            else:
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(COMPLETION)}\r\n\r\n".encode()
                )
                drip = [COMPLETION[i : i + 1] for i in range(len(COMPLETION))]
            for piece in drip:
                if stop.wait(self.interval) or time.monotonic() - started > self.lasts:
                    return
                conn.sendall(piece)
        except OSError:
            pass  # the client hung up: what a deadline does
        finally:
            self.finished.append(time.monotonic() - started)
            conn.close()


@contextmanager
def dripping_server(
    mode: Literal["headers", "body"] = "body", *, interval: float = 0.5, lasts: float = 30.0
) -> Iterator[DrippingServer]:
    server = DrippingServer(mode=mode, interval=interval, lasts=lasts)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    server.port = int(listener.getsockname()[1])
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=server._serve, args=(conn, stop), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
