"""What a signing certificate must be before the centre registers it (no database)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from gateway.errors import GatewayError
from gateway.institutions.certificate_checks import (
    check_signing_certificate,
    normalized_fingerprint,
    parse_period,
    read_certificate,
    status_of,
)
from signing.pki import certificate_to_pem, make_ca, private_key_to_pem
from signing.trust import TrustStore

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
SIGNING = dict(digital_signature=True, content_commitment=True)
_CA_KEY, CA = make_ca(common_name="Unit CA", organization="Unit", not_before=NOW - timedelta(days=10),
                      not_after=NOW + timedelta(days=3650))
_ROGUE_KEY, ROGUE = make_ca(common_name="Rogue CA", organization="Rogue", not_before=NOW - timedelta(days=10),
                            not_after=NOW + timedelta(days=3650))
TRUST = TrustStore(anchors=(CA,))
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def key_usage(**allowed: bool) -> x509.KeyUsage:
    names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
             "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{name: allowed.get(name, False) for name in names})


def leaf(*, key=EC_KEY, usage: dict | None = SIGNING, ca: bool = False, eku: list | None = None,
         start: timedelta = -timedelta(days=1), end: timedelta = timedelta(days=365),
         issuer: tuple = (_CA_KEY, CA)) -> x509.Certificate:
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bank signing key")]))
               .issuer_name(issuer[1].subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW + start).not_valid_after(NOW + end)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[0].public_key()),
                              critical=False))
    if usage is not None:
        builder = builder.add_extension(key_usage(**usage), critical=True)
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    return builder.sign(issuer[0], hashes.SHA256())


def refusal(certificate: x509.Certificate) -> str:
    with pytest.raises(GatewayError) as refused:
        check_signing_certificate(certificate, trust=TRUST, at=NOW)
    return refused.value.code


# --- accepted ----------------------------------------------------------------------------------------------

def test_a_signing_certificate_from_a_trusted_ca_is_accepted():
    check_signing_certificate(leaf(), trust=TRUST, at=NOW)


def test_non_repudiation_alone_is_enough():
    check_signing_certificate(leaf(usage=dict(content_commitment=True)), trust=TRUST, at=NOW)


@pytest.mark.parametrize("purpose", [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                     ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE, ObjectIdentifier("1.3.6.1.5.5.7.3.36")])
def test_an_extended_key_usage_that_includes_signing_is_accepted(purpose):
    check_signing_certificate(leaf(eku=[ExtendedKeyUsageOID.SERVER_AUTH, purpose]), trust=TRUST, at=NOW)


def test_an_rsa_2048_key_is_accepted():
    check_signing_certificate(leaf(key=rsa.generate_private_key(65537, 2048)), trust=TRUST, at=NOW)


def test_the_test_pki_signing_certificates_pass(pki):
    trust = TrustStore.from_pem(anchors=pki.ca_path.read_bytes())
    for identity in (pki.bank, pki.bank_ec, pki.other_bank, pki.gateway):
        check_signing_certificate(identity.certificate, trust=trust, at=datetime.now(timezone.utc))


# --- refused, each with its code -----------------------------------------------------------------------------

def test_an_expired_certificate_is_refused():
    assert refusal(leaf(start=-timedelta(days=30), end=-timedelta(seconds=1))) == "certificate.expired"


def test_a_not_yet_valid_certificate_is_refused():
    assert refusal(leaf(start=timedelta(hours=1))) == "certificate.not_yet_valid"


def test_a_ca_certificate_is_refused_as_a_signing_certificate():
    assert refusal(leaf(ca=True, usage=dict(digital_signature=True, key_cert_sign=True))) == "certificate.wrong_key_usage"


def test_a_certificate_without_key_usage_is_refused():
    assert refusal(leaf(usage=None)) == "certificate.wrong_key_usage"


def test_a_certificate_for_encryption_only_is_refused():
    assert refusal(leaf(usage=dict(key_agreement=True))) == "certificate.wrong_key_usage"


@pytest.mark.parametrize("purposes", [[ExtendedKeyUsageOID.SERVER_AUTH],
                                      [ExtendedKeyUsageOID.CODE_SIGNING, ExtendedKeyUsageOID.TIME_STAMPING]])
def test_an_extended_key_usage_that_excludes_signing_is_refused(purposes):
    assert refusal(leaf(eku=purposes)) == "certificate.wrong_key_usage"


def test_an_rsa_key_under_2048_bits_is_refused():
    assert refusal(leaf(key=rsa.generate_private_key(65537, 1024))) == "certificate.unsupported_key"


def test_an_ec_key_on_another_curve_is_refused():
    assert refusal(leaf(key=ec.generate_private_key(ec.SECP384R1()))) == "certificate.unsupported_key"


def test_an_ed25519_key_is_refused():
    assert refusal(leaf(key=ed25519.Ed25519PrivateKey.generate())) == "certificate.unsupported_key"


def test_a_certificate_from_an_untrusted_ca_is_refused():
    assert refusal(leaf(issuer=(_ROGUE_KEY, ROGUE))) == "certificate.untrusted"


# --- reading ---------------------------------------------------------------------------------------------------

def test_a_pem_certificate_is_read():
    certificate = leaf()
    assert read_certificate(certificate_to_pem(certificate)) == certificate


def test_a_der_certificate_is_read():
    certificate = leaf()
    assert read_certificate(certificate.public_bytes(Encoding.DER)) == certificate


def test_the_first_certificate_of_a_pem_bundle_is_the_one_read():
    certificate = leaf()
    assert read_certificate(certificate_to_pem(certificate) + certificate_to_pem(CA)) == certificate


@pytest.mark.parametrize("content", [b"", b"hello", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                                     private_key_to_pem(EC_KEY)])
def test_what_is_not_a_certificate_is_refused_without_echoing_it(content):
    with pytest.raises(GatewayError) as refused:
        read_certificate(content)
    assert refused.value.code == "certificate.unreadable"
    assert "PRIVATE" not in refused.value.detail


# --- status, periods, fingerprints ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("revoked_at", "before", "after", "expected"), [
    (None, -1, 1, "current"), (None, 1, 2, "not_yet_valid"), (None, -2, -1, "expired"), (NOW, -1, 1, "revoked"),
    (NOW, -2, -1, "revoked"),
])
def test_the_status_of_a_certificate(revoked_at, before, after, expected):
    assert status_of(not_before=NOW + timedelta(days=before), not_after=NOW + timedelta(days=after),
                     revoked_at=revoked_at, now=NOW) == expected


@pytest.mark.parametrize(("text", "days"), [("30d", 30), ("30", 30), ("0d", 0), (" 7D ", 7), ("3650d", 3650)])
def test_a_period_is_a_number_of_days(text, days):
    assert parse_period(text) == days


@pytest.mark.parametrize("text", ["", "d", "30w", "-1d", "1.5d", "3651d", "thirty"])
def test_a_period_that_is_not_a_number_of_days_is_refused(text):
    with pytest.raises(GatewayError) as refused:
        parse_period(text)
    assert refused.value.code == "certificate.bad_period"


def test_a_fingerprint_typed_with_capitals_and_colons_is_the_stored_one():
    assert normalized_fingerprint("AB:CD:ef 01") == "abcdef01"
