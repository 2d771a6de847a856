"""Measured replica capacities (Mélange-style profiles) and conservative lookups between them.

A measurement says a replica sustained `max_rps` for one request-size bucket while meeting an
SLO. Lookups only use measurements taken under an SLO at least as strict as the one asked, and
never estimate a request to be cheaper than a measured request at most as large.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from planner.perf.dtypes import Dtype
from planner.perf.slo import SLO


@dataclass(frozen=True)
class ProfilePoint:
    """One measurement: a replica of `tp` accelerators served `max_rps` requests/s of this
    bucket within `slo`. Names are canonical (as in the bundled facts)."""

    model: str
    accelerator: str
    tp: int
    input_tokens: int
    output_tokens: int
    max_rps: float
    slo: SLO
    weights_dtype: Dtype = Dtype.bf16
    kv_dtype: Dtype = Dtype.bf16
    where: str = ""

    @property
    def bucket(self) -> tuple[int, int]:
        """(input_tokens, output_tokens)."""
        return (self.input_tokens, self.output_tokens)


@dataclass(frozen=True)
class ProfileEstimate:
    """A capacity read from profiles: the rate, the measurement it rests on, and how."""

    max_rps: float
    point: ProfilePoint
    method: str
    """"exact", "covering" (a measured bucket at least as large) or "scaled" (scaled down)."""


def _dominates(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] >= b[0] and a[1] >= b[1]


def _coverage(bucket: tuple[int, int], asked: tuple[int, int]) -> float:
    return min(1.0, bucket[0] / asked[0]) * min(1.0, bucket[1] / asked[1])


@dataclass(frozen=True)
class Profiles:
    """A set of measurements, looked up by model, accelerator, TP, dtypes and SLO.

    Its hash and an index by configuration are worked out once: a profile set is a cache key
    of every capacity lookup, and a fleet's set holds thousands of points."""

    points: tuple[ProfilePoint, ...] = ()
    _by_config: dict = field(default_factory=dict, init=False, compare=False, repr=False)
    _hash: int = field(default=0, init=False, compare=False, repr=False)
    _usable: dict = field(default_factory=dict, init=False, compare=False, repr=False)
    """usable()'s answers: every bucket of a fleet asks the same few configurations."""

    def __post_init__(self) -> None:
        index: dict[tuple, list[ProfilePoint]] = {}
        for p in self.points:
            index.setdefault(
                (p.model, p.accelerator, p.tp, p.weights_dtype, p.kv_dtype), []
            ).append(p)
        object.__setattr__(self, "_by_config", {k: tuple(v) for k, v in index.items()})
        object.__setattr__(self, "_hash", hash(self.points))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Profiles):
            return NotImplemented
        return self._hash == other._hash and self.points == other.points

    def __reduce__(self):
        return (Profiles, (self.points,))  # hashes differ between processes: worked out again

    def __len__(self) -> int:
        return len(self.points)

    def usable(
        self,
        model: str,
        accelerator: str,
        tp: int,
        slo: SLO,
        weights_dtype: Dtype = Dtype.bf16,
        kv_dtype: Dtype = Dtype.bf16,
    ) -> tuple[ProfilePoint, ...]:
        """Measurements of this configuration taken under an SLO at least as strict as `slo`."""
        key = (model, accelerator, tp, weights_dtype, kv_dtype)
        found = self._usable.get((key, slo))
        if found is None:
            same = self._by_config.get(key, ())
            found = tuple(p for p in same if p.slo.at_least_as_strict_as(slo))
            self._usable[(key, slo)] = found
        return found

    def estimate(
        self,
        model: str,
        accelerator: str,
        tp: int,
        input_tokens: int,
        output_tokens: int,
        slo: SLO,
        weights_dtype: Dtype = Dtype.bf16,
        kv_dtype: Dtype = Dtype.bf16,
        scale: Callable[[ProfilePoint], float] | None = None,
    ) -> ProfileEstimate | None:
        """The measured capacity for this bucket, or None when no usable measurement exists.

        An exact bucket is used as measured. Otherwise the nearest larger buckets (those at
        least as large in input and output with none between them and the request) give the
        lowest of their rates. With no larger bucket, the best-covering one is scaled by
        min(1, scale(point)). Outside an exact match the result is also capped by every
        measured bucket at most as large as the request.
        """
        return estimate_from_points(
            self.usable(model, accelerator, tp, slo, weights_dtype, kv_dtype),
            input_tokens,
            output_tokens,
            scale,
        )


def _best_per_bucket(points: Iterable[ProfilePoint]) -> dict[tuple[int, int], ProfilePoint]:
    best: dict[tuple[int, int], ProfilePoint] = {}
    for point in points:
        kept = best.get(point.bucket)
        if kept is None or point.max_rps > kept.max_rps:
            best[point.bucket] = point
    return best


def estimate_from_points(
    points: Iterable[ProfilePoint],
    input_tokens: int,
    output_tokens: int,
    scale: Callable[[ProfilePoint], float] | None = None,
) -> ProfileEstimate | None:
    """The conservative estimate of Profiles.estimate over already-filtered `points`."""
    if input_tokens < 1 or output_tokens < 1:
        raise ValueError("input_tokens and output_tokens must be at least 1")
    best = _best_per_bucket(points)
    if not best:
        return None
    asked = (input_tokens, output_tokens)
    if asked in best:
        return ProfileEstimate(best[asked].max_rps, best[asked], "exact")
    cap = min((p.max_rps for b, p in best.items() if _dominates(asked, b)), default=float("inf"))
    covering = [b for b in best if _dominates(b, asked)]
    nearest = [b for b in covering if not any(o != b and _dominates(b, o) for o in covering)]
    if nearest:
        point = min((best[b] for b in nearest), key=lambda p: (p.max_rps, p.bucket))
        return ProfileEstimate(min(point.max_rps, cap), point, "covering")
    bucket = max(best, key=lambda b: (_coverage(b, asked), b))
    point = best[bucket]
    factor = 1.0 if scale is None else min(1.0, max(0.0, scale(point)))
    return ProfileEstimate(min(point.max_rps * factor, cap), point, "scaled")
