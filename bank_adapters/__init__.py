"""Inbound formats: one small module per format, each turning bytes into the canonical application.

No database, no web framework here.
"""
from bank_adapters.base import InboundAdapter
from bank_adapters.canonical import (
    CanonicalApplication,
    ChangeField,
    ChangeItem,
    DischargeReason,
    IdType,
    LinkRef,
    MaterialRef,
    Mortgagee,
    Party,
    RegistrationType,
    SpecialCircumstance,
)
from bank_adapters.errors import AdapterError, SchemaInvalid, SchemaViolation, UnsupportedDocument
from bank_adapters.xml_v1 import XmlApplicationAdapter

__all__ = [
    "AdapterError",
    "CanonicalApplication",
    "ChangeField",
    "ChangeItem",
    "DischargeReason",
    "IdType",
    "InboundAdapter",
    "LinkRef",
    "MaterialRef",
    "Mortgagee",
    "Party",
    "RegistrationType",
    "SchemaInvalid",
    "SchemaViolation",
    "SpecialCircumstance",
    "UnsupportedDocument",
    "XmlApplicationAdapter",
]
