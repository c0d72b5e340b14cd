"""Processes and databases the benchmark starts, and always stops or drops again.

Every process runs in its own process group, so that Ctrl-C reaches only the benchmark (which
then stops everything in order) and stopping a server also stops the worker processes it
forked (uvicorn ``--workers``, Celery's pool).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

PYTHON = sys.executable
GATEWAY_BIN = Path(PYTHON).parent / "gateway"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_group_members(group: int) -> list[int]:
    """Every live process whose process group is ``group``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of one process, in MB; 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Service:
    """A background process with its output in a log file; ``stop`` ends its whole process group."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_path: Path):
        self.name, self.log_path = name, log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        process_group=0, cwd=Path.cwd())

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, characters: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:]

    def peak_memory(self) -> dict:
        """Sum of the peak resident memory of every process in the group (master and workers)."""
        members = process_group_members(self.pid)
        peaks = {pid: peak_rss_mb(pid) for pid in members}
        return {"processes": len(members), "sum_of_peaks_mb": round(sum(peaks.values()), 1),
                "largest_mb": round(max(peaks.values(), default=0.0), 1)}

    def stop(self, timeout: float = 20.0) -> None:
        self._signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process_group_members(self.pid):
            self.process.poll()
            time.sleep(0.1)
        if process_group_members(self.pid):
            self._signal(signal.SIGKILL)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()

    def _signal(self, signum: int) -> None:
        try:
            os.killpg(self.pid, signum)
        except ProcessLookupError:
            pass


def wait_for_http(service: Service, url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.running():
            raise RuntimeError(f"{service.name} exited:\n{service.log_tail()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{service.name} did not answer {url} within {timeout:.0f} s:\n{service.log_tail()}")


def wait_for_log(service: Service, text: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.running():
            raise RuntimeError(f"{service.name} exited:\n{service.log_tail()}")
        if text in service.log_path.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{service.name} did not log {text!r} within {timeout:.0f} s:\n{service.log_tail()}")


def serve_supports_workers() -> bool:
    """Whether this gateway's ``serve`` has ``--workers`` (several API processes)."""
    result = subprocess.run([str(GATEWAY_BIN), "serve", "--help"], capture_output=True, text=True, timeout=60)
    return "--workers" in result.stdout


def start_gateway(env: dict[str, str], log_dir: Path, *, workers: int = 1, name: str = "gateway") -> tuple[Service, str]:
    port = free_port()
    args = [str(GATEWAY_BIN), "serve", "--port", str(port)]
    if workers > 1:
        args += ["--workers", str(workers)]
    service = Service(name, args, env, log_dir / f"{name}.log")
    base_url = f"http://127.0.0.1:{port}"
    wait_for_http(service, f"{base_url}/healthz")
    return service, base_url


def start_ceiling(env: dict[str, str], log_dir: Path, *, workers: int = 1, name: str = "ceiling") -> tuple[Service, str]:
    port = free_port()
    service = Service(name, [PYTHON, "-m", "bench.ceiling_app", "--port", str(port), "--workers", str(workers)], env,
                      log_dir / f"{name}.log")
    base_url = f"http://127.0.0.1:{port}"
    wait_for_http(service, f"{base_url}/healthz")
    return service, base_url


def start_worker(env: dict[str, str], log_dir: Path, *, concurrency: int) -> Service:
    service = Service("celery-worker", [str(GATEWAY_BIN), "worker", "--concurrency", str(concurrency)], env,
                      log_dir / "worker.log")
    wait_for_log(service, "ready.")
    return service


class PostgresDatabase:
    """``gateway_bench_<random>`` on the machine's server, dropped (even if in use) by ``drop``."""

    def __init__(self, admin_url: str):
        import sqlalchemy

        self.name = f"gateway_bench_{uuid.uuid4().hex[:10]}"
        self._admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        self.url = admin_url.rsplit("/", 1)[0] + f"/{self.name}"

    def drop(self) -> None:
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.dispose()


class RedisDatabase:
    """An empty Redis database index (15 down to 6; the tests use 0 and 5), flushed by ``release``."""

    def __init__(self, base_url: str):
        import redis

        for index in range(15, 5, -1):
            client = redis.Redis.from_url(f"{base_url.rstrip('/')}/{index}", socket_timeout=5)
            if client.dbsize() == 0:
                self.client, self.url = client, f"{base_url.rstrip('/')}/{index}"
                return
        raise RuntimeError("no empty Redis database index between 6 and 15 for the benchmark's broker")

    def release(self) -> None:
        self.client.flushdb()
        self.client.close()


def postgres_version(admin_url: str) -> str:
    import sqlalchemy

    engine = sqlalchemy.create_engine(admin_url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SHOW server_version").scalar_one()
    finally:
        engine.dispose()


def redis_version(base_url: str) -> str:
    import redis

    client = redis.Redis.from_url(base_url, socket_timeout=5)
    try:
        return client.info("server")["redis_version"]
    finally:
        client.close()
