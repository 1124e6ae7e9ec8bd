"""Fixtures of the web-ingest tests: the local site, settings, and a pinned "public" hostname."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator

import pytest

from talentqa.ingest import fetch
from talentqa.settings import Settings

from .localsite import LocalSite, make_settings, running_site


@pytest.fixture(scope="session")
def site() -> Iterator[LocalSite]:
    with running_site() as local:
        yield local


@pytest.fixture(autouse=True)
def _clear_log(site: LocalSite) -> None:
    site.requests.clear()


@pytest.fixture
def open_settings() -> Settings:
    """Private networks allowed: how tests and intranet users reach a local server."""
    return make_settings(private=True)


@pytest.fixture
def guarded_settings() -> Settings:
    """The default: private networks refused."""
    return make_settings(private=False)


@pytest.fixture
def public_alias(monkeypatch: pytest.MonkeyPatch, site: LocalSite) -> Callable[[str], str]:
    """Pretend a hostname is a public site that lives on the local server.

    Replaces the resolve-and-check seam for that hostname only; every other host (and every redirect
    hop to one) still goes through the real check, so a hop to 127.0.0.1 is refused.
    """
    real = fetch.resolve_checked
    aliases: set[str] = set()

    def resolve(host: str, port: int, *, allow_private: bool) -> list[fetch.IPAddress]:
        if host in aliases:
            return [ipaddress.ip_address("127.0.0.1")]
        return real(host, port, allow_private=allow_private)

    monkeypatch.setattr(fetch, "resolve_checked", resolve)

    def alias(hostname: str) -> str:
        aliases.add(hostname)
        return f"http://{hostname}:{site.port}"

    return alias
