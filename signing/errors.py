"""The exception tree of the signing library.

Every error carries a stable ``code`` the gateway maps to a problem type. Leaves also subclass a
standard exception (``ValueError`` for bad input, ``LookupError`` for an unknown key) so callers
that do not know this library still handle them sensibly.

Messages state structural facts only ("2 Signature elements found"); they never quote document
content, because documents carry personal data (names, resident ID numbers).
"""

from __future__ import annotations


class SigningError(Exception):
    """Base class: a document, certificate or HTTP signature was refused."""

    code: str = "signing.error"


class ForbiddenXML(SigningError, ValueError):
    """DOCTYPE, DTD, entity declarations or references, or other constructs we never parse."""

    code = "xml.forbidden"


class MalformedXML(SigningError, ValueError):
    """The bytes are not well-formed XML."""

    code = "xml.malformed"


class DocumentTooLarge(SigningError, ValueError):
    """The document exceeds the configured size limit."""

    code = "xml.too_large"


class SignatureMissing(SigningError, ValueError):
    """The document carries no XML signature."""

    code = "signature.missing"


class SignatureInvalid(SigningError, ValueError):
    """The signature does not verify: digest mismatch, bad value, content changed after signing."""

    code = "signature.invalid"


class SignatureProfileViolation(SigningError, ValueError):
    """The signature is well formed but outside the accepted profile (placement, algorithms, key size)."""

    code = "signature.profile"


class CertificateMissing(SigningError, ValueError):
    """The signature carries no usable signer certificate."""

    code = "certificate.missing"


class CertificateUntrusted(SigningError, ValueError):
    """The signer certificate does not chain to a trust anchor."""

    code = "certificate.untrusted"


class CertificateExpired(SigningError, ValueError):
    """The signer certificate's validity ended before the verification time."""

    code = "certificate.expired"


class CertificateNotYetValid(SigningError, ValueError):
    """The signer certificate's validity starts after the verification time."""

    code = "certificate.not_yet_valid"


class HttpSignatureMissing(SigningError, ValueError):
    """The HTTP request carries no ``Signature`` / ``Signature-Input`` fields."""

    code = "http_signature.missing"


class HttpSignatureInvalid(SigningError, ValueError):
    """The HTTP message signature does not verify or does not cover what it must."""

    code = "http_signature.invalid"


class UnknownKey(SigningError, LookupError):
    """No registered key has the given key id."""

    code = "http_signature.unknown_key"
