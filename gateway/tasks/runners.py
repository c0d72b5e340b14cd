"""The two ways tasks run: a thread in the API process (embedded), or Celery workers (production)."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from gateway.tasks import registry
from gateway.tasks.retry import MAX_RETRIES, is_transient, retry_delay

if TYPE_CHECKING:
    from gateway.runtime import Runtime

log = logging.getLogger(__name__)

# After a failed publish, further publishes fail at once for this long: while the broker is
# down nobody waits on it, and the outbox relay and the sweeps send the work later.
BROKER_PAUSE_SECONDS = 5.0


class TaskRunner(Protocol):
    remote: bool  # whether submit goes over the network (and may be slow or fail)

    def submit(self, name: str, args: list[Any], *, expires: timedelta | None = None) -> None: ...

    def close(self) -> None: ...


class InProcessRunner:
    """Embedded mode: tasks run one at a time on a worker thread inside the API process.

    A task that fails on a transient error is submitted again after a growing delay, on a timer,
    so the worker thread is not held meanwhile. A periodic sweep submitted while the same sweep
    is still waiting to run is dropped: they would do the same work.
    """

    remote = False

    def __init__(self, runtime: Runtime):
        self._runtime = runtime
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-task")
        self._pending = 0
        self._idle = threading.Condition()
        self._waiting_sweeps: set[str] = set()
        self._timers: set[threading.Timer] = set()
        self._closed = False

    def submit(self, name: str, args: list[Any], *, expires: timedelta | None = None) -> None:
        with self._idle:
            if name in registry.PERIODIC:
                if name in self._waiting_sweeps:
                    return
                self._waiting_sweeps.add(name)
            self._pending += 1
        self._executor.submit(self._run, name, args, 0)

    def _run(self, name: str, args: list[Any], retries: int) -> None:
        with self._idle:
            self._waiting_sweeps.discard(name)
        delay = None
        try:
            registry.run(self._runtime, name, args)
        except Exception as exc:
            delay = _retry_delay(name, exc, retries)
        finally:
            if delay is None:
                self._done()
            else:
                self._retry_later(name, args, retries + 1, delay)

    def _retry_later(self, name: str, args: list[Any], retries: int, delay: float) -> None:
        def resubmit() -> None:
            with self._idle:
                if timer not in self._timers:
                    return  # closed meanwhile; close() has counted this task as done
                self._timers.discard(timer)
            try:
                self._executor.submit(self._run, name, args, retries)
            except RuntimeError:  # closed meanwhile
                self._done()

        timer = threading.Timer(delay, resubmit)
        timer.daemon = True
        with self._idle:
            if self._closed:
                self._pending -= 1
                self._idle.notify_all()
                return
            self._timers.add(timer)
        timer.start()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no task is queued, running or waiting to be retried (tests, orderly shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def close(self) -> None:
        with self._idle:
            self._closed = True
            for timer in self._timers:
                timer.cancel()
            self._pending -= len(self._timers)
            self._timers.clear()
            self._idle.notify_all()
        self._executor.shutdown(wait=True)


def _retry_delay(name: str, exc: Exception, retries: int) -> float | None:
    """Seconds until the task runs again, or None (logged as failed) if it should not."""
    if name in registry.PERIODIC or retries >= MAX_RETRIES or not is_transient(exc):
        log.exception("task %s failed; the next sweep re-drives it", name)
        return None
    delay = retry_delay(retries)
    log.warning("task %s failed on %s; retry %d in %.1f s", name, type(exc).__name__, retries + 1, delay)
    return delay


class BrokerPaused(ConnectionError):
    """A publish was refused without trying: the broker failed moments ago."""


class CeleryRunner:
    """Production: tasks go to Celery on Redis, by name, with short timeouts and no retries.

    A failed publish pauses publishing for ``BROKER_PAUSE_SECONDS`` (a circuit breaker): the
    messages stay in the outbox, or the sweep's items stay due, and are sent later.
    """

    remote = True

    def __init__(self, runtime: Runtime):
        from gateway.tasks.celery_app import make_celery

        self._celery = make_celery(runtime.settings, publisher=True)
        self._paused_until = 0.0

    @property
    def paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def submit(self, name: str, args: list[Any], *, expires: timedelta | None = None) -> None:
        if self.paused:
            raise BrokerPaused("the broker failed moments ago")
        try:
            self._celery.send_task(name, args=args, expires=expires.total_seconds() if expires else None)
        except Exception:
            self._paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
            raise

    def close(self) -> None:
        self._celery.close()


def fan_out(runner: TaskRunner, name: str, item_ids: Sequence[int], *, expires: timedelta) -> list[int]:
    """Start ``name`` once per item (a sweep's work); the items left unsent if the broker fails."""
    for position, item_id in enumerate(item_ids):
        try:
            runner.submit(name, [item_id], expires=expires)
        except Exception as exc:
            left = list(item_ids[position:])
            log.warning("could not start %s (%s); %d left for the next sweep", name, type(exc).__name__, len(left))
            return left
    return []
