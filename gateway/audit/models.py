"""The audit trail's tables: hash-chained entries, their lookup keys, the chain head and signed checkpoints."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.persistence.models import Base, Id
from gateway.persistence.types import UTCDateTime


class AuditEntry(Base):
    """One thing that happened, chained to the entry before it by ``prev_hash``.

    ``entry_hash`` is SHA-256 over the canonical text of every other column and ``prev_hash``
    (:func:`gateway.audit.chain.entry_text`): an entry altered, removed or slipped in breaks the
    chain at that point. ``details`` never holds personal data: persons are named only by the
    blind index of their ID number, in ``person_indexes``.
    """

    __tablename__ = "audit_entries"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # 1, 2, 3, ... gapless
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))  # staff username, institution code, system:<part>, cli:<user>
    actor_role: Mapped[str] = mapped_column(String(16))  # reviewer | supervisor | admin | clerk | institution | system | cli
    action: Mapped[str] = mapped_column(String(48))  # application.approve, data.read, staff.sign_in, admin.<action>
    subject_kind: Mapped[str] = mapped_column(String(32))  # application | staff | institution | certificate | ...
    subject: Mapped[str] = mapped_column(String(100))
    unit_codes: Mapped[list[str]] = mapped_column(JSON)
    person_indexes: Mapped[list[str]] = mapped_column(JSON)
    purpose: Mapped[str | None] = mapped_column(String(200))  # why: the application worked on, the export asked for
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditLookup(Base):
    """Index of entries by the unit codes and persons they concern ("who looked at my file").

    Derived from the entries (``unit:<code>``, ``person:<blind index>``); not part of the chain.
    """

    __tablename__ = "audit_lookups"
    __table_args__ = (Index("ix_audit_lookups_key_seq", "key", "seq"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("audit_entries.seq"))
    key: Mapped[str] = mapped_column(String(80))


class AuditChainHead(Base):
    """The one row every append locks: the last entry's number and hash."""

    __tablename__ = "audit_chain_head"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """The chain up to ``seq`` hashed to ``entry_hash``: signed by the gateway key (and time-stamped)."""

    __tablename__ = "audit_checkpoints"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    entry_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    certificate_pem: Mapped[str] = mapped_column(Text)  # the signer's certificate, kept for later verification
    signature: Mapped[bytes] = mapped_column(LargeBinary)  # over checkpoint_text(): RSA PKCS#1 v1.5 or ECDSA, SHA-256
    timestamp_token: Mapped[bytes | None] = mapped_column(LargeBinary)  # RFC 3161 TimeStampToken (DER), optional
