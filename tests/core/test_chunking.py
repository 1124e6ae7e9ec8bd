from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from talentqa.ingest.chunking import chunk_article, chunk_spans, split_sentences
from talentqa.ingest.loaders import make_article
from talentqa.settings import ChunkSettings
from talentqa.text import estimate_tokens, normalise

CHUNKS = ChunkSettings()


def test_sentences_respect_abbreviations_initials_and_paragraphs() -> None:
    text = (
        "Dr. Sun Nan returned to China after ten years in the U.S. This month he began teaching. "
        "J. Smith agreed.\nA new paragraph starts here without a period\nAnd another one."
    )
    sentences = [text[s.start : s.end] for s in split_sentences(text)]
    assert sentences == [
        "Dr. Sun Nan returned to China after ten years in the U.S.",
        "This month he began teaching.",
        "J. Smith agreed.",
        "A new paragraph starts here without a period",
        "And another one.",
    ]


def test_chunks_are_sentence_aligned_sized_and_overlapping() -> None:
    sentence = "Researchers from elite universities joined the new laboratory in {n} after years abroad."
    text = " ".join(sentence.format(n=2000 + i) for i in range(80))
    article = make_article(doc_id="d", text=text, source="t")
    chunks = chunk_article(article, CHUNKS)
    assert len(chunks) > 3
    starts = {s.start for s in split_sentences(article.text)}
    for chunk in chunks:
        assert article.text[chunk.start : chunk.end] == chunk.text
        assert chunk.start in starts
        assert estimate_tokens(chunk.text) <= CHUNKS.max_tokens
    middle = chunks[1:-1]
    assert all(estimate_tokens(c.text) >= 150 for c in middle)
    # Consecutive chunks share trailing sentences.
    for left, right in zip(chunks, chunks[1:], strict=False):
        assert right.start < left.end


def test_chunk_ids_are_stable_and_change_with_content() -> None:
    a = make_article(doc_id="doc", text="One sentence here. Another one there.", source="s")
    b = make_article(doc_id="doc", text="One sentence here. A corrected one there.", source="s")
    assert [c.id for c in chunk_article(a, CHUNKS)] == [c.id for c in chunk_article(a, CHUNKS)]
    assert {c.id for c in chunk_article(a, CHUNKS)}.isdisjoint(c.id for c in chunk_article(b, CHUNKS))


words = st.text(alphabet=st.characters(categories=("Ll", "Lu", "Nd")), min_size=1, max_size=12)
sentences = st.lists(words, min_size=1, max_size=40).map(lambda ws: " ".join(ws) + st_end())


def st_end() -> str:
    return "."


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(words, min_size=1, max_size=60), min_size=1, max_size=30),
    st.sampled_from([". ", "\n", "! "]),
)
def test_every_chunk_is_an_exact_span_and_the_text_is_covered(parts: list[list[str]], sep: str) -> None:
    text = normalise(sep.join(" ".join(p) for p in parts))
    spans = chunk_spans(text, CHUNKS)
    covered = set()
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start : span.end].strip() == text[span.start : span.end]
        covered.update(range(span.start, span.end))
    letters = {i for i, ch in enumerate(text) if ch.isalnum()}
    assert letters <= covered
