"""Celery on Redis for production: the same registered tasks, run by worker processes.

Start a worker with ``gateway worker`` (it also runs the periodic sweeps unless
``--no-beat``), or ``celery -A gateway.tasks.celery_app worker`` plus ``... beat``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from celery import Celery

from gateway.settings import Settings, get_settings
from gateway.tasks import registry


def make_celery(settings: Settings) -> Celery:
    """A Celery app whose tasks are the gateway's registered tasks."""
    registry.load_all()
    app = Celery("gateway", broker=settings.broker_url)
    app.conf.update(
        task_acks_late=True,  # a worker that dies mid-task leaves the message for another
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
        beat_schedule={
            name: {"task": name, "schedule": settings.sweep_interval_seconds}
            for name in registry.PERIODIC
        },
    )
    for name in registry.TASKS:
        app.task(name=name, bind=False)(_entry_point(name))
    return app


def _entry_point(name: str):
    def run_task(*args: Any) -> None:
        registry.run(_worker_runtime(), name, list(args))

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
