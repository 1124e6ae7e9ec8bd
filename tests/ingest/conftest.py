"""A tiny local web server serving exactly the pages a test gives it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

Pages = dict[str, tuple[str, bytes]]


@pytest.fixture
def serve() -> Iterator[Callable[[Pages], str]]:
    """`serve({path: (content type, body)})` starts a server for those pages and gives its base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(pages: Pages) -> str:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
                pass

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                content_type, body = pages.get(self.path.split("?")[0], ("text/plain", b"not found"))
                self.send_response(200 if self.path.split("?")[0] in pages else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
