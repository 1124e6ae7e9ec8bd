"""Fetch one URL safely: the only place talentqa opens a network connection to a URL a user gave.

A URL typed into the CLI or a Discord `/ingest` is untrusted input, so every fetch is guarded:

- SSRF: only http and https; every address the host resolves to must be public (no loopback,
  private, link-local such as the cloud metadata address 169.254.169.254, unique-local IPv6,
  multicast, unspecified, reserved, nor IPv4 addresses wrapped in IPv6), whatever spelling the URL
  uses (`2130706433`, `0x7f000001`, `017700000001` and `127.1` all mean 127.0.0.1). The connection goes
  to the address that was checked, with the hostname sent as Host header and TLS SNI, so a DNS answer
  that changes between check and connect (DNS rebinding) cannot redirect it. Redirects are followed
  by hand and every hop is checked again. `Settings.allow_private_networks` lifts the address check
  (tests, intranets); the scheme check stays.
- Limits: a timeout per socket operation and a deadline on each hop as a whole (connecting, every
  header line and the body: a server dripping a byte or a header line at a time is cut off), a cap on
  the body read off the wire and on the body after decompression (a gzip bomb is refused, never
  inflated in memory), and a content-type allowlist checked before the body is read.

Every refusal raises `FetchError(url, reason)`.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

import httpx

from talentqa.deadline import BoundedTransport, deadline_after
from talentqa.errors import FetchError
from talentqa.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

HTML_TYPES = ("text/html", "application/xhtml+xml")
XML_TYPES = (
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
)
TEXT_TYPES = ("text/plain",)
PDF_TYPES = ("application/pdf",)
ALLOWED_CONTENT_TYPES: tuple[str, ...] = HTML_TYPES + XML_TYPES + TEXT_TYPES + PDF_TYPES

MAX_REDIRECTS = 5
# Inflate at most this much per step, so memory stays near the cap even for a 1000:1 chunk.
_INFLATE_STEP = 1 << 20
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# Addresses that carry an IPv4 address inside an IPv6 one: the embedded address is what is reached.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})


@dataclass(frozen=True)
class FetchedPage:
    """A response that passed every check, its body already read within the limits.

    `url` is the URL asked for, `final_url` the one after redirects; `content_type` is the media type
    in lower case without parameters; `headers` has lower-case names.
    """

    url: str
    final_url: str
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    charset: str | None = None

    def text(self) -> str:
        """The body decoded with the declared charset, or UTF-8, replacing undecodable bytes."""
        try:
            return self.body.decode(self.charset or "utf-8", errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


# --- addresses -------------------------------------------------------------------------------------


def parse_numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Read `host` the way inet_aton does (1 to 4 parts, decimal, 0x hex or 0 octal), or None.

    Browsers and the C resolver accept these spellings, so a guard that only knows dotted quads
    would let `http://2130706433/` reach 127.0.0.1.
    """
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers: list[int] = []
    for part in parts:
        try:
            if part.lower().startswith("0x"):
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            elif part.isdigit():
                numbers.append(int(part, 10))
            else:
                return None
        except ValueError:
            return None
    # The last part fills every remaining byte: 127.1 is 127.0.0.1, 10.1.2 is 10.1.0.2.
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = 0
    for n in leading:
        value = value << 8 | n
    value = value << (8 * (4 - len(leading))) | last
    return ipaddress.IPv4Address(value)


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address `host` spells directly (any IPv4 spelling, IPv6 with or without brackets), or None."""
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    return parse_numeric_ipv4(bare)


def address_refusal(ip: IPAddress) -> str | None:
    """Why `ip` must not be reached from a server, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = None
        kind = ""
        if ip.ipv4_mapped is not None:
            embedded, kind = ip.ipv4_mapped, "IPv4-mapped"
        elif ip.sixtofour is not None:
            embedded, kind = ip.sixtofour, "6to4"
        elif ip.teredo is not None:
            embedded, kind = ip.teredo[1], "Teredo"
        elif ip in _NAT64:
            embedded, kind = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64"
        if embedded is not None:
            inner = address_refusal(embedded)
            if inner is not None:
                return f"{kind} {inner}"
            if kind == "IPv4-mapped":
                return None
    if ip in _METADATA:
        return f"cloud metadata address {ip}"
    if ip.is_loopback:
        return f"loopback address {ip}"
    if ip.is_unspecified:
        return f"unspecified address {ip}"
    if ip.is_link_local:
        return f"link-local address {ip}"
    if ip.is_multicast:
        return f"multicast address {ip}"
    if isinstance(ip, ipaddress.IPv6Address) and ip in _UNIQUE_LOCAL:
        return f"unique-local address {ip}"
    if ip.is_private:
        return f"private address {ip}"
    if ip.is_reserved:
        return f"reserved address {ip}"
    if not ip.is_global:
        return f"non-public address {ip}"
    return None


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, in the resolver's order (the DNS seam tests replace)."""
    literal = parse_ip_literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(host, f"cannot resolve host {host!r}: {exc}") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    return addresses


