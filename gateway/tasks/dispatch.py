"""Sending outbox messages to whatever runs tasks, only after the transaction commits.

In embedded mode the runner is a local queue, and messages are handed to it at once. In celery
mode the broker is on the network: the messages of a commit are handed to a publisher thread,
so a slow or frozen broker never holds the request that committed them; what the publisher
cannot send stays unsent in the ``outbox`` table, and the ``outbox.relay`` sweep sends it later.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Sequence

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway.persistence.db import transaction
from gateway.persistence.models import OutboxMessage
from gateway.persistence.types import utcnow
from gateway.tasks.registry import Outgoing
from gateway.tasks.runners import BrokerPaused, CeleryRunner, InProcessRunner, TaskRunner

__all__ = ["CeleryRunner", "InProcessRunner", "OutboxDispatcher", "Publisher", "TaskRunner"]

log = logging.getLogger(__name__)


class OutboxDispatcher:
    """After a commit, hands the transaction's outbox messages to the runner and marks them sent.

    If the runner is unreachable (Redis down), the messages stay unsent in the database and
    the relay sweep sends them later.
    """

    def __init__(self, sessions: sessionmaker[Session], runner: TaskRunner):
        self._sessions = sessions
        self.runner = runner
        self.publisher = Publisher(self._send) if runner.remote else None
        event.listen(sessions, "after_commit", self._after_commit)
        event.listen(sessions, "after_soft_rollback", self._after_rollback)

    def _after_commit(self, session: Session) -> None:
        batch = session.info.pop("outbox", [])
        if not batch:
            return
        if self.publisher is None:
            self._send(batch)
        else:
            self.publisher.offer(batch)

    @staticmethod
    def _after_rollback(session: Session, _previous_transaction) -> None:
        session.info.pop("outbox", None)

    def send(self, ids: list[int]) -> None:
        """Send those of the given outbox messages still unsent; failures are left for the relay."""
        with transaction(self._sessions) as session:
            messages = session.scalars(
                select(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.dispatched_at.is_(None))
                .order_by(OutboxMessage.id)
            ).all()
            batch = [Outgoing(m.id, m.task, list(m.args)) for m in messages]
        self._send(batch)

    def _send(self, batch: Sequence[Outgoing]) -> None:
        sent: list[int] = []
        try:
            for message in batch:
                try:
                    self.runner.submit(message.task, message.args)
                except Exception as exc:  # broker down: the relay retries from the table
                    level = logging.INFO if isinstance(exc, BrokerPaused) else logging.WARNING
                    log.log(level, "could not send %d task(s) (%s); left in the outbox",
                            len(batch) - len(sent), type(exc).__name__)
                    break
                sent.append(message.id)
        finally:
            if sent:
                with transaction(self._sessions) as session:
                    session.execute(
                        update(OutboxMessage).where(OutboxMessage.id.in_(sent)).values(dispatched_at=utcnow())
                    )

    def close(self) -> None:
        if self.publisher is not None:
            self.publisher.close()
        self.runner.close()


class Publisher:
    """A thread that sends committed outbox messages to the broker, so that no request waits on it.

    Started on first use in each process (a forked API or worker process gets its own).
    """

    CAPACITY = 10_000  # batches; beyond, messages wait in the outbox for the relay

    def __init__(self, send: Callable[[Sequence[Outgoing]], None]):
        self._send = send
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.Queue[Sequence[Outgoing] | None] = queue.Queue(self.CAPACITY)
        self._thread: threading.Thread | None = None

    def offer(self, batch: Sequence[Outgoing]) -> None:
        """Queue ``batch`` for sending; never blocks."""
        self._start()
        try:
            self._queue.put_nowait(batch)
        except queue.Full:
            log.warning("publisher backlog full; %d task(s) left in the outbox", len(batch))

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return
            self._pid = os.getpid()
            self._queue = queue.Queue(self.CAPACITY)
            self._thread = threading.Thread(target=self._run, args=(self._queue,), name="gateway-publisher",
                                            daemon=True)
            self._thread.start()

    def _run(self, batches: queue.Queue) -> None:
        while (batch := batches.get()) is not None:
            try:
                self._send(batch)
            except Exception as exc:
                log.warning("could not send %d task(s) (%s); left in the outbox", len(batch), type(exc).__name__)

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            thread, batches = self._thread, self._queue
            self._thread = None
        if thread is None or not thread.is_alive() or self._pid != os.getpid():
            return
        try:
            batches.put(None, timeout=timeout)
        except queue.Full:
            return
        thread.join(timeout)
