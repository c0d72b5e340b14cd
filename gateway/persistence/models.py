"""SQLAlchemy 2 models: the database is the source of truth for every application and delivery."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    column,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from gateway.applications.states import QUEUE_STATUSES
from gateway.protection.columns import EncryptedBytes, EncryptedJSON, EncryptedText
from gateway.persistence.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BigInteger ids on PostgreSQL, INTEGER PRIMARY KEY (rowid) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Institution(Base):
    """A mortgagee: a bank or a housing provident fund centre."""

    __tablename__ = "institutions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # bank | housing_fund | department
    # tax_bureau | housing_bureau | fund_centre: a department's role (a housing_fund may be fund_centre too)
    department_role: Mapped[str | None] = mapped_column(String(24))
    callback_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # active | disabled: a disabled institution's requests are refused; its open applications stay reviewable.
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    # A branch (分支机构) of a bank with several: it has its own code, certificates and callback URL.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # xml | json: the format of its documents not tied to one submission (watch notices, refusals, statements).
    output_format: Mapped[str] = mapped_column(String(8), default="xml", server_default="xml")
    certificates: Mapped[list[InstitutionCertificate]] = relationship(back_populates="institution")


class InstitutionCertificate(Base):
    """A signing certificate registered to an institution; several may be current during rotation."""

    __tablename__ = "institution_certificates"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    pem: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(500))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(String(200))
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    institution: Mapped[Institution] = relationship(back_populates="certificates")


class StaffUser(Base):
    """A registration-centre or housing-fund staff account."""

    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The next sign-in must set a new password (after an administrator's reset).
    password_reset_required: Mapped[bool] = mapped_column(default=False, server_default="0")
    # TOTP (RFC 6238) second factor: the secret is set at enrolment and counts once confirmed.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText("staff_users.totp_secret"))  # a secret
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # a code's time step is used once


class StaffRecoveryCode(Base):
    """A one-time recovery code for a staff account's second factor, stored as its SHA-256."""

    __tablename__ = "staff_recovery_codes"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    code_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AdminAction(Base):
    """Who changed what and when: every change an administrator makes (web, API or CLI)."""

    __tablename__ = "admin_actions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # staff username, or "cli:<os user>"
    action: Mapped[str] = mapped_column(String(64))  # e.g. institution.update, certificate.revoke
    subject_kind: Mapped[str] = mapped_column(String(32))  # institution | certificate | staff | delivery
    subject: Mapped[str] = mapped_column(String(100), index=True)  # its code, fingerprint, username or id
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # what changed (before/after), never secrets
    request_id: Mapped[str | None] = mapped_column(String(64))


