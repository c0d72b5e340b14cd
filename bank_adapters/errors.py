"""Errors raised by the inbound adapters, each with a stable code the gateway maps to a response.

Messages never repeat values from the document: they may hold names and ID numbers.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar


class AdapterError(Exception):
    """Base of every error an inbound adapter raises."""

    code: ClassVar[str] = "adapter.error"


@dataclass(frozen=True)
class SchemaViolation:
    """One way a document breaks the schema: where (an element path) and which rule, never the value.

    `path` looks like ``/MortgageApplication/Mortgagors/Party[1]/IdNumber``; repeatable elements
    always carry their 1-based position.
    """

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class SchemaInvalid(AdapterError, ValueError):
    """The document does not match the format's schema; `violations` lists every problem found."""

    code: ClassVar[str] = "xml.schema_invalid"

    def __init__(self, violations: Iterable[SchemaViolation]) -> None:
        self.violations: tuple[SchemaViolation, ...] = tuple(violations)
        listed = "; ".join(str(violation) for violation in self.violations)
        super().__init__(f"the document does not match the schema: {listed}")


class UnsupportedDocument(AdapterError, ValueError):
    """The document is not one this adapter reads (wrong root element or namespace)."""

    code: ClassVar[str] = "xml.unsupported_document"
