"""The `openvino` embedding backend: the encoder run by OpenVINO with int8 weights and int8 activations.

Built once from the packaged fp32 model (nothing is downloaded): the transformer is converted from PyTorch
(`openvino.convert_model`), its weights compressed to symmetric int8 per output channel
(`nncf.compress_weights`, no calibration data, so every build is the same), and the CPU plugin quantises
each matmul's activations at run time in groups of `GROUP_SIZE` values. Unlike the torch `int8` backend,
OpenVINO also fuses attention, GELU, the residual adds and layer norms into its kernels, which were what
held torch near 2x fp32 (benchmarks/profile_embed.py).

The model is built in a child process and saved in a cache folder, so talentqa's own processes load it
without importing torch, transformers or sentence-transformers at all (about 8 s of a one-shot `talentqa
ask` otherwise): the tokenizer is the model's own `tokenizer.json` run by `tokenizers`, with
sentence-transformers' truncation (padded to a multiple of `PAD_MULTIPLE` tokens), and mean pooling and
normalisation are done in numpy.

`OpenVINOEncoder` offers the slice of `SentenceTransformer` that `Embedder` uses (`encode`,
`get_sentence_embedding_dimension`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from talentqa.errors import ConfigError
from talentqa.paths import user_cache_dir

log = logging.getLogger(__name__)

# Activations are quantised per group of this many input values: 384 (one hidden vector of MiniLM) was
# 1.25x faster than the plugin's usual 32 here, at mean cosine 0.998 to fp32 (32: 0.999).
GROUP_SIZE = 384
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
# Batches are padded to a multiple of this many tokens. OpenVINO's CPU plugin prepares and keeps kernels for
# each input shape it meets, so with every length distinct memory grew by ~23 KB per chunk ingested (linear,
# 675 MiB after the 15.5k chunks of the news corpus) and each new shape cost time. With 16, at most 16
# lengths per batch size: RSS stays flat and embedding is 13% faster, for about 8 padded tokens per batch.
PAD_MULTIPLE = 16
# Part of the cache key: bump it when the way the saved model is built changes.
RECIPE = "int8-sym-weights-v1"
SUPPORTED_MODULES = {
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
}


def cpu_config(threads: int | None = None) -> dict[str, Any]:
    """How talentqa compiles an int8 model for OpenVINO's CPU plugin (the embedder and the reader)."""
    config: dict[str, Any] = {
        "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_PRECISION_HINT": "f32",
        "DYNAMIC_QUANTIZATION_GROUP_SIZE": GROUP_SIZE,
    }
    if threads:
        config["INFERENCE_NUM_THREADS"] = threads
    return config


def _import_openvino() -> Any:
    try:
        import openvino
    except ImportError as exc:  # a broken or partial install
        raise ConfigError(
            "the openvino embedding backend needs the 'openvino' package; install talentqa again, or choose "
            "another backend (TALENTQA_EMBEDDING__BACKEND=int8)"
        ) from exc
    return openvino


@dataclass(frozen=True)
class ModelLayout:
    """What a sentence-transformers folder says about its modules, read without loading the model."""

    max_seq_length: int
    do_lower_case: bool
    dimension: int

    @classmethod
    def read(cls, path: Path) -> ModelLayout:
        modules = json.loads((path / "modules.json").read_text())
        kinds = {module["type"] for module in modules}
        if not kinds <= SUPPORTED_MODULES:
            raise ConfigError(
                f"the openvino embedding backend supports transformer + pooling models; {path} also has "
                f"{sorted(kinds - SUPPORTED_MODULES)}"
            )
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith(".Pooling"))
        pooling = json.loads((path / pooling_dir / "config.json").read_text())
        modes = sorted(key for key, on in pooling.items() if key.startswith("pooling_mode") and on)
        if modes != ["pooling_mode_mean_tokens"]:
            raise ConfigError(
                f"the openvino embedding backend supports mean-pooled models; this one uses {modes}"
            )
        config = json.loads((path / "sentence_bert_config.json").read_text())
        return cls(
            max_seq_length=int(config["max_seq_length"]),
            do_lower_case=bool(config.get("do_lower_case", False)),
            dimension=int(pooling["word_embedding_dimension"]),
        )


