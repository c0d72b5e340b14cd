"""Refusals of the field encryption: a ciphertext that cannot be opened, key material that is wrong.

Details name tables, columns and key ids, never a value: they end up in logs.
"""
from __future__ import annotations

from gateway.errors import ConfigurationError, GatewayError


class UndecryptableData(GatewayError):
    """A stored ciphertext failed authentication (a flipped bit, a value copied from another column,
    the wrong key under a known id) or is not a ciphertext at all: refused, never returned as data."""

    code = "data.undecryptable"
    title = "Stored data failed its integrity check and was not returned"
    kind = "unavailable"


class UnknownDataKey(GatewayError):
    """A ciphertext names a key id the keyring does not hold (a key file missing, or a key from another
    gateway): the data is refused, not guessed at."""

    code = "data.unknown_key"
    title = "Stored data is encrypted under a key this gateway does not hold"
    kind = "unavailable"


class InvalidKeyMaterial(ConfigurationError):
    """A data key, blind-index key or master key (file or setting) is not what the gateway expects."""

    code = "keys.invalid"
    title = "Key material for the encryption of personal data is invalid"
