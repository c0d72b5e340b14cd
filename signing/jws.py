"""JSON Web Signatures (RFC 7515, RFC 7797) in one narrow profile, on joserfc.

The profile (docs/interface/json-channel.md, section 1):

* compact serialization, or the compact form with a detached unencoded payload (RFC 7797:
  ``"b64": false`` and ``"crit": ["b64"]``, the only ``crit`` accepted);
* ``alg`` on an allow-list: RS256, PS256 (RSA >= 2048 bits) and ES256 (P-256). ``none``, every
  HMAC algorithm and anything else are refused before a key is even looked at, so a public key
  can never be used as an HMAC secret;
* the key is a certificate: ``kid`` (lower-case hex SHA-256 of its DER, looked up by the caller
  among registered certificates) or ``x5c`` (the leaf first). ``jku``, ``jwk``, ``x5u`` and any
  other header member are refused: no key is ever fetched or taken from the message itself;
* the certificate chains to the trust store at the verification time, like an XML signer's.

The cryptographic check is joserfc's; this module decides what it is allowed to check. Like
:mod:`signing.xmldsig`, no database and no web framework: the caller passes a lookup for ``kid``.
Messages state structural facts only, never payload content.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import ECKey, RSAKey

from .errors import SigningError
from .trust import TrustStore, certificate_fingerprint

ALLOWED_ALGORITHMS = ("RS256", "PS256", "ES256")
MIN_RSA_BITS = 2048
MAX_HEADER_BYTES = 8192
MAX_X5C = 4
#: Members of the protected header the profile knows; any other is refused.
_KNOWN_MEMBERS = frozenset({"alg", "kid", "x5c", "typ", "cty", "b64", "crit"})
_B64URL = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class JwsMalformed(SigningError, ValueError):
    """Not a JWS of the profile: shape, encoding, header members."""

    code = "jws.malformed"


class JwsAlgorithmRefused(SigningError, ValueError):
    """``alg`` is not RS256, PS256 or ES256, or does not fit the signer's key."""

    code = "jws.algorithm_refused"


class JwsCritUnsupported(SigningError, ValueError):
    """A ``crit`` header other than ``["b64"]`` with a detached unencoded payload."""

    code = "jws.crit_unsupported"


class JwsUnknownKey(SigningError, LookupError):
    """No registered certificate has the ``kid``."""

    code = "jws.unknown_key"


class JwsSignatureInvalid(SigningError, ValueError):
    """The signature does not verify: header or payload changed after signing."""

    code = "jws.signature_invalid"


class JwsDetachedMismatch(SigningError, ValueError):
    """The detached signature does not verify over the body received with it."""

    code = "jws.detached_mismatch"


@dataclass(frozen=True)
class VerifiedJws:
    """A JWS that verified: the payload bytes exactly as signed, and who signed them."""

    payload: bytes
    header: dict[str, Any]
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    algorithm: str
    detached: bool
    value: str = ""  # the JWS as verified: compact, or ``header..signature`` when detached


