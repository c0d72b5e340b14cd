"""PAdES signatures on PDF documents (the registration certificate), with pyHanko.

Signing produces a PAdES baseline signature: SubFilter ``ETSI.CAdES.detached``, SHA-256, the
signer's chain embedded, and a signature timestamp from an RFC 3161 authority when a URL is
given (B-T; without one, B-B). The signature covers the whole file as written.

Verification never raises on what it is given: it answers with a :class:`PdfSignatureReport`
whose ``problem`` says in a few English words what is wrong. Trust is decided only by the
anchors the caller passes (never the operating system's list), without network access: no
certificate fetching, no OCSP or CRL requests (revocation is soft-fail: none is published for
the demo PKI). The signer certificate must allow ``digitalSignature`` or ``nonRepudiation``,
the same rule as :mod:`signing.trust`; pyHanko alone would insist on ``nonRepudiation``.

A :class:`PdfSealer` prepares one key for many documents (see there why that matters);
:func:`sign_pdf` is the one-off form. pyHanko's synchronous API runs its own event loop, so
signing and verifying move to a worker thread when called from inside a running loop (an
``async def`` endpoint) instead of failing.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TypeVar

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.attributes import CMSAttributeProvider, SignedAttributeProviderSpec
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation import KeyUsageConstraints, validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from .errors import SigningError
from .pki import PrivateKey
from .trust import certificate_fingerprint

DIGEST_ALGORITHM = "sha256"
TIMESTAMP_TIMEOUT_SECONDS = 10
_SIGNER_KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
_PDF_HEADER_WINDOW = 1024  # the PDF header may be preceded by up to 1 KiB of junk (ISO 32000-1, annex H)

T = TypeVar("T")
SEAL_REASON = "不动产登记电子印章"

_TRUST_PROBLEMS = {
    AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND: "the signer certificate does not chain to a trust anchor",
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE: "the signer certificate has expired",
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED: "the signer certificate has expired",
    AdESIndeterminate.EXPIRED: "the signer certificate has expired",
    AdESIndeterminate.NOT_YET_VALID: "the signer certificate is not yet valid",
    AdESFailure.NOT_YET_VALID: "the signer certificate is not yet valid",
    AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE: (
        "the signer certificate may not sign documents (key usage or chain constraints)"
    ),
    AdESFailure.REVOKED: "the signer certificate is revoked",
    AdESIndeterminate.REVOKED_NO_POE: "the signer certificate is revoked",
}


class PdfUnreadable(SigningError, ValueError):
    """The bytes to sign are not a PDF that can be signed."""

    code = "pdf.unreadable"


class TimestampUnavailable(SigningError, ConnectionError):
    """The time-stamping authority did not answer with a timestamp; the signing can be retried."""

    code = "pdf.timestamp_unavailable"


@dataclass(frozen=True)
class PdfSignatureReport:
    """What verifying a PDF found; ``valid`` only when signed, intact and trusted, with no problem."""

    signed: bool
    intact: bool
    """The signed bytes match the signature, and nothing but validation data was added later."""
    trusted: bool
    """The signer certificate chains to one of the anchors and may sign documents."""
    signer_subject: str | None
    signer_fingerprint: str | None
    signed_at: datetime | None
    """The timestamp authority's time when ``timestamped``, otherwise the time the signer claims."""
    timestamped: bool
    """A signature timestamp is present, matches the signature and chains to a timestamp anchor."""
    problem: str | None

    @property
    def valid(self) -> bool:
        return self.signed and self.intact and self.trusted and self.problem is None


def sign_pdf(
    pdf: bytes,
    *,
    key: PrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    field_name: str = "Seal",
    reason: str = SEAL_REASON,
    location: str | None = None,
    timestamp_url: str | None = None,
    signed_at: datetime | None = None,
) -> bytes:
    """Sign ``pdf`` with a PAdES baseline signature (invisible field ``field_name``).

    ``chain`` are the intermediates (and optionally the root) embedded for verifiers.
    ``signed_at`` (timezone-aware) is the signing time written in the signature dictionary;
    now when omitted. With ``timestamp_url`` the signature carries an RFC 3161 timestamp.
    To sign many documents with one key, keep a :class:`PdfSealer` instead.

    :raises PdfUnreadable: ``pdf`` cannot be parsed or already forbids changes.
    :raises TimestampUnavailable: the time-stamping authority failed.
    """
    sealer = PdfSealer(key=key, certificate=certificate, chain=chain)
    return sealer.sign(pdf, field_name=field_name, reason=reason, location=location,
                       timestamp_url=timestamp_url, signed_at=signed_at)


