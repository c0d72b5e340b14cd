"""Every channel at once, against a real `gateway serve`, in both runtime modes.

While a batch of 120 signed applications is received in the background, 8 clients submit single
applications (XML, compact JWS and detached JWS in turn) and 2 more page through the bank's inbox
from a cursor, acknowledging as they go; a prober asks `/healthz` every 100 ms. Nothing may answer
5xx or hit a lock error; `/healthz` never stalls; the batch completes with every item received; and
afterwards the inbox holds every receipt exactly once, in one gapless order, with what the readers
saw during the load a prefix of it, each entry at the same sequence.
"""
from __future__ import annotations

import base64
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.test_concurrent_clients import probe_healthz  # the same prober: a GET every 100 ms
from tests.support import factories, jws_requests
from tests.support.batches import build_bundle, signed_items
from tests.support.onboarding import bank_auth, onboard
from tests.support.processes import gateway_env, start_server, start_worker
from tests.support.report import checked

# Latency under load: run alone, after the parallel phases (Makefile, `-m load`).
pytestmark = pytest.mark.load

BATCH_ITEMS = 120
SUBMITTERS = 8
READERS = 2
DURATION_S = 15.0
HEALTHZ_MAX_BOUND_S = 5.0  # a stall, not scheduler noise on a busy 2-core machine (see test_concurrent_clients)


@dataclass
class Tally:
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)  # application numbers of single submissions
    seen: dict[int, str] = field(default_factory=dict)  # inbox sequence -> sha256, as the readers saw it
    repeats: list[int] = field(default_factory=list)
    healthz: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, what: str, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[(what, response.status_code)] += 1
            if response.status_code >= 500:
                self.server_errors.append(f"{what} {response.status_code} {response.text[:200]}")


def upload_materials(base_url: str, pki) -> None:
    with httpx.Client(base_url=base_url, auth=bank_auth(pki), timeout=30) as client:
        for data in factories.MATERIALS.values():
            response = client.put(f"/v1/materials/{factories.sha256(data)}", content=data,
                                  headers={"Content-Type": "application/pdf"})
            assert response.status_code in (200, 201), response.text


def submitter(base_url: str, pki, tally: Tally, deadline: float, number: int) -> None:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        turn = number
        while time.monotonic() < deadline:
            application = factories.application()
            kind = ("xml", "jws", "detached")[turn % 3]
            turn += 1
            if kind == "xml":
                response = client.post("/v1/applications", content=factories.signed_request(application, pki.bank),
                                       headers={"Content-Type": "application/xml"})
            elif kind == "jws":
                response = client.post("/v1/applications", content=jws_requests.compact_request(application, pki.bank),
                                       headers={"Content-Type": "application/jose"})
            else:
                body, signature = jws_requests.detached_request(application, pki.bank)
                response = client.post("/v1/applications", content=body,
                                       headers={"Content-Type": "application/json", "JWS-Signature": signature})
            tally.count(f"submit_{kind}", response)
            if response.status_code == 202:
                with tally.lock:
                    tally.accepted.append(response.headers["Location"].rsplit("/", 1)[1])


def reader(base_url: str, pki, tally: Tally, deadline: float) -> None:
    """Page through the inbox from the start, as a pull-only bank does, never acknowledging past what it read."""
    with httpx.Client(base_url=base_url, auth=bank_auth(pki), timeout=60) as client:
        after = None
        while time.monotonic() < deadline:
            response = client.get("/v1/inbox", params={"limit": 50, **({"after": after} if after else {})})
            tally.count("inbox", response)
            if response.status_code != 200:
                continue
            page = response.json()
            for entry in page["entries"]:
                with tally.lock:
                    known = tally.seen.setdefault(entry["sequence"], entry["sha256"])
                    if known != entry["sha256"]:
                        tally.repeats.append(entry["sequence"])  # the same position answered differently
            if page["entries"]:
                after = page["next_cursor"]
                tally.count("ack", client.post("/v1/inbox/ack", json={"cursor": after}))
            else:
                time.sleep(0.2)


