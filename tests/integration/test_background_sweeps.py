"""Periodic sweeps coalesce instead of piling up: at most one outstanding task message per item.

Against a redis-server of the test's own (so that LLEN counts only this test's messages) and a
real database; the worker-outage test runs a real `celery beat` and `gateway worker`.
"""
from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from gateway.applications.states import Action
from gateway.persistence.db import transaction
from gateway.persistence.models import Application, Delivery, OutboxMessage, SignedDocument
from gateway.persistence.types import utcnow
from gateway.protection.keyring import copy_keys
from gateway.register.models import RegistrationEntry
from gateway.review import service
from gateway.runtime import Runtime
from gateway.tasks import leases, registry
from tests.conftest import make_settings, seed, start_runtime
from tests.support import factories, scenarios as s
from tests.support.callbacks import CallbackReceiver
from tests.support.processes import RedisServer, gateway_env, start_beat, start_worker

QUEUE = "gateway-sweeps"


@pytest.fixture
def receiver():
    receiver = CallbackReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sweeps.db'}"
    return request.getfixturevalue("postgres_url")


def celery_runtime(tmp_path, pki, database_url: str, redis: RedisServer, **overrides) -> Runtime:
    """Celery mode, sending to our own Redis; no worker takes the messages, so they stay countable."""
    return start_runtime(make_settings(tmp_path / "var", pki, database_url=database_url, task_mode="celery",
                                       broker_url=redis.url(), task_queue=QUEUE, **overrides))


def add_pending_deliveries(runtime: Runtime, pki, count: int, url: str) -> list[int]:
    """``count`` due deliveries of distinct signed documents of one application."""
    number = s.submit_at(runtime, s.first(), pki.bank, utcnow()).application_no
    with transaction(runtime.sessions) as session:
        application = session.scalar(select(Application).where(Application.application_no == number))
        deliveries = []
        for position in range(count):
            content = f"<Result n='{position}'/>".encode()
            document = SignedDocument(application_id=application.id, kind="result",
                                      sha256=factories.sha256(content), content=content)
            session.add(document)
            session.flush()
            deliveries.append(Delivery(institution_id=application.institution_id, application_id=application.id,
                                       document_id=document.id, url=url, status="pending", attempts=0,
                                       next_attempt_at=utcnow()))
        session.add_all(deliveries)
        session.flush()
        return [d.id for d in deliveries]


def queued_tasks(redis: RedisServer, name: str) -> Counter:
    """How many messages of task ``name`` wait in the queue, by their first argument."""
    found: Counter = Counter()
    for raw in redis.client.lrange(QUEUE, 0, -1):
        message = json.loads(raw)  # kombu's envelope; the body is [args, kwargs, options]
        if message["headers"]["task"] == name:
            args, _kwargs, _options = json.loads(base64.b64decode(message["body"]))
            found[args[0]] += 1
    return found


@pytest.mark.services
def test_a_delivery_sweep_run_again_and_again_sends_one_attempt_per_delivery(
        tmp_path, pki, database_url, redis_of_our_own, receiver):
    runtime = celery_runtime(tmp_path, pki, database_url, redis_of_our_own)
    seed(runtime, pki, callback_url=receiver.url)
    ids = add_pending_deliveries(runtime, pki, 30, receiver.url)

    for _ in range(5):  # as a backlog of sweep messages would, run back to back
        registry.run(runtime, "delivery.sweep", [])

    assert queued_tasks(redis_of_our_own, "delivery.attempt") == Counter({delivery_id: 1 for delivery_id in ids})
    assert redis_of_our_own.client.llen(QUEUE) == 30
    runtime.close()


@pytest.mark.services
def test_a_sweep_that_starts_while_the_same_sweep_runs_does_nothing(tmp_path, pki, database_url, redis_of_our_own,
                                                                   receiver):
    runtime = celery_runtime(tmp_path, pki, database_url, redis_of_our_own)
    seed(runtime, pki, callback_url=receiver.url)
    add_pending_deliveries(runtime, pki, 3, receiver.url)
    holder = leases.take(runtime, "sweep:delivery.sweep", timedelta(seconds=30))  # another run is under way
    assert holder is not None
    assert leases.take(runtime, "sweep:delivery.sweep", timedelta(seconds=30)) is None

    registry.run(runtime, "delivery.sweep", [])
    assert redis_of_our_own.client.llen(QUEUE) == 0

    leases.release(runtime, "sweep:delivery.sweep", holder)
    registry.run(runtime, "delivery.sweep", [])
    assert redis_of_our_own.client.llen(QUEUE) == 3
    runtime.close()


