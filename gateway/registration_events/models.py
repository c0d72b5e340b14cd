"""Tables of registration_events."""
from __future__ import annotations

from gateway.persistence.models import Base  # noqa: F401
