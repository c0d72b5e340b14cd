"""One use per signature: a captured HTTP-signed request that changes something cannot be replayed.

An RFC 9421 signature is accepted for ``http_signature_max_age_seconds`` after its ``created``;
within that time anyone who saw a signed request could send it again. So the signature of every
HTTP-signed request whose method is not idempotent (POST, PATCH, DELETE) is written into
``signature_uses`` in the request's own transaction, under a unique key: it is used up only if
the request commits (a refused request leaves it usable), every API process sees it because it is
in the database, and of two copies racing each other the database lets exactly one commit — the
other is refused with 409 ``signature.replayed``. Reads, and uploads by ``PUT``, are idempotent
by design (an upload is addressed by its SHA-256) and may be repeated as they are.

A row is kept until its signature could no longer be accepted anyway, then the sweep forgets it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.errors import GatewayError
from gateway.persistence.db import read_only, transaction
from gateway.persistence.models import Institution, SignatureUse
from gateway.persistence.types import utcnow
from gateway.tasks.registry import periodic
from signing.httpsig import announced_signature, signature_replay_key

if TYPE_CHECKING:
    from gateway.runtime import Runtime

ONCE_ONLY_METHODS = frozenset({"POST", "PATCH", "DELETE"})


class SignatureReplayed(GatewayError):
    code = "signature.replayed"
    title = "This signed request was already received; sign each request afresh"
    kind = "conflict"


def is_once_only(method: str) -> bool:
    """Whether a signed request with this method may be received only once."""
    return method.upper() in ONCE_ONLY_METHODS


def use_signature(
    session: Session,
    *,
    institution: Institution,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    max_age_seconds: int,
    now: datetime,
) -> None:
    """Record the (already verified) signature as used, in the caller's transaction.

    :raises SignatureReplayed: the signature was used by a request that committed, or is being
        used by one that commits first.
    """
    pairs = list(headers.items() if hasattr(headers, "items") else headers)
    created = announced_signature(pairs, max_age_seconds=max_age_seconds, now=now).created
    session.add(SignatureUse(signature_sha256=signature_replay_key(pairs), institution_id=institution.id,
                             expires_at=created + timedelta(seconds=max_age_seconds)))
    try:
        session.flush()
    except IntegrityError:
        raise SignatureReplayed("this signature was already used; a request must be signed afresh") from None


@periodic("institutions.forget_used_signatures")
def forget_used_signatures(runtime: Runtime) -> None:
    """Delete the signatures that are past their lifetime: they are refused as stale anyway."""
    expired = SignatureUse.expires_at < utcnow()
    # Look first without a write lock: most sweeps find nothing to delete.
    with read_only(runtime.read_sessions) as session:
        if session.scalar(select(SignatureUse.id).where(expired).limit(1)) is None:
            return
    with transaction(runtime.sessions) as session:
        session.execute(delete(SignatureUse).where(expired))
