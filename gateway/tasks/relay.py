"""Periodic re-drive of outbox messages that were never sent (broker down, process died)."""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from gateway.persistence.db import transaction
from gateway.persistence.models import OutboxMessage
from gateway.persistence.types import utcnow
from gateway.tasks.registry import periodic

if TYPE_CHECKING:
    from gateway.runtime import Runtime

# A message younger than this is probably still being sent by the process that wrote it.
GRACE = timedelta(seconds=10)


@periodic("outbox.relay")
def relay_unsent(runtime: Runtime) -> None:
    """Send every outbox message left unsent for longer than the grace period."""
    with transaction(runtime.sessions) as session:
        ids = session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.dispatched_at.is_(None), OutboxMessage.created_at < utcnow() - GRACE)
            .order_by(OutboxMessage.id)
            .limit(500)
        ).all()
    if ids:
        runtime.dispatcher.send(list(ids))
