"""Tables of department_records (registered in gateway/persistence/all_models.py).

A record is kept exactly as it arrived: the body bytes and the HTTP signature headers, encrypted,
are the evidence. What pre-review needs (status, contract number, the parties' ID numbers) is parsed
once into ``facts`` (encrypted); the parties are also kept as blind indexes, so a person's records can
be found without decrypting anything.

``(kind, institution_id, record_no, sequence)`` is unique: the first version of a record number is
sequence 1, a version with other content sequence 2 and so on. Two departments' (or two threads')
concurrent pushes of the same number therefore meet on this constraint instead of both going in
unnoticed; see :mod:`gateway.department_records.service`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.persistence.models import Base, Id
from gateway.persistence.types import UTCDateTime, utcnow
from gateway.protection import EncryptedBytes, EncryptedJSON


class DepartmentRecord(Base):
    """A deed-tax record (kind ``tax``) or a filed sale contract (kind ``contract``), verbatim."""

    __tablename__ = "department_records"
    __table_args__ = (
        UniqueConstraint("kind", "institution_id", "record_no", "sequence"),
        Index("ix_department_records_unit", "unit_code", "kind"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(40), unique=True)  # DR + 32 hex: told in the receipt
    kind: Mapped[str] = mapped_column(String(8))  # tax | contract
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    record_no: Mapped[str] = mapped_column(String(64))  # the department's number (a contract's: contract_no)
    sequence: Mapped[int] = mapped_column(Integer, default=1)  # versions of one record_no with other content
    unit_code: Mapped[str] = mapped_column(String(28))
    status: Mapped[str] = mapped_column(String(16))  # PAID | EXEMPT | NOT_TAXABLE; FILED | CANCELLED
    content_sha256: Mapped[str] = mapped_column(String(64))  # of the parsed content (without "department")
    request_sha256: Mapped[str] = mapped_column(String(64))  # of the body bytes as received
    body: Mapped[bytes] = mapped_column(EncryptedBytes("department_records.body"))
    signature_headers: Mapped[dict[str, str]] = mapped_column(EncryptedJSON("department_records.signature_headers"))
    facts: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("department_records.facts"))
    id_number_indexes: Mapped[list[str]] = mapped_column(JSON, default=list)  # blind indexes of the parties
    conflicting: Mapped[bool] = mapped_column(default=False)  # another version of the record_no differs
    conflicts_with_id: Mapped[int | None] = mapped_column(ForeignKey("department_records.id"))  # the first version
    # An explicit correction (the body's "corrects": a version's record id) replaces every earlier version of the
    # number: they stay as evidence, marked superseded, and pre-review reads only the versions not superseded.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("department_records.id"))
    superseded: Mapped[bool] = mapped_column(default=False, server_default="0")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    request_id: Mapped[str | None] = mapped_column(String(64))  # the HTTP request's id, for the logs