def load_tokenizer(path: Path, max_seq_length: int) -> Any:
    """The model's fast tokenizer, set up as sentence-transformers runs it (`configure_tokenizer`)."""
    from tokenizers import Tokenizer

    return configure_tokenizer(Tokenizer.from_file(str(path / "tokenizer.json")), max_seq_length)


def configure_tokenizer(tokenizer: Any, max_seq_length: int) -> Any:
    """Sentence-transformers' truncation (the model's tokenizer.json says 128 tokens; sentence-transformers
    truncates at max_seq_length) and padding to the longest text, rounded up to `PAD_MULTIPLE`."""
    tokenizer.enable_truncation(max_length=max_seq_length)
    padding = tokenizer.padding or {}
    tokenizer.enable_padding(
        pad_id=padding.get("pad_id", 0),
        pad_token=padding.get("pad_token", "[PAD]"),
        pad_to_multiple_of=PAD_MULTIPLE,
    )
    return tokenizer


def cache_key(path: Path) -> str:
    """Changes with the model files, the openvino and nncf versions and the recipe."""
    from importlib import metadata

    files = []
    for file in sorted(path.rglob("*")):
        if file.is_file() and file.suffix in {".json", ".safetensors", ".bin", ".txt"}:
            stat = file.stat()
            files.append([str(file.relative_to(path)), stat.st_size, stat.st_mtime_ns])
    versions = []
    for package in ("openvino", "nncf"):
        try:
            versions.append(metadata.version(package))
        except metadata.PackageNotFoundError:
            versions.append("")
    blob = json.dumps([str(path.resolve()), files, versions, RECIPE, GROUP_SIZE]).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def default_cache_dir() -> Path:
    return user_cache_dir() / "openvino"


def build_model(model: Any) -> Any:
    """Convert a loaded SentenceTransformer's transformer to OpenVINO with int8-compressed weights."""
    openvino = _import_openvino()
    try:
        import nncf
    except ImportError as exc:
        raise ConfigError("building the openvino embedding model needs the 'nncf' package") from exc
    import torch

    transformer = model[0].model.eval()
    example = model.tokenizer(
        ["An example sentence to trace the model with.", "Another."], padding=True, return_tensors="pt"
    )
    inputs = {name: example[name] for name in INPUT_NAMES if name in example}
    with torch.no_grad(), warnings.catch_warnings():
        # Tracing warns that shape-dependent branches are frozen; the inputs' shapes stay dynamic.
        warnings.simplefilter("ignore")
        converted = openvino.convert_model(transformer, example_input=inputs)
    # NNCF's tables and progress bars are not the user's business (they would land in CLI output). Not
    # nncf.set_log_level: it also lowers whatever handlers sit on its logger, the application's included.
    logging.getLogger("nncf").setLevel(logging.ERROR)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return nncf.compress_weights(converted, mode=nncf.CompressWeightsMode.INT8_SYM)


def _load_sentence_transformer(path: Path) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def cached_model_file(path: Path, cache_dir: Path | None) -> Path:
    """Where the built model of the sentence-transformers folder `path` is (or will be) cached."""
    return (cache_dir or default_cache_dir()) / cache_key(path) / "model.xml"


def load_or_build(path: Path, cache_dir: Path | None) -> Any:
    """The int8 OpenVINO model of the sentence-transformers folder `path`: from the cache when it holds one,
    else built (seconds) and saved there. A cache that cannot be written costs only the rebuild next time."""
    openvino = _import_openvino()
    cache_dir = cache_dir or default_cache_dir()
    xml = cached_model_file(path, cache_dir)
    if xml.exists():
        try:
            return openvino.Core().read_model(str(xml))
        except RuntimeError as exc:  # truncated by a full disk, say: rebuild it
            log.warning("rebuilding the cached openvino model %s: %s", xml, exc)
            shutil.rmtree(xml.parent, ignore_errors=True)
    if _build_in_child(path, cache_dir):
        return openvino.Core().read_model(str(xml))
    return build_and_save(path, cache_dir)


def build_and_save(path: Path, cache_dir: Path) -> Any:
    """Build the model in this process and save it in the cache (a warning if that cannot be written)."""
    openvino = _import_openvino()
    built = build_model(_load_sentence_transformer(path))
    folder = cached_model_file(path, cache_dir).parent
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        # Written beside its final place and renamed, so a concurrent process never reads half a model.
        partial = Path(tempfile.mkdtemp(prefix=".building-", dir=folder.parent))
        openvino.save_model(built, str(partial / "model.xml"), compress_to_fp16=False)
        try:
            partial.rename(folder)
        except OSError:  # another process saved it first
            shutil.rmtree(partial, ignore_errors=True)
    except OSError as exc:
        log.warning("could not cache the openvino model in %s: %s", folder.parent, exc)
    return built


