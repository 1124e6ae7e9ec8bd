"""What multi-word name terms cost the keyword index: build time, terms, index size and search time, at
10k and 100k chunks, against the same index without them (the baseline), in the same run.

The words' index is the same in both; names add a second BM25 index over the passages' name terms, searched
only for questions that name something rarer than its words (`KeywordIndex.telling_names`).

Chunks: the RealTimeQA news articles, then articles recombined from their sentences (as `query.py` builds its
stores, without embeddings: only the keyword index is measured), chunked by the real chunker and indexed
with their titles as `KeywordIndex.build` does. Questions: the news question sets `query.py` asks, each
searched in both indexes alternately (baseline first, then names; then the other way round for the next
question), 40 candidates as retrieval asks for.

    .venv/bin/python benchmarks/keyword_names.py [--sizes 10000,100000] [--limit 300] [--json FILE]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import NEWS, console, environment, percentile, read_jsonl, table, write_json
from query import iter_corpus, questions

from talentqa.ingest.chunking import chunk_article
from talentqa.settings import ChunkSettings, RetrievalSettings
from talentqa.store.keyword import KeywordIndex, _idf, _name_tokens, _stemmer, _tokenize
from talentqa.text import split_sentences


def news_sentences() -> list[str]:
    out: list[str] = []
    for record in read_jsonl(NEWS):
        text = str(record["text"])
        out.extend(text[s.start : s.end] for s in split_sentences(text) if s.end - s.start >= 20)
    return out


def corpus(size: int) -> list[str]:
    """Chunk texts under their titles, as the keyword index reads them."""
    settings = ChunkSettings()
    texts: list[str] = []
    for article in iter_corpus(size, news_sentences()):
        for chunk in chunk_article(article, settings):
            texts.append(f"{article.title}\n{chunk.text}")
    return texts[:size]


def build(texts: list[str], *, names: bool) -> tuple[KeywordIndex, float]:
    """The index as `KeywordIndex.build` makes it from these texts, with or without its names' index."""
    import bm25s

    t0 = time.perf_counter()
    tokens = _tokenize(texts, _stemmer())
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    idf = _idf(tokens, len(texts))
    names_index = None
    if names:
        name_tokens = _name_tokens(texts)
        names_index = bm25s.BM25()
        names_index.index(name_tokens, show_progress=False)
        idf.update(_idf(name_tokens, len(texts)))
    seconds = time.perf_counter() - t0
    ids = [str(i) for i in range(len(texts))]
    return KeywordIndex(
        retriever, ids, ["d"] * len(texts), [0] * len(texts), "bench", idf, None, names_index
    ), seconds


def index_bytes(index: KeywordIndex) -> int:
    parts = [index.retriever] + ([index.names] if index.names is not None else [])
    return sum(int(part.scores[key].nbytes) for part in parts for key in ("data", "indices", "indptr"))


def measure(size: int, asked: Sequence[str], depth: int) -> dict[str, Any]:
    texts = corpus(size)
    baseline, base_s = build(texts, names=False)
    named, named_s = build(texts, names=True)
    times: dict[str, list[float]] = {"baseline": [], "names": []}
    changed_top = 0
    telling = 0
    for i, question in enumerate(asked):
        order = [("baseline", baseline), ("names", named)]
        if i % 2:
            order.reverse()
        tops: dict[str, list[str]] = {}
        for label, index in order:
            t0 = time.perf_counter()
            hits = index.search(question, depth)
            times[label].append((time.perf_counter() - t0) * 1000)
            tops[label] = [cid for cid, _ in hits[:5]]
        changed_top += tops["baseline"] != tops["names"]
        telling += bool(named.telling_names(question))
    return {
        "chunks": len(texts),
        "build_s": {"baseline": round(base_s, 2), "names": round(named_s, 2)},
        "terms": {"baseline": len(baseline.idf), "names": len(named.idf)},
        "index_mib": {
            "baseline": round(index_bytes(baseline) / 2**20, 1),
            "names": round(index_bytes(named) / 2**20, 1),
        },
        "search_ms": {
            label: {"p50": round(percentile(v, 50), 2), "p95": round(percentile(v, 95), 2)}
            for label, v in times.items()
        },
        "questions": len(asked),
        "questions_with_a_telling_name": telling,
        "top5_changed": changed_top,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000", help="chunk counts, comma-separated")
    parser.add_argument("--limit", type=int, default=300, help="questions asked")
    parser.add_argument("--json", type=str, default=None, help="write the figures here too")
    args = parser.parse_args(argv)
    asked = questions(args.limit)
    depth = RetrievalSettings().candidates
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        console.print(f"[bold]{size:,} chunks[/bold]: building both indexes ...")
        results.append(measure(size, asked, depth))
    rows = []
    for r in results:
        for label in ("baseline", "names"):
            rows.append(
                [
                    f"{r['chunks']:,}",
                    label,
                    r["build_s"][label],
                    f"{r['terms'][label]:,}",
                    r["index_mib"][label],
                    r["search_ms"][label]["p50"],
                    r["search_ms"][label]["p95"],
                    f"{r['questions_with_a_telling_name']} / {r['top5_changed']} of {r['questions']}"
                    if label == "names"
                    else "",
                ]
            )
    console.print(
        table(
            "keyword index without and with name terms",
            [
                "chunks",
                "index",
                "build s",
                "terms",
                "MiB",
                "search p50 ms",
                "p95 ms",
                "telling name / top 5 moved",
            ],
            rows,
        )
    )
    write_json(
        Path(args.json) if args.json else None,
        {"environment": environment(), "results": results},
        "keyword_names.json",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
