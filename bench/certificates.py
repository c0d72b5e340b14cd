"""Certificates per second in one process: ``python -m bench.certificates``.

Alternates, ``--reps`` times, two loops of ``--seconds`` each, in this one process (as one
worker process would run them): making whole certificates (render the PDF from facts, then
seal it) and pyHanko sealing one already-rendered PDF alone. Both halves come from
``gateway.certificates.throughput``, which uses production's renderer and seal. Settings are
read from the environment (``GATEWAY_*``), as a worker reads them.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def _per_second(make, seconds: float) -> float:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        make()
        done += 1
    return done / (time.perf_counter() - started)


def measure(seconds: float, reps: int) -> dict:
    from gateway.certificates.throughput import render_sample_pdf, seal_pdf
    from gateway.settings import Settings

    settings = Settings()
    rendered = render_sample_pdf(settings)
    seal_pdf(settings, rendered)  # load the seal and warm pyHanko up before timing
    generated, sealed = [], []
    for _ in range(reps):
        generated.append(_per_second(lambda: seal_pdf(settings, render_sample_pdf(settings)), seconds))
        sealed.append(_per_second(lambda: seal_pdf(settings, rendered), seconds))
    return {"generated_per_s": generated, "seal_only_per_s": sealed, "pdf_bytes": len(rendered)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.certificates")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.write_text(json.dumps(measure(args.seconds, args.reps)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
