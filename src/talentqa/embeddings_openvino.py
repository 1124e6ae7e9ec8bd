"""The `openvino` embedding backend: the encoder run by OpenVINO with int8 weights and int8 activations.

Built at first use from the packaged fp32 model, in memory (nothing is downloaded or written): the
transformer is converted from PyTorch (`openvino.convert_model`), its weights compressed to symmetric int8
per output channel (`nncf.compress_weights`, no calibration data, so every build is the same), and the CPU
plugin quantises each matmul's activations at run time in groups of `GROUP_SIZE` values. Unlike the torch
`int8` backend, OpenVINO also fuses attention, GELU, the residual adds and layer norms into its kernels,
which were what held torch near 2x fp32 (benchmarks/profile_embed.py).

`OpenVINOEncoder` offers the slice of `SentenceTransformer` that `Embedder` uses (`encode`, `tokenizer`,
`get_sentence_embedding_dimension`): the same tokenizer, truncation, mean pooling and normalisation.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from talentqa.errors import ConfigError

# Activations are quantised per group of this many input values: 384 (one hidden vector of MiniLM) was
# 1.25x faster than the plugin's usual 32 here, at mean cosine 0.998 to fp32 (32: 0.999).
GROUP_SIZE = 384
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def _import_openvino() -> tuple[Any, Any]:
    try:
        import nncf
        import openvino
    except ImportError as exc:  # an optional extra
        raise ConfigError(
            "the openvino embedding backend needs the 'openvino' and 'nncf' packages "
            "(pip install 'talentqa[openvino]')"
        ) from exc
    return openvino, nncf


class OpenVINOEncoder:
    """A SentenceTransformer's transformer compiled by OpenVINO; pooling and normalisation in numpy."""

    def __init__(self, model: Any, *, threads: int | None = None) -> None:
        openvino, nncf = _import_openvino()
        import torch

        pooling = model[1].get_config_dict() if len(model) > 1 else {}
        if pooling.get("pooling_mode") != "mean":
            raise ConfigError(
                f"the openvino embedding backend supports mean-pooled models; this one pools {pooling!r}"
            )
        self.tokenizer = model.tokenizer
        self.max_seq_length = int(model.max_seq_length)
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self._dimension: int | None = dimension()
        transformer = model[0].model.eval()
        example = self._tokenize(["An example sentence to trace the model with.", "Another."])
        self._inputs = [name for name in INPUT_NAMES if name in example]
        with torch.no_grad(), warnings.catch_warnings():
            # Tracing warns that shape-dependent branches are frozen; the inputs' shapes stay dynamic.
            warnings.simplefilter("ignore")
            converted = openvino.convert_model(
                transformer, example_input={name: torch.from_numpy(example[name]) for name in self._inputs}
            )
        # NNCF's tables and progress bars are not the user's business (they would land in CLI output).
        nncf.set_log_level(logging.ERROR)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            compressed = nncf.compress_weights(converted, mode=nncf.CompressWeightsMode.INT8_SYM)
        config: dict[str, Any] = {
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": "f32",
            "DYNAMIC_QUANTIZATION_GROUP_SIZE": GROUP_SIZE,
        }
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        self._compiled = openvino.Core().compile_model(compressed, "CPU", config)
        self._output = self._compiled.outputs[0]  # last_hidden_state
        self._local = threading.local()

    def get_embedding_dimension(self) -> int | None:
        return self._dimension

    get_sentence_embedding_dimension = get_embedding_dimension

    def _tokenize(self, texts: Sequence[str]) -> dict[str, npt.NDArray[np.int64]]:
        encoded = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.max_seq_length, return_tensors="np"
        )
        return {name: np.asarray(encoded[name], dtype=np.int64) for name in INPUT_NAMES if name in encoded}

    def _request(self) -> Any:
        # One infer request per thread: a request is not safe to share, the compiled model is.
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compiled.create_infer_request()
        return request

    def encode(
        self,
        sentences: Sequence[str],
        batch_size: int = 32,
        normalize_embeddings: bool = False,
        **_ignored: Any,
    ) -> npt.NDArray[np.float32]:
        """Embed texts, longest first in batches (as sentence-transformers does, to cut padding)."""
        texts = list(sentences)
        out = np.zeros((len(texts), self._dimension or 0), dtype=np.float32)
        order = np.argsort([-len(text) for text in texts], kind="stable")
        request = self._request()
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            inputs = self._tokenize([texts[i] for i in rows])
            hidden = request.infer({name: inputs[name] for name in self._inputs})[self._output]
            mask = inputs["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            if normalize_embeddings:
                pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[rows] = pooled
        return out
