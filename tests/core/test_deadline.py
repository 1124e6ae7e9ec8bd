"""Deadlines for whole requests: they nest, reach worker threads, and end a real dripping request."""

from __future__ import annotations

import asyncio
import time
from typing import Literal

import httpx
import pytest

from talentqa import deadline
from talentqa.deadline import BoundedTransport, deadline_after, environment_proxy
from tests.dripping import dripping_server


def test_deadlines_nest_and_only_ever_shrink() -> None:
    assert deadline.current() is None
    with deadline_after(10) as outer:
        assert outer is not None and deadline.current() == outer
        with deadline_after(60) as inner:
            assert inner == outer  # a longer one inside a shorter one changes nothing
        with deadline_after(1) as inner:
            assert inner is not None and inner < outer
            left = deadline.remaining()
            assert left is not None and 0 < left <= 1
        with deadline_after(None) as inner:
            assert inner == outer
        assert deadline.current() == outer
    assert deadline.current() is None


@pytest.mark.asyncio
async def test_a_deadline_set_around_a_worker_thread_call_reaches_the_thread() -> None:
    with deadline_after(5) as at:
        seen = await asyncio.to_thread(deadline.current)
    assert seen == at


@pytest.mark.parametrize("mode", ["headers", "body"])
def test_a_bounded_transport_ends_a_dripping_request_at_its_budget(mode: Literal["headers", "body"]) -> None:
    with dripping_server(mode, interval=0.2, lasts=30) as server:
        client = httpx.Client(transport=BoundedTransport(budget=1.0), timeout=10)
        started = time.monotonic()
        with pytest.raises(httpx.TimeoutException):
            client.post(f"{server.base_url}/chat/completions", json={})
        client.close()
    assert time.monotonic() - started < 2.5


def test_an_outer_deadline_bounds_a_transport_without_a_budget() -> None:
    with dripping_server("body", interval=0.2, lasts=30) as server:
        client = httpx.Client(transport=BoundedTransport(), timeout=10)
        started = time.monotonic()
        with deadline_after(1.0), pytest.raises(httpx.TimeoutException):
            client.post(f"{server.base_url}/chat/completions", json={})
        client.close()
    assert time.monotonic() - started < 2.5


def test_without_any_deadline_the_transport_changes_nothing() -> None:
    with dripping_server("body", interval=0.002, lasts=30) as server:
        with httpx.Client(transport=BoundedTransport(), timeout=10) as client:
            response = client.post(f"{server.base_url}/chat/completions", json={})
    assert response.status_code == 200 and response.json()["choices"]


def test_the_environment_proxy_is_found_and_no_proxy_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert environment_proxy("https://api.openai.com/v1") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert environment_proxy("https://api.openai.com/v1") == "http://proxy.internal:3128"
    assert environment_proxy("http://api.example/v1") is None  # no proxy for plain http
    assert environment_proxy("https://127.0.0.1:8080/v1") is None
