"""Enveloped XML signatures (XMLDSig) over whole documents.

Signing and verification follow one narrow profile (see :mod:`signing.xmldsig_profile`): one
signature, a direct child of the root, one ``Reference URI=""`` with the enveloped-signature and
exclusive C14N transforms, SHA-256, RSA-SHA256 or ECDSA-SHA256. Because the reference is the whole
document, a second copy of an element smuggled in anywhere changes the digest; because there is
exactly one signature and it sits under the root, a signed document cannot be wrapped into
another one unnoticed.

The verifier trusts only what signxml's ``verify()`` returns as signed: ``VerifiedDocument.
signed_root`` is re-parsed from the canonical bytes that were digested, never the input tree.
It therefore has no ``ds:Signature`` (the enveloped transform removed it) and no comments.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import cryptography.exceptions
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from lxml import etree
from signxml import SignatureConfiguration, XMLSigner, XMLVerifier
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureConstructionMethod, SignatureMethod
from signxml.exceptions import InvalidDigest, SignXMLException

from .errors import CertificateMissing, DocumentTooLarge, SignatureInvalid, SignatureProfileViolation
from .trust import TrustStore
from .xml_parser import ParsedXml, hardened_parser, parse_document, parse_xml
from .xmldsig_profile import (
    ECDSA_SHA256,
    MIN_RSA_BITS,
    RSA_SHA256,
    check_signature_profile,
    ds,
    find_enveloped_signature,
)

_SIGNXML_METHODS = {RSA_SHA256: SignatureMethod.RSA_SHA256, ECDSA_SHA256: SignatureMethod.ECDSA_SHA256}


@dataclass(frozen=True)
class VerifiedDocument:
    """A document whose signature verified, reduced to what was signed.

    ``signed_root`` is signxml's re-parse of the signed canonical bytes: use it, and only it,
    for everything downstream. ``certificate`` is the signer's (leaf) certificate; ``chain`` the
    other certificates the sender put in KeyInfo.
    """

    signed_root: etree._Element
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    signature_algorithm: str
    digest_algorithm: str


def sign_enveloped(
    document: bytes | etree._Element,
    *,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
) -> bytes:
    """Sign a whole document; return UTF-8 bytes with an XML declaration.

    The ``ds:Signature`` is appended as the last child of the root element.

    :raises ValueError: the key is not RSA >= 2048 bits or EC P-256, does not match the
        certificate, the root has an ``Id``/``ID`` attribute (signxml would then sign a
        ``#Id`` reference, which our verifier refuses), or the document already has a signature.
    :raises ForbiddenXML, MalformedXML: ``document`` is bytes that :func:`parse_xml` refuses.
    """
    signature_method = _signature_method_for_key(key.public_key())
    if _public_der(key.public_key()) != _public_der(certificate.public_key()):
        raise ValueError("the private key does not match the certificate")
    root = _document_root(document)
    if root.get("Id") is not None or root.get("ID") is not None:
        raise ValueError("the root element must not carry an Id/ID attribute (the reference must be URI=\"\")")
    if next(root.iter(ds("Signature")), None) is not None:
        raise ValueError("the document already contains a ds:Signature")
    signer = XMLSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=_SIGNXML_METHODS[signature_method],
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signed = signer.sign(root, key=key, cert=[certificate, *chain])
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def verify_enveloped(
    data: bytes | ParsedXml,
    *,
    trust: TrustStore,
    at: datetime,
    max_bytes: int | None = None,
    expected_root: str | None = None,
) -> VerifiedDocument:
    """Verify an enveloped signature and return only what it signed.

    ``data`` is the received bytes, or what :func:`parse_document` made of them (then they are
    not parsed again; ``max_bytes``, checked by ``parse_document``, may be left out). ``at``
    (timezone-aware) is the time the signer's certificate must be valid at, normally the time
    of receipt. ``expected_root`` is the Clark-notation tag (``"{ns}Local"``) the signed root
    must have.

    :raises DocumentTooLarge, ForbiddenXML, MalformedXML: refused by :func:`parse_xml`.
    :raises SignatureMissing: no ``ds:Signature``.
    :raises SignatureProfileViolation: outside the accepted profile, or wrong root element.
    :raises CertificateMissing: no signer certificate in KeyInfo.
    :raises CertificateExpired, CertificateNotYetValid, CertificateUntrusted: from ``trust``.
    :raises SignatureInvalid: the signature or digest does not verify.
    """
    document = _parsed(data, max_bytes)
    data, root = document.data, document.root
    signature = find_enveloped_signature(root)
    profile = check_signature_profile(signature)
    signature_method = profile.signature_method
    leaf, others = _signer_certificates(profile.certificates)
    if _signature_method_for_key(leaf.public_key(), refuse=SignatureProfileViolation) != signature_method:
        raise SignatureProfileViolation("SignatureMethod does not match the signer certificate's key type")
    trust.validate(leaf, at=at, presented=others)
    signed_root = _verify_with_signxml(data, leaf=leaf, signature_method=signature_method, at=at)
    if expected_root is not None and signed_root.tag != expected_root:
        actual = etree.QName(signed_root).localname
        raise SignatureProfileViolation(f"signed root element is {actual!r}, not the expected one")
    return VerifiedDocument(
        signed_root=signed_root,
        certificate=leaf,
        chain=tuple(others),
        signature_algorithm=signature_method,
        digest_algorithm=profile.digest_method,
    )


def _parsed(data: bytes | ParsedXml, max_bytes: int | None) -> ParsedXml:
    if isinstance(data, ParsedXml):
        if max_bytes is not None and len(data.data) > max_bytes:
            raise DocumentTooLarge(f"document is {len(data.data)} bytes; the limit is {max_bytes}")
        return data
    if max_bytes is None:
        raise TypeError("max_bytes is required when verifying bytes")
    return parse_document(data, max_bytes=max_bytes)


def _verify_with_signxml(
    data: bytes, *, leaf: x509.Certificate, signature_method: str, at: datetime
) -> etree._Element:
    config = SignatureConfiguration(
        require_x509=True,
        location="./",
        expect_references=1,
        signature_methods=frozenset({_SIGNXML_METHODS[signature_method]}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
        verification_time=at,
    )
    try:
        result = XMLVerifier().verify(data, x509_cert=leaf, parser=hardened_parser(), expect_config=config)
    except InvalidDigest:
        raise SignatureInvalid("digest mismatch: the document changed after it was signed") from None
    except (SignXMLException, cryptography.exceptions.InvalidSignature, etree.LxmlError, ValueError) as exc:
        raise SignatureInvalid(f"signature does not verify ({type(exc).__name__})") from None
    if result.signed_xml is None:
        raise SignatureInvalid("signed content is not an XML element")
    return result.signed_xml


def _signer_certificates(elements: Sequence[etree._Element]) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """Return the leaf certificate among KeyInfo's and the others (candidate intermediates).

    X509Data carries no ordering guarantee, so the leaf is the one certificate that issued
    none of the others.
    """
    certificates = [_load_certificate(element, index) for index, element in enumerate(elements, start=1)]
    leaves = [
        cert
        for cert in certificates
        if not any(other is not cert and other.issuer == cert.subject for other in certificates)
    ]
    if len(leaves) != 1:
        raise CertificateMissing("KeyInfo certificates do not identify a single signer certificate")
    leaf = leaves[0]
    return leaf, [cert for cert in certificates if cert is not leaf]


def _load_certificate(element: etree._Element, index: int) -> x509.Certificate:
    try:
        der = base64.b64decode("".join((element.text or "").split()), validate=True)
        return x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError):
        raise CertificateMissing(f"X509Certificate number {index} is not a valid certificate") from None


def _signature_method_for_key(public_key: object, *, refuse: type[Exception] = ValueError) -> str:
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < MIN_RSA_BITS:
            raise refuse(f"RSA key of {public_key.key_size} bits; at least {MIN_RSA_BITS} required")
        return RSA_SHA256
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, ec.SECP256R1):
            raise refuse(f"EC curve {public_key.curve.name} is not allowed; only P-256")
        return ECDSA_SHA256
    raise refuse(f"{type(public_key).__name__} keys are not allowed; only RSA and EC P-256")


def _public_der(public_key: object) -> bytes:
    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)  # type: ignore[attr-defined]


def _document_root(document: bytes | etree._Element) -> etree._Element:
    if isinstance(document, (bytes, bytearray)):
        return parse_xml(bytes(document), max_bytes=len(document))
    if isinstance(document, etree._Element):
        # Copy through the hardened parser: signxml appends to the tree it is given.
        serialized = etree.tostring(document, with_tail=False)
        return parse_xml(serialized, max_bytes=len(serialized))
    raise TypeError("document must be bytes or an lxml element")

