"""The pure formatting functions: what users see, and that it always fits Discord's limits."""

from __future__ import annotations

import datetime as dt

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talentqa import errors
from talentqa.bot import limits
from talentqa.bot.cogs.mentions import question_from_mention, thread_name, turns_from_transcript
from talentqa.bot.cogs.sources import library_page
from talentqa.bot.components import answer_view, sources_view, wrong_citation_view
from talentqa.bot.format_answer import (
    SHORTENED_MARKER,
    answer_messages,
    citation_field,
    citations_page,
    page_count,
    passage_messages,
)
from talentqa.bot.format_library import about_embed, documents_page
from talentqa.bot.format_replies import GENERIC_APOLOGY, cooldown_text, error_text
from talentqa.bot.format_text import escape, safe_url, split_text, unescape
from talentqa.dates import parse_since
from talentqa.models import Answer, Citation, DocumentInfo, DocumentPage, ReadFirst

from .conftest import COUNCIL, HARBOUR, FakeQAService, cite


def payload(embeds: list[discord.Embed], view: discord.ui.View | None = None) -> dict[str, object]:
    body: dict[str, object] = {"embeds": [e.to_dict() for e in embeds]}
    if view is not None:
        body["components"] = view.to_components()
    return body


def field_values(embeds: list[discord.Embed]) -> list[str]:
    return [str(f.value) for e in embeds for f in e.fields]


def test_answer_shows_numbered_verbatim_quotes_with_linked_title_and_date() -> None:
    answer = FakeQAService().ask("What did the council approve?")
    [embed] = answer_messages(answer)
    assert embed.title == "What did the council approve?"
    assert [f.name for f in embed.fields] == [
        "[1] Council approves the 2024 budget",
        "[2] Council approves the 2024 budget",
    ]
    first, second = (str(f.value) for f in embed.fields)
    assert first.startswith("> The council approved a budget of 12 million euros after a long debate.\n")
    # The title links to the quote (Citation.link) when there is one, else to the article (url).
    assert (
        "— [Council approves the 2024 budget](https://news.example/council-budget#:~:text=The) · 2024-05-02"
        in first
    )
    assert "— [Council approves the 2024 budget](https://news.example/council-budget) · 2024-05-02" in second
    assert "sources up to 2024-05-02" in str(embed.footer.text)


def test_abstention_says_so_and_lists_related_passages_not_as_an_answer() -> None:
    answer = FakeQAService().ask("something unknown")
    [embed] = answer_messages(answer)
    assert embed.description == "The sources don't say."
    assert [f.name for f in embed.fields] == ["Related 1 Harbour works delayed"]
    assert "Works at the harbour are delayed until autumn." in str(embed.fields[0].value)
    assert "No answer in the library" in str(embed.footer.text)
    assert embed.colour != answer_messages(FakeQAService().ask("council?"))[0].colour


def test_markdown_and_mention_syntax_in_quotes_render_verbatim() -> None:
    quote = "A spokesperson for @everyone at <@&555> and <@777> said *nothing* was decided."
    field = citation_field(cite(1, HARBOUR, quote), number=1)
    assert "\\<@&555>" in field.value and "\\<@777>" in field.value and "\\*nothing\\*" in field.value
    assert unescape(field.value.split("\n")[0][2:]) == quote


@pytest.mark.parametrize(
    "text",
    [
        "[x](https://evil.example) *b* _c_ ~d~ |e| `f` back\\slash <@123> <#9> <t:1:R>",
        "# heading\n- item\n> quote\n1. first",
        "a URL https://ex.com/a_b_c stays clickable_",
    ],
)
def test_escape_is_invisible_once_rendered(text: str) -> None:
    assert unescape(escape(text)) == text


def test_escape_leaves_urls_clickable() -> None:
    assert "https://ex.com/a_b_c" in escape("see https://ex.com/a_b_c now")


def test_quote_too_long_for_a_field_is_shortened_with_an_explicit_marker_naming_show_passage() -> None:
    long_quote = " ".join(f"word{i}" for i in range(400))
    citation = Citation(n=4, doc_id="d", title="T", url="https://x.example", quote=long_quote, start=0, end=9)
    field = citation_field(citation, number=4)
    assert field.shortened
    assert len(field.value) <= limits.EMBED_FIELD_VALUE
    quote_line = field.value.split("\n")[0]
    marker = SHORTENED_MARKER.format(n=4)
    assert quote_line.endswith(marker)
    assert "Show passage 4" in marker
    shown = quote_line[2 : -len(marker)]
    # What is shown is a verbatim prefix of the quote, cut at a word boundary.
    assert long_quote.startswith(shown) and long_quote[len(shown)] == " "


