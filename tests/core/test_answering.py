"""Retrieval, quote verification and the extractive answerer, on the real model and a real store."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console
from typer.testing import CliRunner

from talentqa.answer.citations import locate_quote, paragraph_around, text_fragment_link
from talentqa.answer.reading import ReadingAnswerer
from talentqa.app import TalentQA
from talentqa.cli import app
from talentqa.cli.repl import Repl
from talentqa.embeddings import Embedder
from talentqa.errors import QuestionError
from talentqa.models import Answer, ReadFirst
from talentqa.reading.model import ReaderOutput
from talentqa.retrieval import Filters, Passage, diversify, fuse, keyword_best
from talentqa.settings import RetrievalSettings, Settings
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def sample_qa(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Iterator[TalentQA]:
    settings = Settings(store=tmp_path_factory.mktemp("answers") / "vs")
    with TalentQA.open(settings, embedder=real_embedder) as qa:
        report = qa.ingest_sources([str(SAMPLES)])
        assert report.summary()["added"] == 3
        yield qa


def assert_verbatim(qa: TalentQA, citations: list) -> None:  # type: ignore[type-arg]
    for citation in citations:
        assert qa.store.text(citation.doc_id)[citation.start : citation.end] == citation.quote


def test_answer_quotes_the_sentence_holding_the_fact(sample_qa: TalentQA) -> None:
    answer = sample_qa.ask("Who went back to China to work at DeepSeek after an Nvidia internship?")
    assert not answer.abstained
    assert "Zizheng Pan" in answer.citations[0].quote
    assert_verbatim(sample_qa, answer.citations)
    assert answer.citations[0].link and "#:~:text=" in answer.citations[0].link
    assert answer.as_of is not None and "as of" in answer.text


def test_question_the_sources_do_not_answer_abstains_with_related(sample_qa: TalentQA) -> None:
    answer = sample_qa.ask("What is the boiling point of liquid nitrogen in kelvin?")
    assert answer.abstained
    assert answer.citations == []
    assert answer.related
    assert_verbatim(sample_qa, answer.related)


def test_what_a_named_source_found_is_answered_with_its_finding(sample_qa: TalentQA) -> None:
    # The shipped reader alone abstained here (0.23), listing this very sentence as related.
    answer = sample_qa.ask("What did MacroPolo find?")
    assert not answer.abstained and answer.short_answer is None
    assert answer.citations[0].quote.startswith("A 2023 report by MacroPolo")
    assert_verbatim(sample_qa, answer.citations)
    # Nobody in the samples is named Lisa Wong: the reader decides, and finds nothing she said.
    assert sample_qa.ask("What did Lisa Wong say about the China Initiative?").abstained


def test_a_sum_of_money_the_samples_never_give_is_not_answered_with_a_count(sample_qa: TalentQA) -> None:
    # The shipped reader is sure (0.985) of "roughly 1,250 returnees among the fund's grantees".
    answer = sample_qa.ask("How much does each fund grantee receive?")
    assert answer.abstained and answer.related


def test_source_and_date_filters_restrict_the_evidence(sample_qa: TalentQA) -> None:
    only = "china-initiative-aftermath"
    answer = sample_qa.ask("Where did the returning scientists come from?", sources=[only])
    assert {c.doc_id for c in answer.citations + answer.related} <= {only}
    retrieved = sample_qa.retriever.retrieve(
        "returning scientists", 10, Filters(since=__import__("datetime").date(2025, 2, 19))
    )
    assert retrieved.passages
    assert all(
        p.chunk.published and p.chunk.published.isoformat() >= "2025-02-19" for p in retrieved.passages
    )


def test_langchain_retriever_is_a_runnable(sample_qa: TalentQA) -> None:
    retriever = sample_qa.langchain_retriever(k=2)
    docs = retriever.invoke("DeepSeek hiring graduates")
    assert 1 <= len(docs) <= 3  # k, and the keyword search's best passage where fusion left it out
    assert {"doc_id", "start", "end", "title"} <= set(docs[0].metadata)
    batch = retriever.batch(["visa worries", "Feng Tao lawsuit"])
    assert len(batch) == 2 and all(batch)


def test_empty_and_overlong_questions_are_refused(sample_qa: TalentQA) -> None:
    with pytest.raises(QuestionError, match="empty"):
        sample_qa.ask("   \n ")
    with pytest.raises(QuestionError, match="too long"):
        sample_qa.ask("why " * 300)


def _passage(doc: str, n: int = 0, published: dt.date | None = None) -> Passage:
    """A one-character passage `doc{n}` of article `doc`: where only ids, articles and dates matter."""
    from talentqa.models import Chunk

    chunk = Chunk(id=f"{doc}{n}", doc_id=doc, n=n, start=0, end=1, text="x", published=published)
    return Passage(chunk, 1.0)


def test_fusion_weights_and_diversity_cap() -> None:
    dense = [("a", 0.9), ("b", 0.8), ("c", 0.7)]
    keyword = [("c", 9.0), ("d", 5.0)]
    fused = fuse(dense, keyword, RetrievalSettings(dense_weight=1.0, keyword_weight=1.0, rrf_k=60))
    assert fused[0][0] == "c"  # found by both lists
    dense_only = fuse(dense, keyword, RetrievalSettings(dense_weight=1.0, keyword_weight=0.0))
    assert [cid for cid, *_ in dense_only][:3] == ["a", "b", "c"]

    ranked = [_passage("long", i) for i in range(6)] + [_passage("other", 0)]
    top = diversify(ranked, 4, max_per_doc=2)
    assert [p.chunk.doc_id for p in top] == ["long", "long", "other", "long"]


def test_the_keyword_searchs_best_passage_is_read_when_fusion_leaves_it_out() -> None:
    day = dt.date(2024, 5, 1)
    candidates = [
        _passage("a", published=day),
        _passage("b", published=day),
        _passage("rare"),
        _passage("rare-dated", published=day),
    ]
    top = candidates[:2]
    assert keyword_best(candidates, top, "rare0", ReadFirst()) is candidates[2]
    assert keyword_best(candidates, top, "a0", ReadFirst()) is None  # already read
    assert keyword_best(candidates, top, "gone0", ReadFirst()) is None  # not among the candidates
    # A question naming a day reads that day's passages first: the extra one must be of the day too.
    named = ReadFirst(days=(day,))
    assert keyword_best(candidates, top, "rare0", named) is None
    assert keyword_best(candidates, top, "rare-dated0", named) is candidates[3]


def test_a_rare_name_the_dense_search_misses_is_still_read_and_answers(
    tmp_path: Path, real_embedder: Embedder
) -> None:
    records = tmp_path / "harbour.jsonl"
    boats = [
        "Sailors often name their boats after family members or favourite places.",
        "Choosing a name for a new boat is a tradition many owners take seriously.",
        "Boat names painted on the stern must be registered with the harbour office.",
        "Some owners rename a boat they buy, though old sailors call it bad luck.",
        "The most popular boat names this year were taken from songs and films.",
        "A boat's name is chosen before its launch and blessed at a small ceremony.",
    ]
    budget = (
        "The council's budget raises the harbour tax by a fifth and cuts grants to three ferry lines. "
        "Councillors argued for hours about the cost of dredging and new lighting on the pier. "
        "Quorvath Ellisande, who keeps the Marigold at the east quay, spoke against the tax. "
        "The vote passed by nine to four, and the new rates apply from April."
    )
    rows = [{"id": f"boats{i}", "title": "Boats", "text": t} for i, t in enumerate(boats)]
    rows.append({"id": "budget", "title": "Harbour budget", "text": budget})
    records.write_text("".join(json.dumps(r) + "\n" for r in rows))
    # The article about boats in general is what the dense search ranks first; only the keyword search
    # puts the budget story, the one passage naming Quorvath Ellisande, first.
    question = "Which boat does Quorvath Ellisande keep?"
    plain = RetrievalSettings(k=3, keyword_slot=False)
    settings = Settings(store=tmp_path / "vs", retrieval=plain)
    with TalentQA.open(settings, embedder=real_embedder) as qa:
        qa.ingest_sources([str(records)])
        assert "budget" not in [p.chunk.doc_id for p in qa.retrieve(question, k=3)]
    slotted = settings.model_copy(update={"retrieval": plain.model_copy(update={"keyword_slot": True})})
    with TalentQA.open(slotted, embedder=real_embedder) as qa:
        passages = qa.retrieve(question, k=3)
        assert len(passages) == 4 and passages[-1].chunk.doc_id == "budget"
        assert passages[-1].keyword_rank == 1
        answer = qa.ask(question)
        assert not answer.abstained and "Marigold" in answer.citations[0].quote
        assert_verbatim(qa, answer.citations)


def test_locate_quote_exact_folded_fuzzy_and_invented() -> None:
    text = "He said the lab was \u201cdeeply motivated\u201d \u2014 and hired 1,250 people in 2023."
    exact = locate_quote(text, "hired 1,250 people")
    assert exact and text[exact.start : exact.end] == "hired 1,250 people"
    folded = locate_quote(text, 'the lab was "deeply   motivated" - and')
    assert folded and text[folded.start : folded.end] == "the lab was \u201cdeeply motivated\u201d \u2014 and"
    fuzzy = locate_quote(text, "and hired 1,250 peple in 2023")
    assert fuzzy and not fuzzy.exact and text[fuzzy.start : fuzzy.end].startswith("and hired 1,250")
    assert locate_quote(text, "the lab fired everyone in 1999 for no reason") is None


def test_text_fragment_link_encodes_syntax_characters() -> None:
    link = text_fragment_link(
        "https://n.example/a#top", "Smith-Jones, the chair & dean, said the rules changed today"
    )
    assert link is not None
    assert (
        link
        == "https://n.example/a#:~:text=Smith%2DJones%2C%20the%20chair%20%26,the%20rules%20changed%20today"
    )
    assert text_fragment_link(None, "x") is None


def test_passage_is_the_paragraph_around_a_span() -> None:
    text = "First para.\nSecond para holds the quote here.\nThird para."
    start = text.index("quote")
    assert paragraph_around(text, start, start + 5) == "Second para holds the quote here."


@pytest.mark.parametrize("value", ["nan", "-5", "1.5", "[x]"])
def test_an_invalid_threshold_is_one_line_and_exit_status_2(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALENTQA_ANSWER__ABSTAIN_THRESHOLD", value)
    result = CliRunner().invoke(app, ["ask", "Who?"])
    assert result.exit_code == 2
    assert "TALENTQA_ANSWER__ABSTAIN_THRESHOLD" in result.output and "Traceback" not in result.output


def test_ask_cli_prints_json_answer_and_rejects_empty_question(tmp_path: Path) -> None:
    runner = CliRunner()
    store = str(tmp_path / "vs")
    assert runner.invoke(app, ["ingest", str(SAMPLES), "--store", store]).exit_code == 0
    # Worded so the answer sentence leads by a wide margin with every backend ("...did Feng Tao sue?" put
    # it within 1% of the cut for a second quote, so its presence depended on int8 rounding).
    question = "Which university did Feng Tao file a lawsuit against?"
    result = runner.invoke(app, ["ask", question, "--json", "--store", store])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert not answer["abstained"]
    assert any("University of Kansas" in c["quote"] for c in answer["citations"])
    bad = runner.invoke(app, ["ask", "   ", "--store", store])
    assert bad.exit_code == 2
    assert "empty" in bad.output


def test_repl_answers_follows_up_and_obeys_commands(sample_qa: TalentQA) -> None:
    console = Console(record=True, width=120)
    script = (
        "\n".join(
            [
                ":help",
                ":k 3",
                ":k zero",
                ":sources",
                "Which think tank published the 2023 report on AI talent?",
                "Where is it based?",
                ":llm maybe",
                ":bogus",
                ":quit",
                "never reached",
            ]
        )
        + "\n"
    )
    with create_pipe_input() as pipe:
        pipe.send_text(script)
        session: PromptSession[str] = PromptSession(input=pipe, output=DummyOutput())
        repl = Repl(sample_qa, console=console, session=session)
        repl.run()
    shown = console.export_text()
    assert ":sources" in shown and "k = 3" in shown and "usage:" in shown
    assert "Articles 1-3 of 3 (page 1 of 1)" in shown
    assert "MacroPolo" in shown
    assert "unknown command" in shown
    assert repl.k == 3
    assert len(repl.turns) == 4  # two questions, two answers
    # The follow-up is remembered as asked; the rewrite that carried the subject was shown, not stored.
    assert repl.turns[2].content == "Where is it based?"
    assert "understood as" in shown


class RecordingService(TalentQA):
    """The real service (its store, model and caches), keeping every answer the REPL got."""

    def __init__(self, qa: TalentQA) -> None:
        self.__dict__.update(qa.__dict__)
        self.answers: list[Answer] = []

    def ask(self, question: str, **kwargs: Any) -> Answer:
        answer = super().ask(question, **kwargs)
        self.answers.append(answer)
        return answer


def test_a_scripted_conversation_that_changes_topic_is_not_dragged_back(sample_qa: TalentQA) -> None:
    script = [
        "Which think tank published the 2023 report on AI talent?",
        "Where is it based?",
        "Which university did Feng Tao file a lawsuit against?",
        "When did he file it?",
    ]
    service = RecordingService(sample_qa)
    with create_pipe_input() as pipe:
        pipe.send_text("\n".join(script) + "\n:quit\n")
        session: PromptSession[str] = PromptSession(input=pipe, output=DummyOutput())
        Repl(service, console=Console(record=True), session=session).run()
    first, follow_up, new_topic, second_follow_up = service.answers
    assert first.standalone_question is None
    assert follow_up.standalone_question and "Which think tank" not in follow_up.standalone_question
    assert "MacroPolo" in follow_up.standalone_question or "AI" in follow_up.standalone_question
    # A question naming its own subject starts afresh, and is answered from its own article.
    assert new_topic.standalone_question is None
    assert any("University of Kansas" in c.quote for c in new_topic.citations)
    # The next follow-up leans on the new topic only: nothing of the first conversation comes back.
    assert second_follow_up.standalone_question == "When did Feng Tao file it?"
    assert all("think tank" not in (a.standalone_question or "") for a in service.answers[2:])


NEAR_MISS_ARTICLES = {
    "acme.md": "# Acme Robotics grows\n\nAcme Robotics reported record revenue this year. The company now "
    "employs 1,200 engineers at its plant in Ohio, its chief executive said on Monday.\n",
    "helios.md": "# A battery startup\n\nHelios Labs, a startup founded by Mira Okafor in 2019, builds "
    "solid-state batteries. Okafor said the company is hiring and plans to open a second lab.\n",
    "harbour.md": "# Harbour works\n\nThe harbour works were delayed by storms. The council said repairs to "
    "the quay would cost more than planned and finish next spring.\n",
}


@pytest.fixture(scope="module")
def near_miss_qa(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Iterator[TalentQA]:
    folder = tmp_path_factory.mktemp("near-miss")
    for name, text in NEAR_MISS_ARTICLES.items():
        (folder / name).write_text(text)
    with TalentQA.open(Settings(store=folder / "vs"), embedder=real_embedder) as qa:
        qa.ingest_sources([str(folder)])
        yield qa


def test_a_count_of_one_organisation_does_not_answer_for_another(near_miss_qa: TalentQA) -> None:
    answered = near_miss_qa.ask("How many engineers does Acme Robotics employ?")
    assert not answered.abstained and "1,200" in answered.citations[0].quote
    # Helios is named without a count, and the count belongs to Acme: the sources don't say.
    missing = near_miss_qa.ask("How many engineers does Helios Labs employ?")
    assert missing.abstained, missing.citations
    assert missing.related
    assert_verbatim(near_miss_qa, missing.related)


@pytest.mark.parametrize(
    ("asked", "meant"),
    [
        (
            "Which university did Feng Tao sue at \u0397arvard?",
            "Which university did Feng Tao sue at Harvard?",
        ),
        ("Who is Zi\u200bzheng Pan?", "Who is Zizheng Pan?"),
        ("What did the Cafe\u0301 say?", "What did the Caf\u00e9 say?"),
        ("Where is \u202eDeepSeek\u202c based?", "Where is DeepSeek based?"),
        ("Что такое DeepSeek?", "Что такое DeepSeek?"),  # a word wholly in another script stays
        ("\uff37ho   sued?", "Who sued?"),
    ],
)
def test_questions_are_normalised_as_stored_text_is(asked: str, meant: str) -> None:
    from talentqa.app import check_question

    assert check_question(asked, 1000) == meant


def test_article_text_that_looks_like_markup_is_shown_as_text(tmp_path: Path) -> None:
    article = tmp_path / "odd.md"
    article.write_text(
        "---\nid: odd[/x]\ntitle: Lab [/oops] news [bold]\nurl: https://n.example/a[0]\n---\n"
        "The harbour lab [/b] hired forty engineers in March, its director said.\n"
    )
    runner = CliRunner()
    store = str(tmp_path / "vs")
    ingested = runner.invoke(app, ["ingest", str(article), "--store", store])
    assert ingested.exit_code == 0, ingested.output
    assert "Lab [/oops] news [bold]" in ingested.output
    listed = runner.invoke(app, ["sources", "list", "--store", store])
    assert listed.exit_code == 0 and "[/oops]" in listed.output, listed.output
    shown = runner.invoke(app, ["sources", "show", "odd[/x]", "--store", store])
    assert shown.exit_code == 0 and "a[0]" in shown.output, shown.output
    asked = runner.invoke(app, ["ask", "How many engineers did the harbour lab hire?", "--store", store])
    assert asked.exit_code == 0, asked.output
    assert "https://n.example/a[0]" in asked.output.replace("\n", "")


def test_a_question_saying_this_week_reads_that_weeks_articles_first_and_the_rest_after(
    sample_qa: TalentQA,
) -> None:
    asked = dt.date(2025, 2, 20)
    question = "Where did the returning scientists come from this week?"
    passages = sample_qa.retrieve(question, k=5, today=asked)
    within = [
        p.chunk.published is not None and dt.date(2025, 2, 13) <= p.chunk.published <= asked for p in passages
    ]
    assert len(passages) == 3  # two of the three articles fall within the week: the third follows
    assert True in within and False in within
    assert within == sorted(within, reverse=True)  # every passage of the week before any other
    answer = sample_qa.ask(question, today=asked)
    week = dt.date(2025, 2, 13)
    assert answer.read_first == ReadFirst(windows=((week, asked),), reported_since=week)
    assert_verbatim(sample_qa, answer.citations + answer.related)
    # the article from before the week (a day's slack) is read, but can only be related, never the answer
    published = {p.chunk.doc_id: p.chunk.published for p in passages}
    cited = [published[c.doc_id] for c in answer.citations]
    assert all(day is None or day >= week - dt.timedelta(days=1) for day in cited)


def test_a_question_naming_a_report_date_reads_that_days_articles_first(sample_qa: TalentQA) -> None:
    plain = sample_qa.retrieve("Where did the returning scientists come from?", k=5)
    assert plain[0].chunk.published == dt.date(2025, 2, 14)  # the study comes first on its own
    for written in ("February 20, 2025", "February 21"):  # a day either side; the nearest year without one
        question = f"Where did the returning scientists come from, as reported on {written}?"
        passages = sample_qa.retrieve(question, k=5, today=dt.date(2025, 3, 1))
        assert passages[0].chunk.published == dt.date(2025, 2, 20)
        assert {p.chunk.id for p in passages} == {p.chunk.id for p in plain}  # reordered, none lost
    answer = sample_qa.ask("Where did the returning scientists come from, as reported on February 20, 2025?")
    assert answer.read_first == ReadFirst(days=(dt.date(2025, 2, 20),))
    assert_verbatim(sample_qa, answer.citations + answer.related)


def test_a_question_naming_an_outlet_reads_its_articles_first(
    tmp_path: Path, real_embedder: Embedder
) -> None:
    records = tmp_path / "wire.jsonl"
    stories = [
        (
            "a",
            "Harbour Gazette",
            "The harbour council approved a new budget for the ferry terminal on Monday.",
        ),
        ("b", "Valley Times", "Councillors said the ferry budget would raise fares for commuters next year."),
        ("c", "Coast Herald", "The ferry budget passed after a long debate about the harbour terminal."),
    ]
    records.write_text(
        "".join(
            json.dumps({"id": i, "title": "Ferry budget", "text": t, "outlet": o}) + "\n"
            for i, o, t in stories
        )
    )
    with TalentQA.open(Settings(store=tmp_path / "vs"), embedder=real_embedder) as qa:
        qa.ingest_sources([str(records)])
        plain = qa.retrieve("What did the council approve for the ferry terminal?", k=3)
        assert plain[0].chunk.outlet != "Coast Herald"
        question = "What did the Coast Herald say the council approved for the ferry terminal?"
        passages = qa.retrieve(question, k=3)
        assert [p.chunk.outlet for p in passages][0] == "Coast Herald"
        assert len(passages) == 3
        answer = qa.ask(question)
        assert answer.read_first == ReadFirst(outlets=("Coast Herald",))


class _CountingReader:
    """Stands in for the accurate reader's cascade: says every passage answers, and counts its reads."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self, question: str, passages: Any, headers: Any = None) -> list[ReaderOutput]:
        self.reads += 1
        return [ReaderOutput(0.99, 0, len(p.split()[0]), p.split()[0], 1.0) for p in passages]


