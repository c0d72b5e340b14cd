"""Tables of this package (registered in gateway/persistence/all_models.py)."""
from __future__ import annotations

from gateway.persistence.models import Base  # noqa: F401
