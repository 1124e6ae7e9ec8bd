"""A local news site on 127.0.0.1 for the web-ingest tests, plus hostile endpoints.

Fixture pages live in tests/web/site/; `{{BASE}}` in them becomes `http://<Host header>`, so the same
site serves correct absolute links whether it is reached as 127.0.0.1 or as a pinned test hostname.
"""

from __future__ import annotations

import gzip
import io
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from talentqa.settings import IngestSettings, Settings

SITE = Path(__file__).parent / "site"
HTML = "text/html; charset=utf-8"

# Path -> (fixture file, content type). The query string is ignored, as most sites do for utm_* etc.
PAGES = {
    "/news/returning-physicist": ("article-returning-physicist.html", HTML),
    "/news/returning-physicist/amp": ("amp-returning-physicist.html", HTML),
    "/news/marine-biologist": ("article-marine-biologist.html", HTML),
    "/news/ai-researcher": ("article-ai-researcher.html", HTML),
    "/news/empty": ("empty.html", HTML),
    "/feed.rss": ("feed.rss.xml", "application/rss+xml; charset=utf-8"),
    "/feed.atom": ("feed.atom.xml", "application/atom+xml"),
    "/feed-hostile.rss": ("feed-hostile.rss.xml", "application/rss+xml"),
    "/feed-sloppy.rss": ("feed-sloppy.rss.xml", "application/rss+xml"),
    "/feed-bad-redirects.rss": ("feed-bad-redirects.rss.xml", "application/rss+xml"),
    "/sitemap.xml": ("sitemap.xml", "application/xml"),
    "/sitemap-index.xml": ("sitemap-index.xml", "application/xml"),
    "/sitemap-2024.xml": ("sitemap-2024.xml", "application/xml"),
    "/sitemap-2019.xml": ("sitemap-2019.xml", "text/xml"),
    "/billion-laughs.xml": ("billion-laughs.xml", "application/rss+xml"),
    "/external-entity.xml": ("external-entity.xml", "application/rss+xml"),
}

BOMB_DECOMPRESSED = 200 * 1024 * 1024
HUGE_PAGE = 50 * 1024 * 1024


def _make_bomb() -> bytes:
    """200 MiB of spaces gzipped to about 200 KiB, built without holding the 200 MiB."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as gz:
        block = b" " * (1024 * 1024)
        gz.write(b"<html><body><p>")
        for _ in range(BOMB_DECOMPRESSED // len(block)):
            gz.write(block)
    return out.getvalue()


def minimal_pdf(lines: list[str], title: str) -> bytes:
    """A one-page PDF with Helvetica text and an Info dictionary, offsets computed so pypdf reads it."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({title}) /Author (Harbour Ledger Research Unit) /CreationDate (D:20240701120000Z) >>",
    ]
    pdf = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(pdf)
    pdf += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    pdf += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>"
    pdf += f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode()
    return pdf


