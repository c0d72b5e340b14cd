"""Sending outbox messages to whatever runs tasks, only after the transaction commits."""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway.persistence.db import transaction
from gateway.persistence.models import OutboxMessage
from gateway.persistence.types import utcnow
from gateway.tasks import registry

if TYPE_CHECKING:
    from gateway.runtime import Runtime

log = logging.getLogger(__name__)


class TaskRunner(Protocol):
    def submit(self, name: str, args: list[Any]) -> None: ...

    def close(self) -> None: ...


class InProcessRunner:
    """Embedded mode: tasks run one at a time on a worker thread inside the API process."""

    def __init__(self, runtime: Runtime):
        self._runtime = runtime
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-task")
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, name: str, args: list[Any]) -> None:
        with self._idle:
            self._pending += 1
        self._executor.submit(self._run, name, args)

    def _run(self, name: str, args: list[Any]) -> None:
        try:
            registry.run(self._runtime, name, args)
        except Exception:
            log.exception("task %s failed; the next sweep re-drives it", name)
        finally:
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no task is queued or running (for tests and orderly shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def close(self) -> None:
        self._executor.shutdown(wait=True)


class CeleryRunner:
    """Production: tasks go to Celery on Redis, by name."""

    def __init__(self, runtime: Runtime):
        from gateway.tasks.celery_app import make_celery

        self._celery = make_celery(runtime.settings)

    def submit(self, name: str, args: list[Any]) -> None:
        self._celery.send_task(name, args=args)

    def close(self) -> None:
        self._celery.close()


class OutboxDispatcher:
    """After a commit, hands the transaction's outbox messages to the runner and marks them sent.

    If the runner is unreachable (Redis down), the messages stay unsent in the database and
    the relay sweep sends them later.
    """

    def __init__(self, sessions: sessionmaker[Session], runner: TaskRunner):
        self._sessions = sessions
        self.runner = runner
        event.listen(sessions, "after_commit", self._after_commit)
        event.listen(sessions, "after_soft_rollback", self._after_rollback)

    def _after_commit(self, session: Session) -> None:
        ids = session.info.pop("outbox_ids", [])
        if ids:
            self.send(ids)

    @staticmethod
    def _after_rollback(session: Session, _previous_transaction) -> None:
        session.info.pop("outbox_ids", None)

    def send(self, ids: list[int]) -> None:
        """Send the given outbox messages; failures are left for the relay."""
        with transaction(self._sessions) as session:
            messages = session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.id.in_(ids), OutboxMessage.dispatched_at.is_(None)
                )
            ).all()
            batch = [(m.id, m.task, list(m.args)) for m in messages]
        for message_id, name, args in batch:
            try:
                self.runner.submit(name, args)
            except Exception as exc:  # broker down: the relay retries from the table
                log.warning("could not send task %s (%s); left in the outbox", name, type(exc).__name__)
                continue
            with transaction(self._sessions) as session:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message_id)
                    .values(dispatched_at=utcnow())
                )
