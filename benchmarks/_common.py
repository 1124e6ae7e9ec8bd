"""Shared pieces of the benchmarks: paths, the hardware limit for embedding, child processes, tables, JSON.

The hardware limit: a BERT encoder is almost all matrix multiplication, so the fastest it can embed a chunk
is (the machine's measured fp32 matmul rate) / (the model's FLOPs for that chunk). Every ingest table shows
its throughput as a share of that limit, so "how far from the hardware" is always on screen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parents[1]
EVAL = Path(os.environ.get("TALENTQA_EVAL_DIR", REPO.parent / "shared" / "eval"))
NEWS = EVAL / "realtimeqa_news" / "documents.jsonl"
CACHE = Path(os.environ.get("TALENTQA_BENCH_CACHE", Path.home() / ".cache" / "talentqa-bench"))
RESULTS = REPO / "benchmarks" / "results"
MODEL_NAME = "all-MiniLM-L6-v2"

# Wide enough for the tables when output goes to a file or a pipe.
console = Console(width=None if sys.stdout.isatty() else 140)


# --- data -------------------------------------------------------------------------------------------------


def read_jsonl(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            records.append(json.loads(line))
            if limit is not None and len(records) >= limit:
                break
    return records


def write_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def model_path() -> Path:
    from talentqa.embeddings import resolve_model_path

    return resolve_model_path(MODEL_NAME)


# --- the model's arithmetic -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelShape:
    layers: int
    hidden: int
    intermediate: int
    max_seq_length: int

    @classmethod
    def load(cls, path: Path | None = None) -> ModelShape:
        path = path or model_path()
        config = json.loads((path / "config.json").read_text())
        st_config = path / "sentence_bert_config.json"
        max_len = json.loads(st_config.read_text())["max_seq_length"] if st_config.exists() else 512
        return cls(
            layers=int(config["num_hidden_layers"]),
            hidden=int(config["hidden_size"]),
            intermediate=int(config["intermediate_size"]),
            max_seq_length=int(max_len),
        )

    def flops_per_sequence(self, n: int) -> float:
        """Multiply-add FLOPs (2 per MAC) of one forward pass over a sequence of n tokens.

        Per layer and token: Q, K, V and the output projection (4 h x h matmuls: 8h^2), the feed-forward
        pair (h x i and i x h: 4hi); per layer and sequence: scores QK^T and the weighted sum AV (2 n^2 h
        each: 4 n^2 h). Embedding lookups, layer norms, softmax, GELU and pooling are O(n h), left out.
        """
        h, i = self.hidden, self.intermediate
        return float(self.layers * ((8 * h * h + 4 * h * i) * n + 4 * h * n * n))

    def flops_per_token(self, n: int) -> float:
        return self.flops_per_sequence(n) / n if n else 0.0


def token_lengths(texts: Sequence[str], path: Path | None = None, max_length: int | None = None) -> list[int]:
    """Tokens the model sees per text: special tokens included, truncated at its max_seq_length."""
    from tokenizers import Tokenizer

    path = path or model_path()
    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    limit = max_length or ModelShape.load(path).max_seq_length
    lengths: list[int] = []
    for i in range(0, len(texts), 1024):
        for encoding in tokenizer.encode_batch(list(texts[i : i + 1024])):
            lengths.append(min(len(encoding.ids), limit))
    return lengths


# --- the hardware limit -----------------------------------------------------------------------------------


def measure_matmul_gflops(
    threads: int | None = None, size: int = 2048, seconds: float = 3.0, dtype: str = "float32"
) -> dict[str, Any]:
    """Best sustained torch.matmul rate on square matrices, in GFLOP/s, with the given thread count."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    torch_dtype = getattr(torch, dtype)
    a = torch.randn(size, size).to(torch_dtype)
    b = torch.randn(size, size).to(torch_dtype)
    flops = 2.0 * size**3
    for _ in range(2):
        torch.matmul(a, b)
    rates: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(rates) < 3:
        t = time.perf_counter()
        torch.matmul(a, b)
        rates.append(flops / (time.perf_counter() - t) / 1e9)
    rates.sort()
    return {
        "dtype": dtype,
        "size": size,
        "threads": torch.get_num_threads(),
        "runs": len(rates),
        "best_gflops": rates[-1],
        "median_gflops": statistics.median(rates),
    }


@dataclass
class Limit:
    """The embedding throughput the hardware allows: matmul rate / model FLOPs."""

    gflops: float
    threads: int
    matmul_size: int
    measured_at: str
    load_avg: float
    source: str = "measured"

    def chunks_per_second(self, lengths: Sequence[int], shape: ModelShape | None = None) -> float:
        """Chunks/s at 100% of the measured matmul rate, for chunks of these token lengths."""
        shape = shape or ModelShape.load()
        if not lengths:
            return 0.0
        total = sum(shape.flops_per_sequence(n) for n in lengths)
        return len(lengths) * self.gflops * 1e9 / total

    def tokens_per_second(self, lengths: Sequence[int], shape: ModelShape | None = None) -> float:
        shape = shape or ModelShape.load()
        total = sum(shape.flops_per_sequence(n) for n in lengths)
        return sum(lengths) * self.gflops * 1e9 / total if total else 0.0