def test_a_quote_that_fits_is_never_shortened() -> None:
    quote = "x" * 900
    field = citation_field(Citation(n=1, doc_id="d", quote=quote, start=0, end=900), number=1)
    assert not field.shortened and quote in field.value


def test_long_answer_is_split_over_messages_never_cut_and_never_inside_a_quote() -> None:
    answer = FakeQAService().ask("a long one")
    embeds = answer_messages(answer)
    assert len(embeds) >= 2
    for embed in embeds:
        assert not limits.violations(payload([embed]))
    shown = " ".join(unescape(e.description or "") for e in embeds if e.description)
    assert " ".join(shown.split()) == " ".join(answer.text.split())
    sentence = "The council approved a budget of 12 million euros after a long debate."
    for embed in embeds:
        if embed.description:
            # Each part holds whole repetitions of the quoted sentence.
            assert unescape(embed.description).strip().replace(sentence, "").strip() == ""


def test_split_text_prefers_paragraphs_then_sentences_and_respects_protected_spans() -> None:
    text = "First paragraph here.\n\nSecond one is longer. It has two sentences."
    assert split_text(text, 30) == ["First paragraph here.", "Second one is longer.", "It has two sentences."]
    protected = [(text.index("Second"), len(text))]
    parts = split_text(text, 50, protected=protected)
    assert parts[-1] == "Second one is longer. It has two sentences."


def test_every_quote_appears_whole_in_exactly_one_field() -> None:
    answer = FakeQAService().ask("council?")
    answer.citations = [cite(i + 1, COUNCIL, "Spending on libraries rises by a fifth.") for i in range(8)]
    seen = []
    for page in range(page_count(answer)):
        seen += field_values([citations_page(answer, page)])
    assert len(seen) == 8
    assert all(v.startswith("> Spending on libraries rises by a fifth.\n") for v in seen)


def test_citations_are_paged_three_at_a_time_with_more_sources_until_the_last_page() -> None:
    answer = FakeQAService().ask("council?")
    answer.citations = [cite(i + 1, COUNCIL, "The city council met on Tuesday.") for i in range(7)]
    first = answer_messages(answer)[-1]
    assert [str(f.name).split()[0] for f in first.fields] == ["[1]", "[2]", "[3]"]
    assert "Sources 1–3 of 7" in str(first.footer.text)
    assert [str(f.name).split()[0] for f in citations_page(answer, 2).fields] == ["[7]"]
    labels = [c.label for c in answer_view("a" * 12, answer, 0).children if isinstance(c, discord.ui.Button)]
    assert labels == [
        "Show passage 1",
        "Show passage 2",
        "Show passage 3",
        "More sources",
        "Helpful",
        "Wrong citation",
    ]
    last = [
        c.label
        for c in answer_view("a" * 12, answer, 2, feedback=False).children
        if isinstance(c, discord.ui.Button)
    ]
    assert last == ["Show passage 7"]


citation_strategy = st.builds(
    Citation,
    n=st.integers(1, 30),
    doc_id=st.text(min_size=1, max_size=300),
    title=st.text(max_size=600),
    url=st.one_of(st.none(), st.just("https://news.example/a(b) c"), st.text(max_size=50)),
    link=st.one_of(st.none(), st.text(max_size=2000).map(lambda s: "https://x.example/#:~:text=" + s)),
    published=st.one_of(st.none(), st.dates()),
    quote=st.text(min_size=1, max_size=3000),
    start=st.just(0),
    end=st.just(1),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=12000),
    citations=st.lists(citation_strategy, max_size=12),
    abstained=st.booleans(),
    question=st.text(max_size=1200),
)
def test_any_answer_renders_within_discord_limits(
    text: str, citations: list[Citation], abstained: bool, question: str
) -> None:
    answer = Answer(
        question=question,
        text=text,
        abstained=abstained,
        citations=[] if abstained else citations,
        related=citations if abstained else [],
        standalone_question=question or None,
        read_first=ReadFirst(
            windows=((dt.date(2023, 1, 1), dt.date(2023, 1, 8)),), outlets=("Harbour Gazette",)
        )
        if question
        else None,
    )
    embeds = answer_messages(answer)
    for i, embed in enumerate(embeds):
        view = answer_view("0" * 12, answer) if i == len(embeds) - 1 else None
        assert limits.violations(payload([embed], view)) == []
    for page in range(page_count(answer)):
        assert (
            limits.violations(payload([citations_page(answer, page)], answer_view("0" * 12, answer, page)))
            == []
        )
    if answer.citations:
        assert limits.violations(payload([], wrong_citation_view("0" * 12, answer))) == []


