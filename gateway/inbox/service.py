"""Publishing to an institution's inbox (and, where it has a callback URL, queuing the callback).

The contract every producer uses (intake receipts, batch refusals, results, certificates, watch
notices, statements): call :func:`publish` inside the transaction that makes the document.

Why the order can be trusted. :func:`publish` only notes the entry; a ``before_commit`` hook
numbers the noted entries when the transaction commits, from the gapless counter
``inbox:<institution id>`` (:mod:`gateway.persistence.counters`). The counter's row stays locked
from that moment to the commit, so two transactions publishing to one institution commit in the
order of their numbers, and a rolled-back transaction gives its number back. A reader therefore
never sees entry n+1 without entry n: paging by "sequence greater than the cursor's" never skips
and never repeats, however many writers publish at once. Taking the number last keeps the lock
short and, since every transaction takes its inbox counters at the same point (before the audit
chain head, institutions in id order), two publishing transactions never wait on each other in
opposite orders.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, event
from sqlalchemy.orm import Session, SessionTransaction

from gateway.delivery.service import schedule_entry_delivery
from gateway.inbox.models import InboxEntry
from gateway.persistence.counters import next_value
from gateway.persistence.models import SignedDocument

KINDS = frozenset({"receipt", "refusal", "supplement_request", "result", "certificate", "watch_notice", "statement",
                   "registration_event"})
PENDING = "inbox_pending"


@dataclass
class _Noted:
    entry: InboxEntry
    document: SignedDocument | None
    deliver: bool
    at: datetime


def publish(
    session: Session, *, institution_id: int, kind: str, content: bytes, media_type: str,
    application_id: int | None = None, document_id: int | None = None, deliver: bool = True,
    at: datetime, document: SignedDocument | None = None,
) -> InboxEntry:
    """Append a signed document to the institution's inbox, in the caller's transaction.

    ``kind``: receipt | refusal | supplement_request | result | certificate | watch_notice | statement |
    registration_event (to a department).
    ``deliver``: also queue a callback when the institution has a callback URL.
    ``document_id`` (or ``document``, a :class:`SignedDocument` not yet flushed): the evidence row
    holding the same bytes, which the entry then refers to instead of keeping a copy.
    Returns the inbox entry; its ``sequence`` (and id) are assigned when the transaction commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown inbox entry kind {kind!r}")
    if document is not None and application_id is None:
        application_id = document.application_id
    referenced = document_id is not None or document is not None
    entry = InboxEntry(
        institution_id=institution_id, kind=kind, application_id=application_id, document_id=document_id,
        content=None if referenced else bytes(content), media_type=media_type,
        sha256=hashlib.sha256(content).hexdigest(), created_at=at,
    )
    session.info.setdefault(PENDING, []).append(_Noted(entry, document, deliver, at))
    return entry


# insert=True: before the audit chain's hook, in every process whatever the import order, so
# the inbox counters are always locked before the chain head.
@event.listens_for(Session, "before_commit", insert=True)
def _number_noted(session: Session) -> None:
    noted: list[_Noted] = session.info.pop(PENDING, [])
    if not noted:
        return
    session.flush()  # the change itself (and the documents referred to) first
    # Institutions in id order (a stable sort keeps each institution's entries in publishing order).
    for item in sorted(noted, key=lambda n: n.entry.institution_id):
        entry = item.entry
        if item.document is not None:
            entry.document_id = item.document.id
        entry.sequence = next_value(session, f"inbox:{entry.institution_id}")
        # One Core insert (no unit of work): the entry object stays outside the session, with its id.
        entry.id = session.execute(_insert_entry(), {column: getattr(entry, column) for column in _COLUMNS}).scalar_one()
    for item in noted:
        if item.deliver:
            schedule_entry_delivery(session, item.entry, at=item.at)


_COLUMNS = ("institution_id", "sequence", "kind", "application_id", "document_id", "content", "media_type", "sha256",
            "created_at")


@functools.cache
def _insert_entry():
    table = InboxEntry.__table__
    return table.insert().values({column: bindparam(column) for column in _COLUMNS}).returning(table.c.id)


@event.listens_for(Session, "after_transaction_end")
def _drop_noted(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole unit of work ended (rolled back: nothing published)
        session.info.pop(PENDING, None)
