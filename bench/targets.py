"""The targets of issue 8, judged against a benchmark's results (pure functions).

Each target names the figure it reads, its bound, and whether it is met; when it is not, the
gap says by how much. A figure the run did not produce is "not measured", never "met".
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from bench.stats import median_of

MODES = ("embedded", "postgresql")
FULL_QUEUE_SIZE = 1_000_000


@dataclass(frozen=True)
class Target:
    name: str
    measured: float | None
    bound: float
    unit: str  # "%", "ms", "/s", "×", "errors"
    at_least: bool  # True: measured must be >= bound; False: measured must be < bound (== 0 for errors)
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.measured is None:
            return None
        if self.unit == "errors":
            return self.measured <= self.bound
        return self.measured >= self.bound if self.at_least else self.measured < self.bound

    @property
    def verdict(self) -> str:
        return {True: "met", False: "not met", None: "not measured"}[self.met]

    @property
    def gap(self) -> str:
        """How far from the bound, in the target's own unit ('' when met or not measured)."""
        if self.met is not False:
            return ""
        difference = abs(self.measured - self.bound)
        if self.unit == "%":
            return f"{difference:.1f} points short"
        if self.unit == "×":
            return f"{difference:.2f}× short"
        if self.unit == "/s":
            return f"{difference:.1f}/s short"
        if self.unit == "errors":
            return f"{self.measured:.0f} error(s)"
        return f"{difference:.0f} ms over"

    def as_dict(self) -> dict:
        return {**asdict(self), "met": self.met, "verdict": self.verdict, "gap": self.gap}


def _percent(value: float | None) -> float | None:
    return None if value is None else 100 * value


def _mode_targets(mode: str, results: Mapping) -> list[Target]:
    intake = results.get("intake", {})
    at16, at64 = intake.get("16", {}), intake.get("64", {})
    reads = results.get("reads", {})
    auto = results.get("auto", {})
    return [
        Target(f"{mode}: intake at 16 clients ≥ 60% of the verify-and-sign ceiling",
               _percent(at16.get("ratio_verify_sign")), 60, "%", True),
        Target(f"{mode}: intake at 16 clients p99 < 250 ms", median_of(at16.get("gateway"), "p99_ms"), 250, "ms", False),
        Target(f"{mode}: intake at 64 clients without errors",
               (at64.get("gateway") or {}).get("errors_total"), 0, "errors", False),
        Target(f"{mode}: intake at 64 clients p99 < 1 s", median_of(at64.get("gateway"), "p99_ms"), 1000, "ms", False),
        Target(f"{mode}: /healthz p99 < 50 ms under 64-client intake",
               median_of(at64.get("healthz"), "p99_ms"), 50, "ms", False),
        Target(f"{mode}: signed status reads ≥ 50% of their ceiling", _percent(reads.get("ratio")), 50, "%", True),
        Target(f"{mode}: automatic result p95 < 250 ms under half load", median_of(auto, "p95_ms"), 250, "ms", False),
    ]


def _queue_targets(queue: Mapping) -> list[Target]:
    size = queue.get("applications")
    note = "" if size is None or size >= FULL_QUEUE_SIZE else f"measured at {size:,} applications, not 1,000,000"
    return [
        Target("reviewer queue first page p99 < 20 ms at 1,000,000 applications",
               (queue.get("first_page") or {}).get("p99_ms"), 20, "ms", False, note),
        Target("reviewer queue deep page p99 < 20 ms at 1,000,000 applications",
               (queue.get("deep_page") or {}).get("p99_ms"), 20, "ms", False, note),
    ]


def evaluate(results: Mapping) -> list[Target]:
    """Every target of the issue, in its order, from a benchmark's ``report.json`` contents."""
    modes = results.get("modes", {})
    targets: list[Target] = []
    for mode in MODES:
        targets += _mode_targets(mode, modes.get(mode, {}))
    targets.append(Target("certificates ≥ 20/s per worker process",
                          median_of(results.get("certificates"), "generated_per_s"), 20, "/s", True))
    targets += _queue_targets(results.get("queue") or {})
    batch = results.get("batch") or {}
    unreceipted = (batch["items"] - batch["receipts_in_inbox"]) if "receipts_in_inbox" in batch else None
    targets.append(Target(f"a batch of {batch.get('items', 10_000):,} items accepted and every item receipted "
                          "(items without a receipt)", unreceipted, 0, "errors", False))
    two = (modes.get("postgresql") or {}).get("two_processes") or {}
    targets.append(Target("two API processes ≥ 1.6× one (PostgreSQL, intake at 64 clients)",
                          two.get("ratio"), 1.6, "×", True))
    return targets
