"""The background intake of a batch: each item received or refused exactly once, resumable.

``batches.process(batch_id, ticket)`` takes the batch's lease, receives pending items one by one
for up to ``CHUNK_SECONDS`` (so other background work interleaves in the embedded mode's single
task thread), then hands over to a fresh message with the next ticket. Only the message carrying
the current ticket works; any other (a duplicate, a late one) does nothing. Each item goes through
the same intake as a single request (:func:`check_submission`, :func:`accept_submission`, channel
``batch``); an item received but not yet marked when the process died is found again by the
intake's request-id idempotency (an exact retry), so nothing is received twice. A refused item's
mark, its signed Refusal in the inbox and its quality record commit together. The
``batches.resume`` sweep re-drives a batch whose message was lost or whose worker died.
"""
from __future__ import annotations

import inspect
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.applications.intake import (
    Channel,
    CheckedSubmission,
    IntakeOutcome,
    accept_submission,
    check_submission,
)
from gateway.batches.errors import BatchForeignItem, BatchItemFailed, BatchRequestIdMismatch
from gateway.batches.models import ACCEPTED, COMPLETED, PENDING, PROCESSING, REFUSED, Batch, BatchItem
from gateway.batches.refusals import build_refusal, facts_of
from gateway.batches.service import MESSAGE_LIFETIME, TASK
from gateway.errors import GatewayError
from gateway.inbox.service import publish
from gateway.outputs import sign_output
from gateway.persistence.db import lock_for_update, read_only, transaction
from gateway.persistence.models import Application, Institution
from gateway.persistence.types import utcnow
from gateway.quality.refusals import finding_codes_of, record_refusal
from gateway.tasks.registry import enqueue, periodic, task
from gateway.tasks.retry import is_transient

if TYPE_CHECKING:
    from gateway.runtime import Runtime

log = logging.getLogger(__name__)

CHUNK_SECONDS = 10.0
PAGE = 50
CHECKERS = 2  # threads checking the items of a page side by side
LEASE = timedelta(seconds=120)  # renewed after every page of items
CHANNEL = Channel(name="batch")
MEDIA_TYPES = {"jws": "application/jose", "json": "application/json"}


@dataclass(frozen=True)
class BatchFacts:
    id: int
    reference: str
    institution_id: int
    institution_code: str
    received_at: datetime


@dataclass(frozen=True)
class PendingItem:
    id: int
    position: int
    request_id: str
    format: str
    content: bytes
    detached_signature: str | None


@task(TASK)
def process_batch(runtime: Runtime, batch_id: int, ticket: int) -> None:
    """Receive or refuse the batch's pending items for a while, then pass on to the next message."""
    facts = _lease(runtime, batch_id, ticket)
    if facts is None:
        return
    finished = False
    try:
        deadline = time.monotonic() + CHUNK_SECONDS
        with ThreadPoolExecutor(max_workers=CHECKERS, thread_name_prefix="gateway-batch-check") as checkers:
            while time.monotonic() < deadline:
                page = _pending_page(runtime, batch_id)
                if not page:
                    break
                # The checks (signature, schema, reads) of a page run side by side; the writing steps
                # follow one by one in the manifest's order, so application numbers follow it too.
                checks = [checkers.submit(_check, runtime, facts, item) for item in page]
                for item, check in zip(page, checks, strict=True):
                    finish_item(runtime, facts, item, check)
                _renew(runtime, batch_id)
        finished = True
    finally:
        _hand_over(runtime, batch_id, carry_on=finished)


def _lease(runtime: Runtime, batch_id: int, ticket: int) -> BatchFacts | None:
    now = utcnow()
    with transaction(runtime.sessions) as session:
        batch = session.scalar(lock_for_update(select(Batch).where(Batch.id == batch_id), session))
        if batch is None or batch.status != PROCESSING or batch.ticket != ticket:
            return None
        if batch.lease_until is not None and batch.lease_until > now:
            return None
        batch.lease_until, batch.queued_until = now + LEASE, None
        code = session.scalar(select(Institution.code).where(Institution.id == batch.institution_id))
        return BatchFacts(batch.id, batch.reference, batch.institution_id, code, batch.received_at)


def _pending_page(runtime: Runtime, batch_id: int) -> list[PendingItem]:
    with read_only(runtime.read_sessions) as session:
        items = session.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id, BatchItem.state == PENDING)
                                .order_by(BatchItem.position).limit(PAGE))
        return [PendingItem(item.id, item.position, item.request_id, item.format, item.content,
                            item.detached_signature) for item in items]


def _renew(runtime: Runtime, batch_id: int) -> None:
    with transaction(runtime.sessions) as session:
        session.get(Batch, batch_id).lease_until = utcnow() + LEASE


def _hand_over(runtime: Runtime, batch_id: int, *, carry_on: bool) -> None:
    """Give the lease back; queue the next message, or mark the batch completed. After a failure,
    no message: the runner's retry (transient errors) or the sweep goes on."""
    now = utcnow()
    with transaction(runtime.sessions) as session:
        batch = session.scalar(lock_for_update(select(Batch).where(Batch.id == batch_id), session))
        batch.lease_until = None
        pending = session.scalar(select(BatchItem.id).where(BatchItem.batch_id == batch_id,
                                                            BatchItem.state == PENDING).limit(1))
        if pending is None:
            batch.status, batch.completed_at = COMPLETED, now
        elif carry_on:
            batch.ticket += 1
            batch.queued_until = now + MESSAGE_LIFETIME
            enqueue(session, TASK, batch.id, batch.ticket)
        else:
            batch.queued_until = now + MESSAGE_LIFETIME


