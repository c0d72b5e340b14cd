"""Tables of registration_events (registered in gateway/persistence/all_models.py).

A registration event is written, unsigned, in the transaction that enters the registration, with one
publication per department subscribed at that moment. The ``registration_events.publish`` task signs
the event once (every department gets the same bytes) and puts it in the department's inbox;
``(event_id, institution_id)`` is unique and a publication is published once, under its row lock.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.persistence.models import Base, Id
from gateway.persistence.types import UTCDateTime, utcnow
from gateway.protection import EncryptedBytes, EncryptedJSON

REGISTRATION_EVENTS = "registration-events"  # the one subscription topic so far


class RegistrationEvent(Base):
    """One registration entered in the register, as told to departments."""

    __tablename__ = "registration_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)  # RE + 30 hex, from the certificate number
    event_type: Mapped[str] = mapped_column(String(32))  # the registration type
    unit_code: Mapped[str] = mapped_column(String(28), index=True)
    certificate_no: Mapped[str] = mapped_column(String(64), unique=True)
    application_no: Mapped[str | None] = mapped_column(String(20))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The payload as signed; a transfer's names its parties (personal data), so it is sealed.
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("registration_events.payload"))
    signed: Mapped[bytes | None] = mapped_column(EncryptedBytes("registration_events.signed"))  # the compact JWS
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegistrationEventPublication(Base):
    """One event for one subscribed department: published to its inbox (and callback) exactly once."""

    __tablename__ = "registration_event_publications"
    __table_args__ = (
        UniqueConstraint("event_id", "institution_id"),
        Index("ix_registration_event_publications_unpublished", "published_at", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("registration_events.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DepartmentSubscription(Base):
    """A department's subscription to a topic; ended rows are kept (and started again on re-subscribing)."""

    __tablename__ = "department_subscriptions"
    __table_args__ = (UniqueConstraint("institution_id", "topic"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    topic: Mapped[str] = mapped_column(String(32))  # registration-events
    origin: Mapped[str] = mapped_column(String(16))  # default (given at creation) | department (its own request)
    subscribed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
