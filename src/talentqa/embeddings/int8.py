"""The `int8` embedding backend: the encoder's Linear layers run as dynamically quantised int8 matmuls.

Built at first use from the packaged fp32 model (nothing is downloaded or cached): each `nn.Linear` of the
transformer is replaced by `Int8Linear`, whose weight is quantised once, symmetrically per output channel,
and whose input is quantised per call from its own range (dynamic quantisation), so no calibration data is
needed. Attention scores, softmax, layer norms and GELU stay fp32. On CPUs with VNNI (AVX512-VNNI or
AVX-VNNI) the int8 products accumulate in 32 bits, so the full 8-bit activation range is used; elsewhere
activations use 7 bits, as PyTorch does, to avoid 16-bit saturation.

It calls the quantised-linear operators (`quantized::linear_prepack`, `quantized::linear_dynamic`, FBGEMM
on x86) directly rather than `torch.ao.quantization.quantize_dynamic`, whose Python API is deprecated and
warns on import.

Vectors differ slightly from fp32 ones (news chunks: mean cosine to fp32 0.994, min 0.986; dense recall@5 on
squad2_dev 88.92% against 89.27%), so a store records the backend with the model name
(`talentqa.embeddings.embedding_id`).
`to_bfloat16` is the other fast option measured (`prepare(model, "bf16")`): cosine 1.0000, recall equal to
fp32, but slower than int8 on this CPU and slow on CPUs without AVX512-BF16/AMX. Figures and how they were
taken: benchmarks/README.md and benchmarks/recall.py.
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import Any

import torch
from torch import nn


@functools.lru_cache(maxsize=1)
def cpu_has_vnni() -> bool:
    """True when the CPU multiplies int8 with 32-bit accumulation (AVX512-VNNI or AVX-VNNI)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


