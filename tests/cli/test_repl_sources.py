"""The REPL's `:sources [N]` shows the library a page at a time, through `QAService.documents_page`."""

from __future__ import annotations

from rich.console import Console

from talentqa.cli.repl import SOURCES_PER_PAGE, Repl
from tests.fake_service import FakeQAService


def sources(service: FakeQAService, *lines: str) -> str:
    """What the REPL prints for these lines (no prompt: each line handled as typed)."""
    console = Console(record=True, width=160)
    repl = Repl(service, console=console, session=None)
    for line in lines:
        assert repl.handle(line)
    return console.export_text()


def test_sources_shows_the_first_page_with_the_count_and_how_to_see_more() -> None:
    service = FakeQAService(fillers=5_000)
    shown = sources(service, ":sources")
    assert "Articles 1-20 of 5,002 (page 1 of 251)" in shown
    assert "council-budget" in shown and "filler-00018" in shown and "filler-00019" not in shown
    assert ":sources 2 for the next page" in shown
    assert service.paged == [(0, SOURCES_PER_PAGE)] and service.listed == 0  # one page read, not the library


def test_sources_n_shows_page_n_and_the_last_page_says_no_more() -> None:
    service = FakeQAService(fillers=5_000)
    shown = sources(service, ":sources 2", ":sources 251")
    assert "Articles 21-40 of 5,002 (page 2 of 251)" in shown and "filler-00019" in shown
    assert "Articles 5,001-5,002 of 5,002 (page 251 of 251)" in shown and "harbour-works" in shown
    assert ":sources 3 for the next page" in shown and ":sources 252" not in shown
    assert service.paged == [(20, 20), (5_000, 20)] and service.listed == 0


def test_a_page_past_the_end_or_not_a_page_number_is_explained() -> None:
    service = FakeQAService(fillers=0)
    shown = sources(service, ":sources 3", ":sources two", ":sources 0")
    assert "no page 3: 2 articles fill 1 page (:sources 1 is the last)" in shown
    assert shown.count("usage: :sources [N]") == 2
    assert service.paged == [(40, 20)]


def test_help_names_the_page_argument() -> None:
    assert f":sources [N]    list ingested articles, page N ({SOURCES_PER_PAGE} a page)" in sources(
        FakeQAService(), ":help"
    )
