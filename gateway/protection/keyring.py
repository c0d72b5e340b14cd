"""Where the keys come from: a small provider interface, files or settings, and the process-wide keyring.

A :class:`KeyProvider` answers two questions — which key seals new data, and what key bytes a key id
stands for. :class:`FileKeyProvider` keeps one file per key in ``<data_dir>/keys/data-keys``;
:class:`StaticKeyProvider` takes them from ``GATEWAY_DATA_KEYS``. A hardware module or a KMS would
implement the same two methods (``key`` returning the data key it unwraps, or, for a module that never
releases keys, a provider whose :meth:`Keyring.aead` calls out to it). Key files may be wrapped with a
master key (RFC 3394 AES key wrap): the envelope a KMS would hold.

The blind-index key (HMAC-SHA-256 over normalised ID numbers) is separate and never rotated by
``gateway keys rotate``: every index would have to be recomputed with it.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from abc import ABC, abstractmethod
from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from gateway.protection.cipher import KEY_ID
from gateway.protection.errors import InvalidKeyMaterial, UnknownDataKey
from gateway.settings import Settings

log = logging.getLogger(__name__)

KEY_BYTES = 32  # AES-256, and the HMAC key's length
WRAPPED_BYTES = KEY_BYTES + 8  # RFC 3394 adds one 64-bit block
CURRENT_FILE = "current"


class KeyProvider(ABC):
    """The interface a key store implements (files, settings; later an HSM or a KMS)."""

    @abstractmethod
    def current_key_id(self) -> str:
        """The id of the key new ciphertexts are sealed under."""

    @abstractmethod
    def key(self, key_id: str) -> bytes:
        """The 32 key bytes under ``key_id``; :class:`UnknownDataKey` if there are none."""

    def key_ids(self) -> list[str]:
        """Every key id the provider holds (for ``gateway keys status``)."""
        return [self.current_key_id()]


class StaticKeyProvider(KeyProvider):
    """Keys given whole, newest (current) first: ``GATEWAY_DATA_KEYS=id1:base64key,id2:base64key``."""

    def __init__(self, keys: dict[str, bytes]):
        if not keys:
            raise InvalidKeyMaterial("no data keys given")
        self._keys = dict(keys)
        self._current = next(iter(self._keys))

    @classmethod
    def from_setting(cls, entries: list[str], master: bytes | None) -> StaticKeyProvider:
        keys: dict[str, bytes] = {}
        for position, entry in enumerate(entries, start=1):
            key_id, separator, encoded = entry.strip().partition(":")
            if not separator or not KEY_ID.match(key_id):
                raise InvalidKeyMaterial(f"GATEWAY_DATA_KEYS entry {position} is not <key id>:<base64 key> "
                                         "(key ids: letters, digits, '.', '_', '-', at most 40)")
            if key_id in keys:
                raise InvalidKeyMaterial(f"GATEWAY_DATA_KEYS names key id {key_id} twice")
            keys[key_id] = decode_key(encoded, master, source=f"GATEWAY_DATA_KEYS entry {position} ({key_id})")
        return cls(keys)

    def current_key_id(self) -> str:
        return self._current

    def key(self, key_id: str) -> bytes:
        try:
            return self._keys[key_id]
        except KeyError:
            raise UnknownDataKey(f"no data key with id {key_id} in GATEWAY_DATA_KEYS") from None

    def key_ids(self) -> list[str]:
        return list(self._keys)


class FileKeyProvider(KeyProvider):
    """One file per key, ``<key id>.key`` (base64 of the key, or of the key wrapped with the master key),
    and a file ``current`` naming the key that seals new data (without it: the greatest key id, and
    generated ids sort by creation time).

    The directory is read again when a ciphertext names a key id not seen yet (another process rotated)
    and, for the current key, every few seconds: a gateway that keeps serving during
    ``gateway keys rotate`` reads the rows moved to the new key and soon writes with it too.
    """

    RECHECK_SECONDS = 5.0

    def __init__(self, directory: Path, master: bytes | None = None):
        self.directory, self._master = directory, master
        self._lock = threading.Lock()
        self._state: tuple[dict[str, bytes], str | None] = ({}, None)
        self._checked = 0.0
        self._reload()

    def current_key_id(self) -> str:
        if time.monotonic() - self._checked > self.RECHECK_SECONDS:
            self._reload()
        current = self._state[1]
        if current is None:
            raise InvalidKeyMaterial(f"no data keys in {self.directory}")
        return current

    def key(self, key_id: str) -> bytes:
        keys = self._state[0]
        if key_id not in keys:
            self._reload()
            keys = self._state[0]
        try:
            return keys[key_id]
        except KeyError:
            raise UnknownDataKey(f"no data key with id {key_id} in {self.directory}") from None

    def key_ids(self) -> list[str]:
        return sorted(self._state[0])

    def add_key(self) -> str:
        """Generate a new key, write it and make it current; returns its id."""
        key_id = new_key_id()
        _write_new(self.directory / f"{key_id}.key", encode_key(secrets.token_bytes(KEY_BYTES), self._master))
        self._set_current(key_id)
        return key_id

    def ensure_one(self) -> None:
        """First start: generate the first key unless the directory holds one (or another process wins)."""
        if self._state[0]:
            return
        key_id = new_key_id()
        _write_new(self.directory / f"{key_id}.key", encode_key(secrets.token_bytes(KEY_BYTES), self._master))
        _write_new(self.directory / CURRENT_FILE, key_id.encode(), exist_ok=True)
        self._reload()
        log.info("generated the first data key %s in %s", key_id, self.directory)

    def _set_current(self, key_id: str) -> None:
        temporary = self.directory / f".{CURRENT_FILE}.{os.getpid()}.tmp"
        temporary.write_text(key_id)
        os.replace(temporary, self.directory / CURRENT_FILE)
        self._reload()

    def _reload(self) -> None:
        with self._lock:
            keys: dict[str, bytes] = {}
            if self.directory.is_dir():
                for path in sorted(self.directory.glob("*.key")):
                    if not KEY_ID.match(path.stem):
                        raise InvalidKeyMaterial(f"key file {path.name}: not a valid key id")
                    keys[path.stem] = decode_key(path.read_text(), self._master, source=f"key file {path.name}")
            current_path = self.directory / CURRENT_FILE
            current = current_path.read_text().strip() if current_path.exists() else max(keys, default=None)
            if current is not None and current not in keys:
                raise InvalidKeyMaterial(f"{current_path} names key {current}, which has no file")
            self._state, self._checked = (keys, current), time.monotonic()


class Keyring:
    """The data keys (through a provider) and the blind-index key, with one AESGCM object per key id."""

    def __init__(self, provider: KeyProvider, blind_index_key: bytes):
        if len(blind_index_key) != KEY_BYTES:
            raise InvalidKeyMaterial(f"the blind-index key must be {KEY_BYTES} bytes")
        self.provider = provider
        self._blind_index_key = blind_index_key
        self._aeads: dict[str, AESGCM] = {}

    def current_key_id(self) -> str:
        return self.provider.current_key_id()

    def aead(self, key_id: str) -> AESGCM:
        aead = self._aeads.get(key_id)
        if aead is None:
            aead = self._aeads[key_id] = AESGCM(self.provider.key(key_id))
        return aead

    def blind_index(self, value: str) -> str:
        """HMAC-SHA-256 (hex) of the normalised value: the same number, however typed, gives the same index."""
        return hmac.new(self._blind_index_key, normalise(value).encode("utf-8"), hashlib.sha256).hexdigest()


def normalise(value: str) -> str:
    """An ID number as compared everywhere (gateway.prereview.identifiers.identity_key): stripped, upper case."""
    return value.strip().upper()


def new_key_id() -> str:
    """``k<UTC yyyymmddHHMMSS>-<6 hex>``: unique, and sorting by id sorts by age."""
    return f"k{datetime.now(timezone.utc):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def encode_key(key: bytes, master: bytes | None) -> bytes:
    return base64.b64encode(aes_key_wrap(master, key) if master else key) + b"\n"


def decode_key(text: str, master: bytes | None, *, source: str) -> bytes:
    """32 key bytes from base64 text: the key itself, or (40 bytes) the key wrapped with the master key."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise InvalidKeyMaterial(f"{source}: not base64") from None
    if len(raw) == KEY_BYTES:
        return raw
    if len(raw) == WRAPPED_BYTES:
        if master is None:
            raise InvalidKeyMaterial(f"{source} is wrapped; set GATEWAY_MASTER_KEY_PATH to unwrap it")
        try:
            return aes_key_unwrap(master, raw)
        except InvalidUnwrap:
            raise InvalidKeyMaterial(f"{source} does not unwrap with the master key") from None
    raise InvalidKeyMaterial(f"{source}: a key is {KEY_BYTES} bytes (or {WRAPPED_BYTES} wrapped), not {len(raw)}")


