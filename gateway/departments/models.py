"""Tables of departments: the purposes each may query for, and the log of answered queries."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.persistence.models import Base, Id
from gateway.persistence.types import UTCDateTime, utcnow
from gateway.protection import EncryptedJSON


class InstitutionPurpose(Base):
    """A purpose (查询用途) an institution with a department role may query for."""

    __tablename__ = "institution_purposes"
    __table_args__ = (UniqueConstraint("institution_id", "purpose"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_by: Mapped[str] = mapped_column(String(64))


class DepartmentQuery(Base):
    """One answered query: who asked, why, about whom or what, and what the answer held.

    Persons are kept only as blind indexes; what was returned (unit codes, field names) is encrypted.
    The rows of the last minute are also the department's rate-limit count (across API processes).
    """

    __tablename__ = "department_queries"
    __table_args__ = (Index("ix_department_queries_institution_at", "institution_id", "at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    query_id: Mapped[str] = mapped_column(String(40), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    purpose: Mapped[str] = mapped_column(String(32))
    case_reference: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # family-housing | unit-extract
    person_indexes: Mapped[list[str]] = mapped_column(JSON, default=list)
    unit_code: Mapped[str | None] = mapped_column(String(28))  # the unit asked about (unit-extract)
    returned: Mapped[dict] = mapped_column(EncryptedJSON("department_queries.returned"))
    answer_sha256: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    request_id: Mapped[str | None] = mapped_column(String(64))
