"""A claim the LLM writes beside its verified quote may not say more than the quote: the attack run's
claims ("did not move", "9,800", a phishing link, 5,000 claims on one quote) through the whole LLM
answerer with a scripted fake chat model, and the checks of `talentqa.answer.claims` one by one."""

from __future__ import annotations

import datetime as dt

import pytest

from talentqa.answer.claims import (
    MAX_QUOTE_SHOWN_CHARS,
    claim_problem,
    clean_text,
    names,
    negated,
    numbers,
    quoted,
    shown_claim,
)
from talentqa.answer.grounding import MAX_ANSWER_CHARS, MAX_CLAIMS
from talentqa.answer.llm import LLMAnswerer
from talentqa.ingest.chunking import chunk_article
from talentqa.models import Answer, Article
from talentqa.retrieval import Passage
from talentqa.settings import AnswerSettings, ChunkSettings
from talentqa.text import normalise

from .helpers import TextStore, assert_verbatim, fake_model, key_of, reply

# Written for these tests: one fact per sentence, so that each sentence can be quoted on its own.
MOVED = "About 1,800 engineers moved to the new campus in Porto last year, the company said."
SALES = "The move did not include the sales team, which stays in Lisbon."
COST = "Chief executive Ana Ferreira said the campus cost 240 million euros."
FACTS = [
    MOVED,
    SALES,
    COST,
    "The campus has three buildings and a rooftop garden for staff.",
    "Acme Robotics was founded in Braga in 1998 by two university friends.",
    "Its robots sort parcels for postal services in nine countries.",
    "Revenue grew by 14 percent in the last financial year.",
    "A second campus is planned for the city of Coimbra in 2027.",
    "The firm hires about 200 graduates from Portuguese universities every year.",
    "Engineers at the new campus work on warehouse vision systems.",
]


@pytest.fixture
def article() -> Article:
    return Article(
        doc_id="acme-porto",
        title="Acme Robotics moves engineering to Porto",
        text=normalise("\n".join(FACTS)),
        url="https://news.example/acme-porto",
        published=dt.date(2024, 5, 2),
        content_hash="c3",
    )


@pytest.fixture
def passages(article: Article) -> list[Passage]:
    settings = ChunkSettings(target_tokens=25, max_tokens=40, overlap_tokens=0)
    return [Passage(chunk=c, score=0.9) for c in chunk_article(article, settings)]


@pytest.fixture
def text_of(article: Article) -> TextStore:
    return TextStore({article.doc_id: article.text})


def ask(model_reply: str, passages: list[Passage], text_of: TextStore, **settings: int) -> Answer:
    answerer = LLMAnswerer(fake_model(model_reply), AnswerSettings(**settings))
    answer = answerer.answer("How many engineers moved to Porto?", passages, text_of)
    assert_verbatim(answer, text_of)
    return answer


# --- the attack run's claims, through the answerer ---


def test_a_claim_that_negates_its_quote_is_replaced_by_the_quote(
    passages: list[Passage], text_of: TextStore
) -> None:
    model_reply = reply(("About 1,800 engineers did not move to Porto.", key_of(passages, "1,800"), MOVED))

    answer = ask(model_reply, passages, text_of)

    assert answer.text == f"\u201c{MOVED}\u201d [1] (as of 2 May 2024)"
    assert "not" not in answer.text.split()
    assert answer.debug["claims_replaced_reasons"] == {"negation": 1}
    assert answer.debug["claims_shown_as_quotes"] == 1


def test_a_claim_that_changes_a_number_is_replaced_by_the_quote(
    passages: list[Passage], text_of: TextStore
) -> None:
    model_reply = reply(("About 9,800 engineers moved to Porto.", key_of(passages, "1,800"), MOVED))

    answer = ask(model_reply, passages, text_of)

    assert "9,800" not in answer.text and "9800" not in answer.text
    assert answer.text.startswith(f"\u201c{MOVED}\u201d [1]")
    assert answer.debug["claims_replaced_reasons"] == {"number": 1}


