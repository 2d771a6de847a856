"""Open LLM shapes (parameters, layers, attention geometry) from the bundled data file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from planner._csvdata import read_commented_csv
from planner.errors import text_argument

DATA_FILE = Path(__file__).parent / "data" / "llms.csv"


@dataclass(frozen=True)
class LLM:
    """The shape of a transformer LLM, enough for memory-fit and roofline estimates."""

    name: str
    params_b: float
    active_params_b: float
    layers: int
    hidden_size: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    vocab_size: int = 0
    max_context: int = 0
    hf_id: str = ""

    def kv_bytes_per_token(self, bytes_per_value: float = 2.0) -> float:
        """KV-cache bytes one token occupies: 2 (K and V) x layers x kv_heads x head_dim x bytes."""
        return 2 * self.layers * self.kv_heads * self.head_dim * bytes_per_value


def _key(name: str) -> str:
    key = name.strip().lower()
    key = key.rsplit("/", 1)[-1]
    for suffix in ("-instruct-v0.3", "-instruct-v0.1", "-instruct", "-it"):
        key = key.removesuffix(suffix)
    return key


@cache
def llms() -> tuple[LLM, ...]:
    """All bundled LLMs, in file order."""
    return tuple(
        LLM(
            name=row["name"],
            hf_id=row["hf_id"],
            params_b=float(row["params_b"]),
            active_params_b=float(row["active_params_b"]),
            layers=int(row["layers"]),
            hidden_size=int(row["hidden_size"]),
            attention_heads=int(row["attention_heads"]),
            kv_heads=int(row["kv_heads"]),
            head_dim=int(row["head_dim"]),
            vocab_size=int(row["vocab_size"]),
            max_context=int(row["max_context"]),
        )
        for row in read_commented_csv(DATA_FILE)
    )


def find_llm(name: str, extra: Iterable[LLM] = ()) -> LLM | None:
    """The model called `name` (bundled name or Hugging Face id, any case), or None.

    Models in `extra` (e.g. defined in a spec file) take precedence over bundled ones.
    """
    wanted = _key(text_argument(name, "find_llm", "name"))
    for model in (*extra, *llms()):
        if wanted in (_key(model.name), _key(model.hf_id) if model.hf_id else None):
            return model
    return None
