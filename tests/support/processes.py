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
    """A background process whose output goes to a log file, stopped at the end.

    ``own_group``: the process leads a process group of its own, so that :meth:`kill` takes its
    children too (a Celery worker's pool), as a crash of the machine would.
    """

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path, *, own_group: bool = False):
        self.log_path = log_path
        self.own_group = own_group
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        process_group=0 if own_group else None)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
        if self.own_group:
            self._signal_group(signal.SIGKILL)  # children the leader left behind
        self._log.close()

    def kill(self) -> None:
        """SIGKILL, with no chance to clean up (the whole group when it leads one)."""
        if self.own_group:
            self._signal_group(signal.SIGKILL)
        elif self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=15)

    def _signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass


def start_server(env: dict[str, str], log_dir: Path, *, port: int | None = None, log_name: str = "serve.log",
                 own_group: bool = False) -> tuple[Process, str]:
    port = port or free_port()
    server = Process([str(BIN / "gateway"), "serve", "--port", str(port)], env, log_dir / log_name,
                     own_group=own_group)
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


def start_worker(env: dict[str, str], log_dir: Path, *options: str, log_name: str = "worker.log",
                 own_group: bool = False) -> Process:
    worker = Process([str(BIN / "gateway"), "worker", *(options or ("--concurrency", "2"))], env, log_dir / log_name,
                     own_group=own_group)
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
        self.directory = directory
        self.port = free_port()
        self.client = redis.Redis(port=self.port, socket_timeout=5)
        self.starts = 0
        self._start()

    def _start(self) -> None:
        import redis

        self.starts += 1
        self._process = Process(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--save", "", "--appendonly", "no"], os.environ.copy(), self.directory / f"redis-{self.starts}.log")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise AssertionError(f"redis-server did not start: {self._process.log()}")

    def kill(self) -> None:
        """SIGKILL: every queued message is gone (no persistence), as after a crash."""
        self._process.kill()

    def restart(self) -> None:
        """A new, empty redis-server on the same port (after :meth:`kill` or :meth:`stop`)."""
        self._start()

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


def postgres_bin_dir() -> Path:
    """The newest installed PostgreSQL server binaries (Debian's layout); fails when there are none."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise AssertionError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: install postgresql "
                             "(.ci/ensure-services does) — fault tests never skip")
    return found[-1].parent


class PostgresServer:
    """A PostgreSQL server of the test's own: ``initdb`` into a fresh directory, its own port, trust
    authentication on loopback, no fsync; to restart or kill without touching the shared server.

    PostgreSQL refuses to run as root: as root, the cluster belongs to the ``postgres`` system user
    and every command runs through ``runuser``.
    """

    def __init__(self):
        import tempfile

        self.bin = postgres_bin_dir()
        # Not under pytest's tmp_path: as root that is closed to the postgres user.
        self.directory = Path(tempfile.mkdtemp(prefix="gateway-pg-"))
        self.data = self.directory / "data"
        self.log_path = self.directory / "postgres.log"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            import pwd

            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise AssertionError("running as root, and there is no postgres system user to run "
                                     "PostgreSQL as") from None
            os.chown(self.directory, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "--auth=trust", "--username=postgres", "--encoding=UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        self.start()

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str = "gateway") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str = "gateway") -> str:
        import sqlalchemy

        engine = sqlalchemy.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        finally:
            engine.dispose()
        return self.url(name)

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{self.directory}' "
                   "-c fsync=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: sessions are ended and the server shuts down cleanly; ``immediate``: as a crash
        (recovery from the WAL at the next start)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def remove(self) -> None:
        import shutil

        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.directory)
        if result.returncode != 0:
            raise AssertionError(f"{program} failed ({result.returncode}): {result.stderr or result.stdout}\n"
                                 f"{self.log()[-2000:]}")
