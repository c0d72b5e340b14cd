"""Registration events: one per registration entered, pushed to each subscribed department.

Stub until implemented: called by the register in the registering transaction.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


def record_registration(session: Session, *, event_type: str, unit_code: str, certificate_no: str,
                        registered_at: datetime, application_no: str | None, details: dict[str, Any]) -> None:
    """Record the event of one registration entered (in the caller's transaction); published after commit."""
    return None
