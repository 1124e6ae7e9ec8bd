"""The accurate reader: an LLM reads the fast reader's best passages; its "NO" probability decides.

Driven by a deterministic fake chat model, and once through the real `ChatOpenAI` client against a local
OpenAI-compatible stand-in that returns log-probabilities as llama.cpp's server does."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from talentqa.reading.llm_reader import CascadeReader, LLMReader, no_probability, window
from talentqa.reading.model import ReaderOutput

PASSAGES = [
    "The port reopened in May. The harbour master, Ines Duarte, said traffic doubled. Ships waited.",
    "Weather was calm. The ferry company hired forty crew members last year. Prices rose.",
    "A museum opened downtown. Its director is Paul Weng.",
]


def logprobs(first: str, p_no: float) -> dict[str, Any]:
    top = [{"token": "NO", "logprob": math.log(p_no)}, {"token": first, "logprob": math.log(1 - p_no)}]
    return {"content": [{"token": first if p_no < 0.5 else "NO", "logprob": 0.0, "top_logprobs": top}]}


def said(text: str, p_no: float, alternative: str = "Paul") -> AIMessage:
    first = alternative if text.startswith("NO") else text.split()[0]
    return AIMessage(content=text, response_metadata={"logprobs": logprobs(first, p_no)})


class FastReader:
    def __init__(self, verdicts: Sequence[tuple[float, str]]) -> None:
        self.verdicts = verdicts

    def read(
        self, question: str, passages: Sequence[str], headers: Sequence[str] | None = None
    ) -> list[ReaderOutput]:
        out = []
        for text, (p, span) in zip(passages, self.verdicts, strict=True):
            start = text.find(span)
            out.append(ReaderOutput(p, start, start + len(span), span, 1.0))
        return out


def test_no_probability_sums_the_no_tokens_of_the_first_position() -> None:
    assert no_probability(logprobs("Ines", 0.2)) == pytest.approx(0.2)
    assert no_probability({"content": []}) is None and no_probability(None) is None


def test_window_is_the_span_sentence_with_one_neighbour_each_way() -> None:
    text = PASSAGES[0]
    start = text.index("Ines")
    w = window(text, start, start + 4)
    assert text[w[0] : w[1]] == text  # three sentences: all kept
    assert text[slice(*window(text, 0, 3, sentences=0))] == "The port reopened in May."


def test_the_llm_reads_only_the_best_passages_and_its_probability_decides() -> None:
    fast = FastReader([(0.7, "Ines Duarte"), (0.2, "forty"), (0.6, "Paul Weng")])
    chat = GenericFakeChatModel(messages=iter([said("Ines Duarte", 0.1), said("NO ANSWER", 0.95)]))
    reader = CascadeReader(fast, LLMReader(chat), passages=2)
    first, second, third = reader.read("Who is the harbour master?", PASSAGES)
    assert first.probability == pytest.approx(0.9) and first.span == "Ines Duarte"
    assert third.probability == pytest.approx(0.05)  # read second (fast 0.6), said NO
    assert second.probability == 0.0  # not read by the LLM: never the answer


def test_a_phrase_the_llm_did_not_copy_falls_back_to_the_fast_span() -> None:
    fast = FastReader([(0.7, "Ines Duarte"), (0.1, "forty"), (0.1, "Paul")])
    chat = GenericFakeChatModel(messages=iter([said("the port's chief, a woman", 0.1)]))
    [first, *_] = CascadeReader(fast, LLMReader(chat), passages=1).read("Who?", PASSAGES)
    assert first.span == "Ines Duarte"
    assert PASSAGES[0][first.start : first.end] == first.span


class _Handler(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Handler.requests.append(body)
        payload = {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "Ines Duarte"},
                    "logprobs": logprobs("Ines", 0.25),
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def openai_stand_in() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_log_probabilities_travel_through_the_openai_client(openai_stand_in: str) -> None:
    chat = ChatOpenAI(model="m", base_url=openai_stand_in, api_key=SecretStr("x"), max_retries=0)
    probability, phrase = LLMReader(chat).read_one("Who is the harbour master?", PASSAGES[0])
    assert phrase == "Ines Duarte" and probability == pytest.approx(0.75)
    sent = _Handler.requests[-1]
    assert sent["logprobs"] is True and sent["top_logprobs"] >= 5
    assert "Ines Duarte" in sent["messages"][-1]["content"]