@dataclass
class LocalSite:
    """The running server: its base URL and a log of the paths it was asked for."""

    host: str
    port: int
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path with query, Host header)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self) -> list[str]:
        return [urlsplit(p).path for p, _host in self.requests]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    site: LocalSite
    bomb: bytes
    pdf: bytes

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass

    def _send(self, status: int, content_type: str, body: bytes, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, content_type: str, chunks: Iterator[bytes], length: int | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(chunk)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.site.requests.append((self.path, self.headers.get("Host", "")))
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass  # the client hung up on purpose: that is what the limits do

    def _route(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        path = parts.path
        base = "http://" + self.headers.get("Host", f"{self.site.host}:{self.site.port}")
        if path in PAGES:
            name, content_type = PAGES[path]
            body = (SITE / name).read_text(encoding="utf-8").replace("{{BASE}}", base).encode("utf-8")
            self._send(200, content_type, body)
        elif path == "/news/copycat":
            # A copy that claims to be another paper's article: its claim must not be believed.
            text = (SITE / "article-ai-researcher.html").read_text(encoding="utf-8").replace("{{BASE}}", base)
            text = text.replace(
                f'href="{base}/news/ai-researcher"', 'href="https://other-paper.example/news/ai"'
            )
            self._send(200, HTML, text.encode("utf-8"))
        elif path == "/redirect":
            self._send(302, "text/plain", b"", {"Location": query["to"][0]})
        elif path == "/go/marine":
            self._send(301, "text/plain", b"", {"Location": "/news/marine-biologist?utm_campaign=go"})
        elif path == "/loop":
            self._send(302, "text/plain", b"", {"Location": "/loop"})
        elif path == "/echo-host":
            self._send(200, "text/plain; charset=utf-8", self.headers.get("Host", "").encode())
        elif path == "/slow":
            time.sleep(3)
            self._send(200, HTML, b"<html><body><p>too late</p></body></html>")
        elif path == "/drip":
            self._stream(HTML, _drip())
        elif path == "/drip-headers":
            self._drip_headers()
        elif path == "/bomb":
            self._send(200, HTML, self.bomb, {"Content-Encoding": "gzip"})
        elif path == "/deflate":
            text = (SITE / "article-ai-researcher.html").read_text(encoding="utf-8").replace("{{BASE}}", base)
            self._send(200, HTML, zlib.compress(text.encode()), {"Content-Encoding": "deflate"})
        elif path == "/huge":
            self._stream(HTML, _huge_page())
        elif path == "/huge-declared":
            self._stream(HTML, _huge_page(), length=HUGE_PAGE)
        elif path == "/binary":
            self._send(200, "application/octet-stream", b"\x00\x01\x02")
        elif path == "/no-type":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html></html>")
        elif path == "/report.pdf":
            self._send(200, "application/pdf", self.pdf)
        elif path == "/notes.txt":
            self._send(200, "text/plain; charset=utf-8", b"Line one.\r\n\r\n\r\n\r\nLine   two.\r\n")
        else:
            self._send(404, "text/plain", b"not found")

    def _drip_headers(self) -> None:
        """Valid headers, one line every 0.2 s for 12 s: each line beats any read timeout."""
        self.wfile.write(b"HTTP/1.0 200 OK\r\n")
        for n in range(60):
            time.sleep(0.2)
            self.wfile.write(f"X-Drip-{n}: x\r\n".encode())
        self.wfile.write(b"Content-Type: text/html\r\n\r\n<html><body><p>late</p></body></html>")


def _drip() -> Iterator[bytes]:
    yield b"<html><body><p>"
    for _ in range(100):
        time.sleep(0.1)
        yield b"x"


def _huge_page() -> Iterator[bytes]:
    chunk = b"<p>" + b"filler " * 9361 + b"</p>\n"  # about 64 KiB
    sent = 0
    yield b"<html><body>"
    while sent < HUGE_PAGE:
        yield chunk
        sent += len(chunk)


_PDF = minimal_pdf(
    ["Returning scientists cite laboratory space as the main reason.", "Survey of 120 researchers, 2024."],
    title="Why researchers return",
)


@contextmanager
def running_site() -> Iterator[LocalSite]:
    """Serve the site on a free port of 127.0.0.1 for the duration of the block."""
    local = LocalSite(host="127.0.0.1", port=0)
    handler = type("Handler", (_Handler,), {"site": local, "bomb": _make_bomb(), "pdf": _PDF})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.block_on_close = False  # a handler still sleeping in /slow must not hold up the session
    local.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield local
    finally:
        server.shutdown()
        server.server_close()


def make_settings(*, private: bool, timeout: float = 2.0, max_bytes: int = 10_000_000) -> Settings:
    return Settings(
        _env_file=None,
        allow_private_networks=private,
        ingest=IngestSettings(fetch_timeout=timeout, fetch_max_bytes=max_bytes),
    )