def test_the_accurate_setting_leaves_yes_no_questions_to_the_fast_reader(sample_qa: TalentQA) -> None:
    cascade = _CountingReader()
    settings = sample_qa.settings.answer
    sample_qa._accurate = ReadingAnswerer(settings, reader=lambda: cascade, name="accurate")
    try:
        yes_no = sample_qa.ask("Did Zizheng Pan go back to China to work at DeepSeek?", answerer="accurate")
        assert yes_no.answerer == "reader" and cascade.reads == 0
        # a threshold on the LLM's scale is not the fast reader's: its yes/no threshold still decides
        strict = sample_qa.ask("Did Zizheng Pan go to DeepSeek?", answerer="accurate", threshold=0.9999)
        assert not strict.abstained and strict.debug["threshold"] == settings.yes_no_threshold
        assert not yes_no.abstained and "Zizheng Pan" in yes_no.citations[0].quote
        assert_verbatim(sample_qa, yes_no.citations)
        who = sample_qa.ask("Who went back to China to work at DeepSeek?", answerer="accurate")
        assert who.answerer == "accurate" and cascade.reads == 1
    finally:
        sample_qa._accurate = None


def test_dates_the_asker_sets_replace_the_questions_own(sample_qa: TalentQA) -> None:
    answer = sample_qa.ask(
        "Where did the returning scientists come from this week?",
        since=dt.date(2025, 1, 1),
        today=dt.date(2025, 2, 20),
    )
    assert answer.read_first is None


