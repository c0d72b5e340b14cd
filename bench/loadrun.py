"""Running load-generator processes (``bench.load``) side by side, started at the same instant."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

START_DELAY = 2.0  # seconds for the load processes to start Python and read their requests


@dataclass(frozen=True)
class LoadSpec:
    """One load process: closed loop with ``clients``, or open loop at ``rate`` per second."""

    name: str
    base_url: str
    requests: Path | None = None
    clients: int = 1
    rate: float | None = None
    expect: tuple[int, ...] = (200,)
    path: str | None = None
    cycle: bool = False
    probe: str | None = None
    result_path: str | None = None
    key: Path | None = None
    key_id: str | None = None

    def argv(self, *, warmup: float, duration: float, timeout: float, start_at: float | None, out: Path) -> list[str]:
        argv = [sys.executable, "-m", "bench.load", "--base-url", self.base_url, "--out", str(out),
                "--clients", str(self.clients), "--expect", *map(str, self.expect), "--warmup", str(warmup),
                "--duration", str(duration), "--timeout", str(timeout)]
        optional = {"--requests": self.requests, "--rate": self.rate, "--path": self.path, "--probe": self.probe,
                    "--result-path": self.result_path, "--key": self.key, "--key-id": self.key_id,
                    "--start-at": None if start_at is None else repr(start_at)}
        for flag, value in optional.items():
            if value is not None:
                argv += [flag, str(value)]
        return argv + (["--cycle"] if self.cycle else [])


class LoadRunner:
    """Runs load processes and returns their JSON results; every process is ended on failure."""

    def __init__(self, *, warmup: float, duration: float, timeout: float, work_dir: Path, log_dir: Path):
        self.warmup, self.duration, self.timeout = warmup, duration, timeout
        self.work_dir, self.log_dir = work_dir, log_dir
        self._count = 0

    def run(self, *specs: LoadSpec) -> list[dict]:
        """Run the specs' processes together; several start at one agreed instant, one starts when ready."""
        start_at = time.time() + START_DELAY if len(specs) > 1 else None
        started: list[tuple[subprocess.Popen, Path, LoadSpec]] = []
        try:
            for spec in specs:
                self._count += 1
                out = self.work_dir / f"load-{self._count:04d}-{spec.name}.json"
                log = (self.log_dir / "load.log").open("ab")
                argv = spec.argv(warmup=self.warmup, duration=self.duration, timeout=self.timeout,
                                 start_at=start_at, out=out)
                started.append((subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, process_group=0), out, spec))
                log.close()
            limit = START_DELAY + self.warmup + self.duration + self.timeout + 30
            return [self._result(process, out, spec, limit) for process, out, spec in started]
        finally:
            for process, _, _ in started:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()

    def _result(self, process: subprocess.Popen, out: Path, spec: LoadSpec, limit: float) -> dict:
        code = process.wait(timeout=limit)
        if code != 0 or not out.exists():
            raise RuntimeError(f"load generator {spec.name} failed (exit {code}); see {self.log_dir / 'load.log'}")
        result = json.loads(out.read_text())
        out.unlink()
        return result