def _write_new(path: Path, data: bytes, *, exist_ok: bool = False) -> None:
    """Write a file whole or not at all, never over an existing one (two processes starting at once)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    temporary.write_bytes(data)
    temporary.chmod(0o600)
    try:
        os.link(temporary, path)
    except FileExistsError:
        if not exist_ok:
            raise
    finally:
        temporary.unlink()


def data_keys_dir(settings: Settings) -> Path:
    return settings.data_keys_dir or settings.data_dir / "keys" / "data-keys"


def blind_index_key_path(settings: Settings) -> Path:
    return settings.blind_index_key_path or settings.data_dir / "keys" / "blind-index.key"


def load_master_key(settings: Settings) -> bytes | None:
    if settings.master_key_path is None:
        return None
    if not settings.master_key_path.exists():
        raise InvalidKeyMaterial(f"master key file missing ({settings.master_key_path})")
    master = decode_key(settings.master_key_path.read_text(), None, source="the master key file")
    return master


def load_keyring(settings: Settings) -> Keyring:
    """The keyring the settings describe; with no keys configured, generated into the data directory
    on first start (like the staff token secret). Every process of one gateway must see the same keys."""
    master = load_master_key(settings)
    provider: KeyProvider
    if settings.data_keys:
        provider = StaticKeyProvider.from_setting(settings.data_keys, master)
    else:
        provider = FileKeyProvider(data_keys_dir(settings), master)
        provider.ensure_one()
    return Keyring(provider, _blind_index_key(settings, master))


def _blind_index_key(settings: Settings, master: bytes | None) -> bytes:
    if settings.blind_index_key:
        return decode_key(settings.blind_index_key, master, source="GATEWAY_BLIND_INDEX_KEY")
    path = blind_index_key_path(settings)
    if not path.exists():
        _write_new(path, encode_key(secrets.token_bytes(KEY_BYTES), master), exist_ok=True)
    return decode_key(path.read_text(), master, source=f"blind-index key file {path.name}")


def copy_keys(source_data_dir: Path, target_data_dir: Path) -> None:
    """Copy the data keys and the blind-index key of one data directory into another: a database moved
    or copied without them can no longer be read (backups: docs/operations.md)."""
    import shutil

    source, target = source_data_dir / "keys", target_data_dir / "keys"
    target.mkdir(parents=True, exist_ok=True)
    if (source / "data-keys").is_dir():
        shutil.copytree(source / "data-keys", target / "data-keys", dirs_exist_ok=True)
    if (source / "blind-index.key").exists():
        shutil.copy2(source / "blind-index.key", target / "blind-index.key")
