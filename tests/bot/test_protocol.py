"""The real bot, with discord.py's own HTTP and gateway code, against the local stand-in for Discord.

Every test asserts on the exact requests the bot made. `assert_clean` checks what must hold for
every request of every test: no route Discord lacks, `allowed_mentions` {"parse": []} on anything
that carries text, Discord's size limits, and no interaction left "thinking".
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from talentqa.bot import limits
from talentqa.bot.format_answer import SHORTENED_MARKER
from talentqa.bot.format_replies import EMPTY_MENTION_TEXT, EXPIRED_TEXT, GENERIC_APOLOGY
from talentqa.bot.format_text import unescape
from talentqa.feedback import citation_id, list_feedback
from talentqa.service import Turn

from .conftest import COUNCIL, FakeQAService, make_settings, running_bot
from .fake_discord import EPHEMERAL, LOADING, FakeDiscord, Recorded, for_interaction, is_callback, is_followup

pytestmark = pytest.mark.asyncio

QUESTION = "What did the council approve?"


def assert_clean(fake: FakeDiscord, *, refused: int = 0) -> None:
    """What holds for every test; `refused` counts the requests the test made Discord refuse."""
    requests = fake.snapshot()
    assert fake.unknown_routes == [], [f"{r.method} {r.path}" for r in fake.unknown_routes]
    failed = [(r.method, r.path, r.status) for r in requests if r.status >= 400]
    assert len(failed) == refused, failed
    for r in requests:
        message = r.message_payload
        if message is None:
            continue
        assert message.get("allowed_mentions") == {"parse": []}, (r.path, message.get("allowed_mentions"))
        assert limits.violations(message) == [], (r.path, limits.violations(message))
    loading = [m for m in fake.messages.values() if int(m["flags"]) & LOADING]
    assert loading == [], "an interaction was left thinking"


def followups(fake: FakeDiscord, iid: int) -> list[Recorded]:
    return fake.find(lambda r: for_interaction(iid)(r) and is_followup(r))


def callback(fake: FakeDiscord, iid: int) -> Recorded:
    [found] = fake.find(lambda r: for_interaction(iid)(r) and is_callback(r))
    return found


async def answered(fake: FakeDiscord, iid: int, count: int = 1) -> list[Recorded]:
    return await fake.wait_for(lambda r: for_interaction(iid)(r) and is_followup(r), count=count)


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [
        c["custom_id"] for row in message.get("components", []) for c in row["components"] if "custom_id" in c
    ]


def labelled(message: dict[str, Any], label: str) -> str:
    for row in message.get("components", []):
        for component in row["components"]:
            if component.get("label") == label:
                return str(component["custom_id"])
    raise AssertionError(f"no component labelled {label!r} in {custom_ids(message)}")


async def channel_posts(fake: FakeDiscord, channel_id: int | str, count: int = 1) -> list[Recorded]:
    path = f"/channels/{channel_id}/messages"
    return await fake.wait_for(lambda r: r.method == "POST" and r.path == path, count=count)


async def read_up_to_here(fake: FakeDiscord) -> None:
    """Wait until the bot has read every message said so far in the channel: an empty mention said now
    is answered with a hint, and the gateway delivers it after them. A message the bot should leave
    alone has then been left alone, rather than perhaps not yet reached."""
    path = f"/channels/{fake.channel_id}/messages"
    posted = len(fake.find(lambda r: r.method == "POST" and r.path == path))
    fake.say(f"<@{fake.app_id}>", mention_bot=True)
    [*_, hint] = await channel_posts(fake, fake.channel_id, count=posted + 1)
    assert hint.body["content"] == EMPTY_MENTION_TEXT


def about_message(fake: FakeDiscord, message_id: str) -> list[Recorded]:
    """Requests the bot made about one message: a thread on it, or a reply to it."""

    def about(r: Recorded) -> bool:
        reference = r.body.get("message_reference") if isinstance(r.body, dict) else None
        replied_to = reference.get("message_id") if isinstance(reference, dict) else None
        return f"/messages/{message_id}/" in r.path or str(replied_to) == message_id

    return fake.find(about)


async def test_ask_is_deferred_within_3_seconds_while_answering_then_answered_with_quoted_citations(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    service = FakeQAService(delay=0.2)
    async with running_bot(fake_discord, service, make_settings(tmp_path)):
        iid = fake_discord.slash("ask", question=QUESTION)
        [reply] = await answered(fake_discord, iid)
    defer = callback(fake_discord, iid)
    assert defer.body == {"type": 5}
    assert defer.at - fake_discord.dispatched_at[iid] < limits.INTERACTION_ACK_SECONDS
    # Acknowledged while the (0.2 s) answer was still being worked out, not after it: answering does
    # not wait for the acknowledgement's round trip, and the acknowledgement does not wait for the answer.
    assert defer.at < service.calls[0].started + 0.2
    assert defer.at < reply.at
    [embed] = reply.body["embeds"]
    assert embed["title"] == QUESTION
    assert [f["name"] for f in embed["fields"]] == [f"[{n}] Council approves the 2024 budget" for n in (1, 2)]
    assert embed["fields"][0]["value"] == (
        "> The council approved a budget of 12 million euros after a long debate.\n"
        "— [Council approves the 2024 budget](https://news.example/council-budget#:~:text=The) · 2024-05-02"
    )
    assert embed["fields"][1]["value"].startswith("> Spending on libraries rises by a fifth.\n— [Council")
    assert reply.body["allowed_mentions"] == {"parse": []}
    labels = [c["label"] for row in reply.body["components"] for c in row["components"]]
    assert labels == ["Show passage 1", "Show passage 2", "Helpful", "Wrong citation"]
    assert service.calls[0].thread != "MainThread"
    assert_clean(fake_discord)


async def test_private_ask_is_ephemeral_from_the_deferral_on(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    async with running_bot(fake_discord, FakeQAService(), make_settings(tmp_path)):
        iid = fake_discord.slash("ask", question=QUESTION, private=True)
        [reply] = await answered(fake_discord, iid)
    assert callback(fake_discord, iid).body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert int(reply.body.get("flags", 0)) & EPHEMERAL
    assert int(fake_discord.original_message(iid)["flags"]) & EPHEMERAL
    assert_clean(fake_discord)


async def test_quotes_holding_everyone_role_and_user_mentions_ping_nobody(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    async with running_bot(fake_discord, FakeQAService(), make_settings(tmp_path)) as bot:
        assert bot.allowed_mentions is not None and dict(bot.allowed_mentions.to_dict()) == {"parse": []}
        iid = fake_discord.slash("ask", question="pings please")
        [reply] = await answered(fake_discord, iid)
        fake_discord.say(f"<@{fake_discord.app_id}> pings in a thread", mention_bot=True)
        [post] = await fake_discord.wait_for(lambda r: r.method == "POST" and r.path.endswith("/messages"))
    for body in (reply.body, post.body):
        assert body["allowed_mentions"] == {"parse": []}
        value = body["embeds"][0]["fields"][0]["value"]
        assert "@everyone" in value and "\\<@&555>" in value and "\\<@777>" in value
    assert_clean(fake_discord)


async def test_long_answer_is_split_over_messages_and_the_shortened_quote_is_whole_in_show_passage(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    service = FakeQAService()
    async with running_bot(fake_discord, service, make_settings(tmp_path)):
        iid = fake_discord.slash("ask", question="a long answer please")
        await answered(fake_discord, iid, count=3)
        replies = followups(fake_discord, iid)
        assert "components" in replies[-1].body and all("components" not in r.body for r in replies[:-1])
        values = [f["value"] for f in replies[-1].body["embeds"][0].get("fields", [])]
        shortened = [v for v in values if SHORTENED_MARKER.format(n=2) in v]
        assert len(shortened) == 1
        message = fake_discord.message(
            next(m["id"] for m in fake_discord.messages.values() if m.get("embeds") and m["components"])
        )
        click = fake_discord.click(message, labelled(message, "Show passage 2"))
        [passage] = await answered(fake_discord, click)
    shown = unescape(passage.body["embeds"][0]["description"]).replace("**", "")
    assert ("word " * 400).strip() in shown
    assert_clean(fake_discord)


async def test_show_passage_sends_the_paragraph_only_to_the_clicker(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    service = FakeQAService()
    async with running_bot(fake_discord, service, make_settings(tmp_path)):
        iid = fake_discord.slash("ask", question=QUESTION)
        await answered(fake_discord, iid)
        message = fake_discord.original_message(iid)
        click = fake_discord.click(message, labelled(message, "Show passage 2"), user_id=123)
        [reply] = await answered(fake_discord, click)
    assert callback(fake_discord, click).body == {"type": 5, "data": {"flags": EPHEMERAL}}
    description = reply.body["embeds"][0]["description"]
    assert "**Spending on libraries rises by a fifth.**" in description
    assert description.startswith("The council approved a budget")
    quote_start = COUNCIL.text.index("Spending")
    assert service.passages == [("council-budget", quote_start, quote_start + 39)]
    assert int(fake_discord.original_message(click)["flags"]) & EPHEMERAL
    assert_clean(fake_discord)


async def test_more_sources_shows_the_next_page_of_citations(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    async with running_bot(fake_discord, FakeQAService(), make_settings(tmp_path)):
        iid = fake_discord.slash("ask", question="long")
        await answered(fake_discord, iid, count=3)
        last = fake_discord.message(
            next(m["id"] for m in fake_discord.messages.values() if m.get("embeds") and m["components"])
        )
        assert [f["name"].split()[0] for f in last["embeds"][0]["fields"]] == ["[1]", "[2]", "[3]"]
        click = fake_discord.click(last, labelled(last, "More sources"))
        await fake_discord.wait_for(lambda r: for_interaction(click)(r) and is_callback(r))
    page = callback(fake_discord, click).body
    assert page["type"] == 4 and page["data"]["flags"] == EPHEMERAL
    assert [f["name"].split()[0] for f in page["data"]["embeds"][0]["fields"]] == ["[4]", "[5]", "[6]"]
    labels = [c["label"] for row in page["data"]["components"] for c in row["components"]]
    assert labels == ["Show passage 4", "Show passage 5", "Show passage 6", "More sources"]
    assert_clean(fake_discord)


async def test_feedback_buttons_write_question_answer_and_citation_ids_to_the_log(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    service = FakeQAService()
    async with running_bot(fake_discord, service, settings):
        iid = fake_discord.slash("ask", question=QUESTION)
        await answered(fake_discord, iid)
        message = fake_discord.original_message(iid)
        helpful = fake_discord.click(message, labelled(message, "Helpful"), user_id=5)
        [thanks] = await answered(fake_discord, helpful)
        assert thanks.body["content"] == "Thanks! Recorded as helpful."
        wrong = fake_discord.click(message, labelled(message, "Wrong citation"), user_id=5)
        await fake_discord.wait_for(lambda r: for_interaction(wrong)(r) and is_callback(r))
        menu = fake_discord.original_message(wrong)
        assert int(menu["flags"]) & EPHEMERAL
        [select_id] = custom_ids(menu)
        pick = fake_discord.click(menu, select_id, user_id=5, values=["1"])
        [recorded] = await answered(fake_discord, pick)
        assert recorded.body["content"] == "Thanks! Recorded citation 2 as wrong."
    answer = service.ask(QUESTION)
    ids = [citation_id(c) for c in answer.citations]
    records = list_feedback(settings.bot.feedback_db)
    assert [(r.kind, r.question, r.answer, r.citation_ids, r.flagged_ids, r.user_id) for r in records] == [
        ("helpful", QUESTION, answer.text, ids, [], "5"),
        ("wrong_citation", QUESTION, answer.text, ids, [ids[1]], "5"),
    ]
    assert records[0].guild_id == str(fake_discord.guild_id)
    assert_clean(fake_discord)


async def test_mention_opens_a_thread_and_replies_there_are_follow_ups_with_its_history(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    service = FakeQAService()
    async with running_bot(fake_discord, service, make_settings(tmp_path)):
        mention = fake_discord.say(f"<@{fake_discord.app_id}> {QUESTION}", mention_bot=True)
        [opened] = await fake_discord.wait_for(lambda r: r.path.endswith("/threads"))
        thread_id = mention["id"]
        [answer_post] = await channel_posts(fake_discord, thread_id)
        fake_discord.say("And how much for libraries?", channel_id=int(thread_id))
        await channel_posts(fake_discord, thread_id, count=2)
        chatter = fake_discord.say("unrelated chatter in the channel")
        await read_up_to_here(fake_discord)
    assert opened.path == f"/channels/{fake_discord.channel_id}/messages/{mention['id']}/threads"
    assert opened.body["name"] == QUESTION and opened.body["auto_archive_duration"] == 1440
    assert fake_discord.find(lambda r: r.path == f"/channels/{thread_id}/typing")
    assert answer_post.body["embeds"][0]["title"] == QUESTION
    assert "message_reference" not in answer_post.body
    first, follow_up = service.calls
    assert (first.question, first.history) == (QUESTION, [])
    assert follow_up.question == "And how much for libraries?"
    assert follow_up.history == [
        Turn(role="user", content=QUESTION),
        Turn(role="assistant", content=service.ask(QUESTION).text),
    ]
    assert len(service.calls) == 3  # two from the bot, one just above; the chatter was ignored
    assert not about_message(fake_discord, chatter["id"])
    assert_clean(fake_discord)


async def test_a_follow_up_after_a_restart_rebuilds_the_conversation_from_the_thread(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    service = FakeQAService()
    settings = make_settings(tmp_path)
    async with running_bot(fake_discord, service, settings):
        mention = fake_discord.say(f"<@{fake_discord.app_id}> {QUESTION}", mention_bot=True)
        await channel_posts(fake_discord, mention["id"])
    async with running_bot(fake_discord, service, settings) as restarted:
        assert restarted.threads.history(int(mention["id"])) is None
        fake_discord.say("And the libraries?", channel_id=int(mention["id"]))
        await channel_posts(fake_discord, mention["id"], count=2)
    assert service.calls[-1].history == [
        Turn(role="user", content=QUESTION),
        Turn(role="assistant", content=service.ask(QUESTION).text),
    ]
    assert_clean(fake_discord)


async def test_a_mention_where_no_thread_can_be_opened_is_answered_in_place(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    fake_discord.thread_creation_fails = True
    service = FakeQAService()
    async with running_bot(fake_discord, service, make_settings(tmp_path)):
        mention = fake_discord.say(f"<@{fake_discord.app_id}> {QUESTION}", mention_bot=True)
        [post] = await channel_posts(fake_discord, fake_discord.channel_id)
        later = fake_discord.say("a later message that is not a follow-up")
        await read_up_to_here(fake_discord)
    assert str(post.body["message_reference"]["message_id"]) == mention["id"]
    assert len(service.calls) == 1
    assert not about_message(fake_discord, later["id"])
    assert_clean(fake_discord, refused=1)


async def test_direct_messages_are_answered_with_the_dm_as_the_conversation(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    service = FakeQAService()
    async with running_bot(fake_discord, service, make_settings(tmp_path)):
        first = fake_discord.say(QUESTION, dm=True)
        [reply] = await channel_posts(fake_discord, fake_discord.dm_channel_id)
        fake_discord.say("and the libraries?", dm=True)
        await channel_posts(fake_discord, fake_discord.dm_channel_id, count=2)
    assert str(reply.body["message_reference"]["message_id"]) == first["id"]
    assert service.calls[0].history == []
    assert [t.role for t in service.calls[1].history] == ["user", "assistant"]
    assert not fake_discord.find(lambda r: r.path.endswith("/threads"))
    assert_clean(fake_discord)


async def test_known_errors_get_a_short_reply_and_unexpected_ones_a_logged_apology(
    fake_discord: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="talentqa.bot")
    async with running_bot(fake_discord, FakeQAService(), make_settings(tmp_path)):
        store_down = fake_discord.slash("ask", question="is the store down?")
        empty = fake_discord.slash("ask", question="   ")
        bug = fake_discord.slash("ask", question="please explode")
        mention = fake_discord.say(f"<@{fake_discord.app_id}> explode here", mention_bot=True)
        replies = {iid: (await answered(fake_discord, iid))[0] for iid in (store_down, empty, bug)}
        [in_thread] = await channel_posts(fake_discord, mention["id"])
    assert replies[store_down].body["content"] == (
        "The article store is unavailable right now. Please try again in a few minutes."
    )
    assert replies[empty].body["content"] == "I can't answer that: the question is empty"
    assert replies[bug].body["content"] == GENERIC_APOLOGY
    assert in_thread.body["content"] == GENERIC_APOLOGY
    assert "/srv/secret" not in str([r.body for r in fake_discord.snapshot()])
    known = [r for r in caplog.records if "StoreError" in r.getMessage()]
    assert known and known[0].exc_info is None
    unexpected = [r for r in caplog.records if "unexpectedly" in r.getMessage()]
    assert len(unexpected) == 2 and all(r.exc_info for r in unexpected)
    assert_clean(fake_discord)


async def test_a_question_that_takes_too_long_is_told_so_rather_than_left_thinking(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    service = FakeQAService(hang_seconds=1.0)
    async with running_bot(fake_discord, service, make_settings(tmp_path, answer_timeout=0.3)):
        iid = fake_discord.slash("ask", question="please hang")
        [reply] = await answered(fake_discord, iid)
    assert reply.body["content"].startswith("That took too long")
    assert_clean(fake_discord)


async def test_a_user_over_the_cooldown_is_told_when_to_retry(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    now = [100.0]
    service = FakeQAService()
    async with running_bot(
        fake_discord, service, make_settings(tmp_path, cooldown_seconds=30), clock=lambda: now[0]
    ):
        first = fake_discord.slash("ask", question=QUESTION)
        await answered(fake_discord, first)
        now[0] += 10
        second = fake_discord.slash("ask", question=QUESTION)
        await fake_discord.wait_for(lambda r: for_interaction(second)(r) and is_callback(r))
        other_user = fake_discord.slash("ask", question=QUESTION, user_id=99)
        await answered(fake_discord, other_user)
        fake_discord.say(f"<@{fake_discord.app_id}> again?", mention_bot=True)
        [told] = await channel_posts(fake_discord, fake_discord.channel_id)
        now[0] += 21
        third = fake_discord.slash("ask", question=QUESTION)
        await answered(fake_discord, third)
    refused = callback(fake_discord, second).body
    assert refused == {
        "type": 4,
        "data": {
            "tts": False,
            "content": "You're asking quickly. Please try again in 20 s.",
            "flags": EPHEMERAL,
            "allowed_mentions": {"parse": []},
        },
    }
    assert told.body["content"] == "You're asking quickly. Please try again in 20 s."
    assert len(service.calls) == 3
    assert_clean(fake_discord)


async def test_source_autocomplete_and_filters_reach_the_service(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    service = FakeQAService()
    async with running_bot(fake_discord, service, make_settings(tmp_path)):
        data = {
            "id": "1000",
            "name": "ask",
            "type": 1,
            "options": [
                {"name": "question", "type": 3, "value": "x"},
                {"name": "source", "type": 3, "value": "harb", "focused": True},
            ],
        }
        typing_iid = fake_discord._interaction(4, data, user_id=None, channel_id=None)
        await fake_discord.wait_for(lambda r: for_interaction(typing_iid)(r) and is_callback(r))
        iid = fake_discord.slash("ask", question=QUESTION, source="harbour-works", since="2024-04")
        await answered(fake_discord, iid)
        bad = fake_discord.slash("ask", question=QUESTION, since="whenever")
        await fake_discord.wait_for(lambda r: for_interaction(bad)(r) and is_callback(r))
    assert callback(fake_discord, typing_iid).body == {
        "type": 8,
        "data": {"choices": [{"name": "Harbour works delayed", "value": "harbour-works"}]},
    }
    assert service.found == ["harb"] and service.listed == 0  # a prefix search, not a listing
    assert service.calls[0].sources == ["harbour-works"]
    assert str(service.calls[0].since) == "2024-04-01"
    assert "is not a date" in callback(fake_discord, bad).body["data"]["content"]
    assert len(service.calls) == 1
    assert_clean(fake_discord)


async def test_sources_lists_the_library_in_pages_that_buttons_turn(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    service = FakeQAService()
    async with running_bot(fake_discord, service, make_settings(tmp_path)):
        iid = fake_discord.slash("sources")
        [first] = await answered(fake_discord, iid)
        message = fake_discord.original_message(iid)
        click = fake_discord.click(message, labelled(message, "Next"))
        [edit] = await fake_discord.wait_for(lambda r: for_interaction(click)(r) and r.method == "PATCH")
    assert callback(fake_discord, iid).body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert "Page 1 of 3 · 25 articles" in first.body["embeds"][0]["footer"]["text"]
    assert callback(fake_discord, click).body == {"type": 6}
    assert edit.path.endswith("/messages/@original")
    assert "Page 2 of 3" in edit.body["embeds"][0]["footer"]["text"]
    assert fake_discord.message(message["id"])["embeds"][0]["footer"]["text"].startswith("Page 2 of 3")
    assert service.paged == [(0, 10), (10, 10)] and service.listed == 0  # a page each, never the library
    assert_clean(fake_discord)


def disabled(message: dict[str, Any], label: str) -> bool:
    for row in message.get("components", []):
        for component in row["components"]:
            if component.get("label") == label:
                return bool(component.get("disabled", False))
    raise AssertionError(f"no component labelled {label!r}")


async def test_sources_of_a_large_library_reads_one_page_at_a_time(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    service = FakeQAService(fillers=5_000)
    async with running_bot(fake_discord, service, make_settings(tmp_path)):
        iid = fake_discord.slash("sources", page=501)
        [last] = await answered(fake_discord, iid)
        message = fake_discord.original_message(iid)
        click = fake_discord.click(message, labelled(message, "Previous"))
        [edit] = await fake_discord.wait_for(lambda r: for_interaction(click)(r) and r.method == "PATCH")
    assert last.body["embeds"][0]["footer"]["text"] == "Page 501 of 501 · 5,002 articles · 5,004 passages"
    assert last.body["embeds"][0]["description"].count("• ") == 2
    assert disabled(message, "Next") and not disabled(message, "Previous")
    assert edit.body["embeds"][0]["footer"]["text"].startswith("Page 500 of 501")
    assert not disabled(edit.body, "Next")
    assert service.paged == [(5_000, 10), (4_990, 10)] and service.listed == 0
    assert_clean(fake_discord)


async def test_about_reports_version_model_store_and_corpus_size(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    async with running_bot(fake_discord, FakeQAService(), make_settings(tmp_path)):
        iid = fake_discord.slash("about")
        [reply] = await answered(fake_discord, iid)
    fields = {f["name"]: f["value"] for f in reply.body["embeds"][0]["fields"]}
    assert fields["Version"] == "0.1.0" and fields["Model"] == "fake-hash-64"
    assert fields["Store"] == "/tmp/vectorstore" and fields["Documents"] == "25" and fields["Chunks"] == "27"
    assert_clean(fake_discord)


async def test_buttons_of_a_forgotten_answer_say_it_expired(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    async with running_bot(fake_discord, FakeQAService(), make_settings(tmp_path)) as bot:
        iid = fake_discord.slash("ask", question=QUESTION)
        await answered(fake_discord, iid)
        message = fake_discord.original_message(iid)
        bot.answers = type(bot.answers)()  # as after a restart
        click = fake_discord.click(message, labelled(message, "Show passage 1"))
        await fake_discord.wait_for(lambda r: for_interaction(click)(r) and is_callback(r))
    assert callback(fake_discord, click).body["data"]["content"] == EXPIRED_TEXT
    assert_clean(fake_discord)


async def test_closing_lets_an_answer_in_progress_be_delivered(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    service = FakeQAService(delay=0.5)
    async with running_bot(fake_discord, service, make_settings(tmp_path)) as bot:
        iid = fake_discord.slash("ask", question=QUESTION)
        await fake_discord.wait_for(lambda r: for_interaction(iid)(r) and is_callback(r))
        await bot.close()
    assert len(followups(fake_discord, iid)) == 1
    assert_clean(fake_discord)


async def test_a_failure_outside_a_commands_own_handler_still_gets_a_reply_and_a_traceback(
    fake_discord: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="talentqa.bot")
    async with running_bot(fake_discord, FakeQAService(), make_settings(tmp_path)):
        # Discord refuses the deferral itself, which happens before /sources' own error handling.
        fake_discord.reject_callbacks = 1
        iid = fake_discord.slash("sources")
        await fake_discord.wait_for(lambda r: for_interaction(iid)(r) and is_callback(r), count=2)
    refused, reply_request = fake_discord.find(lambda r: for_interaction(iid)(r) and is_callback(r))
    assert refused.body["type"] == 5 and refused.status == 400
    reply = reply_request.body
    assert reply["type"] == 4 and reply["data"]["content"] == GENERIC_APOLOGY
    assert reply["data"]["flags"] == EPHEMERAL
    assert [r for r in caplog.records if "/sources failed unexpectedly" in r.getMessage() and r.exc_info]
    assert_clean(fake_discord, refused=1)
