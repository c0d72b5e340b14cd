"""Signed checkpoints: the chain's last number and hash, signed with the gateway key.

The signed text is ASCII, one field a line (:func:`checkpoint_text`)::

    gateway-audit-checkpoint/1
    seq=<last entry's number>
    hash=<its entry_hash>
    at=<UTC ISO 8601, microseconds>

signed with the gateway's key: RSA PKCS#1 v1.5 or ECDSA, SHA-256 (by the key's type). The signer's
certificate is kept with the checkpoint, so a checkpoint stays verifiable after the key is rotated;
verification also requires that certificate to be the gateway's current one or issued by a trust
anchor. Where ``GATEWAY_TIMESTAMP_URL`` is set, an RFC 3161 time-stamp token over the SHA-256 of the
signature is kept as well: it proves the checkpoint existed at that time. The time-stamp request is
made with no database transaction open.
"""
from __future__ import annotations

import asyncio
import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.audit.models import AuditCheckpoint, AuditEntry
from gateway.errors import ConfigurationError
from gateway.persistence.db import read_only, transaction
from gateway.persistence.types import utcnow
from gateway.tasks.registry import periodic

TIMESTAMP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class ChainState:
    seq: int
    entry_hash: str


def checkpoint_text(seq: int, entry_hash: str, at: datetime) -> bytes:
    """The exact bytes a checkpoint's signature covers."""
    at_text = at.astimezone(timezone.utc).isoformat(timespec="microseconds")
    return f"gateway-audit-checkpoint/1\nseq={seq}\nhash={entry_hash}\nat={at_text}\n".encode("ascii")


def sign_text(key, text: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(text, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(text, ec.ECDSA(hashes.SHA256()))
    raise ConfigurationError("the gateway key is neither RSA nor EC: audit checkpoints cannot be signed")


def signature_holds(certificate: x509.Certificate, signature: bytes, text: bytes) -> bool:
    public_key = certificate.public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, text, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, text, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def last_entry(session: Session) -> ChainState | None:
    row = session.execute(select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    return ChainState(row.seq, row.entry_hash) if row else None


def last_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc(), AuditCheckpoint.id.desc()).limit(1))


def make_checkpoint(runtime, *, at: datetime | None = None) -> AuditCheckpoint | None:
    """Sign the chain's current end (None: no entries, or nothing new since the last checkpoint)."""
    with read_only(runtime.read_sessions) as session:
        state, previous = last_entry(session), last_checkpoint(session)
    if state is None or (previous is not None and previous.seq >= state.seq):
        return None
    at = at or utcnow()
    signer = runtime.signer
    signature = sign_text(signer.key, checkpoint_text(state.seq, state.entry_hash, at))
    token = _timestamp(runtime.settings.timestamp_url, signature)  # network: no transaction open
    checkpoint = AuditCheckpoint(
        seq=state.seq, entry_hash=state.entry_hash, at=at, signature=signature, timestamp_token=token,
        certificate_pem=signer.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
    )
    with transaction(runtime.sessions) as session:
        session.add(checkpoint)
    return checkpoint


def checkpoint_due(runtime, *, now: datetime | None = None) -> bool:
    """Every ``audit_checkpoint_entries`` entries, or ``audit_checkpoint_minutes`` after the last one."""
    settings = runtime.settings
    now = now or utcnow()
    with read_only(runtime.read_sessions) as session:
        newest = session.scalar(select(func.max(AuditEntry.seq))) or 0
        previous = last_checkpoint(session)
    if newest == 0 or (previous is not None and previous.seq >= newest):
        return False
    if previous is None:
        return True
    return (newest - previous.seq >= settings.audit_checkpoint_entries
            or now - previous.at >= timedelta(minutes=settings.audit_checkpoint_minutes))


@periodic("audit.checkpoint")
def checkpoint_sweep(runtime) -> None:
    """The periodic sweep: a checkpoint when one is due."""
    if checkpoint_due(runtime):
        make_checkpoint(runtime)


def _timestamp(url: str | None, signature: bytes) -> bytes | None:
    if not url:
        return None
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

    stamper = RequestsHTTPTimeStamper(url, timeout=TIMESTAMP_TIMEOUT_SECONDS)
    digest = hashlib.sha256(signature).digest()

    def request() -> bytes:
        return asyncio.run(stamper.async_timestamp(digest, "sha256")).dump()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return request()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(request).result()


def timestamp_matches(token: bytes, signature: bytes) -> bool:
    """The token's message imprint is the SHA-256 of the signature (the TSA's own signature is
    checked by whoever trusts that TSA; see docs/security.md)."""
    from asn1crypto import cms, tsp

    try:
        content = cms.ContentInfo.load(token)
        info = tsp.TSTInfo.load(content["content"]["encap_content_info"]["content"].parsed.dump())
        imprint = info["message_imprint"]
        return (imprint["hash_algorithm"]["algorithm"].native == "sha256"
                and imprint["hashed_message"].native == hashlib.sha256(signature).digest())
    except Exception:  # a malformed token is a failed check, not a crash
        return False
