"""What a benchmark run does, from the environment (every variable is optional).

| variable | default (quick) | meaning |
|---|---|---|
| ``BENCH_QUICK`` | off | ``1``: a smoke run of a few minutes; its figures are not measurements |
| ``BENCH_DURATION`` | 8 (2) | seconds measured per run, after the warm-up |
| ``BENCH_WARMUP`` | 2 (1) | seconds of load before measuring |
| ``BENCH_REPS`` | 3 (1) | repetitions of every figure |
| ``BENCH_MODES`` | ``embedded,postgresql`` | which gateway modes to measure |
| ``BENCH_PARTS`` | ``modes,batch,certificates,queue`` | which parts to run (a partial run is not kept as ``latest``) |
| ``BENCH_QUEUE_APPLICATIONS`` | 1000000 (20000) | applications in the reviewer-queue database |
| ``BENCH_CERT_SECONDS`` | 5 (2) | seconds per certificate loop |
| ``BENCH_AUTO_RATE`` | 5 (4) | discharges per second on the automatic-result path |
| ``BENCH_BATCH_ITEMS`` | 10000 (1000) | items in the batch of ``bench.batch`` |
| ``BENCH_RESULTS_DIR`` | ``bench/results`` | where ``<timestamp>/report.{md,json}`` and ``latest.*`` go |
| ``BENCH_POSTGRES_ADMIN_URL`` | ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres`` | server to create the databases on |
| ``BENCH_REDIS_URL`` | ``redis://127.0.0.1:6379`` | Redis server (an empty database index is used) |
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CLIENT_LEVELS = (1, 16, 64)
READ_CLIENTS = 16
WORKER_CONCURRENCY = 2
PARTS = ("modes", "batch", "certificates", "queue")


def _parts(value: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in value.split(",") if p.strip())
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"BENCH_PARTS: unknown part(s) {', '.join(sorted(unknown))}; known: {', '.join(PARTS)}")
    return parts


@dataclass(frozen=True)
class BenchConfig:
    quick: bool
    duration: float
    warmup: float
    reps: int
    modes: tuple[str, ...]
    parts: tuple[str, ...]
    queue_applications: int
    certificate_seconds: float
    auto_rate: float
    results_dir: Path
    postgres_admin_url: str
    redis_url: str
    request_timeout: float = 30.0
    client_levels: tuple[int, ...] = CLIENT_LEVELS
    read_clients: int = READ_CLIENTS
    worker_concurrency: int = WORKER_CONCURRENCY

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> BenchConfig:
        quick = env.get("BENCH_QUICK", "") not in ("", "0")

        def number(name: str, full: float, smoke: float) -> float:
            return float(env.get(name) or (smoke if quick else full))

        modes = tuple(m.strip() for m in env.get("BENCH_MODES", "embedded,postgresql").split(",") if m.strip())
        unknown = set(modes) - {"embedded", "postgresql"}
        if unknown:
            raise ValueError(f"BENCH_MODES: unknown mode(s) {', '.join(sorted(unknown))}")
        return cls(
            quick=quick,
            parts=_parts(env.get("BENCH_PARTS", ",".join(PARTS))),
            duration=number("BENCH_DURATION", 8, 2),
            warmup=number("BENCH_WARMUP", 2, 1),
            reps=int(number("BENCH_REPS", 3, 1)),
            modes=modes,
            queue_applications=int(number("BENCH_QUEUE_APPLICATIONS", 1_000_000, 20_000)),
            certificate_seconds=number("BENCH_CERT_SECONDS", 5, 2),
            auto_rate=number("BENCH_AUTO_RATE", 5, 4),
            results_dir=Path(env.get("BENCH_RESULTS_DIR") or Path(__file__).parent / "results"),
            postgres_admin_url=env.get("BENCH_POSTGRES_ADMIN_URL",
                                       "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
            redis_url=env.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379"),
        )

    @property
    def run_seconds(self) -> float:
        return self.warmup + self.duration

    def discharge_units(self) -> int:
        """Enough mortgages to discharge on the automatic-result path of every repetition."""
        return int(self.reps * self.auto_rate * (self.run_seconds + 2) * 1.5) + 50

    def intake_units(self) -> int:
        return 3_000 if self.quick else 40_000

    def as_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()
                if k not in ("postgres_admin_url", "redis_url")}