def test_sources_list_and_show_name_each_articles_outlet(tmp_path: Path) -> None:
    records = tmp_path / "bulk.jsonl"
    lines = [
        {
            "id": "v1",
            "title": "Search deal defended",
            "text": "Apple made Google the default.",
            "source": "The Verge",
        },
        {"id": "n1", "title": "No outlet here", "text": "A plain record without one."},
    ]
    records.write_text("".join(json.dumps(r) + "\n" for r in lines))
    runner = CliRunner()
    store = str(tmp_path / "vs")
    assert runner.invoke(app, ["ingest", str(records), "--store", store]).exit_code == 0
    listed = runner.invoke(app, ["sources", "list", "--store", store], env={"COLUMNS": "160"})
    assert listed.exit_code == 0 and "outlet" in listed.output and "The Verge" in listed.output, listed.output
    shown = runner.invoke(app, ["sources", "show", "v1", "--store", store])
    assert "outlet     The Verge" in shown.output, shown.output
    as_json = runner.invoke(app, ["sources", "list", "--json", "--store", store])
    assert [d["outlet"] for d in json.loads(as_json.output)] == [None, "The Verge"]


class _SurerOfOlder:
    """Reads every passage as answering, the ones in `older` (not of the asked-for week) more surely."""

    def __init__(self, older: set[str]) -> None:
        self.older = older

    def _older(self, passage: str) -> bool:
        # A passage opening with its headline is read from the body below it: a tail of the stored text.
        return any(text.endswith(passage) for text in self.older)

    def read(self, question: str, passages: Any, headers: Any = None) -> list[ReaderOutput]:
        return [
            ReaderOutput(0.99 if self._older(p) else 0.8, 0, len(p.split()[0]), p.split()[0], 1.0)
            for p in passages
        ]


