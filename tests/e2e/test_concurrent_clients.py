"""Many banks, staff and the public at once, against a real `gateway serve`, in both runtime modes.

For about 20 seconds, 64 clients mix submissions of distinct signed applications, HTTP-signed
status reads, staff sign-ins and queue reads, and certificate checks on the public verify
endpoint, while one more client sends bodies too slowly or stops half-way, and a prober asks
`/healthz` every 100 ms. Nothing may answer 5xx, the log may show no lock error and no blocked
event loop, `/healthz` must answer within its bound throughout, the slow client gets 408 (and
holds nothing), and every application that was accepted must be complete in the database.
"""
from __future__ import annotations

import random
import re
import socket
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import create_engine, text

from signing.httpsig import HttpSignatureAuth
from tests.support import factories
from tests.support.onboarding import onboard
from tests.support.processes import gateway_env, start_server, start_worker

# Latency under load: run alone, after the parallel phases (Makefile, `-m load`).
pytestmark = pytest.mark.load

CLIENTS = 64
DURATION_S = 20.0
# /healthz is answered on the event loop. The bounds tell a stall (the embedded default froze for 30-60 s
# before issue 8) from the noise of a 2-core machine that is also running the 64 clients, PostgreSQL and a
# worker: most answers come quickly, and none waits for seconds.
HEALTHZ_P95_BOUND_S = 1.0
HEALTHZ_MAX_BOUND_S = 5.0
# A blocking call on the event loop (a database query, a signature) under 64 clients lags it again and
# again, for seconds in all; a 2-core machine that is also running the clients, the database and a
# worker deschedules it now and then for a few hundred milliseconds. So: a lag is logged from 500 ms,
# a few such lags are allowed, none may reach 5 s, and together they stay under 10 % of the run.
LOOP_LAG_BOUND_MS = "500"
LOOP_LAG_MAX_MS = 5000
LOOP_LAG_SHARE = 0.10
LAG = re.compile(r"event loop blocked for (\d+) ms")
PASSWORD = "load-test-password"


@dataclass
class Tally:
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    accepted: dict[str, bytes] = field(default_factory=dict)  # application number -> request bytes
    healthz: list[float] = field(default_factory=list)
    slow_answers: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, operation: str, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[(operation, response.status_code)] += 1
            if response.status_code >= 500:
                self.server_errors.append(f"{operation}: {response.status_code} {response.text[:200]}")


class MixedClients:
    """The load: each client loops over a weighted mix of what banks, staff and the public do."""

    def __init__(self, base_url: str, pki, requests: list[bytes], tally: Tally, deadline: float):
        self.base_url, self.pki, self.tally, self.deadline = base_url, pki, tally, deadline
        self.requests = requests
        self.requests_lock = threading.Lock()

    def run_one(self, seed: int) -> None:
        rng = random.Random(seed)
        auth = HttpSignatureAuth(key_id=self.pki.bank.fingerprint, private_key=self.pki.bank.key)
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            token = None
            while time.monotonic() < self.deadline:
                choice = rng.random()
                if choice < 0.45:
                    self.submit(client)
                elif choice < 0.75:
                    self.read_status(client, auth, rng)
                elif choice < 0.80:
                    token = self.sign_in(client) or token
                elif choice < 0.90 and token:
                    self.tally.record("queue", client.get("/v1/review/queue", headers={"Authorization": f"Bearer {token}"}))
                else:
                    self.check_pdf(client, rng)

    def submit(self, client: httpx.Client) -> None:
        with self.requests_lock:
            request = self.requests.pop() if self.requests else None
        if request is None:
            return
        response = client.post("/v1/applications", content=request, headers={"Content-Type": "application/xml"})
        self.tally.record("submit", response)
        if response.status_code == 202:
            number = response.headers["location"].rsplit("/", 1)[-1]
            with self.tally.lock:
                self.tally.accepted[number] = request

    def read_status(self, client: httpx.Client, auth, rng: random.Random) -> None:
        with self.tally.lock:
            known = list(self.tally.accepted)
        if known:
            number = rng.choice(known)
            response = client.get(f"/v1/applications/{number}", auth=auth)
            self.tally.record("status", response)
            assert response.status_code == 200, response.text

    def sign_in(self, client: httpx.Client) -> str | None:
        response = client.post("/v1/staff/sessions", json={"username": "reviewer", "password": PASSWORD})
        self.tally.record("sign_in", response)
        return response.json()["token"] if response.status_code == 200 else None

    def check_pdf(self, client: httpx.Client, rng: random.Random) -> None:
        code = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(12))
        response = client.post(f"/v1/verify/{code}/pdf", content=b"%PDF-1.7\n" + rng.randbytes(2048),
                               headers={"Content-Type": "application/pdf"})
        self.tally.record("verify_pdf", response)


def slow_body_client(port: int, tally: Tally, deadline: float) -> None:
    """Announces a body and sends it a byte at a time, or stops half-way; the gateway must answer 408."""
    stop_half_way = False
    while time.monotonic() < deadline - 4:
        with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
            sock.sendall(b"POST /v1/verify/ABCDEFGH2345/pdf HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/pdf\r\nContent-Length: 100000\r\n\r\n%PDF")
            answer = b""
            try:
                while b"\r\n" not in answer:
                    if not stop_half_way:
                        sock.sendall(b"x")
                        sock.settimeout(0.4)
                    else:
                        sock.settimeout(15)
                    try:
                        answer += sock.recv(4096)
                    except TimeoutError:
                        continue
            except (BrokenPipeError, ConnectionResetError):
                answer = answer or b"HTTP/1.1 000 reset"
            with tally.lock:
                tally.slow_answers.append(int(answer.split(b" ", 2)[1]))
        stop_half_way = not stop_half_way


