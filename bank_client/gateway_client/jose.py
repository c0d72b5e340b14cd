"""JWS (RFC 7515, RFC 7797) for the JSON channel (docs/interface/json-channel.md): signing the bank's
JSON applications, compact or detached, and verifying the gateway's JWS documents against the
pinned certificate. Algorithms: RS256, PS256, ES256 only."""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from .errors import ClientError, VerificationFailed
from .keys import fingerprint

ALLOWED = ("RS256", "PS256", "ES256")
MAX_HEADER_BYTES = 16 * 1024  # the gateway's header carries its certificate chain (x5c)
MAX_PAYLOAD_BYTES = 8 * 1024 * 1024


def _registry(alg: str) -> jws.JWSRegistry:
    """One algorithm only, with room for an x5c chain and a large application."""
    registry = jws.JWSRegistry(algorithms=[alg])
    registry.max_header_length = MAX_HEADER_BYTES
    registry.max_payload_length = MAX_PAYLOAD_BYTES
    return registry


def _jwk(key):
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return RSAKey.import_key(key)
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return ECKey.import_key(key)
    raise ClientError("JWS keys must be RSA or EC P-256")


def algorithm_for(key, preferred: str | None = None) -> str:
    """PS256 for RSA (or RS256 when asked), ES256 for P-256."""
    public = key.public_key() if hasattr(key, "public_key") else key
    if isinstance(public, ec.EllipticCurvePublicKey):
        return "ES256"
    return preferred if preferred in ("RS256", "PS256") else "PS256"


def sign_compact(payload: bytes, *, key, certificate: x509.Certificate, algorithm: str | None = None) -> bytes:
    """A JWS compact serialization of ``payload`` with ``kid`` = the certificate's SHA-256."""
    alg = algorithm_for(key, algorithm)
    header = {"alg": alg, "kid": fingerprint(certificate), "typ": "mortgage-application+jws"}
    return jws.serialize_compact(header, payload, _jwk(key), registry=_registry(alg)).encode("ascii")


def sign_detached(body: bytes, *, key, certificate: x509.Certificate, algorithm: str | None = None) -> str:
    """The ``JWS-Signature`` header value for ``body``: ``<protected>..<signature>`` with an unencoded
    payload (RFC 7797: ``"b64": false``, ``"crit": ["b64"]``) whose signing input is the exact body."""
    alg = algorithm_for(key, algorithm)
    header = {"alg": alg, "kid": fingerprint(certificate), "b64": False, "crit": ["b64"]}
    token = jws.serialize_compact(header, body, _jwk(key), registry=_registry(alg))
    protected, _, signature = token.split(".")
    return f"{protected}..{signature}"


@dataclass(frozen=True)
class VerifiedJws:
    header: dict
    payload: bytes
    certificate: x509.Certificate


def verify_gateway_jws(token: bytes | str, *, pinned: list[x509.Certificate]) -> VerifiedJws:
    """Verify a compact JWS the gateway signed: an allowed ``alg``, no unknown ``crit``, a ``kid``
    (or ``x5c`` leaf) naming a pinned certificate, and the signature by its key.

    :raises VerificationFailed: anything wrong.
    """
    text = token.decode("ascii", "replace") if isinstance(token, bytes) else token
    text = text.strip()
    parts = text.split(".")
    if len(parts) != 3 or not parts[1]:
        raise VerificationFailed("not a JWS compact serialization with an attached payload")
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, binascii.Error):
        raise VerificationFailed("the JWS protected header cannot be read") from None
    if not isinstance(header, dict) or header.get("alg") not in ALLOWED:
        raise VerificationFailed(f"JWS algorithm {header.get('alg') if isinstance(header, dict) else None!r} "
                                 "is not allowed")
    if "crit" in header or "b64" in header:
        raise VerificationFailed("the gateway's JWS documents carry no crit or b64 header")
    certificate = _pinned_signer(header, pinned)
    try:
        verified = jws.deserialize_compact(text, _jwk(certificate.public_key()), registry=_registry(header["alg"]))
    except (JoseError, ValueError) as exc:
        raise VerificationFailed(f"the JWS signature does not verify ({exc})") from None
    return VerifiedJws(dict(verified.headers()), verified.payload, certificate)


def _pinned_signer(header: dict, pinned: list[x509.Certificate]) -> x509.Certificate:
    by_fingerprint = {fingerprint(c): c for c in pinned}
    kid = header.get("kid")
    chain = header.get("x5c")
    leaf_fingerprint = None
    if isinstance(chain, list) and chain:
        try:
            leaf_fingerprint = fingerprint(x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True)))
        except (binascii.Error, ValueError, TypeError):
            raise VerificationFailed("the JWS x5c certificate cannot be read") from None
    if kid is not None and leaf_fingerprint is not None and kid != leaf_fingerprint:
        raise VerificationFailed("the JWS kid and x5c name different certificates")
    named = kid or leaf_fingerprint
    if named not in by_fingerprint:
        raise VerificationFailed("the JWS is not signed with the pinned gateway certificate")
    return by_fingerprint[named]
