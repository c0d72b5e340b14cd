"""Authenticating an institution's HTTP request by its registered key (RFC 9421 signatures)."""
from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gateway.errors import NotAuthenticated
from gateway.institutions.service import refuse_if_disabled
from gateway.persistence.models import Institution, InstitutionCertificate
from signing.errors import SigningError, UnknownKey
from signing.httpsig import announced_signature, verify_request
from signing.trust import TrustStore, certificate_fingerprint, load_pem_certificates

# A certificate's chain check is repeated at least this often, and never past its notAfter.
VALIDATION_TTL = timedelta(seconds=60)


@dataclass(frozen=True)
class _CheckedKey:
    trust: TrustStore
    public_key: object
    not_before: datetime
    good_until: datetime


class _KeyCache:
    """Parsed, chain-checked public keys by fingerprint; revocation is still read per request."""

    def __init__(self, size: int = 1024):
        self._entries: dict[str, _CheckedKey] = {}
        self._size = size
        self._lock = threading.Lock()

    def public_key(self, fingerprint: str, pem: Callable[[], str], trust: TrustStore, now: datetime):
        """The certificate's key; ``pem`` is asked for (read from the database) only to parse and check
        it again. The fingerprint is the certificate's SHA-256, so a cached entry is that very certificate."""
        entry = self._entries.get(fingerprint)
        if entry and entry.trust is trust and entry.not_before <= now < entry.good_until:
            return entry.public_key
        text = pem()
        certificate = load_pem_certificates(text.encode())[0]
        if certificate_fingerprint(certificate) != fingerprint:  # a row altered behind the gateway's back
            raise UnknownKey("the registered certificate does not match its key id")
        trust.validate(certificate, at=now)  # raises: expired, not yet valid, untrusted
        entry = _CheckedKey(trust, certificate.public_key(), certificate.not_valid_before_utc,
                            min(certificate.not_valid_after_utc, now + VALIDATION_TTL))
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.clear()
            self._entries[fingerprint] = entry
        return entry.public_key


KEYS = _KeyCache()


def authenticate_institution(
    session: Session,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    max_age_seconds: int,
    now: datetime,
    trust: TrustStore,
) -> Institution:
    """The institution owning the key that signed the request; keyid is the cert's SHA-256.

    The certificate must be registered, unrevoked, valid now and chain to a trust anchor —
    the same conditions as for a signed document. The registration and revocation are read
    on every request; only the parsing and chain check of the certificate are cached.
    """
    owners: dict[str, Institution] = {}

    def resolve_key(key_id: str):
        owner = _current_owner(session, key_id)
        if owner is None:
            raise UnknownKey("no current registered certificate has this key id")
        owners[key_id] = owner
        return KEYS.public_key(key_id, lambda: _pem_of(session, key_id), trust, now)

    try:
        verified = verify_request(
            method=method, url=url, headers=headers, body=body,
            resolve_key=resolve_key, max_age_seconds=max_age_seconds, now=now,
        )
    except SigningError as exc:
        raise NotAuthenticated(str(exc), code=exc.code) from None
    refuse_if_disabled(session, owners[verified.key_id])  # read per request, like the revocation
    return owners[verified.key_id]


def precheck_signature_headers(
    session: Session, *, headers: Mapping[str, str] | Iterable[tuple[str, str]], max_age_seconds: int, now: datetime
) -> None:
    """Refuse, before a large body is read, a request whose signature cannot possibly pass:
    no signature, a stale or future ``created``, or a key id no current certificate has."""
    try:
        announced = announced_signature(headers, max_age_seconds=max_age_seconds, now=now)
    except SigningError as exc:
        raise NotAuthenticated(str(exc), code=exc.code) from None
    if _current_owner(session, announced.key_id) is None:
        raise NotAuthenticated("no current registered certificate has this key id", code=UnknownKey.code)


def _current_owner(session: Session, fingerprint: str) -> Institution | None:
    """The institution a current (registered, unrevoked) certificate with this fingerprint belongs to:
    read on every request, so a revocation counts from the next one, in every process."""
    return session.scalar(_current_owner_statement(), {"fingerprint": fingerprint})


@functools.cache
def _current_owner_statement():
    # Built once: constructing a statement costs about as much as running it on SQLite.
    return (select(Institution)
            .join(InstitutionCertificate, InstitutionCertificate.institution_id == Institution.id)
            .where(InstitutionCertificate.fingerprint == bindparam("fingerprint"),
                   InstitutionCertificate.revoked_at.is_(None)))


def _pem_of(session: Session, fingerprint: str) -> str:
    return session.scalar(select(InstitutionCertificate.pem).where(InstitutionCertificate.fingerprint == fingerprint))