def _build_in_child(path: Path, cache_dir: Path) -> bool:
    """Build and cache the model in a child process: torch and sentence-transformers, once imported, stay
    mapped in a process (about 600 MiB of a long-running bot or ingest). False when the child could not
    leave a model in the cache (an unwritable cache: then it is built here, kept in memory only)."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    if not os.access(cache_dir, os.W_OK):
        return False
    code = (
        "import sys; from pathlib import Path; from talentqa.embeddings.openvino import build_and_save; "
        "build_and_save(Path(sys.argv[1]), Path(sys.argv[2]))"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", code, str(path), str(cache_dir)],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("building the openvino model in a child process failed (%s); building it here", exc)
        return False
    if result.returncode != 0:
        log.warning(
            "building the openvino model in a child process failed; building it here: %s",
            result.stderr.strip()[-500:],
        )
        return False
    return cached_model_file(path, cache_dir).exists()


class OpenVINOEncoder:
    """An OpenVINO-compiled transformer with sentence-transformers' tokenisation and mean pooling."""

    def __init__(
        self, ov_model: Any, tokenizer: Any, layout: ModelLayout, *, threads: int | None = None
    ) -> None:
        openvino = _import_openvino()
        self.tokenizer = tokenizer
        self.layout = layout
        self._inputs = [port.get_any_name() for port in ov_model.inputs]
        unknown = set(self._inputs) - set(INPUT_NAMES)
        if unknown:
            raise ConfigError(f"the openvino model has unexpected inputs {sorted(unknown)}")
        self._compiled = openvino.Core().compile_model(ov_model, "CPU", cpu_config(threads))
        self._output = self._compiled.outputs[0]  # last_hidden_state
        self._local = threading.local()

    @classmethod
    def from_path(
        cls, path: Path, *, cache_dir: Path | None = None, threads: int | None = None
    ) -> OpenVINOEncoder:
        """Load (or build once and cache) the encoder for a sentence-transformers folder."""
        layout = ModelLayout.read(path)
        ov_model = load_or_build(path, cache_dir)
        return cls(ov_model, load_tokenizer(path, layout.max_seq_length), layout, threads=threads)

    @classmethod
    def from_sentence_transformer(cls, model: Any, *, threads: int | None = None) -> OpenVINOEncoder:
        """Build in memory from a loaded SentenceTransformer (benchmarks compare it with the model as is)."""
        from tokenizers import Tokenizer

        pooling = model[1].get_config_dict() if len(model) > 1 else {}
        if pooling.get("pooling_mode") != "mean":
            raise ConfigError(
                f"the openvino embedding backend supports mean-pooled models; this one pools {pooling!r}"
            )
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        layout = ModelLayout(
            max_seq_length=int(model.max_seq_length),
            do_lower_case=bool(getattr(model[0], "do_lower_case", False)),
            dimension=int(dimension()),
        )
        tokenizer = Tokenizer.from_str(model.tokenizer.backend_tokenizer.to_str())
        return cls(
            build_model(model), configure_tokenizer(tokenizer, layout.max_seq_length), layout, threads=threads
        )

    def get_embedding_dimension(self) -> int:
        return self.layout.dimension

    get_sentence_embedding_dimension = get_embedding_dimension

    def tokenize(self, texts: Sequence[str]) -> dict[str, npt.NDArray[np.int64]]:
        """Token ids, attention mask and token types, padded to the longest text (rounded up)."""
        if self.layout.do_lower_case:
            texts = [text.lower() for text in texts]
        encodings = self.tokenizer.encode_batch(list(texts))
        return {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }

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
        out = np.zeros((len(texts), self.layout.dimension), dtype=np.float32)
        order = np.argsort([-len(text) for text in texts], kind="stable")
        request = self._request()
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            inputs = self.tokenize([texts[i] for i in rows])
            hidden = request.infer({name: inputs[name] for name in self._inputs})[self._output]
            mask = inputs["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            if normalize_embeddings:
                pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[rows] = pooled
        return out
