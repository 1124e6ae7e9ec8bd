"""Pinning the checked IP must not weaken TLS: SNI and certificate checks still use the hostname."""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from talentqa.errors import FetchError
from talentqa.ingest import fetch
from talentqa.ingest.fetch import safe_fetch
from talentqa.settings import Settings

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


class _EchoSNI(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = self.headers.get("Host", "").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """An HTTPS server on 127.0.0.1 whose self-signed certificate names only `secure.test`."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=secure.test",
         "-addext", "subjectAltName=DNS:secure.test"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoSNI)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1], cert
    server.shutdown()
    server.server_close()


@pytest.fixture
def trusting_test_ca(monkeypatch: pytest.MonkeyPatch, tls_server: tuple[int, Path]) -> None:
    """Trust the test certificate and resolve every test hostname to the local server."""
    _port, cert = tls_server
    monkeypatch.setattr(fetch, "_ssl_context", lambda: ssl.create_default_context(cafile=str(cert)))
    monkeypatch.setattr(fetch, "resolve_host", lambda host, port: [ipaddress.ip_address("127.0.0.1")])


@pytest.mark.usefixtures("trusting_test_ca")
def test_https_to_a_pinned_address_verifies_the_certificate_against_the_hostname(
    tls_server: tuple[int, Path], open_settings: Settings
) -> None:
    port, _cert = tls_server
    page = safe_fetch(f"https://secure.test:{port}/", open_settings)
    assert page.body.decode() == f"secure.test:{port}"


@pytest.mark.usefixtures("trusting_test_ca")
def test_https_certificate_for_another_name_is_refused(
    tls_server: tuple[int, Path], open_settings: Settings
) -> None:
    port, _cert = tls_server
    with pytest.raises(FetchError, match="could not connect to impostor.test.*CERTIFICATE_VERIFY_FAILED"):
        safe_fetch(f"https://impostor.test:{port}/", open_settings)
