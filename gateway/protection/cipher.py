"""The ciphertext formats: AES-256-GCM with the key id in clear and the column as associated data.

Binary columns hold ``MAGIC | len(key id) | key id | nonce (12) | ciphertext+tag``; text columns hold
``enc1:<key id>:<base64(nonce | ciphertext+tag)>``. The key id is readable without any key, so that
``gateway keys status`` counts rows per key and ``gateway keys rotate`` skips rows already on the
current key by reading a few bytes. The associated data is ``<table>.<column>``: a ciphertext copied
into another column does not open there.
"""
from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from typing import Protocol

from cryptography.exceptions import InvalidTag

from gateway.protection.errors import UndecryptableData, UnknownDataKey

log = logging.getLogger(__name__)
MAGIC = b"\x00GWE1"
TEXT_PREFIX = "enc1:"
NONCE_BYTES = 12
KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
# Enough of a stored value to read its key id: the prefix, one length byte and the longest key id.
HEAD_LENGTH = len(MAGIC) + 1 + 40


class Sealer(Protocol):
    """What the cipher needs of a keyring (gateway.protection.keyring.Keyring)."""

    def current_key_id(self) -> str: ...

    def aead(self, key_id: str): ...


def seal_bytes(keyring: Sealer, plaintext: bytes, context: str) -> bytes:
    key_id = keyring.current_key_id()
    nonce = os.urandom(NONCE_BYTES)
    sealed = keyring.aead(key_id).encrypt(nonce, plaintext, context.encode())
    encoded = key_id.encode("ascii")
    return MAGIC + bytes([len(encoded)]) + encoded + nonce + sealed


def open_bytes(keyring: Sealer, stored: bytes, context: str) -> bytes:
    key_id, body = _split_binary(stored, context)
    return _open(keyring, key_id, body, context)


def seal_text(keyring: Sealer, plaintext: str, context: str) -> str:
    key_id = keyring.current_key_id()
    nonce = os.urandom(NONCE_BYTES)
    sealed = keyring.aead(key_id).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    return f"{TEXT_PREFIX}{key_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def open_text(keyring: Sealer, stored: str, context: str) -> str:
    key_id, body = _split_text(stored, context)
    try:
        return _open(keyring, key_id, body, context).decode("utf-8")
    except UnicodeDecodeError:  # authenticated, so only a value sealed as bytes into a text column
        raise _refused(f"{context}: the value is not text") from None


def key_id_of(stored: bytes | str | None) -> str | None:
    """The key id a stored value (or the head of one, see HEAD_LENGTH) was sealed under; None if it
    is not one of our ciphertexts (a plaintext row, or NULL)."""
    if isinstance(stored, str):
        if not stored.startswith(TEXT_PREFIX):
            return None
        key_id, _, _ = stored[len(TEXT_PREFIX):].partition(":")
        return key_id if KEY_ID.match(key_id) else None
    if isinstance(stored, (bytes, bytearray, memoryview)):
        stored = bytes(stored)
        if not stored.startswith(MAGIC) or len(stored) <= len(MAGIC):
            return None
        length = stored[len(MAGIC)]
        key_id = stored[len(MAGIC) + 1:len(MAGIC) + 1 + length].decode("ascii", "replace")
        return key_id if KEY_ID.match(key_id) and len(key_id) == length else None
    return None


def _split_binary(stored: bytes, context: str) -> tuple[str, bytes]:
    stored = bytes(stored)
    key_id = key_id_of(stored)
    if key_id is None:
        raise _refused(f"{context}: the stored value is not a ciphertext")
    return key_id, stored[len(MAGIC) + 1 + len(key_id):]


def _split_text(stored: str, context: str) -> tuple[str, bytes]:
    key_id = key_id_of(stored)
    if key_id is None:
        raise _refused(f"{context}: the stored value is not a ciphertext")
    try:
        body = base64.b64decode(stored[len(TEXT_PREFIX) + len(key_id) + 1:], validate=True)
    except binascii.Error:
        raise _refused(f"{context}: the stored ciphertext is not valid base64") from None
    return key_id, body


def _open(keyring: Sealer, key_id: str, body: bytes, context: str) -> bytes:
    try:
        aead = keyring.aead(key_id)
    except UnknownDataKey as refusal:  # a key id the keyring does not hold
        log.error("stored value refused: %s: %s", context, refusal.detail)
        raise
    if len(body) < NONCE_BYTES + 16:
        raise _refused(f"{context}: the stored ciphertext is truncated")
    try:
        return aead.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], context.encode())
    except InvalidTag:
        raise _refused(
            f"{context}: the ciphertext under key {key_id} failed authentication (altered, copied from "
            "another column, or the key file under this id was replaced)") from None


def _refused(detail: str) -> UndecryptableData:
    """The refusal, logged at ERROR: a value that does not open means the database or the keys were
    tampered with or mixed up, which an operator must see (the detail names no value)."""
    log.error("stored value refused: %s", detail)
    return UndecryptableData(detail)
