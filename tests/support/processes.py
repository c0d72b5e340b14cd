"""Running the gateway as real processes (`gateway serve`, `gateway worker`) for end-to-end tests."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gateway_env(data_dir: Path, pki, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(
        GATEWAY_DATA_DIR=str(data_dir),
        GATEWAY_SIGNING_KEY_PATH=str(pki.gateway.key_path),
        GATEWAY_SIGNING_CERT_PATH=str(pki.gateway.cert_path),
        GATEWAY_TRUST_ANCHORS_PATH=str(pki.ca_path),
        GATEWAY_SWEEP_INTERVAL_SECONDS="0.5",
        GATEWAY_CALLBACK_BACKOFF_BASE_SECONDS="0.3",
        GATEWAY_CALLBACK_BACKOFF_CAP_SECONDS="1",
    )
    env.update(extra)
    return env


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([str(BIN / "gateway"), *args], env=env, input=stdin, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, f"gateway {' '.join(args)} failed: {result.stderr}"
    return result.stdout


class Process:
    """A background process whose output goes to a log file, stopped at the end."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path):
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def start_server(env: dict[str, str], log_dir: Path) -> tuple[Process, str]:
    port = free_port()
    server = Process([str(BIN / "gateway"), "serve", "--port", str(port)], env, log_dir / "serve.log")
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"gateway serve exited: {server.log()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return server, base_url
        except httpx.HTTPError:
            time.sleep(0.2)
    server.stop()
    raise AssertionError(f"gateway serve did not start: {server.log()}")


def start_worker(env: dict[str, str], log_dir: Path, *options: str, log_name: str = "worker.log") -> Process:
    worker = Process([str(BIN / "gateway"), "worker", *(options or ("--concurrency", "2"))], env, log_dir / log_name)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise AssertionError(f"gateway worker exited: {worker.log()}")
        if "ready." in worker.log():
            return worker
        time.sleep(0.2)
    worker.stop()
    raise AssertionError(f"gateway worker did not become ready: {worker.log()}")


def start_beat(env: dict[str, str], log_dir: Path) -> Process:
    """Celery beat on its own (the production layout's one beat), sending the periodic sweeps."""
    beat = Process([str(BIN / "celery"), "-A", "gateway.tasks.celery_app", "beat", "--loglevel=INFO"], env,
                   log_dir / "beat.log")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if beat.process.poll() is not None:
            raise AssertionError(f"celery beat exited: {beat.log()}")
        if "beat: Starting..." in beat.log():
            return beat
        time.sleep(0.2)
    beat.stop()
    raise AssertionError(f"celery beat did not start: {beat.log()}")


class RedisServer:
    """A redis-server of the test's own (own port and directory, no persistence), to freeze or stop
    without touching the shared one."""

    def __init__(self, directory: Path):
        import redis

        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self._process = Process(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(directory),
             "--save", "", "--appendonly", "no"], os.environ.copy(), directory / "redis.log")
        self.client = redis.Redis(port=self.port, socket_timeout=5)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise AssertionError(f"redis-server did not start: {self._process.log()}")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def freeze(self) -> None:
        """Stop the process (SIGSTOP): connections stay open and nothing answers."""
        os.kill(self._process.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self._process.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self._process.process.poll() is None:
            self.thaw()
        self._process.stop()