@settings(max_examples=40, deadline=None)
@given(before=st.text(max_size=5000), quote=st.text(min_size=1, max_size=5000), after=st.text(max_size=5000))
def test_any_passage_renders_within_limits_and_contains_the_whole_quote(
    before: str, quote: str, after: str
) -> None:
    citation = Citation(
        n=1, doc_id="d", title="T", quote=quote, start=len(before), end=len(before) + len(quote)
    )
    embeds = passage_messages(citation, before + quote + after, number=1)
    for embed in embeds:
        assert limits.violations(payload([embed])) == []
    shown = "".join(unescape(e.description or "").replace("**", "") for e in embeds)
    assert "".join(quote.replace("**", "").split()) in "".join(shown.split())


def test_passage_shows_the_paragraph_with_the_quote_in_bold() -> None:
    quote = "Spending on libraries rises by a fifth."
    citation = cite(2, COUNCIL, quote)
    paragraph = FakeQAService().passage(COUNCIL.doc_id, citation.start, citation.end)
    [embed] = passage_messages(citation, paragraph, number=2)
    assert embed.title == "[2] Council approves the 2024 budget"
    assert f"**{quote}**" in str(embed.description)
    assert "The council approved a budget" in str(embed.description)


def test_limit_checker_catches_each_kind_of_overflow() -> None:
    too_long = discord.Embed(title="t" * 300, description="d" * 4100)
    for _ in range(26):
        too_long.add_field(name="n", value="v" * 1100)
    problems = limits.violations({"content": "c" * 2001, "embeds": [too_long.to_dict()]})
    joined = "\n".join(problems)
    for needle in ("content", "title", "description", "26 fields", "field 0 value", "together"):
        assert needle in joined


def test_documents_page_lists_ten_per_page_and_clamps_the_page() -> None:
    service = FakeQAService()
    embed, page, pages = documents_page(library_page(service, 0))
    assert (page, pages) == (0, 3)
    assert str(embed.description).count("• ") == 10
    assert "[Council approves the 2024 budget](https://news.example/council-budget) · 2024-05-02" in str(
        embed.description
    )
    assert "25 articles · 27 passages" in str(embed.footer.text)
    embed, page, _ = documents_page(library_page(service, 99))
    assert page == 2 and str(embed.description).count("• ") == 5
    assert documents_page(DocumentPage())[0].description == "Nothing is ingested yet."
    ids = [c.custom_id for c in sources_view(0, 3).children if isinstance(c, discord.ui.Button)]
    assert len(set(ids)) == 2


def test_a_page_of_a_large_library_reads_only_that_page_and_counts_the_rest() -> None:
    service = FakeQAService(fillers=15_000)
    embed, page, pages = documents_page(library_page(service, 4))
    assert (page, pages) == (4, 1_501)
    assert service.paged == [(40, 10)] and service.listed == 0
    lines = str(embed.description).split("• ")[1:]
    assert len(lines) == 10 and "filler-00039" in lines[0]  # the 41st article in id order
    assert str(embed.footer.text) == "Page 5 of 1,501 · 15,002 articles · 15,004 passages"
    service.paged.clear()
    _, page, _ = documents_page(library_page(service, 2_000))  # past the end: the last page
    assert page == 1_500 and service.paged == [(20_000, 10), (15_000, 10)]


def test_about_lists_version_model_store_and_corpus_size() -> None:
    embed = about_embed(FakeQAService().about(), extra={"bot": {"mentions": "on"}})
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Version"] == "0.1.0"
    assert fields["Model"] == "fake-hash-64"
    assert fields["Store"] == "/tmp/vectorstore"
    assert fields["Documents"] == "25" and fields["Chunks"] == "27"
    assert fields["Bot.mentions"] == "on"
    assert [f.name for f in embed.fields][:2] == ["Version", "Answerer"]


def test_known_errors_get_a_short_specific_reply_and_others_a_generic_apology() -> None:
    assert (
        error_text(errors.QuestionError("the question is empty"))
        == "I can't answer that: the question is empty"
    )
    store = error_text(errors.StoreError("chroma at /srv/secret is locked"))
    assert "unavailable" in store and "/srv/secret" not in store
    assert error_text(errors.AnswerError("llm down")).startswith("The answerer failed")
    assert error_text(RuntimeError("/srv/secret")) == GENERIC_APOLOGY
    empty = error_text(errors.EmptyStoreError("nothing is ingested yet in the store /srv/secret"))
    assert "Nothing has been added" in empty and "/srv/secret" not in empty
    assert "too long" in error_text(TimeoutError())
    assert all(
        len(error_text(e)) <= 300
        for e in (errors.QuestionError("x" * 5000), errors.TalentQAError("y" * 5000))
    )