LIMIT_FILE = CACHE / "limit.json"


def get_limit(*, refresh: bool = False, threads: int | None = None, quiet: bool = False) -> Limit:
    """The cached limit when measured with the same thread count (by `benchmarks/limit.py`), else measure.

    The cached figure is the best of a quiet-machine run; measuring under load would understate it.
    """
    import torch

    threads = threads or torch.get_num_threads()
    if not refresh and LIMIT_FILE.exists():
        data = json.loads(LIMIT_FILE.read_text())
        if data.get("threads") == threads:
            return Limit(**{**data, "source": f"cached {LIMIT_FILE}"})
    if not quiet:
        console.print(f"[dim]measuring the fp32 matmul rate with {threads} threads...[/dim]")
    load = os.getloadavg()[0]
    measured = measure_matmul_gflops(threads)
    limit = Limit(
        gflops=measured["best_gflops"],
        threads=threads,
        matmul_size=measured["size"],
        measured_at=dt.datetime.now().isoformat(timespec="seconds"),
        load_avg=load,
    )
    if load < 3:  # a figure measured on a busy machine would understate every later share
        save_limit(limit)
    return limit


def save_limit(limit: Limit) -> None:
    LIMIT_FILE.parent.mkdir(parents=True, exist_ok=True)
    data = asdict(limit)
    data.pop("source")
    LIMIT_FILE.write_text(json.dumps(data, indent=2))


# --- child processes with their own peak memory -----------------------------------------------------------


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RssSampler:
    """Samples this process's resident memory in a thread (the kernel keeps only the peak)."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = time.perf_counter()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter() - self._t0, _rss_bytes()))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self) -> int:
        return max((rss for _, rss in self.samples), default=0)

    def at_fraction(self, fraction: float) -> int:
        """Largest RSS seen up to this fraction of the run (to show growth over time)."""
        if not self.samples:
            return 0
        end = self.samples[-1][0] * fraction
        return max((rss for t, rss in self.samples if t <= end), default=self.samples[0][1])


def peak_rss_self() -> int:
    """Peak resident memory of this process so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _child_main(queue: Any, target: Callable[..., dict[str, Any]], args: tuple[Any, ...]) -> None:
    try:
        result = target(*args)
        result.setdefault("peak_rss_bytes", peak_rss_self())
        queue.put(("ok", result))
    except BaseException:  # the parent prints it
        queue.put(("error", traceback.format_exc()))


def run_in_child(target: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run `target(*args)` in a fresh (spawned) Python process; its peak RSS is its own, not the parent's."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child_main, args=(queue, target, args))
    process.start()
    status, payload = queue.get()
    process.join()
    if status != "ok":
        raise RuntimeError(f"benchmark child failed:\n{payload}")
    assert isinstance(payload, dict)
    return payload


# --- environment, output ----------------------------------------------------------------------------------


def load_avg() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


def environment() -> dict[str, Any]:
    import torch

    versions: dict[str, str] = {}
    from importlib import metadata

    for name in ("talentqa", "torch", "sentence-transformers", "transformers", "chromadb", "bm25s"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "machine": platform.processor() or platform.machine(),
        "cpu_model": _cpu_model(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_avg_at_start": load_avg(),
        "versions": versions,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def warn_if_busy(threshold: float = 3.0) -> None:
    one = os.getloadavg()[0]
    if one > threshold:
        console.print(
            f"[yellow]load average is {one:.1f} on {os.cpu_count()} CPUs: figures will be low and noisy; "
            f"measure when it is below {threshold:g}[/yellow]"
        )


def limit_and_json_args(
    doc: str | None,
    default_limit: int,
    more: Callable[[argparse.ArgumentParser], object] | None = None,
) -> argparse.Namespace:
    """`--limit N` (questions) and `--json FILE`, the two options every question benchmark takes, and
    whatever options `more` adds for one benchmark."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--limit", type=int, default=default_limit, help=f"questions (default {default_limit})"
    )
    parser.add_argument("--json", type=Path, default=None)
    if more is not None:
        more(parser)
    return parser.parse_args()


def write_json(path: Path | None, data: dict[str, Any], default_name: str) -> Path:
    target = path or RESULTS / default_name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2, default=str))
    console.print(f"[dim]wrote {target}[/dim]")
    return target


def table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: str | None = None
) -> Table:
    out = Table(title=title, caption=caption, title_justify="left")
    for i, column in enumerate(columns):
        out.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        out.add_row(*[fmt(value) for value in row])
    return out


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def mib(n_bytes: float | None) -> float | None:
    return None if n_bytes is None else n_bytes / 2**20


def percent(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank-interpolated percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timing(found: Sequence[dict[str, Any]], key: str = "seconds") -> dict[str, Any]:
    """The count and the p50 / p95 of `key` over benchmark rows, as every summary reports them."""
    values = [r[key] for r in found]
    return {"questions": len(found), "p50_s": percentile(values, 50), "p95_s": percentile(values, 95)}


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
