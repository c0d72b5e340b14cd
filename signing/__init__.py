"""Signing library of the mortgage registration gateway.

Sign and verify enveloped XML signatures (:mod:`signing.xmldsig`), HTTP message signatures
(:mod:`signing.httpsig`), the trust store (:mod:`signing.trust`), hardened XML parsing
(:mod:`signing.xml_parser`) and a demo PKI (:mod:`signing.pki`). No database, no web framework.
"""

from .errors import (
    CertificateExpired,
    CertificateMissing,
    CertificateNotYetValid,
    CertificateUntrusted,
    DocumentTooLarge,
    ForbiddenXML,
    HttpSignatureInvalid,
    HttpSignatureMissing,
    MalformedXML,
    SignatureInvalid,
    SignatureMissing,
    SignatureProfileViolation,
    SigningError,
    UnknownKey,
)
from .httpsig import HttpSignatureAuth, VerifiedHttpRequest, sign_headers, sign_prepared_request, verify_request
from .trust import TrustStore, certificate_fingerprint, load_pem_certificates
from .xml_parser import ParsedXml, hardened_parser, parse_document, parse_xml
from .xmldsig import VerifiedDocument, sign_enveloped, verify_enveloped

__all__ = [
    "CertificateExpired",
    "CertificateMissing",
    "CertificateNotYetValid",
    "CertificateUntrusted",
    "DocumentTooLarge",
    "ForbiddenXML",
    "HttpSignatureAuth",
    "HttpSignatureInvalid",
    "HttpSignatureMissing",
    "MalformedXML",
    "ParsedXml",
    "SignatureInvalid",
    "SignatureMissing",
    "SignatureProfileViolation",
    "SigningError",
    "TrustStore",
    "UnknownKey",
    "VerifiedDocument",
    "VerifiedHttpRequest",
    "certificate_fingerprint",
    "hardened_parser",
    "load_pem_certificates",
    "parse_document",
    "parse_xml",
    "sign_enveloped",
    "sign_headers",
    "sign_prepared_request",
    "verify_enveloped",
    "verify_request",
]
