"""Personal data encrypted at rest: AES-256-GCM per field, keys with ids, blind indexes for lookups.

docs/security.md ("Personal data at rest") describes the design and what it does not protect against.
"""
from gateway.protection.columns import EncryptedBytes, EncryptedJSON, EncryptedText
from gateway.protection.errors import InvalidKeyMaterial, UndecryptableData, UnknownDataKey
from gateway.protection.keyring import FileKeyProvider, KeyProvider, Keyring, StaticKeyProvider, load_keyring
from gateway.protection.registry import blind_index, install, install_for, keyring

__all__ = [
    "EncryptedBytes", "EncryptedJSON", "EncryptedText", "FileKeyProvider", "InvalidKeyMaterial", "KeyProvider",
    "Keyring", "StaticKeyProvider", "UndecryptableData", "UnknownDataKey", "blind_index", "install", "install_for",
    "keyring", "load_keyring",
]
