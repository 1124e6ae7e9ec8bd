"""The accurate reader: an instruct LLM judges the passages the fast reader ranks highest.

For each of the `passages` best passages (by the fast reader), the LLM sees a window of the passage (the
sentence holding the fast reader's span and, by default, one sentence each side, under the article's
title and date) and is asked whether it states the answer, YES or NO. The passage's probability is the
model's P(YES) against P(NO) at that one token: on 300 SQuAD 2.0 calibration questions (retrieval
setting, Qwen2.5-1.5B) this judgement separates answerable from unanswerable with AUC 0.82-0.84, where
the probability of a first "NO" from a copy-the-answer prompt reached 0.67-0.73 and the fast reader 0.71
on the same questions. The probability is compared with a threshold calibrated like the fast reader's
(`talentqa calibrate --accurate`). A narrower window reads faster: without the sentence after the span
it did as well on those SQuAD questions but worse on news, where the next sentence often holds the fact.
With `views` (by default the window ending at the span's
sentence) the LLM judges each passage again in each further window, and the passage's probability is
the mean of the judgements' log-odds: the views err on different passages, and that one shares the
first's prompt up to the span's sentence, so a caching server reads little more (docs/measured.md,
"Two views of the judged window").
Passages are judged in the fast reader's order. With `accurate_stop_early` the first one judged above the
abstention threshold is the answer (`read_until`) and the later ones are not read: whether the reader
answers is exactly as when all are judged (the threshold is calibrated on the best of all), but a later
passage judged surer no longer displaces the fast reader's choice. On 300 SQuAD calibration questions that
quoted the gold answer first a little more often (0.793 against 0.771, 1.48 judgements a question instead
of 2); on news, where the fast reader ranks less well, less often (NewsQA pilot 0.524 against 0.595), so
judging all is the default.

When the answer is given, the model copies the shortest exact phrase that answers from the passage it
quotes first (`copy`; by default as the next turn of that passage's judgement, which a caching server
answers without reading the passage again, or as a prompt of its own). The phrase is located
in the passage (exactly, case- and space-folded, or fuzzily) and quoted as the sentence around it, from
stored text, like every quote; a phrase that cannot be located, or a refusal, falls back to the fast
reader's span. Where the copy lies in another sentence than the fast reader's span, the two readers
disagree on the sentence, and the fast reader's is quoted too, after the copy's (`keep_fast`): paired on
held-out sets, the same decisions quoted the gold answer more often (docs/measured.md). Passages the
LLM did not judge keep probability 0, so only what it read can be the answer; the rest are related
passages.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from talentqa.answer.citations import locate_quote
from talentqa.errors import AnswerError
from talentqa.reading.model import OtherSentence, ReaderOutput
from talentqa.reading.second_look import log_odds_mix, mean_log_odds
from talentqa.settings import AnswerSettings
from talentqa.text import WINDOW_SENTENCES, window

log = logging.getLogger(__name__)

COPY_SYSTEM = (
    "You answer questions by copying words from a passage. Reply with the shortest exact phrase from the "
    "passage that answers the question, copied character for character. If the passage does not say what "
    "the question asks, reply NO ANSWER. Reply with the phrase or NO ANSWER only."
)
JUDGE_SYSTEM = (
    "You check answers against a passage. Reply YES if the passage states the answer to the question, "
    "or NO if the passage does not say what the question asks. Reply YES or NO only."
)
COPY_INSTRUCTION = (
    "Copy the shortest exact phrase from the passage that answers the question, character for character. "
    "Reply with the phrase only."
)
NO_TOKENS = frozenset({"NO"})
YES_TOKENS = frozenset({"YES"})
TOP_LOGPROBS = 10
# What `talentqa calibrate ../shared/eval/squad2_dev --accurate --limit 1000 --seed 0 --out FILE` found: the
# shipped `accurate_threshold` is its threshold (a test holds them together).
CALIBRATION_FILE = Path(__file__).with_name("llm_calibration.json")
# What `benchmarks/news_threshold.py fit` found on 480 written news questions: `accurate_news_threshold`.
NEWS_CALIBRATION_FILE = Path(__file__).with_name("llm_calibration_news.json")
MAX_ANSWER_TOKENS = 32


def _first_token_options(logprobs: Any) -> list[tuple[str, float]] | None:
    """(token, probability) of the first generated position, from OpenAI-style logprobs; None if absent."""
    content = (logprobs or {}).get("content") if isinstance(logprobs, dict) else None
    if not content:
        return None
    first = content[0]
    options = first.get("top_logprobs") or [
        {"token": first.get("token", ""), "logprob": first.get("logprob")}
    ]
    found: list[tuple[str, float]] = []
    for option in options:
        token, value = str(option.get("token", "")), option.get("logprob")
        if isinstance(value, int | float):
            found.append((token.strip().upper(), math.exp(float(value))))
    return found


def yes_probability(logprobs: Any) -> float | None:
    """P(YES) / (P(YES) + P(NO)) at the first generated token; None when there are no log-probabilities,
    0.5 when neither word is among the top tokens (the model said something else: no evidence either way)."""
    options = _first_token_options(logprobs)
    if options is None:
        return None
    yes = sum(p for token, p in options if token in YES_TOKENS)
    no = sum(p for token, p in options if token in NO_TOKENS)
    return yes / (yes + no) if yes + no > 0 else 0.5


def mixed_probability(judged: float, fast: float, fast_weight: float) -> float:
    """The LLM's judgement with `fast_weight` of the fast reader's in log-odds (0: the LLM's alone). The
    two err on different passages: on news near-misses written for training, mixing 0.2 of the fast
    reader's lifted the judge's AUC from 0.845 to 0.866, but held-out questions ranked about as before
    (docs/measured.md), so the setting's default is 0."""
    return judged if fast_weight <= 0.0 else log_odds_mix(judged, fast, fast_weight)


class LLMReader:
    """Reads one passage window at a time with a chat model that returns token log-probabilities."""

    def __init__(self, model: BaseChatModel, *, copy_turn: bool = False) -> None:
        self.copy_turn = copy_turn
        self.model: Any = model.bind(logprobs=True, top_logprobs=TOP_LOGPROBS, max_tokens=MAX_ANSWER_TOKENS)
        self.judge_model: Any = model.bind(logprobs=True, top_logprobs=TOP_LOGPROBS, max_tokens=1)
        self._warned = False

    def _invoke(self, model: Any, messages: list[BaseMessage]) -> Any:
        try:
            return model.invoke(messages)
        except Exception as exc:  # the endpoint's own errors vary by provider; all mean "no reading"
            raise AnswerError(f"the reading model failed: {exc}") from exc

    def _no_logprobs(self) -> None:
        if not self._warned:
            log.warning("the reading model's endpoint returns no log-probabilities; using its words only")
            self._warned = True

    @staticmethod
    def _judge_messages(question: str, passage: str) -> list[BaseMessage]:
        return [SystemMessage(JUDGE_SYSTEM), HumanMessage(f"Passage:\n{passage}\n\nQuestion: {question}")]

    def judge(self, question: str, passage: str) -> float:
        """The probability that `passage` states the answer to `question` (the model's YES against NO)."""
        reply = self._invoke(self.judge_model, self._judge_messages(question, passage))
        p_yes = yes_probability(reply.response_metadata.get("logprobs"))
        if p_yes is None:
            self._no_logprobs()
            p_yes = 1.0 if str(reply.content).strip().upper().startswith("YES") else 0.0
        return p_yes

    def copy(self, question: str, passage: str) -> str:
        """The phrase answering `question` that the model copies from `passage` ('' if it declines).

        With `copy_turn`, the next turn of the judgement's conversation, so a server with prompt caching
        (llama.cpp keeps recent prompts) reads only the new turn rather than the passage again: about 1 s
        faster a given answer here. The turn asks the question again beside the instruction: without it
        the model, still under the judge's YES/NO system prompt, copied less well (140 SQuAD calibration
        questions: exact match 0.686 and F1 0.747 without, 0.714 and 0.795 with; a prompt of its own
        0.707 and 0.778). Otherwise a prompt of its own: the copying system prompt, then passage and
        question."""
        messages: list[BaseMessage]
        if self.copy_turn:
            messages = [
                *self._judge_messages(question, passage),
                AIMessage("YES"),
                HumanMessage(f"{COPY_INSTRUCTION}\n\nQuestion: {question}"),
            ]
        else:
            messages = [
                SystemMessage(COPY_SYSTEM),
                HumanMessage(f"Passage:\n{passage}\n\nQuestion: {question}"),
            ]
        reply = self._invoke(self.model, messages)
        text = str(reply.content).strip().strip('"').strip()
        return "" if text.upper().rstrip(".") in {"NO", "NO ANSWER"} else text


class CascadeReader:
    """The fast reader ranks every passage and the LLM judges the best `passages` of them (`read`, or
    `read_until` a passage passes the threshold); the answerer has the LLM copy the answer phrase from the
    passage it quotes first (`refine`)."""

    def __init__(
        self,
        fast: Any,
        llm: LLMReader,
        passages: int = 2,
        sentences: tuple[int, int] = WINDOW_SENTENCES,
        min_fast: float = 0.0,
        fast_weight: float = 0.0,
        keep_fast: bool = True,
        views: Sequence[tuple[int, int]] = (),
        judge_read_first: bool = True,
    ) -> None:
        self.fast = fast
        self.llm = llm
        self.passages = passages
        self.sentences = sentences
        self.min_fast = min_fast
        self.fast_weight = fast_weight
        self.keep_fast = keep_fast
        self.views = tuple(views)
        self.judge_read_first = judge_read_first

    def read(
        self, question: str, passages: Sequence[str], headers: Sequence[str] | None = None
    ) -> list[ReaderOutput]:
        return self.read_until(question, passages, headers, stop_at=None)

    def read_until(
        self,
        question: str,
        passages: Sequence[str],
        headers: Sequence[str] | None = None,
        *,
        stop_at: float | None,
        priority: Sequence[int] | None = None,
        skip: Sequence[bool] | None = None,
        fast_question: str | None = None,
    ) -> list[ReaderOutput]:
        """`read`, judging in the fast reader's order and stopping at the first passage judged at least
        `stop_at` likely to answer: the passages after it are not read and keep probability 0. A passage
        other than the fast reader's first is judged only where the fast reader gives it at least
        `min_fast`: the LLM seldom finds the answer where the fast reader found none, and a judgement is
        the cost. With `priority`, of those the passages meeting more of the dates and outlets the
        question names are judged first: the fast reader is as sure of an old report of the same kind of
        event as of this week's ("expanding this week to which state?"), and only the judged can answer.
        With `judge_read_first`, the passages meeting the most of them are candidates whatever the fast
        reader gives them.
        Passages `skip` marks are never judged, not even the fast reader's first: they cannot answer (a
        report from before the week asked about), so a judgement spent on one is a judgement denied to a
        passage that can. The fast reader reads `fast_question` where given (the question without the
        statements leading it in, as it was trained), the LLM `question` (whole: a lead-in says who "he"
        is)."""
        heads = list(headers) if headers is not None else [""] * len(passages)
        fast = self.fast.read(fast_question or question, passages, heads)
        promise = list(priority) if priority is not None else [0] * len(passages)
        readable = [i for i in range(len(passages)) if skip is None or not skip[i]]
        ranked = sorted(readable, key=lambda i: -fast[i].probability)
        best_promise = max((promise[i] for i in readable), default=0)

        def candidate(i: int) -> bool:
            if fast[i].probability >= self.min_fast:
                return True
            # Those best meeting the asked-for dates and outlets are judged however unlikely the fast reader
            # finds them: it reads news poorly (it put the week's reports of a crash in Nepal under the floor;
            # the LLM passed them), and a report of the days asked about is the likeliest to answer.
            return self.judge_read_first and best_promise > 0 and promise[i] == best_promise

        candidates = ranked[:1] + [i for i in ranked[1:] if candidate(i)]
        order = sorted(candidates, key=lambda i: -promise[i])[: self.passages]  # stable: fast order within
        outputs = [replace(o, probability=0.0) for o in fast]  # unjudged: never the answer
        for i in order:
            guess = fast[i]
            judged = self._judge_views(question, passages[i], heads[i], guess)
            probability = mixed_probability(judged, guess.probability, self.fast_weight)
            outputs[i] = replace(guess, probability=probability)
            if stop_at is not None and probability >= stop_at:
                break
        return outputs

    def _judge_views(self, question: str, text: str, head: str, guess: ReaderOutput) -> float:
        """The LLM's judgement of the window around `guess`'s span and, with `views`, of each further
        window: the mean of their log-odds. A view that is the same text as one judged already (the
        span's sentence ends the passage) counts again without being asked again."""
        judgements: dict[tuple[int, int], float] = {}
        views: list[float] = []
        for sentences in (self.sentences, *self.views):
            bounds = window(text, guess.start, guess.end, sentences)
            if bounds not in judgements:
                judgements[bounds] = self.llm.judge(question, head + text[bounds[0] : bounds[1]])
            views.append(judgements[bounds])
        return mean_log_odds(views)

    def refine(self, question: str, text: str, head: str, judged: ReaderOutput) -> ReaderOutput:
        """The passage chosen to answer, with the span the LLM copies from it (located in the passage);
        the fast reader's span where it copies nothing that can be found there. With `keep_fast`, a copy
        found outside the fast span's sentence makes that span the reading's other sentence, which the
        answerer quotes after the copy's. Only an answer that will be shown is refined: an abstention
        costs the judgements alone."""
        w_start, w_end = window(text, judged.start, judged.end, self.sentences)
        phrase = self.llm.copy(question, head + text[w_start:w_end])
        start, end = judged.start, judged.end
        span_probability = judged.span_probability
        if phrase:
            found, offset = locate_quote(text[w_start:w_end], phrase), w_start
            if found is None:
                found, offset = locate_quote(text, phrase), 0
            if found is not None:
                start, end = found.start + offset, found.end + offset
                span_probability = None  # the LLM's copy: no span head chose these bounds
        # The fast heads' other sentence stays: where the copy moved into it, it is not quoted twice.
        other = judged.other
        if self.keep_fast and _sentences_apart(text, (start, end), (judged.start, judged.end)):
            # The copy left the fast span's sentence: the two readers disagree, so that sentence is quoted
            # after the copy's, as the heads' own runner-up would be (gap 0: it was their best).
            other = OtherSentence(judged.start, judged.end, 0.0)
        return replace(
            judged, start=start, end=end, span=text[start:end], span_probability=span_probability, other=other
        )


def _sentences_apart(text: str, copied: tuple[int, int], fast: tuple[int, int]) -> bool:
    """Whether the copied span's sentence(s) and the fast span's share no sentence of `text`."""
    c_start, c_end = window(text, *copied, (0, 0))
    f_start, f_end = window(text, *fast, (0, 0))
    return c_end <= f_start or f_end <= c_start


def build_cascade(answer: AnswerSettings, chat: BaseChatModel, fast: Any) -> CascadeReader:
    """The accurate reader that `answer`'s settings describe: `fast` ranks, `chat` judges and copies."""
    return CascadeReader(
        fast,
        LLMReader(chat, copy_turn=answer.accurate_copy == "turn"),
        passages=answer.accurate_passages,
        sentences=answer.accurate_context,
        min_fast=answer.accurate_min_fast,
        fast_weight=answer.accurate_fast_weight,
        keep_fast=answer.accurate_keep_fast,
        views=answer.accurate_views,
        judge_read_first=answer.accurate_judge_read_first,
    )
