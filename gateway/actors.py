"""Who did something: recorded on every state change."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """An institution (by code), a staff member (by username) or the gateway itself."""

    kind: str  # institution | staff | system
    ref: str

    @classmethod
    def institution(cls, code: str) -> Actor:
        return cls("institution", code)

    @classmethod
    def staff(cls, username: str) -> Actor:
        return cls("staff", username)

    @classmethod
    def system(cls, component: str) -> Actor:
        return cls("system", component)
