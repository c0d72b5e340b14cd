"""A task that fails on a transient error is retried soon, with backoff, and still takes effect once.

In embedded mode a fault is injected into the real SQLite database once (the statement fails as a
dropped connection would); in celery mode a real worker's PostgreSQL goes away for a few seconds
(through a proxy the test cuts). Sweeps are an hour apart, so only the retry can do the work.
"""
from __future__ import annotations

import re
import time
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from gateway.certificates.models import IssuedCertificate
from gateway.persistence.db import transaction
from gateway.persistence.models import Delivery, SignedDocument
from gateway.tasks import registry
from signing.httpsig import HttpSignatureAuth
from tests.conftest import REVIEWER_PASSWORD, staff_headers
from tests.e2e.test_bank_flow import onboard, wait_for_result
from tests.e2e.test_redis_frozen import submit_and_claim
from tests.integration.helpers import approve, submit_new
from tests.integration.test_delivery import delivering_client
from tests.support.callbacks import CallbackReceiver
from tests.support.processes import gateway_env, start_server, start_worker
from tests.support.proxy import TcpProxy

SOON_SECONDS = 3.0  # the sweep interval of these tests is an hour


@pytest.fixture
def receiver():
    receiver = CallbackReceiver().start()
    yield receiver
    receiver.stop()


@contextmanager
def database_blip_once(engine, statement: str):
    """The first SQL statement matching ``statement`` fails as if the connection had dropped."""
    failed_at: list[float] = []

    def fail(_connection, _cursor, sql, _parameters, _context, _executemany):
        if not failed_at and re.match(statement, " ".join(sql.split())):
            failed_at.append(time.monotonic())
            raise OperationalError(sql, None, ConnectionResetError("connection dropped by the test"))

    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield failed_at
    finally:
        event.remove(engine, "before_cursor_execute", fail)


def test_a_delivery_that_hits_a_database_blip_is_retried_at_once_and_posted_once(tmp_path, pki, receiver, bank_auth):
    runtime, client = delivering_client(tmp_path, pki, receiver, sweep_interval_seconds=3600)
    with client, database_blip_once(runtime.engine, r"SELECT deliveries\.id, .* WHERE deliveries\.id = ") as failed_at:
        number = submit_new(client, pki, bank_auth)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        callback = receiver.wait_for(1, timeout=SOON_SECONDS)[0]
        retried_after = time.monotonic() - failed_at[0]
        assert runtime.wait_idle(10)
        sent = deliveries(runtime)  # the result and the certificate's XML twin
        for delivery in sent:
            registry.run(runtime, "delivery.attempt", [delivery.id])  # a duplicate message changes nothing
    assert failed_at and retried_after < SOON_SECONDS
    assert callback.headers["X-Gateway-Application-No"] == number
    assert [(d.status, d.attempts) for d in deliveries(runtime)] == [("delivered", 1), ("delivered", 1)]
    assert receiver.attempts == len(sent) == 2
    runtime.close()


def test_a_certificate_task_that_hits_a_database_blip_is_retried_and_makes_one_certificate_and_result(
        tmp_path, pki, receiver, bank_auth):
    runtime, client = delivering_client(tmp_path, pki, receiver, sweep_interval_seconds=3600)
    with client, database_blip_once(runtime.engine, r"INSERT INTO certificates ") as failed_at:
        number = submit_new(client, pki, bank_auth)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))  # waits for the retry too
        receiver.wait_for(2, timeout=SOON_SECONDS)  # the result and the certificate's XML twin
        certificates, results = issued(runtime), results_of(runtime)
        registry.run(runtime, "certificates.generate", [certificates[0][0]])  # run twice
        assert (issued(runtime), results_of(runtime)) == (certificates, results)
    assert failed_at, "the fault was not injected"
    assert len(certificates) == 1 and len(results) == 1
    assert receiver.attempts == 2
    runtime.close()


def deliveries(runtime) -> list[Delivery]:
    with transaction(runtime.sessions) as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def issued(runtime) -> list[tuple[int, str, str]]:
    with transaction(runtime.sessions) as session:
        return [(c.registration_entry_id, c.certificate_no, c.verification_code)
                for c in session.scalars(select(IssuedCertificate).order_by(IssuedCertificate.id))]


def results_of(runtime) -> list[bytes]:
    with transaction(runtime.sessions) as session:
        return list(session.scalars(select(SignedDocument.content).where(SignedDocument.kind == "result")))


@pytest.fixture
def database_proxy():
    proxy = TcpProxy(5432)
    yield proxy
    proxy.close()


@pytest.mark.services
def test_a_celery_task_whose_database_is_away_for_seconds_is_retried_and_delivered_once(
        tmp_path, pki, postgres_url, receiver, redis_of_our_own, database_proxy, record_property):
    env = gateway_env(tmp_path / "var", pki, GATEWAY_DATABASE_URL=postgres_url, GATEWAY_TASK_MODE="celery",
                      GATEWAY_BROKER_URL=redis_of_our_own.url(), GATEWAY_SWEEP_INTERVAL_SECONDS="3600")
    onboard(env, pki, receiver, tmp_path)
    worker_env = {**env, "GATEWAY_DATABASE_URL": postgres_url.replace(":5432/", f":{database_proxy.port}/")}
    worker = start_worker(worker_env, tmp_path, "--no-beat", "--concurrency", "1")
    server = None
    try:
        server, base_url = start_server(env, tmp_path)
        bank = httpx.Client(base_url=base_url, timeout=30,
                            auth=HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key))
        number, staff = submit_and_claim(base_url, pki)
        database_proxy.cut()  # the worker's database goes away
        assert staff.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"}).status_code == 200
        time.sleep(2)
        database_proxy.restore()
        restored = time.monotonic()
        result = wait_for_result(bank, number, timeout=30)
        delivered = receiver.wait_for(2, timeout=30)  # the result and the certificate's XML twin
        recovered_after = time.monotonic() - restored
    finally:
        if server:
            server.stop()
        worker.stop()
    retries = re.findall(r"Task certificates\.generate\[[0-9a-f-]+\] retry: Retry in", worker.log())
    record_property("delivered_seconds_after_database_returned", round(recovered_after, 2))
    print(f"\n{len(retries)} retries while the database was away; delivered {recovered_after:.1f} s after it returned")
    assert retries, worker.log()
    assert recovered_after < 15  # the next retry (0.5 s doubling, jittered), not an hour's sweep
    assert [d.body for d in delivered if d.headers["X-Gateway-Document-Kind"] == "result"] == [result.content]
    assert receiver.attempts == 2