def algorithm_for_key(public_key: object) -> str:
    """The algorithm the profile signs with for a key: PS256 for RSA, ES256 for P-256."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return "PS256"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return "ES256"
    raise ValueError(f"{type(public_key).__name__} keys cannot sign in the JWS profile")


def sign_compact(
    payload: bytes,
    *,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    typ: str | None = None,
    alg: str | None = None,
    with_x5c: bool = True,
) -> bytes:
    """A compact JWS of ``payload`` with {alg, kid, x5c, typ}; ASCII bytes."""
    header = _signing_header(key, certificate, chain, typ=typ, alg=alg, with_x5c=with_x5c)
    return jws.serialize_compact(header, payload, _private_jwk(key), algorithms=[header["alg"]]).encode("ascii")


def sign_detached(
    payload: bytes,
    *,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    typ: str | None = None,
    alg: str | None = None,
    with_x5c: bool = False,
) -> str:
    """The ``JWS-Signature`` value for ``payload`` sent as the body: ``header..signature`` (RFC 7797)."""
    header = _signing_header(key, certificate, chain, typ=typ, alg=alg, with_x5c=with_x5c)
    header.update({"b64": False, "crit": ["b64"]})
    registry = _registry(header["alg"])
    compact = jws.serialize_compact(header, payload, _private_jwk(key), registry=registry)
    parts = compact.split(".")  # joserfc leaves a URL-safe payload attached; the header carries none
    return f"{parts[0]}..{parts[-1]}"


def verify_jws(
    value: bytes,
    *,
    trust: TrustStore,
    at: datetime,
    find_certificate: Callable[[str], x509.Certificate | None],
    detached_payload: bytes | None = None,
) -> VerifiedJws:
    """Verify a compact JWS (``detached_payload`` None) or a detached one over ``detached_payload``.

    ``find_certificate(kid)`` returns the registered certificate with that SHA-256, or None.

    :raises JwsMalformed, JwsAlgorithmRefused, JwsCritUnsupported, JwsUnknownKey: refused before
        any cryptography.
    :raises CertificateExpired, CertificateNotYetValid, CertificateUntrusted: from ``trust``.
    :raises JwsSignatureInvalid: compact: the signature does not verify.
    :raises JwsDetachedMismatch: detached: the signature does not verify over this body.
    """
    detached = detached_payload is not None
    value = _strip(value)
    parts = value.split(b".")
    if len(parts) != 3 or not _is_b64url(parts[0]):
        raise JwsMalformed("a JWS has three base64url parts separated by dots")
    header_segment, payload_segment, signature_segment = parts
    # The algorithm first: an unsigned ("none") or HMAC JWS is refused as such, whatever else it has.
    header = read_header(header_segment)
    algorithm = _check_header(header, detached=detached)
    if detached and payload_segment:
        raise JwsMalformed("a detached JWS-Signature has an empty payload part (header..signature)")
    if not detached and (not payload_segment or not _is_b64url(payload_segment)):
        raise JwsMalformed("a compact JWS needs a base64url payload part")
    if not _is_b64url(signature_segment):
        raise JwsMalformed("the signature part is empty or not base64url")
    leaf, others = _signer(header, find_certificate)
    _check_key_fits(leaf.public_key(), algorithm)
    trust.validate(leaf, at=at, presented=others)
    payload = _verify_signature(value, header, leaf, algorithm, detached_payload)
    return VerifiedJws(payload=payload, header=header, certificate=leaf, chain=tuple(others),
                       algorithm=algorithm, detached=detached, value=value.decode("ascii"))


def read_header(segment: bytes) -> dict[str, Any]:
    """The protected header: base64url of a JSON object without duplicate members."""
    if len(segment) > MAX_HEADER_BYTES:
        raise JwsMalformed(f"the protected header is over {MAX_HEADER_BYTES} bytes")
    try:
        raw = _b64url_decode(segment)
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise JwsMalformed("the protected header is not base64url of a JSON object") from None
    if not isinstance(header, dict):
        raise JwsMalformed("the protected header is not a JSON object")
    return header


# ---------------------------------------------------------------- checks


def _check_header(header: dict[str, Any], *, detached: bool) -> str:
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in ALLOWED_ALGORITHMS:
        raise JwsAlgorithmRefused(f"alg must be one of {', '.join(ALLOWED_ALGORITHMS)}")
    if "crit" in header or "b64" in header:
        if not detached:
            raise JwsCritUnsupported("crit and b64 are only accepted with a detached payload (JWS-Signature)")
        if header.get("crit") != ["b64"]:
            raise JwsCritUnsupported('the only crit accepted is ["b64"]')
        if header.get("b64") is not False:
            raise JwsCritUnsupported('crit ["b64"] requires "b64": false')
    elif detached:
        raise JwsMalformed('a detached JWS-Signature needs "b64": false and "crit": ["b64"] (RFC 7797)')
    unknown = set(header) - _KNOWN_MEMBERS
    if unknown:
        raise JwsMalformed(f"header member(s) outside the profile: {', '.join(sorted(unknown))[:200]}")
    for name in ("typ", "cty", "kid"):
        if name in header and not isinstance(header[name], str):
            raise JwsMalformed(f"header member {name} must be a string")
    if "kid" not in header and "x5c" not in header:
        raise JwsMalformed("the header names no key: give kid or x5c")
    return algorithm


def _signer(header: dict[str, Any], find_certificate) -> tuple[x509.Certificate, list[x509.Certificate]]:
    kid = header.get("kid")
    if "x5c" in header:
        certificates = _x5c(header["x5c"])
        leaf, others = certificates[0], certificates[1:]
        if kid is not None and kid != certificate_fingerprint(leaf):
            raise JwsMalformed("kid is not the SHA-256 of the x5c certificate")
        return leaf, others
    if not (len(kid) == 64 and all(c in "0123456789abcdef" for c in kid)):
        raise JwsUnknownKey("kid is not the lower-case hex SHA-256 of a registered certificate")
    certificate = find_certificate(kid)
    if certificate is None:
        raise JwsUnknownKey("no registered certificate has this kid")
    if certificate_fingerprint(certificate) != kid:
        raise JwsUnknownKey("no registered certificate has this kid")
    return certificate, []


def _x5c(value: object) -> list[x509.Certificate]:
    if not isinstance(value, list) or not value or len(value) > MAX_X5C:
        raise JwsMalformed(f"x5c must be an array of 1 to {MAX_X5C} certificates")
    certificates = []
    for index, item in enumerate(value, start=1):
        try:
            if not isinstance(item, str):
                raise ValueError
            certificates.append(x509.load_der_x509_certificate(base64.b64decode(item, validate=True)))
        except (binascii.Error, ValueError):
            raise JwsMalformed(f"x5c certificate number {index} is not base64 DER") from None
    return certificates


def _check_key_fits(public_key: object, algorithm: str) -> None:
    if algorithm in ("RS256", "PS256"):
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise JwsAlgorithmRefused(f"{algorithm} needs an RSA certificate")
        if public_key.key_size < MIN_RSA_BITS:
            raise JwsAlgorithmRefused(f"RSA key of {public_key.key_size} bits; at least {MIN_RSA_BITS} required")
    elif not (isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(public_key.curve, ec.SECP256R1)):
        raise JwsAlgorithmRefused("ES256 needs an EC P-256 certificate")


def _verify_signature(value: bytes, header: dict, leaf: x509.Certificate, algorithm: str,
                      detached_payload: bytes | None) -> bytes:
    refused = JwsDetachedMismatch if detached_payload is not None else JwsSignatureInvalid
    registry = _registry(algorithm, payload_bytes=len(value) + len(detached_payload or b""))
    try:
        obj = jws.deserialize_compact(value, _public_jwk(leaf.public_key()), algorithms=[algorithm],
                                      registry=registry, payload=detached_payload)
    except BadSignatureError:
        what = "the body is not the one the JWS-Signature signed" if detached_payload is not None \
            else "the signature does not verify: the header or payload changed after signing"
        raise refused(what) from None
    except (JoseError, ValueError, TypeError) as exc:
        raise JwsMalformed(f"the JWS could not be read ({type(exc).__name__})") from None
    if obj.headers() != header:  # the library read the same header we checked
        raise JwsMalformed("the protected header could not be read consistently")
    payload = obj.payload
    if detached_payload is not None and payload != detached_payload:
        raise JwsDetachedMismatch("the body is not the one the JWS-Signature signed")
    return payload


# ---------------------------------------------------------------- helpers


def _registry(algorithm: str, *, payload_bytes: int = 0) -> jws.JWSRegistry:
    registry = jws.JWSRegistry(algorithms=[algorithm])
    registry.max_header_length = MAX_HEADER_BYTES
    # Sizes are the gateway's business (GATEWAY_MAX_REQUEST_BYTES), checked before this.
    registry.max_payload_length = max(registry.max_payload_length, 2 * payload_bytes)
    return registry


def _signing_header(key, certificate: x509.Certificate, chain, *, typ, alg, with_x5c) -> dict[str, Any]:
    if _public_der(key.public_key()) != _public_der(certificate.public_key()):
        raise ValueError("the private key does not match the certificate")
    algorithm = alg or algorithm_for_key(key.public_key())
    if algorithm not in ALLOWED_ALGORITHMS:
        raise ValueError(f"alg must be one of {', '.join(ALLOWED_ALGORITHMS)}")
    _check_key_fits(certificate.public_key(), algorithm)
    header: dict[str, Any] = {"alg": algorithm, "kid": certificate_fingerprint(certificate)}
    if with_x5c:
        header["x5c"] = [base64.b64encode(c.public_bytes(Encoding.DER)).decode("ascii") for c in (certificate, *chain)]
    if typ:
        header["typ"] = typ
    return header


def _private_jwk(key):
    if isinstance(key, rsa.RSAPrivateKey):
        return RSAKey.import_key(key)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return ECKey.import_key(key)
    raise ValueError(f"{type(key).__name__} keys cannot sign in the JWS profile")


def _public_jwk(public_key):
    if isinstance(public_key, rsa.RSAPublicKey):
        return RSAKey.import_key(public_key)
    return ECKey.import_key(public_key)


def _public_der(public_key: object) -> bytes:
    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)  # type: ignore[attr-defined]


def _strip(value: bytes) -> bytes:
    if isinstance(value, str):
        value = value.encode("ascii", "replace")
    return value[:-2] if value.endswith(b"\r\n") else value[:-1] if value.endswith(b"\n") else value


def _is_b64url(segment: bytes) -> bool:
    return bool(segment) and all(byte in _B64URL for byte in segment)


def _b64url_decode(segment: bytes) -> bytes:
    if not _is_b64url(segment) or len(segment) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError("duplicate member")
        result[name] = value
    return result

