"""Percentiles of one run, and the median and spread of repeated runs (pure functions)."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100), interpolated linearly between closest ranks; None if empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    position = (len(ordered) - 1) * q / 100
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float | int | None]:
    """p50, p95, p99 and max of one run's latencies, with their count."""
    return {
        "count": len(latencies_ms),
        "p50": percentile(latencies_ms, 50),
        "p95": percentile(latencies_ms, 95),
        "p99": percentile(latencies_ms, 99),
        "max": max(latencies_ms) if latencies_ms else None,
    }


@dataclass(frozen=True)
class Spread:
    """A figure measured several times: the median, the lowest and highest, and every repetition."""

    median: float
    low: float
    high: float
    reps: tuple[float, ...]

    def as_dict(self) -> dict:
        return {**asdict(self), "reps": list(self.reps)}


def spread(values: Iterable[float | None]) -> Spread | None:
    """Median and min–max of the repetitions that produced a value; None if none did."""
    present = [float(v) for v in values if v is not None]
    if not present:
        return None
    return Spread(median=percentile(present, 50), low=min(present), high=max(present), reps=tuple(present))


def spread_dict(values: Iterable[float | None]) -> dict | None:
    found = spread(values)
    return found.as_dict() if found else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is zero."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def summarise_runs(runs: Sequence[Mapping]) -> dict:
    """Medians and spreads over load-generator results (see ``bench.load``) of repeated runs.

    Errors are every non-2xx answer and every failed request over the whole run (warm-up
    included): a 500 during warm-up is still an error.
    """
    error_kinds: dict[str, int] = {}
    for run in runs:
        for kind, count in run.get("errors", {}).items():
            error_kinds[kind] = error_kinds.get(kind, 0) + count
    return {
        "ok_per_s": spread_dict(r.get("ok_per_s") for r in runs),
        "p50_ms": spread_dict(r.get("latency_ms", {}).get("p50") for r in runs),
        "p95_ms": spread_dict(r.get("latency_ms", {}).get("p95") for r in runs),
        "p99_ms": spread_dict(r.get("latency_ms", {}).get("p99") for r in runs),
        "errors": spread_dict(sum(r.get("errors", {}).values()) for r in runs),
        "errors_total": sum(error_kinds.values()),
        "error_kinds": error_kinds,
        "exhausted_runs": sum(1 for r in runs if r.get("exhausted")),
        "runs": len(runs),
    }


def median_of(summary: Mapping | None, key: str) -> float | None:
    """``summary[key]["median"]`` when present."""
    if not summary:
        return None
    figure = summary.get(key)
    return figure.get("median") if isinstance(figure, Mapping) else None
