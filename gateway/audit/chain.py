"""Appending to the hash chain: at the end of the transaction that made the change.

:func:`append` only notes an entry in ``session.info``; a ``before_commit`` hook writes the noted
entries when the transaction commits, after everything else it changed has been flushed. So the
entry is part of the same transaction as its change (a rollback drops both), and the chain head —
the one row every append locks (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the writer lock
already serialises) — is held only from that moment to the commit, the way intake takes its
gapless number last.
"""
from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import bindparam, event, select
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
    return _text_of(seq=entry.seq, at=entry.at, actor=entry.actor, actor_role=entry.actor_role, action=entry.action,
                    subject_kind=entry.subject_kind, subject=entry.subject, unit_codes=entry.unit_codes,
                    person_indexes=entry.person_indexes, purpose=entry.purpose, details=entry.details,
                    prev_hash=entry.prev_hash)


def _text_of(*, seq, at, actor, actor_role, action, subject_kind, subject, unit_codes, person_indexes, purpose,
             details, prev_hash) -> str:
    body = {
        "seq": seq, "at": at.isoformat(timespec="microseconds"), "actor": actor, "actor_role": actor_role,
        "action": action, "subject_kind": subject_kind, "subject": subject, "unit_codes": list(unit_codes or []),
        "person_indexes": list(person_indexes or []), "purpose": purpose, "details": details, "prev_hash": prev_hash,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(entry_text(entry).encode()).hexdigest()


def lookup_keys(entry: AuditEntry) -> list[str]:
    return _lookup_keys(entry.unit_codes, entry.person_indexes)


def _lookup_keys(unit_codes, person_indexes) -> list[str]:
    return [f"unit:{code}" for code in unit_codes or []] + [f"person:{p}" for p in person_indexes or []]


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending: list[Pending] = session.info.pop(PENDING, [])
    if not pending:
        return
    session.flush()  # the change itself first: its locks are taken before the chain's
    roles = _staff_roles(session, {p.actor for p in pending if p.actor_role is None})
    seq, prev_hash = _lock_head(session)
    entries, lookups = [], []
    for noted in pending:
        seq += 1
        entry = _chained(noted, roles, seq=seq, prev_hash=prev_hash)
        prev_hash = entry["entry_hash"]
        entries.append(entry)
        lookups.extend({"seq": seq, "key": key[:80]}
                       for key in _lookup_keys(entry["unit_codes"], entry["person_indexes"]))
    # Written with a few Core statements (executemany), not one ORM flush per entry: every
    # transaction that changes something appends here, while it holds the chain head.
    session.execute(AuditEntry.__table__.insert(), entries)
    if lookups:
        session.execute(AuditLookup.__table__.insert(), lookups)
    session.execute(_advance_head_statement(), {"seq": seq, "entry_hash": prev_hash})


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING, None)


def _chained(noted: Pending, roles: dict[str, str], *, seq: int, prev_hash: str) -> dict[str, Any]:
    """The entry's row, its hash included."""
    subject = noted.subject
    if noted.application is not None:
        subject = noted.application.application_no or f"id:{noted.application.id}"
    row = dict(
        seq=seq, at=noted.at.astimezone(timezone.utc), actor=noted.actor[:64],
        actor_role=(noted.actor_role or roles.get(noted.actor, "staff"))[:16],
        action=noted.action[:48], subject_kind=noted.subject_kind[:32], subject=str(subject or "")[:100],
        unit_codes=sorted(set(noted.unit_codes)), person_indexes=sorted(set(noted.person_indexes)),
        purpose=noted.purpose[:200] if noted.purpose else None, details=noted.details, prev_hash=prev_hash,
    )
    row["entry_hash"] = hashlib.sha256(_text_of(**row).encode()).hexdigest()
    return row


@functools.cache
def _head_statement():
    return select(AuditChainHead.seq, AuditChainHead.entry_hash).where(AuditChainHead.id == HEAD_ID)


@functools.cache
def _advance_head_statement():
    table = AuditChainHead.__table__
    return table.update().where(table.c.id == HEAD_ID).values(seq=bindparam("seq"), entry_hash=bindparam("entry_hash"))


def _lock_head(session: Session) -> tuple[int, str]:
    """The chain head's (seq, entry hash), locked until the commit; created on the first append."""
    row = session.execute(lock_for_update(_head_statement(), session)).first()
    if row is None:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        session.execute(insert(AuditChainHead).values(id=HEAD_ID, seq=0, entry_hash=GENESIS_HASH)
                        .on_conflict_do_nothing(index_elements=["id"]))
        row = session.execute(lock_for_update(_head_statement(), session)).first()
    return int(row[0]), row[1]


def _staff_roles(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    from gateway.persistence.models import StaffUser

    names = [name for name in usernames if name]
    if not names:
        return {}
    return dict(session.execute(select(StaffUser.username, StaffUser.role).where(StaffUser.username.in_(names))).all())


def now() -> datetime:
    """Entries' time: microseconds, UTC (what both databases keep exactly)."""
    return utcnow()
