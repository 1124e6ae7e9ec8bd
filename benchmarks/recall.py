"""Embedding backends compared: throughput on news chunks, closeness to fp32, dense recall on SQuAD 2.0.

For each backend a fresh copy of the packaged model is loaded and transformed (`talentqa.embeddings.int8`):
- throughput: chunks/s embedding talentqa's chunks of the RealTimeQA news corpus, the backends interleaved
  over several rounds (best and median kept, so a busy neighbour hurts every backend alike), as a share of
  the fp32 hardware limit (benchmarks/limit.py) and as a multiple of fp32;
- closeness: cosine of each vector to the fp32 one (news chunks);
- retrieval: the squad2_dev paragraphs chunked by talentqa, its answerable questions, dense-only exact
  search (numpy, no HNSW, so only the vectors differ): recall@1/@5 and MRR@10 of the gold paragraph.

The target for the int8 backend: >= 2x fp32 chunks/s with recall@5 within 1 point of fp32.

    .venv/bin/python benchmarks/recall.py [--limit N] [--json FILE] [--backends torch,int8,bf16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    EVAL,
    MODEL_NAME,
    NEWS,
    ModelShape,
    console,
    environment,
    get_limit,
    load_avg,
    percent,
    read_jsonl,
    table,
    token_lengths,
    warn_if_busy,
    write_json,
)

SQUAD = EVAL / "squad2_dev"


def _variants() -> dict[str, Callable[[Any], Any]]:
    """The backends offered (torch, int8, bf16, openvino) and a few explored alternatives."""
    from talentqa.embeddings.int8 import prepare, quantize

    def shorter(backend: str, length: int) -> Callable[[Any], Any]:
        def apply(model: Any) -> Any:
            model = prepare(model, backend)
            model.max_seq_length = length
            return model

        return apply

    return {
        "torch": lambda m: prepare(m, "torch"),
        "int8": lambda m: prepare(m, "int8"),
        "bf16": lambda m: prepare(m, "bf16"),
        "openvino": lambda m: prepare(m, "openvino"),
        # torch.ao's default for dynamic int8: 7-bit activations (needed only without VNNI).
        "int8-7bit": lambda m: quantize(m, reduce_range=True),
        # one int8 matmul for query, key and value (one activation quantisation instead of three).
        "int8-fused-qkv": lambda m: quantize(m, fuse_qkv=True),
        # the feed-forward output projection (largest activation outliers) kept fp32.
        "int8-ffn-out-fp32": lambda m: quantize(m, skip=("output.dense",)),
        "torch-len128": shorter("torch", 128),
        "int8-len128": shorter("int8", 128),
    }


def news_chunks(n: int) -> list[str]:
    from talentqa.ingest.chunking import chunk_article
    from talentqa.ingest.loaders import make_article
    from talentqa.settings import ChunkSettings

    settings = ChunkSettings()
    texts: list[str] = []
    for record in read_jsonl(NEWS):
        article = make_article(
            doc_id=str(record["id"]), text=record["text"], source="b", title=record["title"]
        )
        texts.extend(chunk.text for chunk in chunk_article(article, settings))
        if len(texts) >= n:
            break
    return texts[:n]


def squad(
    limit: int | None, max_docs: int | None = None
) -> tuple[list[str], list[str], list[str], list[set[str]]]:
    """(chunk texts, chunk doc ids, questions, gold doc ids per question)."""
    from talentqa.ingest.chunking import chunk_article
    from talentqa.ingest.loaders import make_article
    from talentqa.settings import ChunkSettings

    settings = ChunkSettings()
    texts: list[str] = []
    doc_ids: list[str] = []
    for record in read_jsonl(SQUAD / "documents.jsonl", max_docs):
        article = make_article(
            doc_id=str(record["id"]), text=record["text"], source="s", title=record["title"]
        )
        for chunk in chunk_article(article, settings):
            texts.append(chunk.text)
            doc_ids.append(chunk.doc_id)
    known = set(doc_ids)
    questions: list[str] = []
    gold: list[set[str]] = []
    for record in read_jsonl(SQUAD / "questions.jsonl"):
        if record.get("answerable") and record.get("doc_ids") and set(record["doc_ids"]) & known:
            questions.append(record["question"])
            gold.append(set(record["doc_ids"]))
            if limit is not None and len(questions) >= limit:
                break
    return texts, doc_ids, questions, gold


def retrieval_metrics(
    chunk_vectors: np.ndarray, doc_ids: list[str], question_vectors: np.ndarray, gold: list[set[str]]
) -> dict[str, float]:
    docs = np.asarray(doc_ids, dtype=object)
    hits1 = hits5 = 0
    reciprocal = 0.0
    for start in range(0, len(question_vectors), 512):
        scores = question_vectors[start : start + 512] @ chunk_vectors.T
        top = np.argsort(-scores, axis=1)[:, :10]
        for row, wanted in zip(top, gold[start : start + 512], strict=True):
            ranked = list(dict.fromkeys(docs[row]))  # distinct documents, best first
            rank = next((i for i, d in enumerate(ranked) if d in wanted), None)
            if rank is not None:
                hits1 += rank < 1
                hits5 += rank < 5
                reciprocal += 1.0 / (rank + 1)
    n = len(gold)
    return {"recall@1": hits1 / n, "recall@5": hits5 / n, "mrr@10": reciprocal / n}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=None, help="first N answerable SQuAD questions")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--backends", default="torch,int8,bf16", help="comma-separated; 'all' for every one")
    parser.add_argument("--news", type=int, default=512, help="news chunks timed per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds")
    parser.add_argument("--squad-docs", type=int, default=None, help="first N SQuAD paragraphs (test runs)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = parser.parse_args(argv)

    import torch
    from sentence_transformers import SentenceTransformer

    from talentqa.embeddings import resolve_model_path

    if args.threads:
        torch.set_num_threads(args.threads)
    variants = _variants()
    names = list(variants) if args.backends == "all" else args.backends.split(",")
    names = ["torch", *[n for n in names if n != "torch"]]  # the fp32 reference first
    unknown = [n for n in names if n not in variants]
    if unknown:
        parser.error(f"unknown backends {unknown}; choose from {list(variants)}")

    warn_if_busy()
    env = environment()
    limit = get_limit()
    shape = ModelShape.load()
    base = SentenceTransformer(str(resolve_model_path(MODEL_NAME)), device="cpu", local_files_only=True)
    models = {name: variants[name](copy.deepcopy(base)) for name in names}
    del base

    news = news_chunks(args.news)
    news_lengths = token_lengths(news)
    limit_chunks = limit.chunks_per_second(news_lengths, shape)
    squad_texts, squad_docs, questions, gold = squad(args.limit, args.squad_docs)
    console.print(
        f"news: {len(news)} chunks, mean {sum(news_lengths) / len(news_lengths):.0f} tokens "
        f"(fp32 limit {limit_chunks:.1f} chunks/s at {limit.gflops:.0f} GFLOP/s); "
        f"squad2_dev: {len(squad_texts)} chunks, {len(questions)} answerable questions"
    )

    def encode(model: Any, texts: list[str]) -> np.ndarray:
        out = model.encode(
            texts, batch_size=args.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(out, dtype=np.float32)

    for model in models.values():  # warm up every code path once
        encode(model, news[:16])
    loads: list[float] = [load_avg()[0]]
    speeds: dict[str, list[float]] = {name: [] for name in names}
    question_speeds: dict[str, list[float]] = {name: [] for name in names}
    news_vectors: dict[str, np.ndarray] = {}
    for round_ in range(args.rounds):
        for name in names if round_ % 2 == 0 else reversed(names):
            t = time.perf_counter()
            news_vectors[name] = encode(models[name], news)
            speeds[name].append(len(news) / (time.perf_counter() - t))
            t = time.perf_counter()
            encode(models[name], questions[:256])
            question_speeds[name].append(min(256, len(questions)) / (time.perf_counter() - t))
        loads.append(load_avg()[0])
        console.print(
            f"[dim]round {round_ + 1}: "
            + ", ".join(f"{n} {speeds[n][-1]:.1f}" for n in names)
            + f" chunks/s (load {loads[-1]})[/dim]"
        )

    results: dict[str, dict[str, Any]] = {}
    reference = news_vectors["torch"]
    fp32_chunks: np.ndarray | None = None
    for name in names:  # "torch" first
        t = time.perf_counter()
        chunk_vectors = encode(models[name], squad_texts)
        question_vectors = encode(models[name], questions)
        seconds = time.perf_counter() - t
        if fp32_chunks is None:
            fp32_chunks = chunk_vectors
        cosines = (news_vectors[name] * reference).sum(axis=1)
        # A store built with fp32 vectors, asked with this backend's question vectors (mixing backends).
        mixed = retrieval_metrics(fp32_chunks, squad_docs, question_vectors, gold)
        results[name] = {
            "mixed_recall@5": mixed["recall@5"],
            "news_chunks_per_s_best": max(speeds[name]),
            "news_chunks_per_s_median": statistics.median(speeds[name]),
            "questions_per_s_best": max(question_speeds[name]),
            "share_of_limit": max(speeds[name]) / limit_chunks,
            "cosine_to_fp32_mean": float(cosines.mean()),
            "cosine_to_fp32_min": float(cosines.min()),
            "squad_embed_seconds": seconds,
            **retrieval_metrics(chunk_vectors, squad_docs, question_vectors, gold),
        }
        console.print(f"[dim]{name}: recall@5 {results[name]['recall@5']:.4f}[/dim]")
    fp32 = results["torch"]
    rows = []
    for name in names:
        r = results[name]
        r["speedup_vs_fp32"] = r["news_chunks_per_s_best"] / fp32["news_chunks_per_s_best"]
        r["speedup_vs_fp32_median"] = r["news_chunks_per_s_median"] / fp32["news_chunks_per_s_median"]
        r["recall@5_delta_points"] = 100 * (r["recall@5"] - fp32["recall@5"])
        r["meets_target"] = r["speedup_vs_fp32"] >= 2.0 and r["recall@5_delta_points"] >= -1.0
        rows.append(
            [
                name,
                r["news_chunks_per_s_best"],
                r["news_chunks_per_s_median"],
                f"{r['speedup_vs_fp32']:.2f}x",
                percent(r["share_of_limit"]),
                r["questions_per_s_best"],
                f"{r['cosine_to_fp32_mean']:.4f}",
                f"{r['cosine_to_fp32_min']:.4f}",
                f"{100 * r['recall@5']:.2f}",
                f"{r['recall@5_delta_points']:+.2f}",
                f"{100 * r['recall@1']:.2f}",
                f"{100 * r['mixed_recall@5']:.2f}",
                f"{r['mrr@10']:.4f}",
                "yes" if r["meets_target"] else "no",
            ]
        )
    console.print(
        table(
            "embedding backends (target: >= 2x fp32 chunks/s, recall@5 within 1 point)",
            [
                "backend",
                "chunks/s best",
                "median",
                "x fp32",
                "of fp32 limit",
                "questions/s",
                "cos mean",
                "cos min",
                "R@5 %",
                "dR@5 pts",
                "R@1 %",
                "R@5 mixed %",
                "MRR@10",
                "target",
            ],
            rows,
            caption=(
                f"news: {len(news)} chunks x {args.rounds} rounds, batch {args.batch_size}, "
                f"{torch.get_num_threads()} threads; squad2_dev: {len(questions)} questions, "
                f"{len(squad_texts)} chunks; mixed: fp32 chunk vectors, this backend's questions; "
                f"load avg {loads[0]} -> {loads[-1]}"
            ),
        )
    )
    write_json(
        args.json,
        {
            "environment": env,
            "limit": {"gflops": limit.gflops, "chunks_per_s": limit_chunks, "source": limit.source},
            "news_chunks": len(news),
            "news_mean_tokens": sum(news_lengths) / len(news_lengths),
            "squad_questions": len(questions),
            "squad_chunks": len(squad_texts),
            "rounds": args.rounds,
            "batch_size": args.batch_size,
            "load_avg_per_round": loads,
            "backends": results,
        },
        "recall.json",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
