"""TOTP (RFC 6238) second factor and one-time recovery codes: pure functions, no database.

A code is accepted in its own 30-second step or the one before or after (``VALID_WINDOW``), and
each step at most once: the caller stores the step of the last accepted code and refuses the same
or an older one, so a code seen over someone's shoulder cannot be replayed. A code that would be
right a few minutes earlier or later is told apart from a wrong one, because a device whose clock
is off needs a different fix than a mistyped code.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno

from gateway.errors import NotAuthenticated

ISSUER = "平罗县不动产登记中心"
VALID_WINDOW = 1  # steps either side of now
CLOCK_HINT_WINDOW = 10  # steps either side within which a matching code means "check the clock"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, RFC 4226's recommended length


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The provisioning URI as a QR code in an SVG ``data:`` URI (the pages' CSP allows ``img-src data:``)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def formatted_secret(secret: str) -> str:
    """The secret in groups of four, for typing into an authenticator by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, code: str, *, now: datetime, last_step: int | None) -> int:
    """The time step ``code`` belongs to, if it may be accepted now; else the reason it may not."""
    code = "".join(code.split())
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    if len(code) == totp.digits and code.isdigit():
        for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                if last_step is not None and step <= last_step:
                    raise NotAuthenticated("this code was already used; wait for the next one", code="auth.totp_reused")
                return step
        for offset in range(VALID_WINDOW + 1, CLOCK_HINT_WINDOW + 1):
            if any(hmac.compare_digest(totp.generate_otp(current + sign * offset), code) for sign in (-1, 1)):
                raise NotAuthenticated("the code belongs to another time; check the clock of the device",
                                       code="auth.totp_wrong_time")
    raise NotAuthenticated("the authentication code is wrong", code="auth.totp_invalid")


def new_recovery_codes() -> list[str]:
    """Ten codes like ``k7xq-m2pd-9fha``: 60 bits each, shown once and stored only as hashes."""
    def one() -> str:
        letters = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        return "-".join(letters[i:i + 4] for i in range(0, 12, 4))

    return [one() for _ in range(RECOVERY_CODES)]


def recovery_digest(code: str) -> str:
    """SHA-256 of a recovery code as typed, ignoring case, spaces and hyphens."""
    normalised = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()