class Material(Base):
    """An uploaded material file, addressed by the SHA-256 of its bytes, per institution."""

    __tablename__ = "materials"
    __table_args__ = (UniqueConstraint("institution_id", "sha256"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(EncryptedBytes("materials.content"))  # sha256 is of the plaintext
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Application(Base):
    """A mortgage registration application, from receipt to decision."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("institution_id", "request_id"),
        Index("ix_applications_queue", "status", "due_date", "id"),
        # The reviewers' queue in (due_date, id) order across all its statuses; a partial index
        # stays small (open applications only) while decided ones pile up.
        Index("ix_applications_open_queue", "due_date", "id",
              postgresql_where=column("status").in_(QUEUE_STATUSES),
              sqlite_where=column("status").in_(QUEUE_STATUSES)),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    application_no: Mapped[str] = mapped_column(String(32), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    request_id: Mapped[str] = mapped_column(String(64))
    registration_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    unit_code: Mapped[str] = mapped_column(String(28), index=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    canonical: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("applications.canonical"))
    signature: Mapped[dict[str, Any]] = mapped_column(JSON)  # signer facts shown to reviewers
    request_created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_date: Mapped[date] = mapped_column(Date)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(EncryptedText("applications.decision_reason"))  # free text
    deadline_provisional: Mapped[bool] = mapped_column(default=False)
    triage: Mapped[str] = mapped_column(String(16), default="SIMPLE")  # SIMPLE | COMPLEX | AUTO_APPROVE
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    fee_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    link_group: Mapped[str | None] = mapped_column(String(64), index=True)
    link_position: Mapped[int | None] = mapped_column(Integer)
    link_size: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16), default="bank_xml", server_default="bank_xml")  # bank_xml | web
    submitted_by: Mapped[str | None] = mapped_column(String(64))  # the clerk's username (web channel)
    # xml | json: the format it was submitted in, and its receipt and results go out in.
    output_format: Mapped[str] = mapped_column(String(8), default="xml", server_default="xml")
    institution: Mapped[Institution] = relationship()
    events: Mapped[list[ApplicationEvent]] = relationship(
        back_populates="application", order_by="ApplicationEvent.id"
    )
    materials: Mapped[list[ApplicationMaterial]] = relationship(order_by="ApplicationMaterial.position")


class ApplicationMaterial(Base):
    """A material an application references, as the signed request lists it."""

    __tablename__ = "application_materials"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    position: Mapped[int] = mapped_column(Integer)
    type_code: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(EncryptedText("application_materials.file_name"))  # may name a person
    material: Mapped[Material] = relationship()


class ApplicationEvent(Base):
    """One state transition, with who made it and when."""

    __tablename__ = "application_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))  # institution | staff | system
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON("application_events.note"))  # reasons: free text
    application: Mapped[Application] = relationship(back_populates="events")


class ApplicationPause(Base):
    """A stop of the deadline clock: waiting for supplementation (补正) or during an announcement."""

    __tablename__ = "application_pauses"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # supplement | announcement
    reason: Mapped[str] = mapped_column(EncryptedText("application_pauses.reason"))  # free text
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApplicationExtension(Base):
    """Working days added to an application's deadline, with the reason."""

    __tablename__ = "application_extensions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    working_days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApplicationStep(Base):
    """Time spent at one step (全节点效能监督): queue, review, supplement, announcement, ..."""

    __tablename__ = "application_steps"
    __table_args__ = (Index("ix_application_steps_step_started", "step", "started_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    step: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str | None] = mapped_column(String(64))  # the reviewer holding a review step
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignedDocument(Base):
    """Evidence: the exact bytes of a signed request or of a signed output, stored verbatim."""

    __tablename__ = "signed_documents"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # request | receipt | supplement_request | result
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(EncryptedBytes("signed_documents.content"))  # verbatim once opened
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # application/xml (XMLDSig), application/jose (compact JWS), application/jose+json (a detached JWS request)
    media_type: Mapped[str] = mapped_column(String(40), default="application/xml", server_default="application/xml")


class Counter(Base):
    """Gapless sequences (certificate numbers, application numbers), one row per series."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class OutboxMessage(Base):
    """A background task written in the same transaction as the change that needs it."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    task: Mapped[str] = mapped_column(String(64))
    args: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class TaskLease(Base):
    """Who is on a piece of background work until when: a running sweep, or a sent task message."""

    __tablename__ = "task_leases"
    # "sweep:delivery.sweep" (a sweep is running), "certificates.generate:7" (a message is out)
    name: Mapped[str] = mapped_column(String(96), primary_key=True)
    holder: Mapped[str] = mapped_column(String(32))
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class Delivery(Base):
    """One signed output to POST to an institution's callback URL, with its retry state."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    # None: an inbox entry about no application (a watch notice, a statement)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("signed_documents.id"), unique=True)
    # What is sent: the inbox entry (None only for deliveries queued before the inbox existed)
    inbox_entry_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_entries.id"), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|delivered|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An attempt message is outstanding until then (sent, not yet run); the sweep sends no other.
    queued_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    document: Mapped[SignedDocument | None] = relationship()
    application: Mapped[Application | None] = relationship()


class DeliveryAttempt(Base):
    """One try of a delivery, kept for good: when, to which URL, and what came back."""

    __tablename__ = "delivery_attempts"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    url: Mapped[str] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(String(16))  # delivered | failed | dead
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int | None] = mapped_column(Integer)


class SignatureUse(Base):
    """An HTTP signature already used on a non-idempotent request, kept for the signature's lifetime
    so that a captured request cannot be replayed, by any API process."""

    __tablename__ = "signature_uses"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    signature_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class LoginAttempt(Base):
    """A failed staff sign-in on the web, kept to rate-limit guessing per username and address."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_address_at", "username", "address", "at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class WebSession(Base):
    """A signed-in browser; the cookie carries a signed random key whose SHA-256 is stored here."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