def probe_healthz(base_url: str, tally: Tally, deadline: float) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        while time.monotonic() < deadline:
            started = time.monotonic()
            response = client.get("/healthz")
            elapsed = time.monotonic() - started
            assert response.status_code == 200
            with tally.lock:
                tally.healthz.append(elapsed)
            time.sleep(max(0.0, 0.1 - elapsed))


def upload_materials(base_url: str, pki) -> None:
    auth = HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key)
    for data in factories.MATERIALS.values():
        response = httpx.put(f"{base_url}/v1/materials/{factories.sha256(data)}", content=data, auth=auth,
                             headers={"Content-Type": "application/pdf"}, timeout=30)
        assert response.status_code in (200, 201), response.text


def run_the_load(base_url: str, pki) -> Tally:
    upload_materials(base_url, pki)
    requests = [factories.signed_request(factories.application(request_id=f"LOAD-{uuid.uuid4().hex[:20]}"), pki.bank)
                for _ in range(1500)]
    tally = Tally()
    deadline = time.monotonic() + DURATION_S
    clients = MixedClients(base_url, pki, requests, tally, deadline)
    port = int(base_url.rsplit(":", 1)[-1])
    with ThreadPoolExecutor(max_workers=CLIENTS + 2) as pool:
        futures = [pool.submit(clients.run_one, seed) for seed in range(CLIENTS)]
        futures.append(pool.submit(slow_body_client, port, tally, deadline))
        futures.append(pool.submit(probe_healthz, base_url, tally, deadline))
        for future in futures:
            future.result()
    return tally


def assert_the_load_went_through(tally: Tally, log: str) -> None:
    assert not tally.server_errors, tally.server_errors[:5]
    assert "database is locked" not in log and "deadlock detected" not in log
    lags = [int(ms) for ms in LAG.findall(log)]
    assert not lags or max(lags) < LOOP_LAG_MAX_MS, lags
    assert sum(lags) < LOOP_LAG_SHARE * DURATION_S * 1000, lags
    assert len(tally.healthz) >= 20, tally.healthz
    ordered = sorted(tally.healthz)
    assert ordered[int(len(ordered) * 0.95)] < HEALTHZ_P95_BOUND_S, ordered[-10:]
    assert ordered[-1] < HEALTHZ_MAX_BOUND_S, ordered[-5:]
    assert tally.slow_answers and set(tally.slow_answers) == {408}, tally.slow_answers
    assert len(tally.accepted) >= 100, tally.statuses
    for operation in ("status", "sign_in", "verify_pdf", "queue"):
        assert any(op == operation for op, _ in tally.statuses), f"no {operation} was tried: {tally.statuses}"


def assert_every_accepted_application_is_complete(database_url: str, accepted: dict[str, bytes]) -> None:
    import hashlib

    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT a.application_no, a.request_sha256, "
            " (SELECT count(*) FROM signed_documents d WHERE d.application_id = a.id AND d.kind = 'request'),"
            " (SELECT count(*) FROM signed_documents d WHERE d.application_id = a.id AND d.kind = 'receipt'),"
            " (SELECT count(*) FROM application_events e WHERE e.application_id = a.id AND e.action = 'submit'),"
            " (SELECT count(*) FROM application_materials m WHERE m.application_id = a.id)"
            " FROM applications a")).all()
    engine.dispose()
    stored = {row[0]: row[1:] for row in rows}
    assert set(accepted) <= set(stored)
    assert not [number for number in stored if number.startswith("~")]  # no placeholder number committed
    for number, request in accepted.items():
        sha, requests, receipts, submits, materials = stored[number]
        assert (sha, requests, receipts, submits, materials) == (hashlib.sha256(request).hexdigest(), 1, 1, 1, 3)


def test_sixty_four_mixed_clients_and_a_slow_one_on_the_embedded_default(tmp_path, pki):
    env = gateway_env(tmp_path / "var", pki, GATEWAY_BODY_IDLE_TIMEOUT_SECONDS="2",
                      GATEWAY_BODY_TIMEOUT_SECONDS="5", GATEWAY_LOOP_LAG_WARN_MS=LOOP_LAG_BOUND_MS)
    onboard(env, pki, tmp_path, password=PASSWORD)
    server, base_url = start_server(env, tmp_path)
    try:
        tally = run_the_load(base_url, pki)
    finally:
        server.stop()
    assert_the_load_went_through(tally, server.log())
    assert_every_accepted_application_is_complete(f"sqlite:///{tmp_path / 'var' / 'gateway.db'}", tally.accepted)


@pytest.mark.services
def test_sixty_four_mixed_clients_and_a_slow_one_on_postgresql_and_celery(tmp_path, pki, postgres_url, redis_server):
    queue = f"gateway-test-{uuid.uuid4().hex[:12]}"
    env = gateway_env(tmp_path / "var", pki, GATEWAY_DATABASE_URL=postgres_url, GATEWAY_TASK_MODE="celery",
                      GATEWAY_BROKER_URL=redis_server, GATEWAY_TASK_QUEUE=queue,
                      GATEWAY_BODY_IDLE_TIMEOUT_SECONDS="2", GATEWAY_BODY_TIMEOUT_SECONDS="5",
                      GATEWAY_LOOP_LAG_WARN_MS=LOOP_LAG_BOUND_MS)
    onboard(env, pki, tmp_path, password=PASSWORD)
    worker = start_worker(env, tmp_path)
    server, base_url = start_server(env, tmp_path)
    try:
        tally = run_the_load(base_url, pki)
    finally:
        server.stop()
        worker.stop()
    assert_the_load_went_through(tally, server.log() + worker.log())
    assert_every_accepted_application_is_complete(postgres_url, tally.accepted)
