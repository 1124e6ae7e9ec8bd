from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from talentqa.app import TalentQA
from talentqa.embeddings import Embedder
from talentqa.errors import ModelMismatchError
from talentqa.settings import EmbeddingSettings, Settings


def test_int8_backend_embeds_close_to_fp32_and_is_recorded_as_another_model(
    real_embedder: Embedder, tmp_path: Path
) -> None:
    int8 = Embedder(EmbeddingSettings(backend="int8"))
    texts = [
        "Chinese scientists returned from the U.S. to lead new labs.",
        "The fund supports young researchers.",
    ]
    cosine = np.sum(int8.embed(texts) * real_embedder.embed(texts), axis=1)
    assert np.all(cosine > 0.95)
    assert int8.name == "all-MiniLM-L6-v2+int8" and real_embedder.name == "all-MiniLM-L6-v2"
    (tmp_path / "a.md").write_text("A short article about returning scientists.")
    settings = Settings(store=tmp_path / "vs")
    with TalentQA.open(settings, embedder=real_embedder) as qa:
        qa.ingest_sources([str(tmp_path / "a.md")])
    with pytest.raises(ModelMismatchError):
        TalentQA.open(settings, embedder=int8)