def test_a_question_saying_this_week_is_answered_from_that_weeks_article_when_one_passes(
    sample_qa: TalentQA,
) -> None:
    asked, week_start = dt.date(2025, 2, 20), dt.date(2025, 2, 13)
    question = "Where did the returning scientists come from this week?"
    passages = sample_qa.retrieve(question, k=5, today=asked)

    def in_week(day: dt.date | None) -> bool:
        return day is not None and week_start <= day <= asked

    older = {p.chunk.text for p in passages if not in_week(p.chunk.published)}
    assert older  # one sample article is not of the week (it gives no date)
    fast = sample_qa.extractive
    sample_qa.extractive = ReadingAnswerer(
        fast.settings.model_copy(update={"abstain_threshold": 0.5}), reader=lambda: _SurerOfOlder(older)
    )
    try:
        answer = sample_qa.ask(question, today=asked)
        assert in_week(answer.citations[0].published)
        assert answer.debug["confidence"] == 0.99  # the surer older passage still set the confidence
        plain = sample_qa.ask("Where did the returning scientists come from?", today=asked)
        assert not in_week(plain.citations[0].published)
    finally:
        sample_qa.extractive = fast
    assert_verbatim(sample_qa, answer.citations)


class _NamingReader:
    """Stands in for a reader: unsure of every passage (0.45), its span `name` where the passage holds it."""

    def __init__(self, name: str, probability: float = 0.45) -> None:
        self.name = name
        self.probability = probability

    def read(self, question: str, passages: Any, headers: Any = None) -> list[ReaderOutput]:
        outputs = []
        for text in passages:
            at = text.find(self.name)
            if at < 0:
                outputs.append(ReaderOutput(0.0, 0, 0, "", 0.0))
            else:
                outputs.append(ReaderOutput(self.probability, at, at + len(self.name), self.name, 1.0))
        return outputs


