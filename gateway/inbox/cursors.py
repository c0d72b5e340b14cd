"""Inbox cursors: opaque, authenticated, bound to one institution.

A cursor names a position in an institution's inbox (the sequence of the last entry seen). It is
24 bytes, base64url without padding: the sequence (8 bytes, big-endian) and the first 16 bytes of
HMAC-SHA256 over ``inbox-cursor/1``, the institution's id and the sequence. A cursor made for one
institution is therefore refused for any other, and a changed or invented one is refused too.

Keys as a list (itsdangerous style): the newest makes cursors, every listed key is accepted, so a
secret can be rotated without invalidating the cursors banks hold. The secrets come from
``inbox_cursor_secrets``; when that is empty, from ``data_dir/keys/inbox-cursor-secret``, generated
once (atomically, so API processes sharing a data directory all read the same secret).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import struct
import threading
from pathlib import Path

from gateway.errors import GatewayError
from gateway.settings import Settings

LABEL = b"inbox-cursor/1"
MAC_BYTES = 16
MAX_CURSOR_CHARS = 64  # a real cursor has 32
SECRET_FILE = "inbox-cursor-secret"


class InboxCursorInvalid(GatewayError):
    code = "inbox.cursor_invalid"
    title = "The inbox cursor is not one this gateway gave to this institution"
    kind = "bad_request"


class CursorKeys:
    """The keys: ``keys[0]`` makes cursors, all of them are accepted."""

    def __init__(self, secrets_newest_first: tuple[bytes, ...]):
        if not secrets_newest_first:
            raise ValueError("at least one inbox cursor secret is needed")
        self._keys = tuple(hmac.new(s, LABEL, hashlib.sha256).digest() for s in secrets_newest_first)

    def make(self, institution_id: int, sequence: int) -> str:
        """The cursor for ``sequence`` (0: before the first entry) of the institution's inbox."""
        packed = struct.pack(">Q", sequence)
        token = packed + self._mac(self._keys[0], institution_id, packed)
        return base64.urlsafe_b64encode(token).rstrip(b"=").decode("ascii")

    def read(self, institution_id: int, cursor: str) -> int:
        """The sequence ``cursor`` names, or :class:`InboxCursorInvalid`."""
        token = _decode(cursor)
        packed, mac = token[:8], token[8:]
        if not any(hmac.compare_digest(mac, self._mac(key, institution_id, packed)) for key in self._keys):
            raise InboxCursorInvalid("the cursor was not issued to this institution, or was changed")
        return struct.unpack(">Q", packed)[0]

    @staticmethod
    def _mac(key: bytes, institution_id: int, packed: bytes) -> bytes:
        message = LABEL + b"\0" + str(institution_id).encode("ascii") + b"\0" + packed
        return hmac.new(key, message, hashlib.sha256).digest()[:MAC_BYTES]


def _decode(cursor: str) -> bytes:
    if not cursor or len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii():
        raise InboxCursorInvalid("the cursor is not well-formed")
    try:
        token = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise InboxCursorInvalid("the cursor is not well-formed") from None
    if len(token) != 8 + MAC_BYTES:
        raise InboxCursorInvalid("the cursor is not well-formed")
    return token


_loaded: dict[tuple, CursorKeys] = {}
_loading = threading.Lock()


def cursor_keys(settings: Settings) -> CursorKeys:
    """The cursor keys of this deployment (configured, or the generated secret file)."""
    configured = tuple(settings.inbox_cursor_secrets)
    cache_key = (configured, str(settings.data_dir))
    with _loading:
        keys = _loaded.get(cache_key)
        if keys is None:
            if configured:
                keys = CursorKeys(tuple(s.encode("utf-8") for s in configured))
            else:
                keys = CursorKeys((_secret_file(settings.data_dir / "keys" / SECRET_FILE),))
            _loaded[cache_key] = keys
        return keys


def _secret_file(path: Path) -> bytes:
    """The secret in ``path``, creating it first when missing. The file is written in full under a
    temporary name and then linked into place, so no process ever reads a half-written secret, and
    when two processes start at once the first link wins and both read the winner's secret."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process made it first: use theirs
        finally:
            temporary.unlink(missing_ok=True)
    secret = path.read_text(encoding="ascii").strip()
    if not secret:
        raise ValueError(f"{path} is empty")
    return secret.encode("ascii")
