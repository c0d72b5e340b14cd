"""The demo PKI issues certificates in the profile the verifier expects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from signing import pki


def test_a_ca_certificate_is_a_critical_ca_with_certificate_signing_usage(root_ca):
    extensions = root_ca.certificate.extensions

    constraints = extensions.get_extension_for_class(x509.BasicConstraints)
    usage = extensions.get_extension_for_class(x509.KeyUsage).value
    assert constraints.critical and constraints.value.ca
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature


def test_a_ca_certificate_is_self_signed(root_ca):
    assert root_ca.certificate.issuer == root_ca.certificate.subject
    root_ca.certificate.verify_directly_issued_by(root_ca.certificate)


def test_a_signer_certificate_is_not_a_ca_and_may_sign_with_non_repudiation(rsa_signer):
    extensions = rsa_signer.certificate.extensions

    usage = extensions.get_extension_for_class(x509.KeyUsage).value
    assert not extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign


def test_a_signer_certificate_has_no_extended_key_usage(rsa_signer):
    with pytest.raises(x509.ExtensionNotFound):
        rsa_signer.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)


def test_a_signer_certificate_names_its_issuers_key(rsa_signer, root_ca):
    authority = rsa_signer.certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    issuer_key = root_ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value

    assert authority.key_identifier == issuer_key.digest
    rsa_signer.certificate.verify_directly_issued_by(root_ca.certificate)


def test_an_intermediate_ca_may_issue_only_signer_certificates(make_intermediate, root_ca):
    intermediate = make_intermediate()

    constraints = intermediate.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca and constraints.path_length == 0
    intermediate.certificate.verify_directly_issued_by(root_ca.certificate)


def test_certificate_validity_is_what_was_asked_for(root_ca, issue, now):
    signer = issue(root_ca, kind="ec", valid_from=now - timedelta(days=2), valid_until=now + timedelta(days=3))

    assert signer.certificate.not_valid_before_utc == now - timedelta(days=2)
    assert signer.certificate.not_valid_after_utc == now + timedelta(days=3)


def test_serial_numbers_are_positive_and_distinct(root_ca, rsa_signer, ec_signer):
    serials = {cert.serial_number for cert in (root_ca.certificate, rsa_signer.certificate, ec_signer.certificate)}

    assert len(serials) == 3 and all(0 < serial < 2**159 for serial in serials)


def test_generated_keys_are_rsa_2048_or_ec_p256():
    assert pki.generate_private_key("rsa").key_size == 2048
    assert isinstance(pki.generate_private_key("ec").curve, ec.SECP256R1)


def test_an_unknown_key_kind_is_refused():
    with pytest.raises(ValueError):
        pki.generate_private_key("dsa")  # type: ignore[arg-type]


def test_a_private_key_round_trips_through_unencrypted_pkcs8_pem(ec_signer):
    pem = pki.private_key_to_pem(ec_signer.key)

    loaded = pki.load_private_key_pem(pem)

    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert loaded.private_numbers() == ec_signer.key.private_numbers()


def test_an_rsa_private_key_round_trips_through_pem(rsa_signer):
    loaded = pki.load_private_key_pem(pki.private_key_to_pem(rsa_signer.key))

    assert isinstance(loaded, rsa.RSAPrivateKey)
    assert loaded.private_numbers() == rsa_signer.key.private_numbers()


def test_loading_a_key_type_the_gateway_does_not_use_is_refused():
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())

    with pytest.raises(ValueError):
        pki.load_private_key_pem(pem)


def test_a_certificate_round_trips_through_pem(rsa_signer):
    pem = pki.certificate_to_pem(rsa_signer.certificate)

    assert x509.load_pem_x509_certificate(pem) == rsa_signer.certificate
