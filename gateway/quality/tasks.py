"""Pushing each institution's signed monthly Statement to its inbox (and callback) once the month is over
(docs/interface/quality.md §6.1).

``quality.statements`` runs every sweep interval. Once a month has ended (Beijing time) and ``GRACE`` has
passed, it finds the institutions with an application received or an attributed intake refusal in that
month and no ``quality_statements`` row for it yet, and for each, in one transaction: computes the month's
figures, signs the Statement, inserts the row and publishes the statement (kind ``statement``, callback
too). The row's unique (institution, month) makes it exactly once: a second sweep running at the same
time fails to insert the row, rolls back (nothing published) and moves on. Only the month before the
current one is looked at: the current month is never sent, its figures can still grow.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import weakref
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError

from gateway.persistence.db import read_only, transaction
from gateway.persistence.models import Application, Institution
from gateway.persistence.types import utcnow
from gateway.quality.figures import compute
from gateway.quality.models import IntakeRefusal, QualityStatement
from gateway.quality.months import Month
from gateway.quality.statement import signed_statement
from gateway.tasks.registry import periodic
from gateway.timezone import LOCAL_TZ

if TYPE_CHECKING:
    from gateway.runtime import Runtime

log = logging.getLogger(__name__)

TASK = "quality.statements"
KIND = "statement"
# After the month's end, time for work begun in the month (a request received at 23:59:59 whose
# transaction commits a little later) to commit before the month's figures are signed.
GRACE = timedelta(minutes=10)
PER_SWEEP = 50  # institutions per sweep; the next sweep goes on with the rest

# The month each runtime (in production: each process) found nothing left to push for: later sweeps in
# that month skip the look-up. Nothing new can happen in an ended month, and a lost memo costs one query.
_finished: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_finished_lock = threading.Lock()


def due_month(now: datetime) -> Month | None:
    """The month whose statements are due at ``now``: the previous local month, once ``GRACE`` is over."""
    month = Month.of(now.astimezone(LOCAL_TZ).date()).previous()
    return month if now >= month.bounds()[1] + GRACE else None


@periodic(TASK)
def push_monthly_statements(runtime: Runtime, now: datetime | None = None) -> int:
    """Push the due month's statement to every institution active in it that has not had it; how many
    were pushed. ``now`` (default: now) is the sweep's clock."""
    now = now or utcnow()
    month = due_month(now)
    if month is None:
        return 0
    with _finished_lock:
        if _finished.get(runtime.sessions) == month:
            return 0
    pending = _pending(runtime, month)
    if not pending:
        with _finished_lock:
            _finished[runtime.sessions] = month
        return 0
    pushed = 0
    for institution_id in pending:
        try:
            pushed += push_statement(runtime, institution_id, month, now=now)
        except Exception as exc:  # noqa: BLE001 — one institution's failure must not hold the others
            log.warning("could not push the %s statement of institution %s (%s); the next sweep retries",
                        month, institution_id, type(exc).__name__, exc_info=True)
    return pushed


def _pending(runtime: Runtime, month: Month) -> list[int]:
    """Institutions with an application received or an attributed intake refusal in the month, and no
    statement of the month yet, in id order."""
    start, end = month.bounds()
    applied = exists().where(Application.institution_id == Institution.id,
                             Application.received_at >= start, Application.received_at < end)
    refused = exists().where(IntakeRefusal.institution_id == Institution.id,
                             IntakeRefusal.at >= start, IntakeRefusal.at < end)
    pushed = exists().where(QualityStatement.institution_id == Institution.id, QualityStatement.month == str(month))
    with read_only(runtime.read_sessions) as session:
        return list(session.scalars(select(Institution.id).where(or_(applied, refused), ~pushed)
                                    .order_by(Institution.id).limit(PER_SWEEP)))


def push_statement(runtime: Runtime, institution_id: int, month: Month, *, now: datetime) -> bool:
    """In one transaction: sign the institution's statement of ``month``, record it, publish it. False
    (nothing published) when the month's statement was already recorded, by this sweep or another."""
    from gateway.inbox.service import publish  # the inbox imports delivery; loaded when first needed

    try:
        with transaction(runtime.sessions) as session:
            institution = session.get(Institution, institution_id)
            figures = compute(session, runtime.settings, month, now=now, institution_id=institution_id)
            signed, media_type = signed_statement(runtime, institution, figures, issued_at=now)
            session.add(QualityStatement(institution_id=institution_id, month=str(month),
                                         sha256=hashlib.sha256(signed).hexdigest(), media_type=media_type,
                                         issued_at=now))
            session.flush()  # the unique (institution, month) decides here, before anything is published
            publish(session, institution_id=institution_id, kind=KIND, content=signed, media_type=media_type,
                    deliver=True, at=now)
    except IntegrityError:
        log.info("the %s statement of institution %s was already pushed", month, institution_id)
        return False
    return True