def test_where_the_accurate_reader_finds_no_one_passage_the_articles_agreement_still_answers(
    sample_qa: TalentQA,
) -> None:
    """The LLM judges one passage at a time; a name two articles agree on answers all the same, quoted
    from each article, by the fast reader's own threshold."""
    settings = sample_qa.settings.answer.model_copy(update={"second_look": False})
    sample_qa._accurate = ReadingAnswerer(settings, reader=lambda: _NamingReader("China Initiative", 0.0))
    fast = sample_qa.extractive
    sample_qa.extractive = ReadingAnswerer(settings, reader=lambda: _NamingReader("China Initiative"))
    question = "Which organization's effort, cited as one reason scientists left, led to a professor's trial?"
    try:
        answer = sample_qa.ask(question, answerer="accurate")
        assert not answer.abstained and answer.answerer == "reader"
        assert answer.short_answer == "China Initiative"
        assert len({c.doc_id for c in answer.citations}) == 2
        assert_verbatim(sample_qa, answer.citations)
        off = sample_qa.extractive.settings.model_copy(update={"agreement": False})
        sample_qa.extractive = ReadingAnswerer(off, reader=lambda: _NamingReader("China Initiative"))
        assert sample_qa.ask(question, answerer="accurate").abstained
    finally:
        sample_qa._accurate = None
        sample_qa.extractive = fast