class PdfSealer:
    """A key and certificate prepared once to sign many PDFs; safe to share between threads.

    pyHanko's ``SimpleSigner`` re-parses and re-checks the key for each raw signature and signs
    twice per document (a dry run sizes the space reserved for the signature); asn1crypto
    re-encodes what is built afresh each time it is written. A sealer keeps the loaded key, the
    encoded signing-certificate attribute, one timestamp client per URL (it keeps the TSA's
    sample token used for sizing) and, without a timestamp, the reserved size: pyHanko's own
    estimate, made once, as it depends only on the key and certificates.
    """

    def __init__(self, *, key: PrivateKey, certificate: x509.Certificate,
                 chain: Sequence[x509.Certificate] = ()) -> None:
        if certificate.public_key() != key.public_key():
            raise ValueError("the key does not belong to the certificate")
        self._signer = _LoadedKeySigner(key, certificate, chain)
        self._timestampers: dict[str, RequestsHTTPTimeStamper] = {}
        self._reserved_without_timestamp: int | None = None

    def sign(
        self,
        pdf: bytes,
        *,
        field_name: str = "Seal",
        reason: str = SEAL_REASON,
        location: str | None = None,
        timestamp_url: str | None = None,
        signed_at: datetime | None = None,
    ) -> bytes:
        """Sign ``pdf`` as :func:`sign_pdf` does, with this sealer's key and certificate."""
        if signed_at is not None and signed_at.utcoffset() is None:
            raise ValueError("signed_at must be timezone-aware")
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        except Exception as error:  # pyHanko raises assorted types on malformed input
            raise PdfUnreadable("the document to sign is not a readable PDF") from error
        metadata = signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm=DIGEST_ALGORITHM,
            subfilter=SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
        )
        timestamper = self._timestamper(timestamp_url)
        pdf_signer = _PdfSignerAt(metadata, self._signer, timestamper=timestamper, signing_time=signed_at)
        try:
            output = _outside_event_loop(lambda: pdf_signer.sign_pdf(
                writer, bytes_reserved=None if timestamper else self._reserved_size()))
        except TimestampRequestError as error:
            raise TimestampUnavailable("the time-stamping authority did not issue a timestamp") from error
        except PyHankoSigningError as error:
            # A token larger than the kept sample (the TSA changed) must not fail every later try.
            self._timestampers.pop(timestamp_url or "", None)
            raise PdfUnreadable(f"the document cannot be signed: {error}") from error
        return output.getvalue()

    def _timestamper(self, url: str | None) -> RequestsHTTPTimeStamper | None:
        if url is None:
            return None
        if url not in self._timestampers:
            self._timestampers[url] = RequestsHTTPTimeStamper(url, timeout=TIMESTAMP_TIMEOUT_SECONDS)
        return self._timestampers[url]

    def _reserved_size(self) -> int:
        """pyHanko's own estimate: a dry-run signature container, hex-encoded, plus half again."""
        if self._reserved_without_timestamp is None:
            empty_digest = hashes.Hash(get_pyca_cryptography_hash(DIGEST_ALGORITHM)).finalize()
            container = _outside_event_loop(lambda: asyncio.run(self._signer.async_sign(
                empty_digest, DIGEST_ALGORITHM, dry_run=True, use_pades=True,
                signed_attr_settings=PdfCMSSignedAttributes())))
            hex_length = len(container.dump()) * 2
            self._reserved_without_timestamp = hex_length + 2 * (hex_length // 4)
        return self._reserved_without_timestamp


class _LoadedKeySigner(signers.Signer):
    """A pyHanko signer over an already loaded key (``SimpleSigner`` re-parses its key per signature)."""

    def __init__(self, key: PrivateKey, certificate: x509.Certificate, chain: Sequence[x509.Certificate]) -> None:
        super().__init__(
            signing_cert=_to_asn1(certificate),
            cert_registry=SimpleCertificateStore.from_certs([_to_asn1(cert) for cert in chain]),
        )
        self._key = key
        self.signed_attr_prov_spec = _SigningCertificateAttribute(self.signing_cert)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        # A dry run signs for real too (as SimpleSigner does): the size estimate then matches.
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, PKCS1v15(), hash_algorithm)  # pyHanko's default RSA mechanism
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(hash_algorithm))
        raise TypeError(f"unsupported seal key type {type(self._key).__name__}")


class _SigningCertificateAttribute(SignedAttributeProviderSpec):
    """The one signed attribute a PAdES signature adds (ESS signing-certificate-v2), encoded once.

    The same as pyHanko's CAdES spec for PAdES (which puts no signing time in the CMS, and no
    CAdES attributes are requested here); a copy is parsed from DER for each signature, so
    nothing built is shared between threads and asn1crypto never re-encodes it.
    """

    def __init__(self, certificate: asn1_x509.Certificate) -> None:
        self._der = simple_cms_attribute("signing_certificate_v2", as_signing_certificate_v2(certificate)).dump()

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str):
        yield _EncodedAttribute(self._der)


