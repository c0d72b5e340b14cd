"""The error tree: stable codes, standard base types, one root."""

from __future__ import annotations

import pytest

from signing import errors

EXPECTED_CODES = {
    errors.ForbiddenXML: ("xml.forbidden", ValueError),
    errors.MalformedXML: ("xml.malformed", ValueError),
    errors.DocumentTooLarge: ("xml.too_large", ValueError),
    errors.SignatureMissing: ("signature.missing", ValueError),
    errors.SignatureInvalid: ("signature.invalid", ValueError),
    errors.SignatureProfileViolation: ("signature.profile", ValueError),
    errors.CertificateMissing: ("certificate.missing", ValueError),
    errors.CertificateUntrusted: ("certificate.untrusted", ValueError),
    errors.CertificateExpired: ("certificate.expired", ValueError),
    errors.CertificateNotYetValid: ("certificate.not_yet_valid", ValueError),
    errors.HttpSignatureMissing: ("http_signature.missing", ValueError),
    errors.HttpSignatureInvalid: ("http_signature.invalid", ValueError),
    errors.UnknownKey: ("http_signature.unknown_key", LookupError),
}


@pytest.mark.parametrize("error_class", list(EXPECTED_CODES), ids=lambda cls: cls.__name__)
def test_each_error_has_its_published_code(error_class):
    assert error_class.code == EXPECTED_CODES[error_class][0]


@pytest.mark.parametrize("error_class", list(EXPECTED_CODES), ids=lambda cls: cls.__name__)
def test_each_error_is_a_signing_error_and_a_standard_exception(error_class):
    error = error_class("structural fact")

    assert isinstance(error, errors.SigningError)
    assert isinstance(error, EXPECTED_CODES[error_class][1])


def test_codes_are_unique():
    codes = [code for code, _ in EXPECTED_CODES.values()]

    assert len(codes) == len(set(codes))


def test_the_package_re_exports_every_error():
    import signing

    assert all(getattr(signing, error_class.__name__) is error_class for error_class in EXPECTED_CODES)
