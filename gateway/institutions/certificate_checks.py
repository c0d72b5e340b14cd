"""What an institution's signing certificate must be before the centre registers it.

Intake checks every signed request against the trust store (``signing.trust``); registering a
certificate that would fail there, or that is not meant for signing at all, only moves the
failure to the bank's first request. So registration refuses, each with its own code:

* ``certificate.unreadable`` — the file is not an X.509 certificate (PEM or DER);
* ``certificate.not_yet_valid`` / ``certificate.expired`` — outside its validity now;
* ``certificate.wrong_key_usage`` — a CA certificate (``basicConstraints CA:TRUE``); no
  ``KeyUsage`` with ``digitalSignature`` or ``nonRepudiation``; or an ``ExtendedKeyUsage`` that
  lists only purposes other than signing (e.g. only ``serverAuth``). An absent EKU means "any";
  a present one must include one of :data:`SIGNING_EXTENDED_KEY_USAGES`;
* ``certificate.unsupported_key`` — not an RSA key of 2048 bits or more, nor an EC P-256 key
  (the signature profile's algorithms, ``docs/interface/signature-profile.md`` §1);
* ``certificate.untrusted`` — no path to the configured trust anchors.

No database here: these are pure functions of the certificate, the trust store and the time.
"""
from __future__ import annotations

import re
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from gateway.errors import GatewayError, InvalidRequest
from signing.errors import CertificateUntrusted
from signing.trust import TrustStore, certificate_fingerprint

MIN_RSA_BITS = 2048
# Extended key usages that include signing documents or requests: any purpose, RFC 9336 document
# signing, S/MIME (email protection), TLS client authentication (what many bank CAs issue for
# signing keys), Microsoft document signing and Adobe authentic documents.
SIGNING_EXTENDED_KEY_USAGES = frozenset({
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    ObjectIdentifier("1.3.6.1.5.5.7.3.36"),
    ExtendedKeyUsageOID.EMAIL_PROTECTION,
    ExtendedKeyUsageOID.CLIENT_AUTH,
    ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),
    ObjectIdentifier("1.2.840.113583.1.1.5"),
})
STATUSES = ("current", "not_yet_valid", "expired", "revoked")
_PERIOD = re.compile(r"^\s*(\d{1,4})\s*d?\s*$", re.IGNORECASE)
MAX_PERIOD_DAYS = 3650


class CertificateConflict(GatewayError):
    """The certificate is already registered (or, with ``code="certificate.already_revoked"``, revoked)."""

    code = "certificate.exists"
    title = "The certificate's state does not allow this"
    kind = "conflict"


def read_certificate(data: bytes) -> x509.Certificate:
    """The certificate in ``data``: PEM (the first one of a bundle) or DER."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)[0]
        return x509.load_der_x509_certificate(data)
    except (ValueError, TypeError, IndexError):
        # Never echo the content: an operator may have picked the private key file by mistake.
        raise InvalidRequest("the file is not an X.509 certificate (PEM or DER)",
                             code="certificate.unreadable") from None


def check_signing_certificate(certificate: x509.Certificate, *, trust: TrustStore, at: datetime) -> None:
    """Refuse ``certificate`` as an institution's signing certificate at ``at`` (see the module doc)."""
    fingerprint = certificate_fingerprint(certificate)
    if at < certificate.not_valid_before_utc:
        raise InvalidRequest(f"certificate {fingerprint} is not valid before "
                             f"{certificate.not_valid_before_utc.isoformat()}", code="certificate.not_yet_valid")
    if at > certificate.not_valid_after_utc:
        raise InvalidRequest(f"certificate {fingerprint} expired at {certificate.not_valid_after_utc.isoformat()}",
                             code="certificate.expired")
    problem = key_usage_problem(certificate)
    if problem:
        raise InvalidRequest(f"certificate {fingerprint}: {problem}", code="certificate.wrong_key_usage")
    problem = key_problem(certificate)
    if problem:
        raise InvalidRequest(f"certificate {fingerprint}: {problem}", code="certificate.unsupported_key")
    try:
        trust.validate(certificate, at=at)
    except CertificateUntrusted:
        raise InvalidRequest(f"certificate {fingerprint} does not chain to a configured trust anchor",
                             code="certificate.untrusted") from None


def key_usage_problem(certificate: x509.Certificate) -> str | None:
    """Why the certificate is not for signing, or None."""
    extensions = certificate.extensions
    constraints = _extension(extensions, x509.BasicConstraints)
    if constraints is not None and constraints.ca:
        return "a CA certificate (basicConstraints CA:TRUE) cannot be a signing certificate"
    key_usage = _extension(extensions, x509.KeyUsage)
    if key_usage is None:
        return "the KeyUsage extension is missing (digitalSignature or nonRepudiation is required)"
    if not (key_usage.digital_signature or key_usage.content_commitment):
        return "KeyUsage allows neither digitalSignature nor nonRepudiation"
    extended = _extension(extensions, x509.ExtendedKeyUsage)
    if extended is not None and not SIGNING_EXTENDED_KEY_USAGES.intersection(extended):
        names = ", ".join(getattr(oid, "_name", oid.dotted_string) for oid in extended)
        return f"ExtendedKeyUsage ({names}) excludes signing"
    return None


def key_problem(certificate: x509.Certificate) -> str | None:
    """Why the certificate's key cannot sign in the signature profile, or None."""
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return None if key.key_size >= MIN_RSA_BITS else f"an RSA key of {key.key_size} bits (at least 2048 required)"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return None if isinstance(key.curve, ec.SECP256R1) else f"an EC key on {key.curve.name} (P-256 required)"
    return f"a {type(key).__name__.removesuffix('PublicKey')} key (RSA or EC P-256 required)"


def _extension(extensions: x509.Extensions, kind: type):
    try:
        return extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def status_of(*, not_before: datetime, not_after: datetime, revoked_at: datetime | None, now: datetime) -> str:
    """One of :data:`STATUSES`: a revoked certificate is ``revoked`` whatever its dates."""
    if revoked_at is not None:
        return "revoked"
    if now < not_before:
        return "not_yet_valid"
    if now > not_after:
        return "expired"
    return "current"


def parse_period(text: str) -> int:
    """Days from ``30d`` or ``30`` (0 to 3650)."""
    match = _PERIOD.match(text or "")
    if not match or int(match.group(1)) > MAX_PERIOD_DAYS:
        raise InvalidRequest(f"give the period as a number of days, e.g. 30d (at most {MAX_PERIOD_DAYS}d)",
                             code="certificate.bad_period")
    return int(match.group(1))


def normalized_fingerprint(text: str) -> str:
    """A fingerprint as stored (lower-case hex) from one typed with capitals, colons or spaces."""
    return re.sub(r"[\s:]", "", text or "").lower()