@pytest.mark.services
def test_a_certificate_sweep_run_again_and_again_sends_one_message_per_registration(
        tmp_path, pki, database_url, redis_of_our_own):
    runtime = celery_runtime(tmp_path, pki, database_url, redis_of_our_own)
    seed(runtime, pki)
    number = s.submit_at(runtime, s.first(), pki.bank, utcnow()).application_no
    with transaction(runtime.sessions) as session:
        reviewer = s.staff_user(session)
        service.claim(session, runtime.settings, application_no=number, reviewer=reviewer, at=utcnow())
    with transaction(runtime.sessions) as session:
        service.decide(runtime, session, application_no=number, reviewer=s.staff_user(session),
                       decision=service.Decision(Action.APPROVE), at=utcnow())
    wait_for(lambda: outbox_sent(runtime))  # the publisher thread sent the approval's own message
    with transaction(runtime.sessions) as session:  # the lost-message case the sweep is for
        session.execute(update(RegistrationEntry).values(registered_at=utcnow() - timedelta(minutes=5)))
        entry_id = session.scalar(select(RegistrationEntry.id).where(RegistrationEntry.application_id.is_not(None)))

    for _ in range(4):
        registry.run(runtime, "certificates.sweep", [])

    assert queued_tasks(redis_of_our_own, "certificates.generate") == Counter({entry_id: 2})  # approval's + sweep's
    runtime.close()


def outbox_sent(runtime: Runtime) -> bool:
    with transaction(runtime.sessions) as session:
        return session.scalar(select(OutboxMessage.id).where(OutboxMessage.dispatched_at.is_(None))) is None


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


class QueueWatch:
    """Samples the queue every few milliseconds: the most attempt messages seen at once, per delivery
    and in all."""

    def __init__(self, redis: RedisServer):
        self._redis = redis
        self.most_per_delivery = 0
        self.most_attempts = 0
        self.most_messages = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            attempts = queued_tasks(self._redis, "delivery.attempt")
            self.most_per_delivery = max(self.most_per_delivery, max(attempts.values(), default=0))
            self.most_attempts = max(self.most_attempts, sum(attempts.values()))
            self.most_messages = max(self.most_messages, self._redis.client.llen(QUEUE))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.services
def test_a_worker_outage_leaves_at_most_one_attempt_message_per_delivery(
        tmp_path, pki, postgres_url, redis_of_our_own, receiver, record_property):
    count = 100
    runtime = start_runtime(make_settings(tmp_path / "seed", pki, database_url=postgres_url))
    seed(runtime, pki, callback_url=receiver.url)
    add_pending_deliveries(runtime, pki, count, receiver.url)
    runtime.close()
    env = gateway_env(tmp_path / "var", pki, GATEWAY_DATABASE_URL=postgres_url, GATEWAY_TASK_MODE="celery",
                      GATEWAY_BROKER_URL=redis_of_our_own.url(), GATEWAY_TASK_QUEUE=QUEUE)
    (tmp_path / "var").mkdir()
    copy_keys(tmp_path / "seed", tmp_path / "var")  # the seeded rows are encrypted under the seed's keys
    beat = start_beat(env, tmp_path)  # the sweeps keep coming; no worker takes them
    watch = QueueWatch(redis_of_our_own)
    worker = None
    try:
        time.sleep(8)
        backlog = redis_of_our_own.client.llen(QUEUE)
        worker = start_worker(env, tmp_path, "--no-beat", "--concurrency", "1")
        receiver.wait_for(count, timeout=120)
        time.sleep(2)  # later sweeps find nothing left to do
    finally:
        watch.stop()
        beat.stop()
        if worker:
            worker.stop()
    runs = len(re.findall(r"Task delivery\.attempt\[[0-9a-f-]+\] succeeded", worker.log()))
    record_property("sweep_messages_after_outage", backlog)
    record_property("most_attempt_messages_queued", watch.most_attempts)
    print(f"\nafter an 8 s worker outage: {backlog} sweep messages queued (expired ones included); "
          f"at most {watch.most_attempts} attempt messages queued at once for {count} deliveries, "
          f"at most {watch.most_per_delivery} per delivery; longest queue {watch.most_messages}")
    assert watch.most_per_delivery == 1
    assert watch.most_attempts <= count
    assert runs == count  # not one attempt more than deliveries
    assert receiver.attempts == count  # each delivery posted once
