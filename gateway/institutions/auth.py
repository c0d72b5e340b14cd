"""Authenticating an institution's HTTP request by its registered key (RFC 9421 signatures)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.errors import NotAuthenticated
from gateway.institutions.service import current_certificate
from gateway.persistence.models import Institution
from signing.errors import SigningError, UnknownKey
from signing.httpsig import verify_request
from signing.trust import TrustStore, load_pem_certificates


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
    the same conditions as for a signed document.
    """
    owners: dict[str, Institution] = {}

    def resolve_key(key_id: str):
        record = current_certificate(session, key_id)
        if record is None:
            raise UnknownKey("no current registered certificate has this key id")
        certificate = load_pem_certificates(record.pem.encode())[0]
        trust.validate(certificate, at=now)
        owners[key_id] = record.institution
        return certificate.public_key()

    try:
        verified = verify_request(
            method=method, url=url, headers=headers, body=body,
            resolve_key=resolve_key, max_age_seconds=max_age_seconds, now=now,
        )
    except SigningError as exc:
        raise NotAuthenticated(str(exc), code=exc.code) from None
    return owners[verified.key_id]
