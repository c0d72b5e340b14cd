"""Inbound formats: one small module per format, each turning bytes into the canonical application.

No database, no web framework here.
"""
from bank_adapters.canonical import (
    CanonicalApplication,
    IdType,
    MaterialRef,
    Mortgagee,
    Party,
    RegistrationType,
)

__all__ = [
    "CanonicalApplication",
    "IdType",
    "MaterialRef",
    "Mortgagee",
    "Party",
    "RegistrationType",
]
