"""Column types that seal on the way into the database and open on the way out.

Each takes its ``"<table>.<column>"`` as the associated data of every ciphertext, so a value copied
from one column to another is refused (tests/unit/gateway/test_protection.py checks that each
encrypted column names itself). No SQL can compare or search these columns: look people up through
a blind index column instead.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import LargeBinary, MetaData, Text
from sqlalchemy.types import TypeDecorator

from gateway.protection import cipher
from gateway.protection.registry import INSTALLED


class EncryptedText(TypeDecorator):
    """A string, stored as ``enc1:<key id>:<base64>`` text."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str):
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else cipher.seal_text(INSTALLED, value, self.context)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return None if value is None else cipher.open_text(INSTALLED, value, self.context)


class EncryptedBytes(TypeDecorator):
    """Bytes (signed documents, materials, certificates), stored with a magic prefix; they come back
    exactly as given."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, context: str):
        super().__init__()
        self.context = context

    def process_bind_param(self, value: bytes | None, dialect) -> bytes | None:
        return None if value is None else cipher.seal_bytes(INSTALLED, bytes(value), self.context)

    def process_result_value(self, value: bytes | None, dialect) -> bytes | None:
        return None if value is None else cipher.open_bytes(INSTALLED, bytes(value), self.context)


class EncryptedJSON(TypeDecorator):
    """A JSON document, sealed as text."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str):
        super().__init__()
        self.context = context

    def process_bind_param(self, value: Any, dialect) -> str | None:
        if value is None:
            return None
        return cipher.seal_text(INSTALLED, json.dumps(value, ensure_ascii=False, separators=(",", ":")), self.context)

    def process_result_value(self, value: str | None, dialect) -> Any:
        return None if value is None else json.loads(cipher.open_text(INSTALLED, value, self.context))


ENCRYPTED_TYPES = (EncryptedText, EncryptedBytes, EncryptedJSON)


def encrypted_columns(metadata: MetaData) -> list[tuple[str, str, str, bool]]:
    """(table, column, primary key column, binary?) of every encrypted column, in a stable order."""
    found = []
    for table in metadata.sorted_tables:
        primary = [c.name for c in table.primary_key.columns]
        for column in table.columns:
            if isinstance(column.type, ENCRYPTED_TYPES):
                assert len(primary) == 1, f"{table.name}: encrypted columns need a one-column primary key"
                found.append((table.name, column.name, primary[0], isinstance(column.type, EncryptedBytes)))
    return found