class Int8Linear(nn.Module):
    """`nn.Linear` with int8 weights (per output channel) and int8 activations quantised per call."""

    def __init__(self, linear: nn.Linear, *, reduce_range: bool | None = None) -> None:
        super().__init__()
        self.in_features = linear.in_features
        self.out_features = linear.out_features
        self.reduce_range = (not cpu_has_vnni()) if reduce_range is None else reduce_range
        weight = linear.weight.detach().to(torch.float32)
        scale = (weight.abs().amax(dim=1) / 127.0).clamp(min=1e-8).to(torch.float64)
        zero_point = torch.zeros(weight.shape[0], dtype=torch.int64)
        bias = None if linear.bias is None else linear.bias.detach().to(torch.float32)
        with warnings.catch_warnings():
            # torch 2.13 warns that quantised tensor types will go in a future release; torch is pinned.
            warnings.simplefilter("ignore", UserWarning)
            qweight = torch.quantize_per_channel(weight, scale, zero_point, axis=0, dtype=torch.qint8)
            self._packed = torch.ops.quantized.linear_prepack(qweight, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        flat = x.reshape(-1, shape[-1]).contiguous()
        out: torch.Tensor = torch.ops.quantized.linear_dynamic(flat, self._packed, self.reduce_range)
        return out.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8"


class _FusedQKV:
    """One int8 matmul for the query, key and value projections of one attention layer.

    The layer calls query(x), key(x), value(x) in turn on the same tensor: the first call computes all three
    (one activation quantisation, one wider matmul) and the next two take their slices. Any other call
    pattern just recomputes, so results never depend on the order; the cache is per thread.
    """

    def __init__(self, query: nn.Linear, key: nn.Linear, value: nn.Linear, reduce_range: bool | None) -> None:
        fused = nn.Linear(query.in_features, 3 * query.out_features, bias=query.bias is not None)
        with torch.no_grad():
            fused.weight.copy_(torch.cat([query.weight, key.weight, value.weight]))
            if fused.bias is not None:
                fused.bias.copy_(torch.cat([query.bias, key.bias, value.bias]))
        self.linear = Int8Linear(fused, reduce_range=reduce_range)
        self.width = query.out_features
        self._local = threading.local()

    def part(self, x: torch.Tensor, index: int) -> torch.Tensor:
        state = self._local
        if getattr(state, "x", None) is not x:
            state.x, state.out = x, self.linear(x)
        out: torch.Tensor = state.out[..., index * self.width : (index + 1) * self.width]
        if index == 2:
            state.x = state.out = None
        return out


class _QKVPart(nn.Module):
    def __init__(self, fused: _FusedQKV, index: int) -> None:
        super().__init__()
        self.fused = fused
        self.index = index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fused.part(x, self.index)

    def extra_repr(self) -> str:
        return f"{'qkv'[self.index]} of fused int8 qkv"


def _fuse_qkv(module: nn.Module, reduce_range: bool | None) -> int:
    count = 0
    for child in module.modules():
        parts = [getattr(child, name, None) for name in ("query", "key", "value")]
        if all(isinstance(p, nn.Linear) for p in parts):
            query, key, value = parts
            assert (
                isinstance(query, nn.Linear) and isinstance(key, nn.Linear) and isinstance(value, nn.Linear)
            )
            fused = _FusedQKV(query, key, value, reduce_range)
            for index, name in enumerate(("query", "key", "value")):
                setattr(child, name, _QKVPart(fused, index))
            count += 1
    return count


def _replace_linears(module: nn.Module, skip: Iterable[str], prefix: str, reduce_range: bool | None) -> int:
    skipped = tuple(skip)
    count = 0
    for name, child in list(module.named_children()):
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(child, nn.Linear) and not any(part in path for part in skipped):
            setattr(module, name, Int8Linear(child, reduce_range=reduce_range))
            count += 1
        else:
            count += _replace_linears(child, skipped, path, reduce_range)
    return count


def quantize(
    model: Any, *, skip: Iterable[str] = (), reduce_range: bool | None = None, fuse_qkv: bool = False
) -> Any:
    """Quantise a loaded SentenceTransformer (or any torch module) in place and return it.

    `skip`: substrings of module paths to leave in fp32 (e.g. "output.dense"). Only the CPU is supported:
    the quantised operators have no CUDA kernels.
    """
    device = getattr(model, "device", torch.device("cpu"))
    if torch.device(device).type != "cpu":
        from talentqa.errors import ConfigError

        raise ConfigError("the int8 embedding backend runs on the CPU only; set embedding.device to 'cpu'")
    model.eval()
    replaced = _fuse_qkv(model, reduce_range) * 3 if fuse_qkv else 0
    replaced += _replace_linears(model, skip, "", reduce_range)
    if replaced == 0:
        from talentqa.errors import ConfigError

        raise ConfigError("the int8 embedding backend found no Linear layers to quantise in this model")
    return model


def cpu_has_bf16() -> bool:
    """True when the CPU has native bfloat16 dot products (AVX512-BF16 or AMX); elsewhere bf16 is slow."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _float_tokens(_module: nn.Module, _inputs: Any, output: Any) -> Any:
    # sentence-transformers passes a BatchEncoding (a UserDict), not a dict.
    if isinstance(output, MutableMapping) and "token_embeddings" in output:
        output["token_embeddings"] = output["token_embeddings"].to(torch.float32)
    return output


def to_bfloat16(model: Any) -> Any:
    """The transformer in bfloat16; pooling and normalisation stay fp32 so vectors are unit length."""
    model.eval()
    model.to(torch.bfloat16)
    first = next(iter(model.children()), None)
    if first is not None:
        first.register_forward_hook(_float_tokens)
    return model


def prepare(model: Any, backend: str, *, threads: int | None = None) -> Any:
    """Apply a backend to a freshly loaded fp32 SentenceTransformer: "torch" (as is), "int8" or "bf16" (in
    place), or "openvino" (returns an encoder with the same `encode`; `threads` caps its CPU threads)."""
    if backend == "torch":
        return model
    if backend == "openvino":
        from talentqa.embeddings.openvino import OpenVINOEncoder

        return OpenVINOEncoder.from_sentence_transformer(model, threads=threads)
    if backend == "int8":
        return quantize(model)
    if backend == "bf16":
        return to_bfloat16(model)
    from talentqa.errors import ConfigError

    raise ConfigError(
        f"unknown embedding backend {backend!r}: expected 'torch', 'int8', 'bf16' or 'openvino'"
    )
