"""Signing watch notices and putting them in the institution's inbox (and on its callback), after commit.

``watch.publish`` takes a notice id, locks the notice and returns quietly if it is already published;
``watch.sweep`` re-drives notices left unpublished (a lost message, a crash, a failed run).
"""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from gateway.outputs import institution_output_format, sign_output
from gateway.persistence.db import lock_for_update, transaction
from gateway.persistence.models import Institution
from gateway.persistence.types import utcnow
from gateway.tasks import leases
from gateway.tasks.registry import periodic, task
from gateway.tasks.runners import fan_out
from gateway.watch.models import WatchNotice
from gateway.watch.notices import build_watch_notice

if TYPE_CHECKING:
    from gateway.runtime import Runtime

GRACE = timedelta(seconds=30)
KIND = "watch_notice"


@task("watch.publish")
def publish_notice(runtime: Runtime, notice_id: int) -> None:
    """Sign the notice in the institution's output format and publish it (deliver: callback too); idempotent."""
    from gateway.inbox.service import publish  # the inbox imports delivery; loaded when first needed

    now = utcnow()
    with transaction(runtime.sessions) as session:
        notice = session.scalar(lock_for_update(select(WatchNotice).where(WatchNotice.id == notice_id), session))
        if notice is None or notice.published_at is not None:
            return  # published by an earlier run
        institution = session.get(Institution, notice.institution_id)
        element = build_watch_notice(notice, institution_code=institution.code, issued_at=now)
        signed, media_type = sign_output(runtime, element, fmt=institution_output_format(institution))
        publish(session, institution_id=institution.id, kind=KIND, content=signed, media_type=media_type,
                application_id=None, deliver=True, at=now)
        notice.published_at = now


@periodic("watch.sweep")
def sweep_unpublished_notices(runtime: Runtime) -> None:
    """Re-drive notices still unpublished after the grace period, one outstanding message per notice."""
    now = utcnow()
    with transaction(runtime.sessions) as session:
        ids = session.scalars(
            select(WatchNotice.id)
            .where(WatchNotice.published_at.is_(None), WatchNotice.created_at < now - GRACE,
                   leases.unmarked("watch.publish", WatchNotice.id, now))
            .order_by(WatchNotice.id).limit(100)
        ).all()
        leases.mark_sent(session, "watch.publish", ids, now=now)
    unsent = fan_out(runtime.dispatcher.runner, "watch.publish", ids, expires=leases.MESSAGE_LIFETIME)
    if unsent:
        with transaction(runtime.sessions) as session:
            leases.unmark(session, "watch.publish", unsent)