def resolve_checked(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """The addresses to connect to for `host`, all of them checked; raises FetchError otherwise.

    Every address must pass, not just the first: the connection may fall back to any of them.
    """
    addresses = resolve_host(host, port)
    if not addresses:
        raise FetchError(host, f"host {host!r} has no addresses")
    if not allow_private:
        for ip in addresses:
            reason = address_refusal(ip)
            if reason is not None:
                spelled = "" if str(ip) == host.strip("[]") else f" ({host} resolves to {ip})"
                raise FetchError(
                    host,
                    f"refused: {reason}{spelled}; set TALENTQA_ALLOW_PRIVATE_NETWORKS=true to allow it",
                )
    return addresses


# --- the request ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    url: httpx.URL
    host: str  # ASCII (IDNA) host, as resolved and as sent in Host and SNI
    port: int


def _target(url: str) -> _Target:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(url, f"invalid URL: {exc}") from exc
    scheme = parsed.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(url, f"only http and https URLs are fetched, not {scheme or 'a bare path'}:")
    if not parsed.raw_host:
        raise FetchError(url, "URL has no host")
    if parsed.userinfo:
        # Credentials in a URL leak into logs and enable `https://trusted@evil` look-alikes.
        raise FetchError(url, "URLs with a user name or password are not fetched")
    host = parsed.raw_host.decode("ascii").lower().rstrip(".")
    port = parsed.port or (443 if scheme == "https" else 80)
    return _Target(url=parsed, host=host, port=port)


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    # One context for every fetch: building one loads the CA bundle, which costs milliseconds.
    return ssl.create_default_context()


def _host_header(target: _Target) -> str:
    default = 443 if target.url.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def _media_type(header: str) -> tuple[str, str | None]:
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    return media.strip().lower(), charset


class _CappedDecoder:
    """Undo Content-Encoding chunk by chunk without ever producing more than `cap` bytes.

    httpx's own decoder inflates a whole network chunk at once (a 64 KiB gzip chunk can become
    64 MiB), so the raw stream is read and inflated here with zlib's `max_length`.
    """

    def __init__(self, encoding: str, cap: int, url: str) -> None:
        self._url = url
        self._cap = cap
        self.produced = 0
        self._encoding = encoding
        self._raw_deflate_tried = False
        self._zlib: zlib._Decompress | None = None
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        elif encoding not in ("", "identity"):
            raise FetchError(url, f"unsupported Content-Encoding {encoding!r}")

    def _count(self, data: bytes) -> bytes:
        self.produced += len(data)
        if self.produced > self._cap:
            what = "decompressed body" if self._zlib is not None else "body"
            raise FetchError(self._url, f"{what} larger than {self._cap:,} bytes; refused")
        return data

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        if self._zlib is None:
            yield self._count(chunk)
            return
        data = chunk
        while data:
            try:
                out = self._zlib.decompress(data, min(self._cap - self.produced + 1, _INFLATE_STEP))
            except zlib.error as exc:
                # "deflate" is ambiguous in practice: some servers send raw deflate without a header.
                if self._encoding == "deflate" and not self._raw_deflate_tried and self.produced == 0:
                    self._raw_deflate_tried = True
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise FetchError(self._url, f"corrupt {self._encoding} body: {exc}") from exc
            yield self._count(out)
            data = self._zlib.unconsumed_tail
            if not data and self._zlib.eof and self._zlib.unused_data[:2] == b"\x1f\x8b":
                # Concatenated gzip members are one valid body.
                data = self._zlib.unused_data
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def flush(self) -> bytes:
        if self._zlib is None:
            return b""
        return self._count(self._zlib.flush(self._cap - self.produced + 1))


def _read_body(response: httpx.Response, url: str, cap: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise FetchError(
            url, f"body of {int(declared):,} bytes is larger than the {cap:,}-byte limit; refused"
        )
    encoding = response.headers.get("content-encoding", "").strip().lower()
    decoder = _CappedDecoder(encoding, cap, url)
    body = bytearray()
    raw = 0
    for chunk in response.iter_raw():
        raw += len(chunk)
        if raw > cap:
            raise FetchError(url, f"body larger than {cap:,} bytes; cut off and refused")
        for piece in decoder.feed(chunk):
            body += piece
    body += decoder.flush()
    return bytes(body)


def _send_pinned(
    transport: httpx.BaseTransport,
    target: _Target,
    addresses: Sequence[IPAddress],
    url: str,
    headers: dict[str, str],
    timeout: float,
) -> httpx.Response:
    """Send GET to the checked addresses in turn; the hostname travels only in Host and SNI.

    Requests go to the transport, not through an `httpx.Client`: a client parses every redirect's
    Location even when told not to follow it, and raises `InvalidURL` (no `HTTPError`) for malformed
    ones such as `http:x/y`. Redirects are followed by hand below, so nothing here needs a client.
    """
    last: httpx.ConnectError | None = None
    for ip in addresses:
        request = httpx.Request(
            "GET",
            target.url.copy_with(host=str(ip)),
            headers={**headers, "Host": _host_header(target)},
            extensions={"timeout": httpx.Timeout(timeout).as_dict(), "sni_hostname": target.host},
        )
        try:
            response = transport.handle_request(request)
        except httpx.ConnectError as exc:
            last = exc
            continue
        response.request = request
        return response
    raise FetchError(url, f"could not connect to {target.host}: {last}")


def _next_hop(current: str, location: str, url: str) -> str:
    try:
        return urljoin(current, location.strip())
    except ValueError as exc:  # "Invalid IPv6 URL" and kin: the Location is no URL at all
        raise FetchError(url, f"redirect to a malformed URL {location[:200]!r}: {exc}") from exc


def safe_fetch(url: str, settings: Settings, *, accept: Sequence[str] = ALLOWED_CONTENT_TYPES) -> FetchedPage:
    """GET `url` within every guard in the module docstring; raise FetchError(url, reason) otherwise.

    `accept` narrows the content types taken (each must be in ALLOWED_CONTENT_TYPES to mean anything).
    Each hop (connecting, headers and body) ends within `fetch_timeout` seconds, and within any
    deadline already in force (`talentqa.deadline`), however slowly the server sends.
    """
    ingest = settings.ingest
    timeout = ingest.fetch_timeout
    allowed = tuple(t for t in (a.lower() for a in accept) if t in ALLOWED_CONTENT_TYPES)
    if not allowed:
        raise FetchError(url, "no allowed content type requested")
    headers = {
        "User-Agent": ingest.user_agent,
        "Accept": ", ".join(allowed) + ", */*;q=0.1",
        "Accept-Encoding": "gzip, deflate",
    }
    current = url
    with BoundedTransport(
        # Proxies from the environment would connect on our behalf to an address we never checked.
        trust_env=False,
        verify=_ssl_context(),
        # Connections are pooled by IP: reusing one opened for another hostname (same CDN address)
        # would send this host's request over a TLS session verified for the other name.
        limits=httpx.Limits(max_keepalive_connections=0),
    ) as transport:
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                target = _target(current)
                addresses = resolve_checked(
                    target.host, target.port, allow_private=settings.allow_private_networks
                )
            except FetchError as exc:
                # Name the URL asked for, so a batch reports the input; say where the redirect led.
                hop = "" if current == url else f" (redirected to {current})"
                raise FetchError(url, exc.reason + hop) from exc
            with deadline_after(timeout) as deadline:
                try:
                    response = _send_pinned(transport, target, addresses, url, headers, timeout)
                    try:
                        location = response.headers.get("location")
                        if response.status_code in _REDIRECT_STATUSES and location:
                            current = _next_hop(current, location, url)
                            continue
                        return _accept_response(response, url, current, allowed, ingest.fetch_max_bytes)
                    finally:
                        response.close()
                except httpx.TimeoutException as exc:
                    reason = f"timed out after {timeout:g} s"
                    if deadline is not None and time.monotonic() >= deadline:
                        # Slow dripping never trips a read timeout; the deadline of the whole hop did.
                        reason += f" (the whole request took longer than {timeout:g} s; refused)"
                    else:
                        reason += f" ({type(exc).__name__})"
                    raise FetchError(url, reason) from exc
                except httpx.HTTPError as exc:
                    raise FetchError(url, f"network error: {type(exc).__name__}: {exc}") from exc
                except (httpx.InvalidURL, httpx.StreamError) as exc:
                    # httpx errors outside HTTPError: refused like any other bad response, never raised.
                    raise FetchError(url, f"unusable response: {type(exc).__name__}: {exc}") from exc
    raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")


def _accept_response(
    response: httpx.Response,
    url: str,
    final_url: str,
    allowed: Sequence[str],
    cap: int,
) -> FetchedPage:
    if not 200 <= response.status_code < 300:
        raise FetchError(url, f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
    media, charset = _media_type(response.headers.get("content-type", ""))
    if not media:
        raise FetchError(url, "response has no Content-Type; refused")
    if media not in allowed:
        raise FetchError(url, f"content type {media!r} is not one of {', '.join(allowed)}; refused")
    body = _read_body(response, url, cap)
    return FetchedPage(
        url=url,
        final_url=final_url,
        status=response.status_code,
        content_type=media,
        body=body,
        headers={k.lower(): v for k, v in response.headers.items()},
        charset=charset,
    )
