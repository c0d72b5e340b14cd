"""Tables of this package (registered in gateway/persistence/all_models.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.persistence.models import Base, Id
from gateway.persistence.types import UTCDateTime


class IntakeRefusal(Base):
    """One request refused at intake, counted for the quality figures.

    No personal data: the institution (only when the signer was identified by a certificate registered to
    it — otherwise NULL, so nobody can put refusals on another bank's figures), the refusal's code, the
    channel, the time, and for a pre-review refusal the codes of its refusing findings."""

    __tablename__ = "intake_refusals"
    __table_args__ = (Index("ix_intake_refusals_institution_id_at", "institution_id", "at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    code: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # bank_xml | bank_json | batch | web
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finding_codes: Mapped[list[str] | None] = mapped_column(JSON)


class QualityStatement(Base):
    """A month's signed Statement pushed to an institution's inbox: at most one row (and so one push)
    per institution and month (docs/interface/quality.md §6.1). The bytes are in the inbox entry; here
    only their SHA-256, media type and time."""

    __tablename__ = "quality_statements"
    __table_args__ = (UniqueConstraint("institution_id", "month"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, Beijing time
    sha256: Mapped[str] = mapped_column(String(64))  # of the signed bytes
    media_type: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
