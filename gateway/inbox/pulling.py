"""Reading an institution's inbox page by page, and acknowledging it.

A page is the entries with a sequence greater than the cursor's, in sequence order. Because
sequences are committed in their own order (:mod:`gateway.inbox.service`), an entry a reader has
not seen can only ever appear after the last one it saw: no page skips or repeats an entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gateway.inbox.cursors import CursorKeys
from gateway.inbox.models import InboxEntry, InboxPosition
from gateway.persistence.models import Application, SignedDocument

DEFAULT_LIMIT, MAX_LIMIT = 100, 500


@dataclass(frozen=True)
class PulledEntry:
    cursor: str
    sequence: int
    kind: str
    application_no: str | None
    created_at: datetime
    media_type: str
    sha256: str
    document: bytes
    application_id: int | None


@dataclass(frozen=True)
class Page:
    entries: list[PulledEntry]
    next_cursor: str
    more: bool
    acknowledged: str | None  # the acknowledged position's cursor; None: nothing acknowledged yet


def acknowledged_sequence(session: Session, institution_id: int) -> int | None:
    return session.scalar(select(InboxPosition.acknowledged_sequence)
                          .where(InboxPosition.institution_id == institution_id))


def read_page(session: Session, keys: CursorKeys, *, institution_id: int, after: str | None,
              limit: int = DEFAULT_LIMIT) -> Page:
    """The entries after ``after`` (default: after the acknowledged position), at most ``limit``."""
    acknowledged = acknowledged_sequence(session, institution_id)
    position = keys.read(institution_id, after) if after is not None else (acknowledged or 0)
    rows = session.execute(
        select(InboxEntry, Application.application_no)
        .outerjoin(Application, Application.id == InboxEntry.application_id)
        .where(InboxEntry.institution_id == institution_id, InboxEntry.sequence > position)
        .order_by(InboxEntry.sequence)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    bodies = _referenced_bodies(session, [entry.document_id for entry, _ in rows if entry.content is None])
    entries = [
        PulledEntry(
            cursor=keys.make(institution_id, entry.sequence), sequence=entry.sequence, kind=entry.kind,
            application_no=application_no, created_at=entry.created_at, media_type=entry.media_type,
            sha256=entry.sha256, document=entry.content if entry.content is not None else bodies[entry.document_id],
            application_id=entry.application_id,
        )
        for entry, application_no in rows
    ]
    last = entries[-1].sequence if entries else position
    return Page(entries, keys.make(institution_id, last), more,
                None if acknowledged is None else keys.make(institution_id, acknowledged))


def _referenced_bodies(session: Session, document_ids: list[int]) -> dict[int, bytes]:
    if not document_ids:
        return {}
    return dict(session.execute(
        select(SignedDocument.id, SignedDocument.content).where(SignedDocument.id.in_(document_ids))).all())


def acknowledge(session: Session, keys: CursorKeys, *, institution_id: int, cursor: str, at: datetime) -> int:
    """Acknowledge every entry up to ``cursor``; an older cursor changes nothing. The acknowledged
    sequence afterwards (one atomic upsert: concurrent acknowledgements keep the furthest)."""
    sequence = keys.read(institution_id, cursor)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(InboxPosition).values(institution_id=institution_id, acknowledged_sequence=sequence,
                                        acknowledged_at=at)
    moves = stmt.excluded.acknowledged_sequence > InboxPosition.acknowledged_sequence
    stmt = stmt.on_conflict_do_update(
        index_elements=[InboxPosition.institution_id],
        set_={
            "acknowledged_sequence": case((moves, stmt.excluded.acknowledged_sequence),
                                          else_=InboxPosition.acknowledged_sequence),
            "acknowledged_at": case((moves, stmt.excluded.acknowledged_at), else_=InboxPosition.acknowledged_at),
        },
    ).returning(InboxPosition.acknowledged_sequence)
    return int(session.execute(stmt).scalar_one())