def test_cooldown_text_says_when_to_retry_in_whole_seconds() -> None:
    assert cooldown_text(2.1) == "You're asking quickly. Please try again in 3 s."
    assert cooldown_text(0.01).endswith("in 1 s.")


def test_since_accepts_dates_and_spans_and_explains_bad_input() -> None:
    today = dt.date(2024, 5, 31)
    assert parse_since("2024-05-01", today=today) == dt.date(2024, 5, 1)
    assert parse_since("2024-05", today=today) == dt.date(2024, 5, 1)
    assert parse_since("2023", today=today) == dt.date(2023, 1, 1)
    assert parse_since("30d", today=today) == dt.date(2024, 5, 1)
    assert parse_since("2w", today=today) == dt.date(2024, 5, 17)
    with pytest.raises(ValueError, match="is not a date"):
        parse_since("last tuesday", today=today)


def test_mention_is_stripped_from_the_question_and_thread_names_fit() -> None:
    assert (
        question_from_mention("<@42> what  happened\nat the harbour? <@!42>", 42)
        == "what happened at the harbour?"
    )
    assert question_from_mention("<@42>", 42) == ""
    assert question_from_mention("<@43> hi", 42) == "<@43> hi"
    name = thread_name("why " * 100)
    assert len(name) == limits.THREAD_NAME and name.endswith("…")


def test_transcript_becomes_alternating_turns_oldest_first() -> None:
    turns = turns_from_transcript(
        [(False, "q1"), (True, "a1"), (True, "a1 continued"), (False, ""), (False, "q2")]
    )
    assert [(t.role, t.content) for t in turns] == [
        ("user", "q1"),
        ("assistant", "a1\na1 continued"),
        ("user", "q2"),
    ]
    assert len(turns_from_transcript([(i % 2 == 0, str(i)) for i in range(30)], max_turns=10)) == 10


def test_only_plain_http_links_are_linked_and_they_cannot_break_the_markdown() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://x.example/a (b)") == "https://x.example/a%20%28b%29"
    assert safe_url("https://x.example/" + "a" * 600) is None
    doc = DocumentInfo(doc_id="d", title="T", url="ftp://x")
    assert "ftp" not in str(documents_page(DocumentPage(documents=[doc], total=1))[0].description)


def test_citations_keep_the_numbers_the_answer_text_uses() -> None:
    answer = FakeQAService().ask("council?")
    answer.citations[1] = answer.citations[1].model_copy(update={"n": 3})  # the answerer skipped [2]
    [embed] = answer_messages(answer)
    assert [str(f.name).split()[0] for f in embed.fields] == ["[1]", "[3]"]
    labels = [c.label for c in answer_view("a" * 12, answer).children if isinstance(c, discord.ui.Button)]
    assert labels[:2] == ["Show passage 1", "Show passage 3"]


def test_a_very_long_link_is_dropped_so_the_quote_keeps_its_room() -> None:
    citation = cite(1, COUNCIL, "The city council met on Tuesday.").model_copy(
        update={"link": "https://news.example/" + "a" * 450, "url": "https://news.example/short"}
    )
    field = citation_field(citation, number=1)
    assert field.value.endswith("](https://news.example/short) · 2024-05-02")
    no_url = citation.model_copy(update={"url": None})
    assert citation_field(no_url, number=1).value.endswith("— Council approves the 2024 budget · 2024-05-02")


def test_an_answer_read_from_the_questions_own_week_says_so_in_the_footer() -> None:
    answer = FakeQAService().ask("What did the council approve this week?")
    answer.read_first = ReadFirst(windows=((dt.date(2024, 4, 26), dt.date(2024, 5, 3)),))
    [embed] = answer_messages(answer)
    assert "Read first: articles published 2024-04-26 to 2024-05-03" in str(embed.footer.text)
    assert "Read first" not in str(answer_messages(FakeQAService().ask("council?"))[0].footer.text)


def test_the_line_under_a_quote_names_the_outlet_before_the_date() -> None:
    answer = FakeQAService().ask("What did the council approve?")
    first = answer.citations[0].model_copy(update={"outlet": "Harbour *Gazette*"})
    value = str(citation_field(first, number=1).value)
    assert value.endswith(" · Harbour \\*Gazette\\* · 2024-05-02")  # escaped: a name is not markup


def test_the_library_lists_each_articles_outlet_before_its_date() -> None:
    doc = DocumentInfo(
        doc_id="budget",
        title="Budget passes",
        outlet="Harbour Gazette",
        published=dt.date(2024, 5, 2),
        chunks=3,
    )
    embed, _, _ = documents_page(DocumentPage(documents=[doc], total=1, chunks=3))
    assert "Budget passes · Harbour Gazette · 2024-05-02 · 3 passages" in str(embed.description)
