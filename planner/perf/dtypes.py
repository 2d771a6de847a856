"""Numeric formats for weights and KV cache, and how many bytes one value takes."""

from __future__ import annotations

import enum


class Dtype(enum.StrEnum):
    """A storage format for weights or KV cache."""

    bf16 = "bf16"
    fp16 = "fp16"
    fp8 = "fp8"
    int8 = "int8"
    int4 = "int4"
    fp4 = "fp4"

    @property
    def bytes_per_value(self) -> float:
        """Bytes per stored value; int4 includes one 16-bit scale and zero per group of 128,
        fp4 one 8-bit scale per block of 16 (NVFP4; MXFP4's one per 32 is a little smaller)."""
        return _BYTES[self]

    @property
    def is_quantized(self) -> bool:
        """True for formats narrower than 16 bits."""
        return self.bytes_per_value < 2


_BYTES = {
    Dtype.bf16: 2.0,
    Dtype.fp16: 2.0,
    Dtype.fp8: 1.0,
    Dtype.int8: 1.0,
    Dtype.int4: 4.25 / 8,
    Dtype.fp4: 4.5 / 8,
}

KV_DTYPES: frozenset[Dtype] = frozenset({Dtype.bf16, Dtype.fp16, Dtype.fp8, Dtype.fp4})
"""KV-cache formats the model sizes (fp4: where an engine keeps one, planner.facts.engines)."""


def as_dtype(value: str | Dtype) -> Dtype:
    """`value` as a Dtype; ValueError naming the allowed formats otherwise."""
    if isinstance(value, Dtype):
        return value
    try:
        return Dtype(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(d.value for d in Dtype)
        raise ValueError(f"unknown dtype {value!r}; allowed: {allowed}") from None


def as_kv_dtype(value: str | Dtype) -> Dtype:
    """`value` as a KV-cache Dtype (bf16, fp16, fp8 or fp4); ValueError otherwise."""
    dtype = as_dtype(value)
    if dtype not in KV_DTYPES:
        allowed = ", ".join(d.value for d in Dtype if d in KV_DTYPES)
        raise ValueError(f"KV cache dtype {dtype.value!r} is not supported; allowed: {allowed}")
    return dtype
