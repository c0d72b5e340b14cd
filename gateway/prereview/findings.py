"""What a pre-review rule reports: findings with a stable code and a documented severity.

Every code is declared once as a ``FindingKind`` (see ``gateway.prereview.codes``), which fixes
its severity; rules build findings by calling the kind, so a code can never be emitted with a
severity other than the one published in ``docs/rules.md``.

Messages and hints go to the institution and are stored with the application: they never
contain personal data (names, ID numbers, new values of a name change). Parties are named by
position ("第2位抵押人"); ``field`` names the canonical path, with 0-based indices
("mortgagors[1].id_number" is the second mortgagor).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.StrEnum):
    REFUSE = "REFUSE"  # refused at intake; the one-time notice (一次性告知) lists every REFUSE finding
    REVIEW = "REVIEW"  # queued, shown to the reviewer; never approved automatically
    COMPLEX = "COMPLEX"  # queued as complex: deadline extended, the institution is told why
    INFO = "INFO"  # for the record, e.g. a material taken from file


@dataclass(frozen=True)
class Finding:
    """One thing pre-review found; ``hint`` (Chinese) tells the institution what to do."""

    code: str
    severity: Severity
    message_zh: str
    hint: str
    field: str | None


@dataclass(frozen=True)
class FindingKind:
    """A documented finding code: its fixed severity, a short title and the legal basis."""

    code: str
    severity: Severity
    title_zh: str
    basis_zh: str = ""

    def __call__(self, message_zh: str, hint: str, field: str | None = None) -> Finding:
        return Finding(self.code, self.severity, message_zh, hint, field)


KINDS: dict[str, FindingKind] = {}


def declare(code: str, severity: Severity, title_zh: str, basis_zh: str = "") -> FindingKind:
    """Declare a finding code once; a second declaration of the same code is a programming error."""
    if code in KINDS:
        raise ValueError(f"finding code {code} declared twice")
    kind = FindingKind(code, severity, title_zh, basis_zh)
    KINDS[code] = kind
    return kind
