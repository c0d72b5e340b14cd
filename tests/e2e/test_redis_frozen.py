"""A frozen broker never holds a request: an approval is answered at once while Redis is stopped
(SIGSTOP: connections stay open, nothing answers), and its result is delivered once Redis resumes.

Real `gateway serve` and `gateway worker` processes on PostgreSQL, and a redis-server of the
test's own, so that freezing it disturbs nobody else.
"""
from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.test_bank_flow import onboard, wait_for_result
from tests.support import factories
from tests.support.callbacks import CallbackReceiver
from tests.support.onboarding import bank_http, staff_http
from tests.support.processes import gateway_env, start_server, start_worker

# Latency under load: run alone, after the parallel phases (Makefile, `-m load`).
pytestmark = pytest.mark.load

APPROVAL_BOUND_SECONDS = 1.0


@pytest.fixture
def receiver():
    receiver = CallbackReceiver().start()
    yield receiver
    receiver.stop()


def submit_and_claim(base_url: str, pki) -> tuple[str, httpx.Client]:
    """A bank submits an application; a reviewer claims it. Returns its number and the reviewer's client."""
    from lxml import etree

    bank = bank_http(base_url, pki)
    for data in factories.MATERIALS.values():
        assert bank.put(f"/v1/materials/{factories.sha256(data)}", content=data,
                        headers={"Content-Type": "application/pdf"}).status_code == 201
    submitted = bank.post("/v1/applications", content=factories.signed_request(factories.application(), pki.bank),
                          headers={"Content-Type": "application/xml"})
    assert submitted.status_code == 202, submitted.text
    number = etree.fromstring(submitted.content).findtext("{urn:pingluo-bdc:mortgage-gateway:v1}ApplicationNo")
    staff = staff_http(base_url)
    assert staff.post(f"/v1/review/applications/{number}/claim").status_code == 200
    return number, staff


@pytest.mark.services
def test_an_approval_is_answered_at_once_while_redis_is_frozen_and_delivered_after_it_resumes(
        tmp_path, pki, postgres_url, redis_of_our_own, receiver, record_property):
    env = gateway_env(tmp_path / "var", pki, GATEWAY_DATABASE_URL=postgres_url, GATEWAY_TASK_MODE="celery",
                      GATEWAY_BROKER_URL=redis_of_our_own.url())
    onboard(env, pki, receiver, tmp_path)
    worker = start_worker(env, tmp_path)
    server, base_url = start_server(env, tmp_path)
    bank = bank_http(base_url, pki)
    try:
        number, staff = submit_and_claim(base_url, pki)
        redis_of_our_own.freeze()
        try:
            started = time.monotonic()
            decided = staff.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"})
            approval_seconds = time.monotonic() - started
            started = time.monotonic()
            status = bank.get(f"/v1/applications/{number}")
            read_seconds = time.monotonic() - started
            time.sleep(3)  # the broker stays frozen a while longer; nothing waits on it
        finally:
            redis_of_our_own.thaw()
        resumed = time.monotonic()
        record_property("approval_seconds_with_redis_frozen", round(approval_seconds, 3))
        assert decided.status_code == 200, decided.text
        assert approval_seconds < APPROVAL_BOUND_SECONDS
        assert status.status_code == 200 and read_seconds < APPROVAL_BOUND_SECONDS

        result = wait_for_result(bank, number, timeout=60)
        delivered = receiver.wait_for(2, timeout=60)  # the result and the certificate's XML twin
        record_property("delivered_seconds_after_resume", round(time.monotonic() - resumed, 3))
        print(f"\napproval with Redis frozen: {approval_seconds * 1000:.0f} ms; status read: "
              f"{read_seconds * 1000:.0f} ms; delivered {time.monotonic() - resumed:.1f} s after Redis resumed")
        assert [d.body for d in delivered if d.headers["X-Gateway-Document-Kind"] == "result"] == [result.content]
        assert bank.get(f"/v1/applications/{number}").json()["status"] == "REGISTERED"
    finally:
        server.stop()
        worker.stop()
