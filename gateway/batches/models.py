"""Tables of this package (registered in gateway/persistence/all_models.py).

A batch is one accepted bundle; its items are the signed applications it carried, kept (sealed:
they hold names and ID numbers) until each has been received or refused in the background.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.persistence.models import Base, Id
from gateway.persistence.types import UTCDateTime
from gateway.protection.columns import EncryptedBytes

PROCESSING, COMPLETED = "processing", "completed"
PENDING, ACCEPTED, REFUSED = "pending", "accepted", "refused"


class Batch(Base):
    """One bundle, named by the institution's own batch id (the ``batch_id`` banks see)."""

    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("institution_id", "reference"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    reference: Mapped[str] = mapped_column(String(64))  # the bank's batch_id
    bundle_sha256: Mapped[str] = mapped_column(String(64))
    bundle_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the manifest's, as the bank wrote it
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=PROCESSING)
    items_total: Mapped[int] = mapped_column(Integer)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The background intake: one live task message at a time, the one carrying the current ticket
    # (older ones do nothing); it holds the lease while it works; a message not arrived by
    # queued_until is presumed lost, and the sweep sends another with a new ticket.
    ticket: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    queued_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BatchItem(Base):
    """One signed application of a batch; ``state`` pending → accepted | refused, exactly once."""

    __tablename__ = "batch_items"
    __table_args__ = (
        UniqueConstraint("batch_id", "position"),
        UniqueConstraint("batch_id", "request_id"),
        Index("ix_batch_items_state", "batch_id", "state", "position"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    position: Mapped[int] = mapped_column(Integer)  # 1-based, the manifest's order
    request_id: Mapped[str] = mapped_column(String(64))
    file: Mapped[str] = mapped_column(String(120))
    format: Mapped[str] = mapped_column(String(8))  # xml | jws | json
    # The signed bytes, verbatim, while pending; emptied once received (the request is then kept
    # with the application) or refused (the Refusal names its SHA-256).
    content: Mapped[bytes] = mapped_column(EncryptedBytes("batch_items.content"))
    detached_signature: Mapped[str | None] = mapped_column(Text)  # of a .json item
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    application_no: Mapped[str | None] = mapped_column(String(32))
    code: Mapped[str | None] = mapped_column(String(64))  # why it was refused
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
