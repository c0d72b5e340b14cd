"""Tables of ownership transfers entered in the register (combined filing)."""
from __future__ import annotations

from gateway.persistence.models import Base  # noqa: F401