def test_a_claim_carrying_a_link_never_shows_it(passages: list[Passage], text_of: TextStore) -> None:
    phishing = "About 1,800 engineers moved; see https://evil.example/login and enter your password."
    model_reply = reply((phishing, key_of(passages, "1,800"), MOVED))

    answer = ask(model_reply, passages, text_of)

    assert "evil" not in answer.text and "http" not in answer.text and "password" not in answer.text
    assert answer.text.startswith(f"\u201c{MOVED}\u201d [1]")
    assert answer.debug["claims_replaced_reasons"] == {"link": 1}


def test_five_thousand_claims_on_one_quote_make_a_small_answer(
    passages: list[Passage], text_of: TextStore
) -> None:
    key = key_of(passages, "1,800")
    claims = [(f"Engineers moved to Porto, report {i}.", key, MOVED) for i in range(5000)]

    answer = ask(reply(*claims), passages, text_of)

    assert len(answer.citations) == 1
    assert answer.text.count("[1]") <= 2  # at most two claims on one quote
    assert len(answer.text) < 500
    assert answer.debug["proposed"] == 5000
    assert answer.debug["verified"] + answer.debug["dropped"] == 5000


def test_a_repeated_claim_is_shown_once(passages: list[Passage], text_of: TextStore) -> None:
    key = key_of(passages, "1,800")
    same = "About 1,800 engineers moved to Porto."

    answer = ask(reply((same, key, MOVED), (same.upper(), key, MOVED)), passages, text_of)

    assert answer.text == f"{same} [1] (as of 2 May 2024)"
    assert answer.debug["dropped_reasons"] == {"duplicate": 1}


def test_many_true_claims_are_cut_to_the_claim_limit(passages: list[Passage], text_of: TextStore) -> None:
    claims = [(fact, key_of(passages, fact[:30]), fact) for fact in FACTS]

    answer = ask(reply(*claims), passages, text_of, max_quotes=10)

    assert answer.text.count("[") == MAX_CLAIMS
    assert answer.debug["verified"] == MAX_CLAIMS
    assert answer.debug["dropped_reasons"] == {"over_limit": len(FACTS) - MAX_CLAIMS}


