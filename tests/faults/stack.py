"""One fault test's own deployment, and the bank and reviewer that drive it.

A PostgreSQL server and a redis-server of the test's own (own ports and directories: restarting,
killing or freezing them disturbs nobody), `gateway serve`, `gateway worker --no-beat` and one
`celery beat`, all real processes, onboarded through the CLI as an operator would. Short sweep
and backoff settings make recovery take seconds; every wait has a deadline and says what it
waited for.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from lxml import etree

from signing.httpsig import HttpSignatureAuth
from tests.e2e.test_bank_flow import PASSWORD, onboard
from tests.faults.checks import progress
from tests.support import factories
from tests.support.callbacks import CallbackReceiver
from tests.support.processes import (
    PostgresServer, Process, RedisServer, free_port, gateway_env, start_beat, start_server, start_worker,
)

NS = "{urn:pingluo-bdc:mortgage-gateway:v1}"
RECOVERY_SECONDS = 150.0  # the longest wait for the background work to catch up after the faults


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str, details: Callable[[], str] = str,
               interval: float = 0.1) -> float:
    """Poll ``condition`` until it holds; the seconds it took. Fails after ``timeout`` naming ``what``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout:.0f} s. {details()}")


class Stack:
    """PostgreSQL, Redis, the API, a worker and beat of one test."""

    def __init__(self, tmp_path: Path, pki, receiver: CallbackReceiver, **settings: str):
        self.logs = tmp_path / "logs"
        self.logs.mkdir()
        self.pki, self.receiver = pki, receiver
        self.processes: dict[str, Process] = {}
        self.postgres = PostgresServer()
        self.redis: RedisServer | None = None
        self.restarted: list[str] = []  # what the supervisor had to restart
        self._down: set[str] = set()  # killed on purpose: the test restarts them itself
        self._supervising = threading.Event()
        try:
            self.database_url = self.postgres.create_database()
            self.redis = RedisServer(tmp_path / "redis")
            self.port = free_port()
            self.base_url = f"http://127.0.0.1:{self.port}"
            self.env = gateway_env(
                tmp_path / "var", pki, GATEWAY_DATABASE_URL=self.database_url, GATEWAY_TASK_MODE="celery",
                GATEWAY_BROKER_URL=self.redis.url(), GATEWAY_PUBLIC_BASE_URL=self.base_url,
                GATEWAY_CALLBACK_MAX_ATTEMPTS="1000", GATEWAY_CALLBACK_TIMEOUT_SECONDS="3",
                GATEWAY_CALLBACK_BACKOFF_BASE_SECONDS="0.3", GATEWAY_CALLBACK_BACKOFF_CAP_SECONDS="1",
                GATEWAY_SWEEP_INTERVAL_SECONDS="0.5", **settings)
            onboard(self.env, pki, receiver, tmp_path)
            self._in_parallel(self.start_worker, self.start_beat, self.start_api)
        except BaseException:
            self.stop()
            raise
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)
        self._supervisor.start()

    # --- the processes --------------------------------------------------------------------------

    def start_api(self) -> None:
        self.processes["api"], _ = start_server(self.env, self.logs, port=self.port, own_group=True,
                                                log_name=self._log_name("serve"))
        self._down.discard("api")

    def start_worker(self) -> None:
        self.processes["worker"] = start_worker(self.env, self.logs, "--no-beat", "--concurrency", "2",
                                                own_group=True, log_name=self._log_name("worker"))
        self._down.discard("worker")

    def start_beat(self) -> None:
        self.processes["beat"] = start_beat(self.env, self.logs)

    @staticmethod
    def _in_parallel(*steps: Callable[[], None]) -> None:
        """Run the steps at once (starting or stopping processes mostly waits); re-raises the first failure."""
        with ThreadPoolExecutor(max_workers=max(len(steps), 1)) as pool:
            for future in [pool.submit(step) for step in steps]:
                future.result()

    def kill(self, name: str) -> None:
        """kill -9 of a process and its children (``api`` or ``worker``); the test starts it again."""
        self._down.add(name)
        self.processes[name].kill()

    def _supervise(self) -> None:
        """Restart a worker or beat that exited by itself, as production's supervisor does
        (``restart: unless-stopped``): a Celery worker can exit on losing its Redis connection."""
        starts = {"worker": self.start_worker, "beat": self.start_beat}
        while not self._supervising.wait(0.5):
            for name, start in starts.items():
                process = self.processes.get(name)
                if name in self._down or process is None or process.process.poll() is None:
                    continue
                self.restarted.append(f"{name} (exit code {process.process.returncode})")
                try:
                    start()
                except AssertionError:
                    continue  # tried again on the next round; the recovery wait reports what is missing

    def _log_name(self, name: str) -> str:
        count = len(list(self.logs.glob(f"{name}-*.log"))) + 1
        return f"{name}-{count}.log"

    def stop(self) -> None:
        self._supervising.set()
        if hasattr(self, "_supervisor"):
            self._supervisor.join(timeout=90)
        try:
            self._in_parallel(*(process.stop for process in self.processes.values()))
        finally:
            self._stop_services()

    def _stop_services(self) -> None:
        if self.redis is not None:
            self.redis.stop()
        self.postgres.remove()

    def log_tails(self, characters: int = 3000) -> str:
        tails = [f"--- {path.name}\n{path.read_text(errors='replace')[-characters:]}"
                 for path in sorted(self.logs.glob("*.log"))]
        return "\n".join(tails) + f"\n--- postgres.log\n{self.postgres.log()[-characters:]}"

    # --- what the bank and the reviewer do --------------------------------------------------------

    def bank(self) -> httpx.Client:
        auth = HttpSignatureAuth(key_id=self.pki.bank.fingerprint, private_key=self.pki.bank.key)
        return httpx.Client(base_url=self.base_url, auth=auth, timeout=30)

    def upload_materials(self) -> None:
        with self.bank() as bank:
            for data in factories.MATERIALS.values():
                response = bank.put(f"/v1/materials/{factories.sha256(data)}", content=data,
                                    headers={"Content-Type": "application/pdf"})
                assert response.status_code in (200, 201), response.text

    def signed_requests(self, count: int, label: str) -> dict[str, bytes]:
        """``count`` distinct signed applications: request id -> the bytes the bank sends (and resends)."""
        requests = {}
        for _ in range(count):
            request_id = f"FAULT-{label}-{uuid.uuid4().hex[:12]}"
            requests[request_id] = factories.signed_request(factories.application(request_id=request_id),
                                                            self.pki.bank)
        return requests

    def submit_all(self, requests: dict[str, bytes], *, timeout: float = 180.0, threads: int = 4,
                   tally: SubmissionTally | None = None) -> dict[str, bytes]:
        """Send every request until it is answered with a receipt, as a bank's retrying client does:
        the same bytes again after a 5xx or a broken connection. Request id -> the receipt."""
        tally = tally or SubmissionTally()
        deadline = time.monotonic() + timeout
        with ThreadPoolExecutor(max_workers=threads) as pool:
            receipts = dict(zip(requests, pool.map(lambda body: self._submit(body, deadline, tally),
                                                   requests.values())))
        return receipts

    def _submit(self, body: bytes, deadline: float, tally: SubmissionTally) -> bytes:
        last = ""
        while time.monotonic() < deadline:
            try:
                response = httpx.post(f"{self.base_url}/v1/applications", content=body,
                                      headers={"Content-Type": "application/xml"}, timeout=15)
            except httpx.TransportError as exc:
                last = type(exc).__name__
                tally.add(last)
            else:
                tally.add(response.status_code)
                if response.status_code in (200, 202):
                    return response.content
                # While the database restarts the gateway answers 503 database.unavailable, never a bare 500.
                assert response.status_code == 503 and response.json()["code"] == "database.unavailable", \
                    f"submission refused: {response.status_code} {response.text[:300]}"
                last = f"{response.status_code} {response.text[:200]}"
            time.sleep(0.3)
        raise AssertionError(f"a submission got no receipt before the deadline (last answer: {last})")

    def reviewer(self) -> httpx.Client:
        staff = httpx.Client(base_url=self.base_url, timeout=30)
        response = staff.post("/v1/staff/sessions", json={"username": "reviewer", "password": PASSWORD})
        assert response.status_code == 200, response.text
        staff.headers["Authorization"] = f"Bearer {response.json()['token']}"
        return staff

    def claim(self, staff: httpx.Client, numbers: list[str]) -> None:
        for number in numbers:
            response = staff.post(f"/v1/review/applications/{number}/claim")
            assert response.status_code == 200, response.text

    def approve(self, staff: httpx.Client, numbers: list[str]) -> list[float]:
        """Approve claimed applications; the seconds each approval took."""
        took = []
        for number in numbers:
            started = time.monotonic()
            response = staff.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"})
            took.append(time.monotonic() - started)
            assert response.status_code == 200, response.text
        return took

    def progress(self) -> dict[str, int]:
        return progress(self.database_url)

    def wait_for_recovery(self, expected: int, timeout: float = RECOVERY_SECONDS) -> float:
        """Until every one of ``expected`` applications is registered, certified and its result delivered."""
        def done() -> bool:
            counts = self.progress()
            return (counts["registered"] == counts["certificates"] == counts["delivered"] == expected
                    and counts["undelivered"] == 0)
        return wait_until(done, timeout=timeout, interval=0.5, what=f"all {expected} applications registered, "
                          "certified and delivered", details=lambda: f"{self.progress()}\n{self.log_tails()}")


def application_number(receipt: bytes) -> str:
    return etree.fromstring(receipt).findtext(f"{NS}ApplicationNo")


class SubmissionTally:
    """What the bank's submissions were answered with (status codes, or the connection error's name)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.answers: dict[str, int] = {}

    def add(self, answer: int | str) -> None:
        with self._lock:
            self.answers[str(answer)] = self.answers.get(str(answer), 0) + 1

    def cut_off(self) -> int:
        """How many answers were a server error or a broken connection (the fault was felt)."""
        return sum(count for answer, count in self.answers.items() if not answer.isdigit() or int(answer) >= 500)

    def __str__(self) -> str:
        return ", ".join(f"{answer}: {count}" for answer, count in sorted(self.answers.items()))
