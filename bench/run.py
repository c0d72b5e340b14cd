"""``make bench`` = ``python -m bench.run``: measure the gateway against its ceilings and write the report.

Runs each mode (``bench.modes``), certificates (``bench.certificates``) and the reviewer queue
(``bench.queue``), then writes ``bench/results/<timestamp>/report.{md,json}`` and, unless it was
interrupted, copies them to ``bench/results/latest.{md,json}``. Settings: see ``bench.config``.
Exits 1 if a part failed or was interrupted (the report still says what was measured), 0
otherwise — a target that is not met is reported, not an error.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from bench.config import PARTS, BenchConfig
from bench.machine import machine_info
from bench.report import write_report
from bench.stats import median_of, ratio, spread_dict
from bench.targets import evaluate


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def measure_certificates(config: BenchConfig, pki, work_dir: Path) -> dict:
    """Certificates per second in one process against pyHanko sealing alone (same process, interleaved)."""
    from bench.seed import gateway_env

    out = work_dir / "certificates.json"
    env = gateway_env(work_dir / "certificates-var", pki)
    result = subprocess.run([sys.executable, "-m", "bench.certificates", "--seconds", str(config.certificate_seconds),
                             "--reps", str(config.reps), "--out", str(out)], env=env, capture_output=True, text=True,
                            timeout=120 + 4 * config.certificate_seconds * config.reps, process_group=0)
    if result.returncode != 0:
        raise RuntimeError("bench.certificates failed (integration point: gateway.certificates.throughput):\n"
                           + result.stderr[-2000:])
    raw = json.loads(out.read_text())
    summary = {"generated_per_s": spread_dict(raw["generated_per_s"]),
               "seal_only_per_s": spread_dict(raw["seal_only_per_s"]), "pdf_bytes": raw["pdf_bytes"]}
    summary["ratio"] = ratio(median_of(summary, "generated_per_s"), median_of(summary, "seal_only_per_s"))
    return summary


def measure_queue(config: BenchConfig) -> dict:
    """The reviewer queue's first and deep page at ``queue_applications`` (``bench.queue`` raises on a seq scan)."""
    from bench import queue

    return queue.run(config.postgres_admin_url, applications=config.queue_applications, samples=200)


def measure_batch(config: BenchConfig, pki, factory, work_dir: Path, log_dir: Path) -> dict:
    """A 10,000-item batch accepted and fully receipted, next to single-request intake on the same server."""
    from bench import batch

    return batch.run(config, pki, factory, work_dir, log_dir)


class Benchmark:
    def __init__(self, config: BenchConfig):
        self.config = config
        self.started = datetime.now(timezone.utc)
        self.out_dir = config.results_dir / self.started.strftime("%Y%m%dT%H%M%SZ")
        self.log_dir = self.out_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.work_dir = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
        self.results: dict = {"modes": {}, "errors": []}

    def run(self) -> int:
        interrupted = False
        try:
            self._measure()
        except KeyboardInterrupt:
            interrupted = True
            self.results["errors"].append("interrupted: the figures below are partial")
        finally:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        whole = set(self.config.parts) == set(PARTS)
        self._finish(keep_as_latest=whole and not interrupted)
        return 1 if interrupted or self.results["errors"] else 0

    def _part(self, name: str, function, *args):
        print(f"[bench] {name} …", flush=True)
        started = time.monotonic()
        try:
            return function(*args)
        except Exception as exc:
            (self.log_dir / f"{name}-error.txt").write_text(traceback.format_exc())
            self.results["errors"].append(f"{name}: {type(exc).__name__}: {str(exc)[:500]}")
            return {"error": f"{type(exc).__name__}: {str(exc)[:500]}"}
        finally:
            print(f"[bench] {name} done in {time.monotonic() - started:.0f} s", flush=True)

    def _measure(self) -> None:
        from bench.applications import RequestFactory
        from bench.modes import ModeRun
        from bench.seed import build_pki

        self.results["machine"] = machine_info(self.config.postgres_admin_url, self.config.redis_url)
        pki = build_pki(self.work_dir / "pki")
        factory = RequestFactory(pki, processes=os.cpu_count() or 1)
        try:
            for mode in self.config.modes if "modes" in self.config.parts else ():
                run = ModeRun(mode, self.config, pki, factory, self.work_dir, self.log_dir)
                self.results["modes"][mode] = run.results  # filled as it goes: partial figures survive a failure
                outcome = self._part(mode, run.run)
                if "error" in outcome:
                    run.results["error"] = outcome["error"]
            if "batch" in self.config.parts:
                self.results["batch"] = self._part("batch", measure_batch, self.config, pki, factory, self.work_dir,
                                                   self.log_dir)
        finally:
            factory.close()
        if "certificates" in self.config.parts:
            self.results["certificates"] = self._part("certificates", measure_certificates, self.config, pki, self.work_dir)
        if "queue" in self.config.parts:
            self.results["queue"] = self._part("queue", measure_queue, self.config)

    def _finish(self, *, keep_as_latest: bool) -> None:
        from bench.machine import load_average

        finished = datetime.now(timezone.utc)
        self.results.setdefault("machine", {})["load_average_at_end"] = load_average()
        self.results["meta"] = {
            "started_at": self.started.isoformat(timespec="seconds"),
            "finished_at": finished.isoformat(timespec="seconds"),
            "minutes": round((finished - self.started).total_seconds() / 60, 1),
            "config": self.config.as_dict(),
        }
        self.results["targets"] = [target.as_dict() for target in evaluate(self.results)]
        markdown = write_report(self.out_dir, self.results)
        print(markdown)
        if keep_as_latest:  # an interrupted run's partial report does not replace the latest whole one
            for suffix in ("md", "json"):
                shutil.copyfile(self.out_dir / f"report.{suffix}", self.config.results_dir / f"latest.{suffix}")
        print(f"[bench] report: {self.out_dir / 'report.md'}" + (f" (and {self.config.results_dir / 'latest.md'})"
                                                                  if keep_as_latest else ""))


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGHUP, _stop_on_sigterm)
    return Benchmark(BenchConfig.from_env()).run()


if __name__ == "__main__":
    raise SystemExit(main())