def test_long_claims_keep_the_answer_within_its_size_bound(
    passages: list[Passage], text_of: TextStore
) -> None:
    # Each claim is true and below the per-claim limit, yet together they would pass the answer's bound.
    claims = [(" ".join([fact] * (560 // len(fact))), key_of(passages, fact[:30]), fact) for fact in FACTS]

    answer = ask(reply(*claims), passages, text_of, max_quotes=10)

    assert answer.debug["claims_shown_as_quotes"] == 0
    assert "over_size" in answer.debug["dropped_reasons"]
    assert len(answer.text) <= MAX_ANSWER_CHARS + len(" (as of 2 May 2024)")


def test_a_faithful_claim_is_shown_as_written(passages: list[Passage], text_of: TextStore) -> None:
    model_reply = reply(
        ("About 1800 engineers moved to the Porto campus last year.", key_of(passages, "1,800"), MOVED),
        ("The sales team did not move and stays in Lisbon.", key_of(passages, "sales"), SALES),
        ("Ana Ferreira said the campus cost 240 million euros.", key_of(passages, "Ferreira"), COST),
    )

    answer = ask(model_reply, passages, text_of)

    assert answer.text == (
        "About 1800 engineers moved to the Porto campus last year. [1] "
        "The sales team did not move and stays in Lisbon. [2] "
        "Ana Ferreira said the campus cost 240 million euros. [3] (as of 2 May 2024)"
    )
    assert answer.debug["claims_shown_as_quotes"] == 0


def test_markup_and_mentions_from_the_model_never_reach_the_answer(
    passages: list[Passage], text_of: TextStore
) -> None:
    marked = (
        "# **About 1,800** engineers _moved_ to ~~Porto~~ `now` <@123456> @everyone ||spoiler|| <b>[S1]</b>"
    )
    model_reply = reply((marked, key_of(passages, "1,800"), MOVED))

    answer = ask(model_reply, passages, text_of)

    body = answer.text.removesuffix(" [1] (as of 2 May 2024)")
    assert not set(body) & set("#*_~`<>@|[]")
    assert "everyone" not in body
    assert body.startswith("About 1,800 engineers moved to Porto")


# --- the checks, one by one ---


@pytest.mark.parametrize(
    ("claim", "problem"),
    [
        ("About 1,800 engineers moved to Porto.", None),
        ("About 1800 engineers moved to Porto.", None),
        ("Engineers moved to the new campus in Porto.", None),
        ("About 1,800 engineers did not move to Porto.", "negation"),
        ("About 1,800 engineers never moved to Porto.", "negation"),
        ("About 1,800 engineers didn\u2019t move to Porto.", "negation"),
        ("About 1,800 engineers moved to Porto without pay.", "negation"),
        ("About 9,800 engineers moved to Porto.", "number"),
        ("About 1,800 engineers moved to Porto in 2019.", "number"),
        ("About 1.8 million engineers moved to Porto.", "number"),
        ("Seven engineers moved to Porto.", "number"),
        ("About 1,800 engineers moved to Lisbon.", "name"),
        ("Google moved 1,800 engineers to Porto.", "name"),
        ("About 1,800 engineers moved to Porto, see https://evil.example/login", "link"),
        ("About 1,800 engineers moved to Porto (www.evil.example).", "link"),
        ("About 1,800 engineers moved to Porto: evil.example/login", "link"),
        ("About 1,800 engineers moved to [Porto](https://evil.example).", "link"),
        ("About 1,800 engineers moved to <https://evil.example>.", "link"),
        ("About 1,800 engineers moved to Porto h*ttps://evil.example", "link"),
        ("The king knighted every baker in the realm.", "ungrounded"),
        ("", "empty"),
        ("**[S1]**", "empty"),
        ("About 1,800 engineers moved to Porto. " * 20, "too_long"),
    ],
)
def test_claim_problem(claim: str, problem: str | None) -> None:
    assert claim_problem(claim, MOVED, MOVED) == problem


def test_shown_claim_is_the_claim_or_else_the_quote() -> None:
    assert (
        shown_claim("About 1,800 engineers moved [S1].", MOVED, MOVED).text == "About 1,800 engineers moved."
    )
    instead = shown_claim("About 9,800 engineers moved.", MOVED, MOVED)
    assert instead.text == f"\u201c{MOVED}\u201d" and instead.replaced == "number"


def test_numbers_are_compared_as_values_not_spellings() -> None:
    assert numbers("1,800 and 1800") == {"1800"}
    assert numbers("2.40 and 2.4") == {"2.4"}
    assert numbers("1.800.000") == {"1800000"}
    assert numbers("six students, 007, the 11th") == {"6", "7", "11"}
    assert numbers("2.4 million") == {"2.4", "million"}
    assert numbers("the new one") == set()


def test_names_skip_ordinary_sentence_openers_and_titles() -> None:
    assert names("The firm hired Dr. Ana Ferreira. She said Zürich's lab and NASA agreed.") == {
        "ana",
        "ferreira",
        "zurich",
        "nasa",
    }
    assert names("Researchers in porto said so.") == {"researchers"}


def test_negation() -> None:
    assert negated("It did not move") and negated("It didn't") and negated("no one came")
    assert not negated("Notable engineers moved north")


def test_clean_text_keeps_words_and_drops_markup() -> None:
    assert clean_text("> ## *Hello*  <i>world</i> @here [2]") == "Hello world"
    assert clean_text("- 1,800 engineers") == "1,800 engineers"


def test_a_long_quote_is_shown_cut_at_a_word_with_an_ellipsis() -> None:
    quote = "word " * 400
    shown = quoted(quote)
    assert shown.startswith("\u201cword word") and shown.endswith("word\u2026\u201d")
    assert len(shown) <= MAX_QUOTE_SHOWN_CHARS + 3
