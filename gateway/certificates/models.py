"""Issued registration certificates (PDF and XML twin, stored verbatim) and paper requests."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.persistence.models import Base, Id
from gateway.persistence.types import UTCDateTime, utcnow
from gateway.protection import EncryptedBytes, EncryptedText


class IssuedCertificate(Base):
    """One 不动产登记证明, generated exactly once per registration entry."""

    __tablename__ = "certificates"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    registration_entry_id: Mapped[int] = mapped_column(ForeignKey("registration_entries.id"), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    certificate_no: Mapped[str] = mapped_column(String(64), unique=True)
    verification_code: Mapped[str] = mapped_column(String(16), unique=True)
    pdf: Mapped[bytes] = mapped_column(EncryptedBytes("certificates.pdf"))  # both print the holders' names
    xml: Mapped[bytes] = mapped_column(EncryptedBytes("certificates.xml"))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    xml_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="IN_FORCE")  # IN_FORCE|SUPERSEDED|CANCELLED|REVOKED
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_reference: Mapped[str | None] = mapped_column(String(64))  # the discharge's or replacing certificate no.
    revoke_reason: Mapped[str | None] = mapped_column(String(500))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostalRequest(Base):
    """A printed certificate to be mailed (EMS): requested → printed → posted with tracking number."""

    __tablename__ = "postal_requests"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    recipient: Mapped[str] = mapped_column(EncryptedText("postal_requests.recipient"))
    phone: Mapped[str] = mapped_column(EncryptedText("postal_requests.phone"))
    address: Mapped[str] = mapped_column(EncryptedText("postal_requests.address"))
    postcode: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(16), default="REQUESTED")  # REQUESTED | PRINTED | POSTED
    tracking_no: Mapped[str | None] = mapped_column(String(40))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(64))
