"""Appending to the hash chain: at the end of the transaction that made the change.

:func:`append` only notes an entry in ``session.info``; a ``before_commit`` hook writes the noted
entries when the transaction commits, after everything else it changed has been flushed. So the
entry is part of the same transaction as its change (a rollback drops both), and the chain head —
the one row every append locks (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the writer lock
already serialises) — is held only from that moment to the commit, the way intake takes its
gapless number last.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gateway.audit.models import AuditChainHead, AuditEntry, AuditLookup
from gateway.persistence.db import lock_for_update
from gateway.persistence.types import utcnow

GENESIS_HASH = "0" * 64
PENDING = "audit_pending"
HEAD_ID = 1


@dataclass
class Pending:
    """An entry noted during the transaction; ``subject`` may be filled in at commit (an application
    number is allocated last in intake)."""

    actor: str
    actor_role: str | None  # None: a staff member's role, looked up at commit
    action: str
    subject_kind: str
    subject: str | None
    at: datetime
    unit_codes: list[str] = field(default_factory=list)
    person_indexes: list[str] = field(default_factory=list)
    purpose: str | None = None
    details: dict[str, Any] | None = None
    application: Any = None  # an Application whose number becomes the subject at commit


def append(session: Session, entry: Pending) -> None:
    """Add ``entry`` to the caller's transaction; it is chained when the transaction commits."""
    session.info.setdefault(PENDING, []).append(entry)


def entry_text(entry: AuditEntry) -> str:
    """The canonical text an entry's hash covers (UTF-8 JSON, sorted keys, no spaces)."""
    body = {
        "seq": entry.seq, "at": entry.at.isoformat(timespec="microseconds"), "actor": entry.actor,
        "actor_role": entry.actor_role, "action": entry.action, "subject_kind": entry.subject_kind,
        "subject": entry.subject, "unit_codes": list(entry.unit_codes or []),
        "person_indexes": list(entry.person_indexes or []), "purpose": entry.purpose,
        "details": entry.details, "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(entry_text(entry).encode()).hexdigest()


def lookup_keys(entry: AuditEntry) -> list[str]:
    return [f"unit:{code}" for code in entry.unit_codes or []] + [f"person:{p}" for p in entry.person_indexes or []]


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending: list[Pending] = session.info.pop(PENDING, [])
    if not pending:
        return
    session.flush()  # the change itself first: its locks are taken before the chain's
    roles = _staff_roles(session, {p.actor for p in pending if p.actor_role is None})
    head = _lock_head(session)
    for noted in pending:
        entry = _chained(noted, roles, seq=head.seq + 1, prev_hash=head.entry_hash)
        session.add(entry)
        head.seq, head.entry_hash = entry.seq, entry.entry_hash
        session.flush()  # the entry before its lookups (foreign key)
        session.add_all(AuditLookup(seq=entry.seq, key=key[:80]) for key in lookup_keys(entry))
    session.flush()


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING, None)


def _chained(noted: Pending, roles: dict[str, str], *, seq: int, prev_hash: str) -> AuditEntry:
    subject = noted.subject
    if noted.application is not None:
        subject = noted.application.application_no or f"id:{noted.application.id}"
    entry = AuditEntry(
        seq=seq, at=noted.at.astimezone(timezone.utc), actor=noted.actor[:64], actor_role=(noted.actor_role or roles.get(noted.actor, "staff"))[:16],
        action=noted.action[:48], subject_kind=noted.subject_kind[:32], subject=str(subject or "")[:100],
        unit_codes=sorted(set(noted.unit_codes)), person_indexes=sorted(set(noted.person_indexes)),
        purpose=noted.purpose[:200] if noted.purpose else None, details=noted.details, prev_hash=prev_hash,
    )
    entry.entry_hash = entry_hash(entry)
    return entry


def _lock_head(session: Session) -> AuditChainHead:
    """The chain head, locked until the commit; created on the first append."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    head = session.scalar(lock_for_update(select(AuditChainHead).where(AuditChainHead.id == HEAD_ID), session)
                          .execution_options(populate_existing=True))
    if head is None:
        session.execute(insert(AuditChainHead).values(id=HEAD_ID, seq=0, entry_hash=GENESIS_HASH)
                        .on_conflict_do_nothing(index_elements=["id"]))
        head = session.scalar(lock_for_update(select(AuditChainHead).where(AuditChainHead.id == HEAD_ID), session)
                              .execution_options(populate_existing=True))
    return head


def _staff_roles(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    from gateway.persistence.models import StaffUser

    names = [name for name in usernames if name]
    if not names:
        return {}
    return dict(session.execute(select(StaffUser.username, StaffUser.role).where(StaffUser.username.in_(names))).all())


def now() -> datetime:
    """Entries' time: microseconds, UTC (what both databases keep exactly)."""
    return utcnow()
