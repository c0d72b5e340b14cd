"""Leases on background work, kept in the ``task_leases`` table (the same on SQLite and PostgreSQL).

Two uses:

- a **sweep lease** (``sweep:<task name>``, celery mode): a periodic sweep that starts while
  another run of the same sweep is under way — a second beat, a backlog of sweep messages taken by
  several workers — does nothing; the lease expires on its own if the process running it dies;
- **sent-message marks** (``<task name>:<id>``): a sweep that fans out tasks records that it sent
  one for an item, and sends none again for that item until the mark expires
  (``MESSAGE_LIFETIME``, which is also the message's own expiry in the broker). So each item has
  at most one outstanding message however often the sweep runs.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import String, cast, delete, exists, literal, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.persistence.db import transaction
from gateway.persistence.models import TaskLease
from gateway.persistence.types import utcnow

if TYPE_CHECKING:
    from gateway.runtime import Runtime

log = logging.getLogger(__name__)

# Longer than any sweep takes; the wait before sweeping again after a process died mid-sweep.
SWEEP_LEASE = timedelta(seconds=30)
# A task message a sweep sent and that has not run within this is presumed lost (the broker
# drops it then too), and the next sweep sends another.
MESSAGE_LIFETIME = timedelta(seconds=60)


def take(runtime: Runtime, name: str, hold: timedelta) -> str | None:
    """Take the lease ``name`` for ``hold`` if nobody holds it; the holder's token, or None."""
    holder = secrets.token_hex(8)
    now = utcnow()
    try:
        with transaction(runtime.sessions) as session:
            taken = session.execute(
                update(TaskLease).where(TaskLease.name == name, TaskLease.until <= now)
                .values(holder=holder, until=now + hold)
            ).rowcount
            if not taken:
                if session.get(TaskLease, name) is not None:
                    return None
                session.add(TaskLease(name=name, holder=holder, until=now + hold))
    except IntegrityError:
        return None  # another process created the lease row first, and holds it
    return holder


def release(runtime: Runtime, name: str, holder: str) -> None:
    """Give the lease back (only if ``holder`` still holds it)."""
    with transaction(runtime.sessions) as session:
        session.execute(
            update(TaskLease).where(TaskLease.name == name, TaskLease.holder == holder).values(until=utcnow())
        )


def run_alone(runtime: Runtime, name: str, sweep) -> None:
    """Run ``sweep(runtime)`` under the sweep lease of ``name``; do nothing if another run holds it."""
    if not runtime.dispatcher.runner.remote:
        sweep(runtime)  # embedded mode: one thread runs every task, so a sweep cannot overlap itself
        return
    lease = f"sweep:{name}"
    holder = take(runtime, lease, SWEEP_LEASE)
    if holder is None:
        log.debug("%s is already running; this run does nothing", name)
        return
    try:
        sweep(runtime)
    finally:
        try:
            release(runtime, lease, holder)
        except Exception as exc:  # the lease expires by itself
            log.warning("could not release the lease of %s (%s)", name, type(exc).__name__)


def unmarked(task: str, item_id, now: datetime):
    """A condition on the column ``item_id``: no message of ``task`` for it is outstanding."""
    name = literal(f"{task}:", String) + cast(item_id, String)
    return ~exists().where(TaskLease.name == name, TaskLease.until > now)


def mark_sent(session: Session, task: str, item_ids: Sequence[int], *, now: datetime) -> None:
    """Record that a ``task`` message goes out for each item (the caller chose unmarked items)."""
    session.execute(delete(TaskLease).where(TaskLease.name.like(f"{task}:%"), TaskLease.until <= now))
    session.add_all(TaskLease(name=f"{task}:{item_id}", holder="sweep", until=now + MESSAGE_LIFETIME)
                    for item_id in item_ids)


def unmark(session: Session, task: str, item_ids: Sequence[int]) -> None:
    """Forget the marks of messages that could not be sent after all."""
    session.execute(delete(TaskLease).where(TaskLease.name.in_([f"{task}:{item_id}" for item_id in item_ids])))
