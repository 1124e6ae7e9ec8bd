"""End-to-end ingest of the RealTimeQA news corpus, against the plain LangChain pipeline in the same run.

Each pipeline runs in its own fresh Python process (so its peak RSS is its own) on the same documents
and the same packaged model, into a fresh embedded Chroma store in a temp dir:

- talentqa: `TalentQA.open(settings).ingest_sources([corpus.jsonl])`, then the re-ingest of the unchanged
  corpus in a new `TalentQA` (nothing is embedded; the model is not even loaded), then the keyword-index
  build the first question pays for.
- LangChain: RecursiveCharacterTextSplitter(1000, 150) + HuggingFaceEmbeddings + Chroma.from_documents.
- the model alone: `SentenceTransformer.encode` over talentqa's own chunks, so the pipeline's overhead over
  pure embedding is visible.

Every throughput is also shown as a share of the hardware limit (benchmarks/limit.py). Model load time is
measured separately and left out of every throughput.

    .venv/bin/python benchmarks/ingest.py [--limit N] [--json FILE] [--scale 4]
        [--backend torch|int8|openvino]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    MODEL_NAME,
    NEWS,
    ModelShape,
    RssSampler,
    console,
    environment,
    get_limit,
    load_avg,
    mib,
    peak_rss_self,
    percent,
    read_jsonl,
    run_in_child,
    table,
    token_lengths,
    warn_if_busy,
    write_json,
    write_jsonl,
)

# --- the corpus -------------------------------------------------------------------------------------------


def prepare_corpus(folder: Path, limit: int | None, scale: int = 1) -> tuple[Path, int]:
    """The first `limit` news documents, repeated `scale` times under new ids (same text, new identity)."""
    records = read_jsonl(NEWS, limit)
    out: list[dict[str, Any]] = []
    for copy in range(scale):
        for record in records:
            out.append(record if copy == 0 else {**record, "id": f"{record['id']}~x{copy}"})
    path = folder / f"news-{len(records)}x{scale}.jsonl"
    write_jsonl(path, out)
    return path, len(out)


# --- children (each in its own process) -------------------------------------------------------------------


def talentqa_child(
    corpus: str, store: str, backend: str, chunks_out: str | None, reingest: bool
) -> dict[str, Any]:
    from talentqa.app import TalentQA
    from talentqa.settings import EmbeddingSettings, Settings

    # The backend as a user sets it (the store records "<model>+int8" for non-fp32 vectors).
    settings = Settings(store=Path(store), embedding=EmbeddingSettings(backend=backend))
    result: dict[str, Any] = {"load_avg_before": load_avg()}
    with RssSampler() as sampler:
        t = time.perf_counter()
        qa = TalentQA.open(settings)
        qa.embedder.model  # noqa: B018 - loads the model (lazy) outside the timed ingest
        result["model_load_s"] = time.perf_counter() - t
        result["rss_after_model_load_bytes"] = sampler.samples[-1][1] if sampler.samples else None
        t = time.perf_counter()
        report = qa.ingest_sources([corpus])
        result["seconds"] = time.perf_counter() - t
    result["peak_rss_bytes"] = peak_rss_self()
    result["rss_at_25_50_75_100_bytes"] = [sampler.at_fraction(f) for f in (0.25, 0.5, 0.75, 1.0)]
    result["documents"] = report.count("added")
    result["failed"] = len(report.failed)
    result["chunks"] = report.chunks_embedded
    result["stored_chunks"] = qa.store.count_chunks()
    t = time.perf_counter()
    qa.keyword.current()
    result["keyword_index_s"] = time.perf_counter() - t
    if chunks_out:
        texts = [text for _id, text, _meta in qa.store.iter_chunks()]
        Path(chunks_out).write_text(json.dumps(texts))
    qa.close()

    if reingest:
        again = TalentQA.open(settings)  # a new embedder: proves the model is never loaded
        t = time.perf_counter()
        second = again.ingest_sources([corpus])
        result["reingest_seconds"] = time.perf_counter() - t
        result["reingest_unchanged"] = second.count("unchanged")
        result["reingest_embedded"] = second.chunks_embedded
        result["reingest_model_loaded"] = again.embedder.loaded
        again.close()
    result["load_avg_after"] = load_avg()
    return result


def langchain_child(corpus: str, folder: str) -> dict[str, Any]:
    """The plain LangChain pipeline, as a user would write it."""
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from talentqa.embeddings import resolve_model_path

    result: dict[str, Any] = {"load_avg_before": load_avg()}
    with RssSampler() as sampler:
        t = time.perf_counter()
        embeddings = HuggingFaceEmbeddings(model_name=str(resolve_model_path(MODEL_NAME)))
        result["model_load_s"] = time.perf_counter() - t
        t = time.perf_counter()
        with open(corpus, encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle if line.strip()]
        docs = [
            Document(page_content=r["text"], metadata={"id": r["id"], "title": r["title"]}) for r in records
        ]
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=150)
        chunks = splitter.split_documents(docs)
        db = Chroma.from_documents(chunks, embeddings, persist_directory=folder)
        result["seconds"] = time.perf_counter() - t
    result["peak_rss_bytes"] = peak_rss_self()
    result["rss_at_25_50_75_100_bytes"] = [sampler.at_fraction(f) for f in (0.25, 0.5, 0.75, 1.0)]
    result["documents"] = len(docs)
    result["chunks"] = len(chunks)
    result["stored_chunks"] = db._collection.count()
    result["chunk_texts"] = [c.page_content for c in chunks]
    result["load_avg_after"] = load_avg()
    return result


def embed_child(chunks_file: str, batch_size: int, backend: str) -> dict[str, Any]:
    """The model alone on talentqa's chunks: the ceiling for any pipeline using it."""
    from sentence_transformers import SentenceTransformer

    from talentqa.embeddings import resolve_model_path

    texts: list[str] = json.loads(Path(chunks_file).read_text())
    result: dict[str, Any] = {"load_avg_before": load_avg()}
    t = time.perf_counter()
    model = SentenceTransformer(str(resolve_model_path(MODEL_NAME)), device="cpu", local_files_only=True)
    from talentqa.embeddings.int8 import prepare

    model = prepare(model, backend)  # as talentqa's Embedder runs it
    model.encode(texts[:8], batch_size=batch_size)
    result["model_load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
    result["seconds"] = time.perf_counter() - t
    result["chunks"] = len(texts)
    result["load_avg_after"] = load_avg()
    return result


# --- the parent ---------------------------------------------------------------------------------------------


def _rates(run: dict[str, Any], lengths: list[int], limit_chunks: float) -> None:
    seconds = run["seconds"]
    run["tokens"] = sum(lengths)
    run["mean_chunk_tokens"] = sum(lengths) / len(lengths) if lengths else 0.0
    if run.get("documents") is not None:
        run["documents_per_s"] = run["documents"] / seconds
    run["chunks_per_s"] = run["chunks"] / seconds
    run["tokens_per_s"] = run["tokens"] / seconds
    run["limit_chunks_per_s"] = limit_chunks
    run["share_of_limit"] = run["chunks_per_s"] / limit_chunks if limit_chunks else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=None, help="use the first N documents (default: all)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--scale", type=int, default=1, help="also ingest the corpus repeated S times (RSS)")
    parser.add_argument(
        "--backend",
        choices=["torch", "int8", "openvino"],
        default=None,
        help="talentqa's embedding (default: the settings' default, openvino)",
    )
    parser.add_argument("--skip-baseline", action="store_true", help="leave out the LangChain pipeline")
    parser.add_argument("--keep", action="store_true", help="keep the temp stores (printed)")
    args = parser.parse_args(argv)
    from talentqa.settings import EmbeddingSettings

    if args.backend is None:
        args.backend = EmbeddingSettings().backend

    warn_if_busy()
    env = environment()
    limit = get_limit()
    shape = ModelShape.load()
    work = Path(tempfile.mkdtemp(prefix="talentqa-bench-ingest-"))
    try:
        corpus, n_docs = prepare_corpus(work, args.limit, 1)
        chunks_file = work / "chunks.json"
        console.print(f"corpus: {n_docs:,} documents from {NEWS}; work dir {work}")

        console.print("[bold]talentqa ingest[/bold] ...")
        tq = run_in_child(
            talentqa_child, str(corpus), str(work / "tq-store"), args.backend, str(chunks_file), True
        )
        tq_texts: list[str] = json.loads(chunks_file.read_text())
        tq_lengths = token_lengths(tq_texts)
        _rates(tq, tq_lengths, limit.chunks_per_second(tq_lengths, shape))
        tq["reingest_speedup"] = tq["seconds"] / tq["reingest_seconds"]

        lc: dict[str, Any] | None = None
        if not args.skip_baseline:
            console.print("[bold]LangChain ingest[/bold] ...")
            lc = run_in_child(langchain_child, str(corpus), str(work / "lc-store"))
            lc_lengths = token_lengths(lc.pop("chunk_texts"))
            _rates(lc, lc_lengths, limit.chunks_per_second(lc_lengths, shape))

        console.print("[bold]the model alone[/bold] ...")
        batch = EmbeddingSettings().batch_size  # the model alone runs exactly as talentqa calls it
        pure = run_in_child(embed_child, str(chunks_file), batch, args.backend)
        _rates(pure, tq_lengths, limit.chunks_per_second(tq_lengths, shape))
        # The hardware-limit target is about fp32 embedding, so fp32 is measured whatever talentqa uses.
        pure_fp32 = pure
        if args.backend != "torch":
            console.print("[bold]the model alone, fp32[/bold] ...")
            pure_fp32 = run_in_child(embed_child, str(chunks_file), batch, "torch")
            _rates(pure_fp32, tq_lengths, limit.chunks_per_second(tq_lengths, shape))

        scale_runs: list[dict[str, Any]] = []
        if args.scale > 1:
            console.print(f"[bold]talentqa ingest at {args.scale}x[/bold] ...")
            big, n_big = prepare_corpus(work, args.limit, args.scale)
            run = run_in_child(
                talentqa_child, str(big), str(work / "tq-store-big"), args.backend, None, False
            )
            run["scale"] = args.scale
            _rates(run, tq_lengths * args.scale, limit.chunks_per_second(tq_lengths, shape))
            scale_runs = [{**{k: tq[k] for k in run if k in tq}, "scale": 1}, run]
    finally:
        if args.keep:
            console.print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    # --- report ---
    runs: list[tuple[str, dict[str, Any]]] = [(f"talentqa ({args.backend})", tq)]
    if lc is not None:
        runs.append(("LangChain baseline", lc))
    runs.append((f"model alone ({args.backend}, batch {batch})", pure))
    if pure_fp32 is not pure:
        runs.append((f"model alone (torch fp32, batch {batch})", pure_fp32))
    rows = []
    for name, run in runs:
        rows.append(
            [
                name,
                run.get("documents"),
                run["chunks"],
                run["mean_chunk_tokens"],
                run["seconds"],
                run.get("documents_per_s"),
                run["chunks_per_s"],
                run["tokens_per_s"],
                percent(run["share_of_limit"]),
                mib(run.get("peak_rss_bytes")),
                run["model_load_s"],
            ]
        )
    console.print(
        table(
            "ingest: RealTimeQA news",
            [
                "pipeline",
                "docs",
                "chunks",
                "tokens/chunk",
                "seconds",
                "docs/s",
                "chunks/s",
                "tokens/s",
                "of limit",
                "peak RSS MiB",
                "model load s",
            ],
            rows,
            caption=(
                f"limit: {limit.gflops:.0f} GFLOP/s fp32 ({limit.source}) -> "
                f"{tq['limit_chunks_per_s']:.1f} talentqa chunks/s; load avg "
                f"{tq['load_avg_before'][0]} -> {(lc or pure)['load_avg_after'][0]}"
            ),
        )
    )
    ratio = tq["documents_per_s"] / lc["documents_per_s"] if lc else None
    overhead = 1 - pure["seconds"] / tq["seconds"]  # the same chunks
    summary_rows: list[list[Any]] = [
        ["talentqa / LangChain, documents/s", f"{ratio:.2f}x" if ratio else "-"],
        ["talentqa / LangChain, tokens/s", f"{tq['tokens_per_s'] / lc['tokens_per_s']:.2f}x" if lc else "-"],
        ["pipeline overhead over the model alone", percent(overhead)],
        ["talentqa embedding share of the hardware limit", percent(tq["share_of_limit"])],
        [
            "fp32 model alone, share of the hardware limit (target >= 80%)",
            percent(pure_fp32["share_of_limit"]),
        ],
        [
            f"talentqa ({args.backend}) / fp32 model alone, chunks/s",
            f"{tq['chunks_per_s'] / pure_fp32['chunks_per_s']:.2f}x",
        ],
        ["re-ingest of the unchanged corpus", f"{tq['reingest_seconds']:.2f} s"],
        ["re-ingest speed-up (target >= 50x)", f"{tq['reingest_speedup']:.0f}x"],
        [
            "re-ingest: articles unchanged / chunks embedded",
            f"{tq['reingest_unchanged']} / {tq['reingest_embedded']}",
        ],
        ["re-ingest loaded the model", str(tq["reingest_model_loaded"])],
        ["keyword index build (paid by the first question)", f"{tq['keyword_index_s']:.2f} s"],
    ]
    console.print(table("summary", ["figure", "value"], summary_rows))
    if scale_runs:
        console.print(
            table(
                "memory while streaming (talentqa)",
                ["corpus", "docs", "chunks", "seconds", "RSS @25%", "@50%", "@75%", "@100%", "peak RSS MiB"],
                [
                    [
                        f"{r['scale']}x",
                        r["documents"],
                        r["chunks"],
                        r["seconds"],
                        *[mib(x) for x in r["rss_at_25_50_75_100_bytes"]],
                        mib(r["peak_rss_bytes"]),
                    ]
                    for r in scale_runs
                ],
                caption="RSS in MiB at a share of the run time; the Chroma HNSW index grows with the chunks",
            )
        )
    write_json(
        args.json,
        {
            "environment": env,
            "backend": args.backend,
            "limit": {"gflops": limit.gflops, "threads": limit.threads, "source": limit.source},
            "talentqa": tq,
            "langchain_baseline": lc,
            "model_alone": pure,
            "model_alone_fp32": pure_fp32,
            "fp32_share_of_limit": pure_fp32["share_of_limit"],
            "ratio_vs_langchain": ratio,
            "pipeline_overhead_over_model": overhead,
            "embedding_share_of_limit": tq["share_of_limit"],
            "scale": scale_runs,
            "load_avg_at_end": load_avg(),
        },
        "ingest.json",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
