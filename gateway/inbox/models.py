"""Tables of this package (registered in gateway/persistence/all_models.py).

An institution's inbox is its entries in ``sequence`` order: 1, 2, 3, … with no gap and no
repeat, numbered when the publishing transaction commits (see :mod:`gateway.inbox.service`).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.persistence.models import Base, Id
from gateway.persistence.types import UTCDateTime, utcnow
from gateway.protection import EncryptedBytes


class InboxEntry(Base):
    """One signed document (or event) for an institution, at its place in the institution's order."""

    __tablename__ = "inbox_entries"
    __table_args__ = (UniqueConstraint("institution_id", "sequence"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    sequence: Mapped[int] = mapped_column(BigInteger)  # 1, 2, 3, … per institution, in commit order
    # receipt | refusal | supplement_request | result | certificate | watch_notice | statement | registration_event
    kind: Mapped[str] = mapped_column(String(32))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    # The signed document kept as evidence, when there is one; else the bytes are kept here.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("signed_documents.id"))
    content: Mapped[bytes | None] = mapped_column(EncryptedBytes("inbox_entries.content"))
    media_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))  # of the signed bytes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboxPosition(Base):
    """How far an institution has acknowledged its inbox (every entry up to this sequence)."""

    __tablename__ = "inbox_positions"
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    acknowledged_sequence: Mapped[int] = mapped_column(BigInteger)
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime)