def run_every_channel(base_url: str, pki) -> tuple[Tally, str, str]:
    upload_materials(base_url, pki)
    with httpx.Client(base_url=base_url, auth=bank_auth(pki), timeout=60) as client:
        empty = client.get("/v1/inbox").json()
    assert empty["entries"] == []
    start = empty["next_cursor"]  # the position before the first entry, to read everything again at the end
    batch_id = f"LOAD-{uuid.uuid4().hex[:8]}"
    bundle = build_bundle(signed_items(pki.bank, BATCH_ITEMS), batch_id=batch_id)
    tally = Tally()
    deadline = time.monotonic() + DURATION_S
    with httpx.Client(base_url=base_url, auth=bank_auth(pki), timeout=120) as client:
        sent = client.post("/v1/batches", content=bundle, headers={"Content-Type": "application/zip"})
    assert sent.status_code == 202, sent.text
    threads = [threading.Thread(target=probe_healthz, args=(base_url, tally, deadline))]
    threads += [threading.Thread(target=submitter, args=(base_url, pki, tally, deadline, n)) for n in range(SUBMITTERS)]
    threads += [threading.Thread(target=reader, args=(base_url, pki, tally, deadline)) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, batch_id, start


def wait_for_batch(base_url: str, pki, batch_id: str) -> dict:
    with httpx.Client(base_url=base_url, auth=bank_auth(pki), timeout=60) as client:
        for _ in range(600):
            progress = client.get(f"/v1/batches/{batch_id}", params={"limit": 1}).json()
            if progress["status"] == "completed":
                return progress
            time.sleep(0.5)
    raise AssertionError(f"the batch did not complete: {progress}")


def whole_inbox(base_url: str, pki, start: str) -> list[dict]:
    entries, after = [], start
    with httpx.Client(base_url=base_url, auth=bank_auth(pki), timeout=60) as client:
        while True:
            page = client.get("/v1/inbox", params={"limit": 500, **({"after": after} if after else {})}).json()
            entries += page["entries"]
            if not page["more"]:
                return entries
            after = page["next_cursor"]


def assert_every_channel_went_through(base_url: str, pki, tally: Tally, batch_id: str, start: str, log: str,
                                      database_url: str) -> None:
    assert not tally.server_errors, tally.server_errors[:5]
    assert "database is locked" not in log and "deadlock detected" not in log
    assert tally.healthz and max(tally.healthz) < HEALTHZ_MAX_BOUND_S, sorted(tally.healthz)[-5:]
    for kind in ("xml", "jws", "detached"):
        assert tally.statuses[(f"submit_{kind}", 202)] >= 3, tally.statuses
    assert tally.statuses[("inbox", 200)] >= 5 and not tally.repeats, (tally.statuses, tally.repeats)

    progress = wait_for_batch(base_url, pki, batch_id)
    assert (progress["accepted"], progress["refused"]) == (BATCH_ITEMS, 0), progress
    entries = whole_inbox(base_url, pki, start)
    sequences = [entry["sequence"] for entry in entries]
    assert sequences == list(range(1, len(entries) + 1))  # one gapless order, nothing twice
    receipts = [entry for entry in entries if entry["kind"] == "receipt"]
    assert len(receipts) == BATCH_ITEMS + len(tally.accepted)
    assert {entry["application_no"] for entry in receipts} >= set(tally.accepted)
    by_sequence = {entry["sequence"]: entry["sha256"] for entry in entries}
    assert all(by_sequence[sequence] == sha for sequence, sha in tally.seen.items())  # what was read stays put
    assert all(base64.b64decode(entry["document"]) for entry in receipts)

    engine = create_engine(database_url)
    with engine.connect() as connection:
        numbers = sorted(connection.execute(text("SELECT application_no FROM applications")).scalars())
    engine.dispose()
    serials = sorted(int(number[-6:]) for number in numbers)
    assert serials == list(range(1, len(numbers) + 1))  # gapless application numbers across the channels
    checked(f"[channels under load] batch of {BATCH_ITEMS} received while {len(tally.accepted)} single "
            f"submissions (XML, JWS, detached JWS) were accepted and {READERS} readers paged the inbox "
            f"({tally.statuses[('inbox', 200)]} pages); {len(entries)} inbox entries in one gapless order; "
            f"/healthz max {max(tally.healthz) * 1000:.0f} ms over {len(tally.healthz)} probes")


def test_a_batch_single_submissions_and_inbox_readers_at_once_on_the_embedded_default(tmp_path, pki):
    env = gateway_env(tmp_path / "var", pki)
    onboard(env, pki, tmp_path)
    server, base_url = start_server(env, tmp_path)
    try:
        tally, batch_id, start = run_every_channel(base_url, pki)
        assert_every_channel_went_through(base_url, pki, tally, batch_id, start, server.log(),
                                          f"sqlite:///{tmp_path / 'var' / 'gateway.db'}")
    finally:
        server.stop()


@pytest.mark.services
def test_a_batch_single_submissions_and_inbox_readers_at_once_on_postgresql_and_celery(
        tmp_path, pki, postgres_url, redis_server):
    queue = f"gateway-test-{uuid.uuid4().hex[:12]}"
    env = gateway_env(tmp_path / "var", pki, GATEWAY_DATABASE_URL=postgres_url, GATEWAY_TASK_MODE="celery",
                      GATEWAY_BROKER_URL=redis_server, GATEWAY_TASK_QUEUE=queue)
    onboard(env, pki, tmp_path)
    worker = start_worker(env, tmp_path)
    server, base_url = start_server(env, tmp_path)
    try:
        tally, batch_id, start = run_every_channel(base_url, pki)
        assert_every_channel_went_through(base_url, pki, tally, batch_id, start, server.log() + worker.log(),
                                          postgres_url)
    finally:
        server.stop()
        worker.stop()
