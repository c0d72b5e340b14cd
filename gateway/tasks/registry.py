"""The task registry: name -> function(runtime, *ids). Shared by both runtime modes."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from gateway.persistence.models import OutboxMessage
from gateway.tasks import leases

if TYPE_CHECKING:
    from gateway.runtime import Runtime

TaskFunction = Callable[..., None]


@dataclass(frozen=True)
class Outgoing:
    """An outbox message as the dispatcher sends it."""

    id: int
    task: str
    args: list[Any]


TASKS: dict[str, TaskFunction] = {}
PERIODIC: dict[str, TaskFunction] = {}


def task(name: str) -> Callable[[TaskFunction], TaskFunction]:
    """Register ``fn(runtime, *args)`` as the task ``name``."""

    def register(fn: TaskFunction) -> TaskFunction:
        TASKS[name] = fn
        return fn

    return register


def periodic(name: str) -> Callable[[TaskFunction], TaskFunction]:
    """Register ``fn(runtime)`` to run every ``sweep_interval_seconds``, never two runs at once."""

    def register(fn: TaskFunction) -> TaskFunction:
        def sweep(runtime: Runtime) -> None:
            leases.run_alone(runtime, name, fn)

        TASKS[name] = sweep
        PERIODIC[name] = sweep
        return fn

    return register


def enqueue(session: Session, name: str, *args: Any) -> OutboxMessage:
    """Write a task into the outbox in the caller's transaction; it is sent after commit."""
    if name not in TASKS:
        raise KeyError(f"unknown task {name}")
    message = OutboxMessage(task=name, args=list(args))
    session.add(message)
    session.flush()
    session.info.setdefault("outbox", []).append(Outgoing(message.id, name, list(args)))
    return message


def run(runtime: Runtime, name: str, args: list[Any]) -> None:
    """Run a registered task (used by both the in-process runner and the Celery worker)."""
    load_all()
    TASKS[name](runtime, *args)


def load_all() -> None:
    """Import the modules that register tasks."""
    import gateway.certificates.tasks  # noqa: F401
    import gateway.delivery.tasks  # noqa: F401
    import gateway.tasks.relay  # noqa: F401
    import gateway.institutions.replay  # noqa: F401
    import gateway.audit.checkpoints  # noqa: F401
    import gateway.batches.tasks  # noqa: F401
    import gateway.watch.tasks  # noqa: F401
    import gateway.quality.tasks  # noqa: F401
    import gateway.registration_events.tasks  # noqa: F401
