"""File and URL ingest share one HTML and one PDF extractor (issue 14): an ad block inside <article> is
not stored, a PDF's wrapped lines are joined before chunking, and only a declared publication date is
`published`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from talentqa.errors import LoadError
from talentqa.ingest.chunking import chunk_article
from talentqa.ingest.extract import join_wrapped_lines
from talentqa.ingest.loaders import load_file
from talentqa.ingest.web import load_url
from talentqa.models import Article
from talentqa.settings import IngestSettings, Settings
from tests.ingest.conftest import Pages
from tests.ingest.pdfs import make_pdf, xmp_packet

SETTINGS = Settings(_env_file=None, allow_private_networks=True, ingest=IngestSettings(fetch_timeout=5.0))

BODY = (
    "The city council approved the new school budget on Tuesday after a long debate about teacher pay "
    "and class sizes in the northern district."
)
ADS = {
    "WatchWorld": '<div class="ad"><p>Buy cheap watches at WatchWorld, the best in town.</p></div>',
    "LoanFast": '<div class="advertisement"><p>Advertisement</p>'
    "<p>Sponsored: get a loan in five minutes with LoanFast, no credit checks at all.</p></div>",
    "SunAir": '<div id="ad-slot-3" data-ad-slot="33"><p>Holiday deals on flights with SunAir.</p></div>',
    "Chef Rossi": "<aside><p>Related: Chef Rossi opens a new restaurant downtown.</p></aside>",
    "Advertisement": '<p class="label">Advertisement</p>',
}
PAGE = f"""<!doctype html><html><head><title>Budget passes</title>
<meta name="date" content="2024-03-04"></head><body><nav>Home News Sport</nav>
<article><h1>Budget passes</h1>
<p>{BODY}</p>{ADS["WatchWorld"]}
<p>{BODY.replace("city council", "mayor")}</p>{ADS["Chef Rossi"]}{ADS["LoanFast"]}{ADS["Advertisement"]}
<p>{BODY.replace("city council", "school board")} The shadow budget and the address to the head
of the board were read aloud.</p>{ADS["SunAir"]}
</article><footer>All rights reserved</footer></body></html>"""


def _one(results: object) -> Article:
    items = list(results)  # type: ignore[call-overload]
    assert len(items) == 1 and isinstance(items[0], Article), items
    return items[0]


def test_an_ad_block_inside_the_article_is_stored_neither_from_a_file_nor_from_a_url(
    tmp_path: Path, serve: Callable[[Pages], str]
) -> None:
    path = tmp_path / "budget.html"
    path.write_text(PAGE)
    base = serve({"/budget": ("text/html; charset=utf-8", PAGE.encode())})
    from_file = _one(load_file(path, SETTINGS))
    from_url = _one(load_url(f"{base}/budget", SETTINGS))
    for article in (from_file, from_url):
        for ad in ADS:
            assert ad not in article.text, (ad, article.text)
        assert "Sponsored" not in article.text
        # The article's own words stay, "ad" words inside ordinary words too.
        assert BODY in article.text
        assert "The shadow budget and the address to the head of the board were read aloud." in article.text
        assert article.published == dt.date(2024, 3, 4)
    # One extractor: the same page gives the same stored text however it arrives.
    assert from_file.text == from_url.text


# --- PDF ------------------------------------------------------------------------------------------------

# As a typesetter sets it: about 70 characters a line, words hyphenated at line ends, a short last line
# per paragraph, a heading.
PARAGRAPHS = [
    ["Universities brace for fewer students"],
    [
        "The council said on Monday that inter-",
        "national students would pay the same fees as local students from next",
        "autumn, a change that universities have asked for since the Franco-",
        "German exchange programme began more than ten years ago in the north.",
        "It will cost four million a year.",
    ],
    [
        "Critics said the plan came too late for the students who left the city",
        "for other universities during the last three years of higher fees and",
        "fewer places in the sciences.",
    ],
]
SENTENCE = (
    "The council said on Monday that international students would pay the same fees as local students "
    "from next autumn, a change that universities have asked for since the Franco-German exchange "
    "programme began more than ten years ago in the north."
)


def _report_pdf(**kwargs: object) -> bytes:
    return make_pdf([PARAGRAPHS, [["Page two holds one more sentence about the fees."]]], **kwargs)  # type: ignore[arg-type]


def test_pdf_wrapped_lines_are_joined_so_a_quote_spans_them_and_offsets_stay_exact(
    tmp_path: Path, serve: Callable[[Pages], str]
) -> None:
    path = tmp_path / "fees.pdf"
    pdf = _report_pdf(info={"Title": "Fees", "CreationDate": "D:20250109100000Z"})
    path.write_bytes(pdf)
    article = _one(load_file(path, SETTINGS))
    assert SENTENCE in article.text, article.text
    assert "inter- national" not in article.text and "inter-\n" not in article.text
    # Paragraph breaks stay: the heading, each paragraph and each page start on their own.
    assert article.text.split("\n\n") == [
        "Universities brace for fewer students",
        SENTENCE + " It will cost four million a year.",
        "Critics said the plan came too late for the students who left the city for other universities "
        "during the last three years of higher fees and fewer places in the sciences.",
        "Page two holds one more sentence about the fees.",
    ]
    chunks = chunk_article(article, SETTINGS.chunking)
    assert chunks and all(article.text[c.start : c.end] == c.text for c in chunks)
    assert any(SENTENCE in c.text for c in chunks)
    # URL ingest reads a PDF with the same extractor.
    base = serve({"/fees.pdf": ("application/pdf", pdf)})
    assert _one(load_url(f"{base}/fees.pdf", SETTINGS)).text == article.text


def test_a_pdf_creation_date_is_not_its_publication_date(
    tmp_path: Path, serve: Callable[[Pages], str]
) -> None:
    made = _report_pdf(info={"CreationDate": "D:20250109100000Z", "ModDate": "D:20250110100000Z"})
    dated = _report_pdf(
        info={"CreationDate": "D:20250109100000Z"}, xmp=xmp_packet(publicationDate="2024-03-01")
    )
    (tmp_path / "made.pdf").write_bytes(made)
    (tmp_path / "dated.pdf").write_bytes(dated)
    base = serve({"/made.pdf": ("application/pdf", made), "/dated.pdf": ("application/pdf", dated)})
    assert _one(load_file(tmp_path / "made.pdf", SETTINGS)).published is None
    assert _one(load_url(f"{base}/made.pdf", SETTINGS)).published is None
    assert _one(load_file(tmp_path / "dated.pdf", SETTINGS)).published == dt.date(2024, 3, 1)
    assert _one(load_url(f"{base}/dated.pdf", SETTINGS)).published == dt.date(2024, 3, 1)


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("inter-\nnational", "international"),
        ("Franco-\nGerman", "Franco-German"),
        ("a dash -\nand more", "a dash - and more"),
        ("one line\nand the next", "one line and the next"),
        (
            "first paragraph\nends here.\n\nSecond paragraph\nstarts here.",
            "first paragraph ends here.\n\nSecond paragraph starts here.",
        ),
        ("  spaced  \n\n\n\n  out  ", "spaced\n\nout"),
    ],
)
def test_join_wrapped_lines(text: str, joined: str) -> None:
    assert join_wrapped_lines(text) == joined


def test_a_broken_pdf_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n this is not really a pdf \x00\x01")
    [result] = list(load_file(path, SETTINGS))
    assert isinstance(result, LoadError) and "PDF" in result.reason
