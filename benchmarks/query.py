"""Answer latency of the extractive (reading) answerer at 10k, 100k and 500k chunks; queries/s, 4 askers.

Stores: built once and cached under ~/.cache/talentqa-bench/stores/chunks-<N>/ (outside git). Each holds the
RealTimeQA news articles (as many as fit) and, past them, generated article-like documents: sentences of
the news corpus recombined at random into new articles of 6-50 sentences (seeded, so every rebuild is the
same). They go through the real ingest pipeline (`Ingestor`: chunking, Chroma upserts, article records),
with one shortcut: a chunk's vector is the normalised mean of the model's vectors of its sentences, each
sentence embedded once (sentences not in the pool, e.g. under 20 characters, are left out of the mean).
Embedding 500k chunks for real would take hours on a small CPU; these vectors have the model's geometry,
which is what HNSW search time depends on. The question path is entirely real: question embedding,
Chroma HNSW search, bm25s keyword search, fusion, reading (the trained reader over the k passages) and
quote verification.

Questions: RealTimeQA, MultiHop-RAG and NewsQA questions (news), each asked once, in order, after a few
warm-up questions; caches stay warm as in a running bot. Then the same number of questions (the caches
cleared) by 4 threads over one `TalentQA`, as the bot's bounded concurrency does.

    .venv/bin/python benchmarks/query.py [--sizes 10000,100000] [--limit N] [--json FILE] [--threads 4]
        [--agreement on|off|both]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import shutil
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    CACHE,
    EVAL,
    NEWS,
    console,
    environment,
    load_avg,
    percentile,
    read_jsonl,
    table,
    warn_if_busy,
    write_json,
)

STORES = CACHE / "stores"
POOL = CACHE / "sentence-pool"
SPEC_FILE = "talentqa-bench.json"
GENERATOR_VERSION = 1
STAGES = ("embed_ms", "dense_ms", "keyword_ms", "fusion_ms", "answer_ms", "verify_ms", "total_ms")
QUESTION_SETS = ("realtimeqa_news", "multihop_rag_sample500", "newsqa_cnn_pilot42")
WARMUP = (
    "What is the capital of France?",
    "Who won the game on Sunday?",
    "How many people were injured in the storm?",
)


# --- the sentence pool: every news sentence embedded once ----------------------------------------------


def sentence_pool(backend: str, docs: int | None = None) -> tuple[list[str], np.ndarray]:
    """Distinct sentences of the news corpus (its first `docs` articles) and their real vectors, cached."""
    folder = POOL / f"{backend}-{docs or 'all'}"
    texts_file, vectors_file = folder / "sentences.json", folder / "vectors.npy"
    if texts_file.exists() and vectors_file.exists():
        return json.loads(texts_file.read_text()), np.load(vectors_file)
    from talentqa.embeddings import Embedder
    from talentqa.ingest.loaders import make_article
    from talentqa.settings import EmbeddingSettings
    from talentqa.text import split_sentences

    seen: dict[str, None] = {}
    for record in read_jsonl(NEWS, docs):
        text = make_article(doc_id=str(record["id"]), text=record["text"], source="b").text
        for span in split_sentences(text):
            sentence = text[span.start : span.end]
            if len(sentence) >= 20:
                seen.setdefault(sentence, None)
    sentences = list(seen)
    embedder = Embedder(EmbeddingSettings(backend=backend))  # type: ignore[arg-type]
    console.print(f"embedding the sentence pool: {len(sentences):,} sentences ({backend}), once ...")
    t = time.perf_counter()
    vectors = np.concatenate(
        [embedder.embed(sentences[i : i + 4096]) for i in range(0, len(sentences), 4096)]
    ).astype(np.float32)
    console.print(f"  {time.perf_counter() - t:.0f} s")
    folder.mkdir(parents=True, exist_ok=True)
    np.save(vectors_file, vectors)
    texts_file.write_text(json.dumps(sentences))
    return sentences, vectors


class PooledEmbedder:
    """Stands in for `Embedder` while building: a chunk's vector from its sentences' pooled vectors."""

    def __init__(self, sentences: list[str], vectors: np.ndarray, real: Any) -> None:
        self.index = {s: i for i, s in enumerate(sentences)}
        self.vectors = vectors
        self.real = real
        self.dimension = int(vectors.shape[1])
        self.name = real.name
        self.misses = 0
        self.sentences = 0
        self.chunks_embedded_for_real = 0

    def embed(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        from talentqa.text import split_sentences

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        orphans: list[int] = []
        for i, text in enumerate(texts):
            rows = [self.index.get(text[span.start : span.end]) for span in split_sentences(text)]
            found = [row for row in rows if row is not None]
            self.sentences += len(rows)
            self.misses += len(rows) - len(found)
            if not found:  # no known sentence (rare): embed the chunk for real
                orphans.append(i)
                continue
            mean = self.vectors[found].mean(axis=0)
            out[i] = mean / (np.linalg.norm(mean) or 1.0)
        if orphans:
            out[orphans] = self.real.embed([texts[i] for i in orphans])
            self.chunks_embedded_for_real += len(orphans)
        return out


# --- the synthetic corpus ----------------------------------------------------------------------------------


def iter_corpus(size: int, sentences: list[str], seed: int = 7) -> Iterator[Any]:
    """News articles, then recombined ones, until their chunks reach `size`."""
    from talentqa.ingest.chunking import chunk_article
    from talentqa.ingest.loaders import make_article
    from talentqa.settings import ChunkSettings

    settings = ChunkSettings()
    rng = random.Random(seed)
    records = read_jsonl(NEWS)
    titles = [str(r["title"]) for r in records]
    total = 0
    for record in records:
        article = make_article(
            doc_id=str(record["id"]),
            text=record["text"],
            source="news",
            title=record.get("title"),
            url=record.get("url"),
            published=record.get("publish_date"),
        )
        total += len(chunk_article(article, settings))
        yield article
        if total >= size:
            return
    start = dt.date(2023, 1, 1)
    n = 0
    while total < size:
        paragraphs = []
        for _ in range(rng.randint(3, 10)):
            paragraphs.append(" ".join(rng.choice(sentences) for _ in range(rng.randint(2, 5))))
        article = make_article(
            doc_id=f"syn-{n:07d}",
            text="\n\n".join(paragraphs),
            source="synthetic",
            title=f"{rng.choice(titles)} ({n})",
            url=f"https://example.com/news/{n}",
            published=start + dt.timedelta(days=rng.randint(0, 58)),
        )
        n += 1
        total += len(chunk_article(article, settings))
        yield article


def store_folder(size: int, pool_docs: int | None = None) -> Path:
    return STORES / (f"chunks-{size}" if pool_docs is None else f"chunks-{size}-pool{pool_docs}")


def build_store(size: int, backend: str, pool_docs: int | None = None) -> dict[str, Any]:
    """Build (or reuse) the cached store of about `size` chunks; returns its spec."""
    from talentqa.app import TalentQA
    from talentqa.embeddings import Embedder
    from talentqa.ingest.pipeline import Ingestor
    from talentqa.settings import EmbeddingSettings, IngestSettings, Settings
    from talentqa.store import Store

    folder = store_folder(size, pool_docs)
    spec_path = folder / SPEC_FILE
    if spec_path.exists():
        spec: dict[str, Any] = json.loads(spec_path.read_text())
        if spec.get("generator") == GENERATOR_VERSION:
            return spec
        shutil.rmtree(folder, ignore_errors=True)  # built by another generator: start again
    elif folder.exists():
        # An interrupted build resumes: the corpus is seeded and ingest skips unchanged articles.
        console.print(f"resuming the interrupted build in {folder}")
    sentences, vectors = sentence_pool(backend, pool_docs)
    # The vectors come from the sentence pool, so the store records the fp32 identity whatever the
    # default backend; `measure` switches the question model with --backend.
    settings = Settings(
        store=folder,
        ingest=IngestSettings(docs_per_batch=256),
        embedding=EmbeddingSettings(backend="torch"),
    )
    real = Embedder(settings.embedding)
    pooled = PooledEmbedder(sentences, vectors, real)
    console.print(f"building the {size:,}-chunk store in {folder} ...")
    t = time.perf_counter()
    last = [t]

    def progress(kind: str, n: int) -> None:
        if kind == "chunks" and time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            console.print(f"  [dim]{time.perf_counter() - t:.0f} s, load {load_avg()[0]}[/dim]")

    store = Store.open(settings, model_name=real.name, dimension=pooled.dimension)
    try:
        report = Ingestor(store, pooled, settings, progress).run(iter_corpus(size, sentences))  # type: ignore[arg-type]
    finally:
        store.close()
    ingest_s = time.perf_counter() - t
    t = time.perf_counter()
    with TalentQA.open(settings) as qa:
        qa.keyword.current()  # built and saved beside the store
        chunks, documents = qa.store.count_chunks(), qa.store.count_documents()
    spec = {
        "generator": GENERATOR_VERSION,
        "target_chunks": size,
        "folder": str(folder),
        "chunks": chunks,
        "documents": documents,
        "failed": len(report.failed),
        "ingest_seconds": ingest_s,
        "keyword_index_seconds": time.perf_counter() - t,
        "pool": {"backend": backend, "docs": pool_docs or "all", "sentences": len(sentences)},
        "sentences_not_in_pool": pooled.misses,
        "chunks_embedded_for_real": pooled.chunks_embedded_for_real,
        "sentences_pooled": pooled.sentences,
        "built": dt.datetime.now().isoformat(timespec="seconds"),
        "load_avg_after": load_avg(),
    }
    spec_path.write_text(json.dumps(spec, indent=2))
    console.print(f"  built: {chunks:,} chunks, {documents:,} documents in {ingest_s:.0f} s")
    return spec


# --- asking -----------------------------------------------------------------------------------------------


def questions(limit: int | None) -> list[str]:
    seen: dict[str, None] = {}
    for name in QUESTION_SETS:
        path = EVAL / name / "questions.jsonl"
        if path.exists():
            for record in read_jsonl(path):
                seen.setdefault(" ".join(str(record["question"]).split()), None)
    out = list(seen)
    random.Random(3).shuffle(out)
    return out[:limit] if limit else out


def clear_caches(qa: Any) -> None:
    """Forget cached question vectors and article texts (a cold-ish service)."""
    qa.embedder._query_cache.cache_clear()
    qa.store._text_cache.cache_clear()


def ask_all(qa: Any, asked: Sequence[str]) -> tuple[list[dict[str, float]], float, int]:
    rows: list[dict[str, float]] = []
    abstained = 0
    t = time.perf_counter()
    for question in asked:
        started = time.perf_counter()
        answer = qa.ask(question)
        timings = dict(answer.timings)
        timings["wall_ms"] = (time.perf_counter() - started) * 1000
        rows.append(timings)
        abstained += answer.abstained
    return rows, time.perf_counter() - t, abstained


def ask_concurrently(qa: Any, asked: Sequence[str], threads: int) -> tuple[list[float], float, int]:
    queue = list(reversed(asked))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[BaseException] = []

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                question = queue.pop()
            started = time.perf_counter()
            try:
                qa.ask(question)
            except BaseException as exc:  # reported, not raised in a thread
                errors.append(exc)
                continue
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    t = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        console.print(f"[red]{len(errors)} errors under concurrency, first: {errors[0]!r}[/red]")
    return latencies, time.perf_counter() - t, len(errors)


def profile_asks(qa: Any, asked: Sequence[str], top: int = 18) -> list[dict[str, Any]]:
    """cProfile of asking these questions (caches cleared first): the functions with most cumulative time."""
    import cProfile
    import pstats

    clear_caches(qa)
    profiler = cProfile.Profile()
    profiler.enable()
    for question in asked:
        qa.ask(question)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows: list[dict[str, Any]] = []
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    entries = stats.stats  # type: ignore[attr-defined]
    for (file, line, name), (_cc, calls, tottime, cumtime, _callers) in entries.items():
        rows.append(
            {
                "function": f"{Path(file).name}:{line}({name})",
                "calls": calls,
                "tottime_s": tottime,
                "cumtime_s": cumtime,
                "cum_share": cumtime / total,
            }
        )
    rows.sort(key=lambda r: -r["cumtime_s"])
    return rows[:top]


def one_batch(lengths: Sequence[int], call_cost: int = 0) -> list[list[int]]:
    """Every window in one inference call (how the reader read before `length_batches`)."""
    return [list(range(len(lengths)))] if lengths else []


def measure(
    size: int,
    spec: dict[str, Any],
    asked: list[str],
    threads: int,
    backend: str,
    profile: int = 0,
    keyword_slot: bool = True,
    length_batches: bool = True,
    agreement: bool = True,
) -> dict[str, Any]:
    from talentqa.app import TalentQA
    from talentqa.embeddings.int8 import prepare
    from talentqa.reading import model as reader_model
    from talentqa.settings import AnswerSettings, EmbeddingSettings, RetrievalSettings, Settings

    result: dict[str, Any] = {
        "size": size,
        "store": spec,
        "keyword_slot": keyword_slot,
        "length_batches": length_batches,
        "agreement": agreement,
        "load_avg_before": load_avg(),
    }
    batching = reader_model.length_batches
    if not length_batches:  # the baseline: every window padded to the longest, in one inference call
        reader_model.length_batches = one_batch
    t = time.perf_counter()
    # The stores hold fp32-identity vectors (see build_store); the question model is switched to the
    # measured backend here, as the vectors' geometry is the same.
    settings = Settings(
        store=Path(spec["folder"]),
        embedding=EmbeddingSettings(backend="torch"),
        retrieval=RetrievalSettings(keyword_slot=keyword_slot),
        answer=AnswerSettings(agreement=agreement),
    )
    qa = TalentQA.open(settings)
    qa.embedder._model = prepare(qa.embedder.model, backend)  # the question model only
    qa.keyword.current()
    result["open_seconds"] = time.perf_counter() - t
    try:
        for question in WARMUP:
            qa.ask(question)
        rows, seconds, abstained = ask_all(qa, asked)
        result["questions"] = len(rows)
        result["abstained"] = abstained
        result["sequential_qps"] = len(rows) / seconds
        result["load_avg_mid"] = load_avg()
        stages: dict[str, dict[str, float]] = {}
        for stage in (*STAGES, "wall_ms"):
            values = [row.get(stage, 0.0) for row in rows]
            stages[stage] = {
                "mean": float(np.mean(values)),
                "p50": percentile(values, 50),
                "p95": percentile(values, 95),
                "p99": percentile(values, 99),
                "max": max(values),
            }
        result["stages"] = stages
        if profile:
            result["profile"] = profile_asks(qa, asked[:profile])
        clear_caches(qa)
        latencies, seconds, errors = ask_concurrently(qa, asked, threads)
        result["concurrent"] = {
            "threads": threads,
            "questions": len(latencies),
            "errors": errors,
            "qps": len(latencies) / seconds,
            "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99),
        }
    finally:
        qa.close()
        reader_model.length_batches = batching
    result["load_avg_after"] = load_avg()
    return result


# With the reader (issue 17) the 100k target is 250 ms: reading five passages costs about 70 ms.
TARGETS_P95_MS = {100_000: 250.0, 500_000: 300.0}


def label_of(result: dict[str, Any]) -> str:
    return variant(result["keyword_slot"], result["length_batches"], result.get("agreement", True))


def variant(keyword_slot: bool, length_batches: bool, agreement: bool = True) -> str:
    return (
        f"keyword slot {'on' if keyword_slot else 'off'}, "
        f"{'length batches' if length_batches else 'one padded batch'}"
        f"{'' if agreement else ', no agreement'}"
    )


# What an on / off / both option measures: both is off first (the baseline), then on.
SWITCHED = {"on": [True], "off": [False], "both": [False, True]}


def switch(parser: argparse.ArgumentParser, flag: str, what: str) -> None:
    parser.add_argument(flag, choices=list(SWITCHED), default="on", help=what)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,500000", help="store sizes in chunks")
    parser.add_argument("--limit", type=int, default=None, help="ask the first N questions (default: all)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--threads", type=int, default=4, help="concurrent askers")
    parser.add_argument(
        "--backend",
        choices=["torch", "int8", "bf16", "openvino"],
        default=None,
        help="question model (default: the settings' default, openvino)",
    )
    parser.add_argument("--build-only", action="store_true", help="build the cached stores and stop")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached stores")
    parser.add_argument("--profile", type=int, default=0, help="cProfile N questions per store, print top")
    parser.add_argument("--pool-docs", type=int, default=None, help="sentence pool from N articles (tests)")
    switch(
        parser,
        "--keyword-slot",
        "read the keyword search's best passage too (the default, on); both: "
        "each store measured without it first, as the baseline, then with it",
    )
    switch(
        parser,
        "--length-batches",
        "read the passages' windows in batches by length (the default, on); "
        "off: one batch padded to the longest window; both: each store measured with one batch first, "
        "as the baseline",
    )
    switch(
        parser,
        "--agreement",
        "articles' agreement on a name, with a long question's longest clue read "
        "too (the default, on); both: each store measured without it first, as the baseline, then with it",
    )
    args = parser.parse_args(argv)
    agreements = SWITCHED[args.agreement]
    slots = SWITCHED[args.keyword_slot]
    batchings = SWITCHED[args.length_batches]

    if args.backend is None:
        from talentqa.settings import EmbeddingSettings

        args.backend = EmbeddingSettings().backend
    sizes = [int(s.replace("_", "").replace("k", "000")) for s in args.sizes.split(",")]
    env = environment()
    if args.rebuild:
        for size in sizes:
            shutil.rmtree(store_folder(size, args.pool_docs), ignore_errors=True)
    specs = {size: build_store(size, "bf16" if _fast_bf16() else "torch", args.pool_docs) for size in sizes}
    if args.build_only:
        return 0

    warn_if_busy()
    asked = questions(args.limit)
    console.print(f"{len(asked)} questions per store, then {len(asked)} with {args.threads} threads")
    results = []
    for size in sizes:
        for slot, batching, agreeing in itertools.product(slots, batchings, agreements):
            label = variant(slot, batching, agreeing)
            console.print(f"[bold]{specs[size]['chunks']:,} chunks[/bold], {label} ...")
            results.append(
                measure(
                    size,
                    specs[size],
                    asked,
                    args.threads,
                    args.backend,
                    args.profile,
                    keyword_slot=slot,
                    length_batches=batching,
                    agreement=agreeing,
                )
            )

    rows = []
    for r in results:
        total = r["stages"]["total_ms"]
        target = TARGETS_P95_MS.get(r["size"])
        rows.append(
            [
                f"{r['store']['chunks']:,} ({label_of(r)})",
                total["p50"],
                total["p95"],
                total["p99"],
                f"<= {target:.0f}" if target else "-",
                ("yes" if total["p95"] <= target else "no") if target else "-",
                r["sequential_qps"],
                r["concurrent"]["qps"],
                r["concurrent"]["p95_ms"],
                f"{r['load_avg_before'][0]} -> {r['load_avg_after'][0]}",
            ]
        )
    console.print(
        table(
            f"answer latency, extractive answerer, ms ({args.backend} query model)",
            [
                "chunks",
                "p50",
                "p95",
                "p99",
                "target p95",
                "met",
                "q/s 1 thread",
                f"q/s {args.threads}",
                "p95",
                "load",
            ],
            rows,
            caption=f"{len(asked)} questions per store; q/s {args.threads}: that many threads, one TalentQA",
        )
    )
    for r in results:
        console.print(
            table(
                f"stages at {r['store']['chunks']:,} chunks, {label_of(r)} (ms)",
                ["stage", "mean", "p50", "p95", "p99", "max"],
                [
                    [stage.removesuffix("_ms"), *[v[key] for key in ("mean", "p50", "p95", "p99", "max")]]
                    for stage, v in r["stages"].items()
                ],
                caption="embed: the question; answer: the reader over the k passages; "
                "verify: quote checks; total: inside ask(); wall: around it",
            )
        )
    for r in results:
        if r.get("profile"):
            console.print(
                table(
                    f"cProfile: {args.profile} questions at {r['store']['chunks']:,} chunks, caches cleared",
                    ["function", "calls", "own s", "cumulative s", "share"],
                    [
                        [
                            p["function"],
                            p["calls"],
                            p["tottime_s"],
                            p["cumtime_s"],
                            f"{100 * p['cum_share']:.0f}%",
                        ]
                        for p in r["profile"]
                    ],
                )
            )
    write_json(
        args.json,
        {"environment": env, "backend": args.backend, "results": results, "load_avg_at_end": load_avg()},
        "query.json",
    )
    return 0


def _fast_bf16() -> bool:
    from talentqa.embeddings.int8 import cpu_has_bf16

    return cpu_has_bf16()


if __name__ == "__main__":
    sys.exit(main())
