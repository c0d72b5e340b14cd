"""Callback delivery: signed POSTs, retries with backoff, dead letters, re-drive, no double effects."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from gateway.api.app import create_app
from gateway.persistence.db import transaction
from gateway.persistence.models import Delivery, Institution, OutboxMessage
from gateway.persistence.types import utcnow
from gateway.runtime import Runtime
from gateway.tasks import registry
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, make_settings, seed, staff_headers, start_runtime
from tests.integration.helpers import approve, submit_new
from tests.support import factories
from tests.support.callbacks import CallbackReceiver


@pytest.fixture
def receiver():
    receiver = CallbackReceiver().start()
    yield receiver
    receiver.stop()


def delivering_client(tmp_path, pki, receiver, **settings) -> tuple[Runtime, TestClient]:
    settings = {"sweep_interval_seconds": 0.2, **settings}
    runtime = start_runtime(make_settings(tmp_path / "var", pki, **settings))
    seed(runtime, pki, callback_url=receiver.url)
    return runtime, TestClient(create_app(runtime), base_url="http://gateway.test")


def deliveries(runtime) -> list[Delivery]:
    with transaction(runtime.sessions) as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def all_dead(runtime, count: int) -> list[Delivery]:
    """The deliveries once ``count`` of them are dead letters, else an empty list."""
    dead = [d for d in deliveries(runtime) if d.status == "dead"]
    return dead if len(dead) == count else []


def wait_until(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_a_decision_is_posted_signed_to_the_callback_url(tmp_path, pki, receiver, bank_auth):
    runtime, client = delivering_client(tmp_path, pki, receiver)
    with client:
        number = submit_new(client, pki, bank_auth)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        # The approval's result, then the certificate's sealed XML twin (each its own delivery).
        callbacks = {c.headers["X-Gateway-Document-Kind"]: c for c in receiver.wait_for(2)}
        result = client.get(f"/v1/applications/{number}/result", auth=bank_auth).content
    callback = callbacks["result"]
    assert callback.body == result
    assert callback.headers["X-Gateway-Application-No"] == number
    assert callback.headers["Content-Type"] == "application/xml"
    assert callbacks["certificate"].headers["X-Gateway-Application-No"] == number
    assert "Signature" in callback.headers and "Content-Digest" in callback.headers
    assert wait_until(lambda: deliveries(runtime)[0].status == "delivered")
    runtime.close()


def test_a_failing_callback_is_retried_then_dead_lettered_and_can_be_redriven(tmp_path, pki, receiver, bank_auth):
    receiver.fail_first = 6  # callback_max_attempts is 3 in tests; two deliveries (result, certificate)
    runtime, client = delivering_client(tmp_path, pki, receiver)
    with client:
        number = submit_new(client, pki, bank_auth)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        dead, dead_certificate = wait_until(lambda: all_dead(runtime, 2))
        assert dead.attempts == 3 and dead.last_error == "HTTP 500"
        admin = staff_headers(client, "admin", ADMIN_PASSWORD)
        listed = client.get("/v1/admin/deliveries?status=dead", headers=admin).json()
        assert [(d["id"], d["document_kind"]) for d in listed] == [(dead_certificate.id, "certificate"),
                                                                    (dead.id, "result")]
        assert client.post(f"/v1/admin/deliveries/{dead.id}/redrive", headers=admin).status_code == 200
        assert len(receiver.wait_for(1)) == 1
    assert wait_until(lambda: deliveries(runtime)[0].status == "delivered")
    runtime.close()


def test_retries_wait_longer_each_time(tmp_path, pki, receiver, bank_auth):
    receiver.fail_first = 10
    runtime, client = delivering_client(tmp_path, pki, receiver, callback_max_attempts=5,
                                        callback_backoff_base_seconds=0.3, callback_backoff_cap_seconds=0.6)
    with client:
        number = submit_new(client, pki, bank_auth)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        first = wait_until(lambda: [d for d in deliveries(runtime) if d.attempts == 1])[0]
        second = wait_until(lambda: [d for d in deliveries(runtime) if d.attempts == 2])[0]
        third = wait_until(lambda: [d for d in deliveries(runtime) if d.attempts == 3])[0]
    delays = [d.next_attempt_at - d.last_attempt_at for d in (first, second, third)]
    assert delays == [timedelta(seconds=0.3), timedelta(seconds=0.6), timedelta(seconds=0.6)]
    runtime.close()


def test_running_a_delivery_task_twice_posts_once(tmp_path, pki, receiver, bank_auth):
    runtime, client = delivering_client(tmp_path, pki, receiver, sweep_interval_seconds=3600)
    with client:
        number = submit_new(client, pki, bank_auth)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        runtime.wait_idle()
        delivery_id = deliveries(runtime)[0].id
        registry.run(runtime, "delivery.attempt", [delivery_id])
        registry.run(runtime, "delivery.attempt", [delivery_id])
    assert [c.headers["X-Gateway-Delivery-Id"] for c in receiver.received].count(str(delivery_id)) == 1
    runtime.close()


def test_a_decision_survives_a_broker_outage_and_is_delivered_afterwards(tmp_path, pki, receiver, bank_auth):
    """Celery mode with Redis unreachable: the API still commits; the outbox relay sends later."""
    data_dir = tmp_path / "var"
    runtime, client = delivering_client(tmp_path, pki, receiver, sweep_interval_seconds=3600)
    with client:
        number = submit_new(client, pki, bank_auth)
    runtime.close()
    broken = Runtime.from_settings(make_settings(data_dir, pki, task_mode="celery",
                                                 broker_url="redis://127.0.0.1:1/0"))
    with TestClient(create_app(broken), base_url="http://gateway.test") as client:
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
    with transaction(broken.sessions) as session:
        unsent = session.scalars(select(OutboxMessage).where(OutboxMessage.dispatched_at.is_(None))).all()
        assert [m.task for m in unsent] == ["certificates.generate"]
        session.execute(update(OutboxMessage).values(created_at=utcnow() - timedelta(minutes=1)))
    broken.close()
    assert receiver.received == []
    recovered = Runtime.from_settings(make_settings(data_dir, pki))
    registry.run(recovered, "outbox.relay", [])
    recovered.wait_idle()
    assert sorted(c.headers["X-Gateway-Document-Kind"] for c in receiver.wait_for(2)) == ["certificate", "result"]
    recovered.close()


def test_an_institution_without_a_callback_url_pulls_its_results(client, runtime, pki, bank_auth, reviewer):
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(Institution.callback_url).where(Institution.code == factories.BANK_CODE)) is None
    number = submit_new(client, pki, bank_auth)
    approve(client, number, reviewer)
    assert deliveries(runtime) == []
    assert client.get(f"/v1/applications/{number}/result", auth=bank_auth).status_code == 200