@periodic("batches.resume")
def resume_stalled_batches(runtime: Runtime) -> None:
    """A new message (with a new ticket) for each unfinished batch nobody works on or has a message for."""
    now = utcnow()
    stalled = (Batch.status == PROCESSING, or_(Batch.lease_until.is_(None), Batch.lease_until <= now),
               or_(Batch.queued_until.is_(None), Batch.queued_until <= now))
    with read_only(runtime.read_sessions) as session:  # most sweeps find nothing: no write lock for that
        if session.scalar(select(Batch.id).where(*stalled).limit(1)) is None:
            return
    with transaction(runtime.sessions) as session:
        for batch in session.scalars(lock_for_update(select(Batch).where(*stalled).limit(100), session)).all():
            batch.ticket += 1
            batch.queued_until = now + MESSAGE_LIFETIME
            enqueue(session, TASK, batch.id, batch.ticket)


def finish_item(runtime: Runtime, facts: BatchFacts, item: PendingItem, check: Future) -> None:
    """After the item's checks: its writing step, and its mark — or its refusal."""
    try:
        checked = check.result()
        outcome = checked if isinstance(checked, IntakeOutcome) else accept_submission(runtime, checked,
                                                                                       channel=CHANNEL)
    except GatewayError as exc:
        _refuse(runtime, facts, item, exc)
        return
    except Exception as exc:
        if is_transient(exc):
            raise  # the database blinked: the task is retried, the item is still pending
        # The type only: a message could quote the item. One broken item must not hold the batch.
        log.error("batch item %s could not be processed (%s); refused", item.id, type(exc).__name__)
        _refuse(runtime, facts, item, BatchItemFailed())
        return
    _mark(runtime, item, ACCEPTED, application_no=outcome.application_no)


def _check(runtime: Runtime, facts: BatchFacts, item: PendingItem) -> CheckedSubmission | IntakeOutcome:
    """The intake's checks, as at the bundle's receipt (the signer's certificate, the CreatedAt window)."""
    checked = check_submission(runtime, item.content, now=facts.received_at, **_format_arguments(item))
    if isinstance(checked, IntakeOutcome):  # received before (an exact retry): it must be this bank's
        _refuse_unless_own(runtime, facts, checked.application_no)
        return checked
    if checked.institution_id != facts.institution_id:
        raise BatchForeignItem("the item is signed for another institution than the one that sent the bundle")
    if checked.application.request_id != item.request_id:
        raise BatchRequestIdMismatch()
    return checked


def _format_arguments(item: PendingItem) -> dict:
    """How the intake is told an item's format (XML needs nothing; JSON items need the JSON channel)."""
    if item.format == "xml":
        return {}
    if "media_type" not in inspect.signature(check_submission).parameters:
        raise GatewayError("JSON items are not accepted by this gateway version", code="batch.item_failed")
    arguments = {"media_type": MEDIA_TYPES[item.format]}
    if item.detached_signature is not None:
        arguments["detached_signature"] = item.detached_signature
    return arguments


def _refuse_unless_own(runtime: Runtime, facts: BatchFacts, application_no: str) -> None:
    with read_only(runtime.read_sessions) as session:
        owner = session.scalar(select(Application.institution_id).where(Application.application_no == application_no))
    if owner != facts.institution_id:
        raise BatchForeignItem("the item is another institution's application")


def _refuse(runtime: Runtime, facts: BatchFacts, item: PendingItem, error: GatewayError) -> None:
    """Sign the item's Refusal, then in one transaction: mark it, publish it, count it."""
    now = utcnow()
    refusal = facts_of(error, batch_reference=facts.reference, position=item.position, request_id=item.request_id,
                       mortgagee_code=facts.institution_code, content=item.content)
    content, media_type = sign_output(runtime, build_refusal(refusal, issued_at=now),
                                      fmt="xml" if item.format == "xml" else "json")
    with transaction(runtime.sessions) as session:
        if not _set_state(session, item.id, REFUSED, code=error.code, at=now):
            return
        publish(session, institution_id=facts.institution_id, kind="refusal", content=content, media_type=media_type,
                deliver=True, at=now)
        record_refusal(session, institution_id=facts.institution_id, code=error.code, channel=CHANNEL.name, at=now,
                       finding_codes=finding_codes_of(error))


def _mark(runtime: Runtime, item: PendingItem, state: str, *, application_no: str) -> None:
    with transaction(runtime.sessions) as session:
        _set_state(session, item.id, state, application_no=application_no, at=utcnow())


def _set_state(session: Session, item_id: int, state: str, *, at: datetime, code: str | None = None,
               application_no: str | None = None) -> bool:
    """Move a still-pending item to ``state``; False if it was done meanwhile (by another message)."""
    item = session.scalar(lock_for_update(select(BatchItem).where(BatchItem.id == item_id), session))
    if item.state != PENDING:
        return False
    item.state, item.code, item.application_no, item.processed_at = state, code, application_no, at
    item.content, item.detached_signature = b"", None  # personal data, no longer needed: kept no longer
    return True
