"""The trust store: which certificate authorities may vouch for a signer.

Path validation uses ``cryptography.x509.verification`` (signature-verified path building,
issuer/subject chaining, CA ``basicConstraints`` and key usage on every CA, validity of every
element at the verification time). On top of that, the signer (leaf) profile is ours:

* the leaf's own validity is checked first and reported precisely (expired / not yet valid);
* the leaf must have ``KeyUsage`` with ``digitalSignature`` or ``nonRepudiation``;
* the leaf must not be a CA (``basicConstraints CA:TRUE``): a CA key never signs documents;
* extended key usage is not checked: there is no EKU that every bank's CA puts on document
  signing certificates (RFC 9336 ``documentSigning`` is rare), so KeyUsage is what we rely on.

A self-signed certificate is accepted as a signer only if it is itself one of the anchors (a
pinned certificate) and is not a CA. A self-signed certificate that merely claims to be its own
issuer, or a leaf that is presented together with its "CA" in KeyInfo, is untrusted: only the
anchors configured here, never certificates supplied by the sender, terminate a path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import verification

from .errors import CertificateExpired, CertificateNotYetValid, CertificateUntrusted

_MAX_CHAIN_DEPTH = 4


def load_pem_certificates(data: bytes) -> list[x509.Certificate]:
    """Load every certificate in a PEM bundle; raise ``ValueError`` if there is none."""
    certificates = x509.load_pem_x509_certificates(data)
    if not certificates:
        raise ValueError("no PEM certificate found")
    return certificates


def certificate_fingerprint(cert: x509.Certificate) -> str:
    """Lower-case hex SHA-256 of the certificate's DER encoding (also the HTTP signature key id)."""
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


@dataclass(frozen=True)
class TrustStore:
    """Trust anchors (root CAs, or pinned signer certificates) and known intermediates."""

    anchors: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchors", tuple(self.anchors))
        object.__setattr__(self, "intermediates", tuple(self.intermediates))

    @classmethod
    def from_pem(cls, *, anchors: bytes, intermediates: bytes | None = None) -> TrustStore:
        """Build a store from PEM bundles."""
        extra = tuple(load_pem_certificates(intermediates)) if intermediates else ()
        return cls(anchors=tuple(load_pem_certificates(anchors)), intermediates=extra)

    def validate(
        self,
        cert: x509.Certificate,
        *,
        at: datetime,
        presented: Sequence[x509.Certificate] = (),
    ) -> None:
        """Refuse ``cert`` as a signer at time ``at`` unless it chains to an anchor.

        ``at`` must be timezone-aware. ``presented`` are certificates the sender supplied
        (e.g. the rest of KeyInfo); they are only candidates for intermediates, never anchors.

        :raises CertificateNotYetValid: ``at`` is before the leaf's notBefore.
        :raises CertificateExpired: ``at`` is after the leaf's notAfter.
        :raises CertificateUntrusted: no valid path to an anchor, or the leaf profile is wrong.
        """
        moment = _as_utc(at)
        if moment < cert.not_valid_before_utc:
            raise CertificateNotYetValid(
                f"signer certificate {certificate_fingerprint(cert)} is not valid before "
                f"{cert.not_valid_before_utc.isoformat()}"
            )
        if moment > cert.not_valid_after_utc:
            raise CertificateExpired(
                f"signer certificate {certificate_fingerprint(cert)} expired at "
                f"{cert.not_valid_after_utc.isoformat()}"
            )
        if not self.anchors:
            raise CertificateUntrusted("the trust store has no anchors")
        verifier = self._verifier(moment)
        try:
            verifier.verify(cert, [*self.intermediates, *presented])
        except verification.VerificationError:
            # cryptography's message names subjects, which can be a person's name: keep it out.
            raise CertificateUntrusted(
                f"signer certificate {certificate_fingerprint(cert)} does not chain to a trust anchor"
            ) from None

    def _verifier(self, moment: datetime) -> verification.ClientVerifier:
        leaf_policy = (
            verification.ExtensionPolicy.permit_all()
            .require_present(x509.KeyUsage, verification.Criticality.AGNOSTIC, _check_signer_key_usage)
            .may_be_present(x509.BasicConstraints, verification.Criticality.AGNOSTIC, _check_not_a_ca)
        )
        return (
            verification.PolicyBuilder()
            .store(verification.Store(list(self.anchors)))
            .time(moment)
            .max_chain_depth(_MAX_CHAIN_DEPTH)
            .extension_policies(ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(), ee_policy=leaf_policy)
            .build_client_verifier()
        )


def _check_signer_key_usage(policy: object, cert: x509.Certificate, key_usage: x509.KeyUsage) -> None:
    if not (key_usage.digital_signature or key_usage.content_commitment):
        raise ValueError("signer certificate key usage allows neither digitalSignature nor nonRepudiation")


def _check_not_a_ca(policy: object, cert: x509.Certificate, constraints: x509.BasicConstraints | None) -> None:
    if constraints is not None and constraints.ca:
        raise ValueError("a CA certificate cannot be used as a document signer")


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("verification time must be timezone-aware")
    return moment.astimezone(timezone.utc)
