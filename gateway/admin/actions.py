"""The record of administrators' changes: who, what, to which subject, when.

Every admin change (API, web page or CLI) calls :func:`record` in the same transaction as the
change itself, so a change is never stored without its record nor recorded without being made.
``details`` holds what changed (before and after), never a secret (no password, key or TOTP secret)
and no personal data.
"""
from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import audit
from gateway.persistence.models import AdminAction
from gateway.persistence.types import utcnow


def cli_actor() -> str:
    """The actor of a CLI command: the operating-system account that ran it."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "cli:unknown"


def record(
    session: Session, *, actor: str, action: str, subject_kind: str, subject: str,
    details: dict[str, Any] | None = None, request_id: str | None = None, at: datetime | None = None,
) -> AdminAction:
    """Add the record of one change to the caller's transaction."""
    entry = AdminAction(at=at or utcnow(), actor=actor[:64], action=action, subject_kind=subject_kind,
                        subject=str(subject)[:100], details=details, request_id=request_id)
    session.add(entry)
    audit.record(session, actor=actor, actor_role="cli" if actor.startswith("cli:") else None,
                 action=f"admin.{action}", subject_kind=subject_kind, subject=str(subject),
                 details={"details": details, "request_id": request_id} if details or request_id else None)
    return entry


def history(session: Session, *, subject_kind: str | None = None, subject: str | None = None,
            limit: int = 100) -> list[AdminAction]:
    """Recorded changes, newest first, optionally of one subject."""
    statement = select(AdminAction).order_by(AdminAction.id.desc()).limit(limit)
    if subject_kind is not None:
        statement = statement.where(AdminAction.subject_kind == subject_kind)
    if subject is not None:
        statement = statement.where(AdminAction.subject == subject)
    return list(session.scalars(statement))