class _EncodedAttribute(CMSAttributeProvider):
    attribute_type = "signing_certificate_v2"

    def __init__(self, der: bytes) -> None:
        self._der = der

    async def get_attribute(self, dry_run: bool = False) -> cms.CMSAttribute:
        return cms.CMSAttribute.load(self._der)


class _PdfSignerAt(signers.PdfSigner):
    """pyHanko's signer with a chosen signing time (its public API always takes the clock)."""

    def __init__(self, *args, signing_time: datetime | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        if self._signing_time is not None:
            session.system_time = self._signing_time
        return session


def verify_pdf(
    pdf: bytes,
    *,
    trust_anchors: Sequence[x509.Certificate],
    timestamp_anchors: Sequence[x509.Certificate] | None = None,
    at: datetime | None = None,
) -> PdfSignatureReport:
    """Verify the first signature of ``pdf``; never raises on bad input.

    ``timestamp_anchors`` are the roots trusted for timestamp authorities (default: the
    ``trust_anchors``). ``at`` (timezone-aware) is the time certificates must be valid at;
    now when omitted.
    """
    if at is not None and at.utcoffset() is None:
        raise ValueError("verification time must be timezone-aware")
    if b"%PDF-" not in pdf[:_PDF_HEADER_WINDOW]:
        return _unsigned("not a PDF")
    try:
        signatures = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
    except Exception:  # any parse failure of untrusted bytes is an answer, not a crash
        return _unsigned("not a readable PDF")
    if not signatures:
        return _unsigned("the PDF carries no signature")
    signer_context = _validation_context(trust_anchors, at)
    tsa_anchors = trust_anchors if timestamp_anchors is None else timestamp_anchors
    try:
        status = _outside_event_loop(lambda: validate_pdf_signature(
            signatures[0],
            signer_validation_context=signer_context,
            ts_validation_context=_validation_context(tsa_anchors, at),
            key_usage_settings=_SIGNER_KEY_USAGE,
        ))
        return _report(status, anchored=bool(trust_anchors))
    except Exception:  # a malformed signature dictionary or CMS blob is tampering, not a crash
        return PdfSignatureReport(
            signed=True, intact=False, trusted=False, signer_subject=None, signer_fingerprint=None,
            signed_at=None, timestamped=False, problem="the signature is malformed",
        )


def _report(status: PdfSignatureStatus, *, anchored: bool) -> PdfSignatureReport:
    signer = x509.load_der_x509_certificate(status.signing_cert.dump())
    timestamp = status.timestamp_validity
    timestamped = timestamp is not None and timestamp.intact and timestamp.valid and timestamp.trusted
    intact = status.intact and status.valid and _only_allowed_changes(status)
    trusted = anchored and status.valid and status.trust_problem_indic is None and status.validation_path is not None
    return PdfSignatureReport(
        signed=True,
        intact=intact,
        trusted=trusted,
        signer_subject=signer.subject.rfc4514_string(),
        signer_fingerprint=certificate_fingerprint(signer),
        signed_at=_aware(timestamp.timestamp if timestamped else status.signer_reported_dt),
        timestamped=timestamped,
        problem=_problem(status, trusted=trusted, timestamp_ok=timestamp is None or timestamped),
    )


def _only_allowed_changes(status: PdfSignatureStatus) -> bool:
    """After signing, only validation data (DSS, document timestamps) may be appended."""
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    level = status.modification_level
    return (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and level is not None
        and level <= ModificationLevel.LTA_UPDATES
    )


def _problem(status: PdfSignatureStatus, *, trusted: bool, timestamp_ok: bool) -> str | None:
    if not status.valid:
        return "the signature value does not verify"
    if not status.intact:
        return "the document was altered after signing"
    if not _only_allowed_changes(status):
        return "the document was modified after signing"
    if not trusted:
        return _TRUST_PROBLEMS.get(status.trust_problem_indic, "the signer certificate is not trusted")
    if not timestamp_ok:
        return "the signature timestamp is not valid or not trusted"
    return None


def _unsigned(problem: str) -> PdfSignatureReport:
    return PdfSignatureReport(
        signed=False, intact=False, trusted=False, signer_subject=None, signer_fingerprint=None,
        signed_at=None, timestamped=False, problem=problem,
    )


def _validation_context(anchors: Sequence[x509.Certificate], at: datetime | None) -> ValidationContext:
    # An empty list, unlike None, never falls back to the operating system's trust list.
    return ValidationContext(
        trust_roots=[_to_asn1(anchor) for anchor in anchors],
        moment=at,
        allow_fetching=False,
        revocation_mode="soft-fail",
    )


def _outside_event_loop(call: Callable[[], T]) -> T:
    """Run ``call`` here, or in a worker thread if this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        in_event_loop = False
    else:
        in_event_loop = True
    if not in_event_loop:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.utcoffset() is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def _to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
