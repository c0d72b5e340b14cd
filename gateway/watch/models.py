"""Tables of this package (registered in gateway/persistence/all_models.py).

A watch notice is written, unsigned, in the transaction that changes the register (so exactly the
institutions watching at that moment get one); the ``watch.publish`` task signs it and puts it in the
institution's inbox. ``(institution_id, event_key)`` is unique: the same register fact imported
again never makes a second notice.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.persistence.models import Base, Id
from gateway.persistence.types import UTCDateTime, utcnow


class WatchSubscription(Base):
    """An institution's explicit watch of a unit it is about to lend on, tied to its open application."""

    __tablename__ = "watch_subscriptions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    unit_code: Mapped[str] = mapped_column(String(28), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(16))  # cancelled | decided


class WatchNotice(Base):
    """One register event told to one watching institution; signed and published by a task."""

    __tablename__ = "watch_notices"
    __table_args__ = (
        UniqueConstraint("institution_id", "event_key"),
        Index("ix_watch_notices_unpublished", "published_at", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    notice_id: Mapped[str] = mapped_column(String(32), unique=True)  # WN + 24 hex: stable, from the event
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    event_key: Mapped[str] = mapped_column(String(64))  # SHA-256 hex of what identifies the register event
    unit_code: Mapped[str] = mapped_column(String(28))
    event_kind: Mapped[str] = mapped_column(String(32))  # gateway.watch.events.EventKind
    source: Mapped[str] = mapped_column(String(16))  # register_import | gateway
    reference: Mapped[str] = mapped_column(String(100))  # ruling no., certificate no.
    registered_on: Mapped[date] = mapped_column(Date)  # in Beijing time
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the register records a time
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # register facts, no personal data
    watched_by: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # its mortgages, subscriptions
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
