"""safe_fetch refuses every way of reaching a non-public address, and reaches local servers when allowed."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest

from talentqa.errors import FetchError, LoadError
from talentqa.ingest import fetch
from talentqa.ingest.fetch import address_refusal, parse_numeric_ipv4, safe_fetch
from talentqa.ingest.web import load_url
from talentqa.models import Article
from talentqa.settings import Settings

from .localsite import LocalSite, make_settings


def refusal(url: str, settings: Settings) -> str:
    with pytest.raises(FetchError) as info:
        safe_fetch(url, settings)
    assert info.value.source == url
    return info.value.reason


@pytest.mark.parametrize(
    "spelling", ["127.0.0.1", "2130706433", "0x7f000001", "017700000001", "127.1", "0x7f.1"]
)
def test_loopback_in_any_spelling_is_refused_before_connecting(
    site: LocalSite, guarded_settings: Settings, spelling: str
) -> None:
    reason = refusal(f"http://{spelling}:{site.port}/news/ai-researcher", guarded_settings)
    assert "loopback address 127.0.0.1" in reason
    assert "TALENTQA_ALLOW_PRIVATE_NETWORKS" in reason
    assert site.requests == []


def test_hostname_that_resolves_to_loopback_is_refused(site: LocalSite, guarded_settings: Settings) -> None:
    reason = refusal(f"http://localhost:{site.port}/news/ai-researcher", guarded_settings)
    assert "loopback" in reason and "localhost resolves to" in reason
    assert site.requests == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata address 169.254.169.254"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata address"),
        ("http://169.254.10.20/", "link-local"),
        ("http://[::1]/", "loopback address ::1"),
        ("http://[fc00::1]/", "unique-local address fc00::1"),
        ("http://[fd12:3456:789a::1]/", "unique-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[::ffff:127.0.0.1]/", "IPv4-mapped loopback address 127.0.0.1"),
        ("http://[::ffff:10.0.0.1]/", "IPv4-mapped private address 10.0.0.1"),
        ("http://10.0.0.1/", "private address 10.0.0.1"),
        ("http://172.16.5.4/", "private address"),
        ("http://192.168.1.1/", "private address"),
        ("http://0.0.0.0/", "unspecified address"),
        ("http://[::]/", "unspecified address"),
        ("http://224.0.0.1/", "multicast address"),
        ("http://[ff02::1]/", "multicast address"),
        ("http://100.64.0.1/", "non-public address"),
    ],
)
def test_non_public_addresses_are_refused(guarded_settings: Settings, url: str, expected: str) -> None:
    assert expected in refusal(url, guarded_settings)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://ftp.example.com/pub/file.txt",
        "gopher://example.com:70/_GET",
        "javascript:alert(1)",
        "data:text/html,<p>hi</p>",
        "/etc/passwd",
    ],
)
def test_only_http_and_https_are_fetched_even_when_private_networks_are_allowed(
    open_settings: Settings, url: str
) -> None:
    assert "only http and https" in refusal(url, open_settings)


def test_credentials_in_url_are_refused(site: LocalSite, open_settings: Settings) -> None:
    assert "user name or password" in refusal(f"http://trusted.example@127.0.0.1:{site.port}/", open_settings)


def test_every_resolved_address_must_be_public(
    monkeypatch: pytest.MonkeyPatch, guarded_settings: Settings
) -> None:
    answers = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.7")]
    monkeypatch.setattr(fetch, "resolve_host", lambda host, port: answers)
    reason = refusal("http://mixed.example/", guarded_settings)
    assert "private address 10.0.0.7" in reason and "mixed.example resolves to 10.0.0.7" in reason


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("http://127.0.0.1:{port}/news/ai-researcher", "loopback address 127.0.0.1"),
        ("http://2130706433:{port}/news/ai-researcher", "loopback address 127.0.0.1"),
        ("http://localhost:{port}/news/ai-researcher", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[::1]:{port}/", "loopback address ::1"),
        ("file:///etc/passwd", "only http and https"),
    ],
)
def test_redirect_from_public_host_to_private_address_is_refused(
    site: LocalSite,
    guarded_settings: Settings,
    public_alias: Callable[[str], str],
    target: str,
    expected: str,
) -> None:
    start = public_alias("news.example") + "/redirect?to=" + target.format(port=site.port)
    reason = refusal(start, guarded_settings)
    assert expected in reason and "redirected to" in reason
    assert site.paths() == ["/redirect"]  # the first hop was served; the private hop never was


def test_redirect_between_public_pages_is_followed(
    site: LocalSite, guarded_settings: Settings, public_alias: Callable[[str], str]
) -> None:
    base = public_alias("news.example")
    page = safe_fetch(base + "/go/marine", guarded_settings)
    assert page.status == 200
    assert page.final_url == base + "/news/marine-biologist?utm_campaign=go"
    assert site.paths() == ["/go/marine", "/news/marine-biologist"]


def test_redirect_chain_longer_than_five_hops_is_refused(site: LocalSite, open_settings: Settings) -> None:
    assert "more than 5 redirects" in refusal(site.url("/loop"), open_settings)
    assert len(site.requests) == 6


def test_connection_goes_to_the_checked_address_with_hostname_as_host_header(
    monkeypatch: pytest.MonkeyPatch, site: LocalSite, open_settings: Settings
) -> None:
    # intranet.test exists in no DNS: reaching the server proves the request went to the address the
    # resolver returned (and was checked), not to a second lookup made by the HTTP stack.
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[fetch.IPAddress]:
        calls.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(fetch, "resolve_host", resolve)
    page = safe_fetch(f"http://intranet.test:{site.port}/echo-host", open_settings)
    assert page.body.decode() == f"intranet.test:{site.port}"
    assert calls == ["intranet.test"]


def test_private_networks_allowed_by_environment_variable_lets_a_local_article_in(
    monkeypatch: pytest.MonkeyPatch, site: LocalSite
) -> None:
    monkeypatch.setenv("TALENTQA_ALLOW_PRIVATE_NETWORKS", "true")
    settings = Settings(_env_file=None)
    assert settings.allow_private_networks
    results = list(load_url(site.url("/news/ai-researcher"), settings))
    assert len(results) == 1 and isinstance(results[0], Article)


def test_load_url_reports_an_ssrf_refusal_as_a_load_error_instead_of_raising(site: LocalSite) -> None:
    results = list(load_url(site.url("/news/ai-researcher"), make_settings(private=False)))
    assert len(results) == 1 and isinstance(results[0], FetchError) and isinstance(results[0], LoadError)
    assert "loopback" in results[0].reason


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1.2", "10.1.0.2"),
        ("0xA9.0xFE.0xA9.0xFE", "169.254.169.254"),
        ("8.8.8.8", "8.8.8.8"),
    ],
)
def test_numeric_ipv4_spellings_are_read_like_inet_aton(spelling: str, address: str) -> None:
    assert parse_numeric_ipv4(spelling) == ipaddress.IPv4Address(address)


@pytest.mark.parametrize("name", ["example.com", "1.2.3.4.5", "256.1.1.1", "08", "1e3", ""])
def test_names_that_are_not_numbers_are_not_read_as_addresses(name: str) -> None:
    assert parse_numeric_ipv4(name) is None


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None
