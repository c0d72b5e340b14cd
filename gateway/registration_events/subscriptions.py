"""Department subscriptions to registration events.

Stub until implemented.
"""
from __future__ import annotations

from sqlalchemy.orm import Session


def on_department_created(session: Session, institution) -> None:
    """Give a new department its default subscriptions (the tax bureau: registration events)."""
    return None
