"""The process-wide keyring the column types seal and open with, installed by the Runtime.

Models stay declarative: a column type cannot be handed a keyring, so it asks this module. A process
that builds no Runtime (a script) gets the keyring its environment's settings describe on first use.
Keyrings installed earlier in the same process (tests build one runtime after another) still open what
they sealed; new data is always sealed under the keyring installed last.
"""
from __future__ import annotations

import threading

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.protection.errors import UnknownDataKey
from gateway.protection.keyring import Keyring, load_keyring
from gateway.settings import Settings

_EARLIER_KEPT = 8


class _Installed:
    def __init__(self) -> None:
        self.keyring: Keyring | None = None
        self.earlier: list[Keyring] = []
        self.lock = threading.Lock()

    def get(self) -> Keyring:
        keyring = self.keyring
        if keyring is None:
            from gateway.settings import get_settings

            keyring = install(load_keyring(get_settings()))
        return keyring

    # The cipher's Sealer protocol, over the installed keyrings.
    def current_key_id(self) -> str:
        return self.get().current_key_id()

    def aead(self, key_id: str) -> AESGCM:
        keyring = self.get()
        try:
            return keyring.aead(key_id)
        except UnknownDataKey:
            for earlier in reversed(self.earlier):
                try:
                    return earlier.aead(key_id)
                except UnknownDataKey:
                    continue
            raise


INSTALLED = _Installed()


def install(keyring: Keyring) -> Keyring:
    """Make ``keyring`` the one new data is sealed with and indexes are computed with."""
    with INSTALLED.lock:
        previous = INSTALLED.keyring
        if previous is not None and previous is not keyring:
            INSTALLED.earlier = [k for k in INSTALLED.earlier if k is not keyring][-(_EARLIER_KEPT - 1):] + [previous]
        INSTALLED.keyring = keyring
    return keyring


def install_for(settings: Settings) -> Keyring:
    """Load the keyring ``settings`` describe and install it (Runtime.from_settings calls this)."""
    return install(load_keyring(settings))


def keyring() -> Keyring:
    """The installed keyring."""
    return INSTALLED.get()


def blind_index(value: str) -> str:
    """The keyed blind index (hex HMAC-SHA-256) of an ID number, as stored in ``*_index`` columns and
    ``identities_on_file``: look a person up by it, never by the plaintext number."""
    return INSTALLED.get().blind_index(value)
