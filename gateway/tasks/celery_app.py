"""Celery on Redis for production: the same registered tasks, run by worker processes.

Start a worker with ``gateway worker`` (it also runs the periodic sweeps unless
``--no-beat``), or ``celery -A gateway.tasks.celery_app worker`` plus ``... beat``.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from celery import Celery, signals

from gateway.settings import Settings, get_settings
from gateway.tasks import registry
from gateway.tasks.retry import MAX_RETRIES, TransientTaskError, is_transient, retry_delay

log = logging.getLogger(__name__)

# Publishing (the API's publisher thread, sweeps fanning out) fails fast on a slow or dead
# broker; the outbox relay and the sweeps send later. A worker's own connection may wait longer.
PUBLISHER_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
WORKER_TIMEOUTS = {"socket_connect_timeout": 2.0, "socket_timeout": 10.0}


def make_celery(settings: Settings, *, publisher: bool = False) -> Celery:
    """A Celery app whose tasks are the gateway's registered tasks, on ``settings.task_queue``.

    ``publisher``: an app that only sends tasks (short broker timeouts).
    """
    registry.load_all()
    timeouts = PUBLISHER_TIMEOUTS if publisher else WORKER_TIMEOUTS
    app = Celery("gateway", broker=settings.broker_url)
    app.conf.update(
        task_default_queue=settings.task_queue,
        task_acks_late=True,  # a worker that dies mid-task leaves the message for another
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_publish_retry=False,  # a failed publish is left to the outbox relay or the next sweep
        broker_connection_timeout=timeouts["socket_connect_timeout"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600, **timeouts},
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
        beat_schedule=_sweep_schedule(settings),
    )
    for name in registry.TASKS:
        app.task(name=name, bind=True)(_entry_point(name))
    return app


@signals.setup_logging.connect(weak=False)
def _gateway_logging(**_options: Any) -> None:
    """Celery replaces the root logger's handlers with its own format unless something answers
    this signal: answer it with the gateway's set-up, so a worker's lines look like the API's
    (level from ``GATEWAY_LOG_LEVEL``, not ``--loglevel``)."""
    from gateway.logs import configure

    configure(get_settings())


def _sweep_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """Every sweep each interval; a sweep message not run within an interval expires, since the
    next one does the same work (so a worker outage leaves no backlog of sweeps)."""
    interval = settings.sweep_interval_seconds
    return {
        name: {"task": name, "schedule": interval, "options": {"expires": max(interval, 1.0)}}
        for name in registry.PERIODIC
    }


def _entry_point(name: str):
    def run_task(task, *args: Any) -> None:
        try:
            registry.run(_worker_runtime(), name, list(args))
        except Exception as exc:
            retries = task.request.retries
            if name in registry.PERIODIC or retries >= MAX_RETRIES or not is_transient(exc):
                raise
            delay = retry_delay(retries)
            log.warning("task %s failed on %s; retry %d in %.1f s", name, type(exc).__name__, retries + 1, delay)
            # Only the error's type: database errors may quote statement parameters (personal data).
            raise task.retry(countdown=delay, max_retries=MAX_RETRIES,
                             exc=TransientTaskError(type(exc).__name__)) from None

    run_task.__name__ = name.replace(".", "_")
    return run_task


@lru_cache
def _worker_runtime():
    from gateway.runtime import Runtime

    return Runtime.from_settings(get_settings(), worker=True)


@lru_cache
def _default_app() -> Celery:
    return make_celery(get_settings())


def __getattr__(name: str) -> Any:
    # ``celery -A gateway.tasks.celery_app`` looks up ``app``; build it only then.
    if name in {"app", "celery"}:
        return _default_app()
    raise AttributeError(name)
