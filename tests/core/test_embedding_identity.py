"""The identity a store records for its vectors: the model, plus the backend unless it is fp32 torch."""

from __future__ import annotations

from talentqa.embeddings import BACKENDS, embedding_id, parse_embedding_id


def test_identity_round_trips_for_every_backend() -> None:
    assert {"torch", "int8", "bf16", "openvino"} <= BACKENDS  # read from the settings' choices
    assert embedding_id("all-MiniLM-L6-v2", "torch") == "all-MiniLM-L6-v2"
    assert embedding_id("all-MiniLM-L6-v2", "openvino") == "all-MiniLM-L6-v2+openvino"
    for backend in BACKENDS:
        assert parse_embedding_id(embedding_id("m", backend)) == ("m", backend)
    assert parse_embedding_id("m+fp4") is None  # a backend this version does not know
