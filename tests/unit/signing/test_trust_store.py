"""The trust store: validity first, then a verified path to one of the anchors."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from signing import pki
from signing.errors import CertificateExpired, CertificateNotYetValid, CertificateUntrusted
from signing.trust import TrustStore, certificate_fingerprint, load_pem_certificates


def _self_signed_signer(now, *, ca: bool = False) -> x509.Certificate:
    key = pki.generate_private_key("ec")
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Self-made Bank Signer")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, ca, False, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )


def test_a_certificate_issued_by_an_anchor_is_trusted(trust, rsa_signer, now):
    trust.validate(rsa_signer.certificate, at=now)


def test_an_ec_signer_certificate_issued_by_an_anchor_is_trusted(trust, ec_signer, now):
    trust.validate(ec_signer.certificate, at=now)


def test_a_certificate_used_after_its_validity_is_expired(trust, rsa_signer):
    later = rsa_signer.certificate.not_valid_after_utc + timedelta(seconds=1)

    with pytest.raises(CertificateExpired):
        trust.validate(rsa_signer.certificate, at=later)


def test_a_certificate_used_before_its_validity_is_not_yet_valid(trust, rsa_signer):
    earlier = rsa_signer.certificate.not_valid_before_utc - timedelta(seconds=1)

    with pytest.raises(CertificateNotYetValid):
        trust.validate(rsa_signer.certificate, at=earlier)


def test_an_expired_certificate_from_an_unknown_ca_is_reported_as_expired_first(issue, other_ca, trust, now):
    stranger = issue(other_ca, kind="ec", valid_from=now - timedelta(days=10), valid_until=now - timedelta(days=1))

    with pytest.raises(CertificateExpired):
        trust.validate(stranger.certificate, at=now)


def test_a_certificate_from_another_ca_is_untrusted(issue, other_ca, trust, now):
    stranger = issue(other_ca, kind="ec")

    with pytest.raises(CertificateUntrusted):
        trust.validate(stranger.certificate, at=now)


def test_a_foreign_ca_presented_alongside_its_signer_is_not_an_anchor(issue, other_ca, trust, now):
    stranger = issue(other_ca, kind="ec")

    with pytest.raises(CertificateUntrusted):
        trust.validate(stranger.certificate, at=now, presented=[other_ca.certificate])


def test_a_self_signed_signer_certificate_is_untrusted(trust, now):
    with pytest.raises(CertificateUntrusted):
        trust.validate(_self_signed_signer(now), at=now)


def test_a_self_signed_signer_certificate_pinned_as_an_anchor_is_trusted(now):
    pinned = _self_signed_signer(now)

    TrustStore(anchors=(pinned,)).validate(pinned, at=now)


def test_an_anchor_ca_certificate_cannot_be_a_signer(trust, root_ca, now):
    with pytest.raises(CertificateUntrusted):
        trust.validate(root_ca.certificate, at=now)


def test_a_store_without_anchors_trusts_nothing(rsa_signer, now):
    with pytest.raises(CertificateUntrusted):
        TrustStore(anchors=()).validate(rsa_signer.certificate, at=now)


def test_a_signer_under_a_presented_intermediate_is_trusted(make_intermediate, trust, issue, now):
    intermediate = make_intermediate()
    signer = issue(intermediate, kind="ec")

    trust.validate(signer.certificate, at=now, presented=[intermediate.certificate])


def test_a_signer_under_an_intermediate_known_to_the_store_is_trusted(root_ca, make_intermediate, issue, now):
    intermediate = make_intermediate()
    signer = issue(intermediate, kind="ec")
    store = TrustStore(anchors=(root_ca.certificate,), intermediates=(intermediate.certificate,))

    store.validate(signer.certificate, at=now)


def test_a_signer_under_an_expired_intermediate_is_untrusted(make_intermediate, trust, issue, now):
    intermediate = make_intermediate(valid_until=now - timedelta(days=1))
    signer = issue(intermediate, kind="ec")

    with pytest.raises(CertificateUntrusted):
        trust.validate(signer.certificate, at=now, presented=[intermediate.certificate])


def test_a_signer_under_an_intermediate_that_is_not_presented_is_untrusted(make_intermediate, trust, issue, now):
    signer = issue(make_intermediate(), kind="ec")

    with pytest.raises(CertificateUntrusted):
        trust.validate(signer.certificate, at=now)


def test_a_signer_certificate_without_signing_key_usage_is_untrusted(root_ca, trust, now):
    key = pki.generate_private_key("ec")
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Encryption only")]))
        .issuer_name(root_ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.KeyUsage(False, False, False, False, True, False, False, False, False), critical=True)
        .sign(root_ca.key, hashes.SHA256())
    )

    with pytest.raises(CertificateUntrusted):
        trust.validate(certificate, at=now)


def test_a_naive_verification_time_is_refused(trust, rsa_signer, now):
    with pytest.raises(ValueError, match="timezone-aware"):
        trust.validate(rsa_signer.certificate, at=now.replace(tzinfo=None))


def test_the_untrusted_message_names_the_fingerprint_not_the_subject(issue, other_ca, trust, now):
    stranger = issue(other_ca, kind="ec")

    with pytest.raises(CertificateUntrusted) as refused:
        trust.validate(stranger.certificate, at=now)

    assert certificate_fingerprint(stranger.certificate) in str(refused.value)
    assert "Bank of Pingluo" not in str(refused.value)


def test_the_fingerprint_is_the_lower_case_hex_sha256_of_the_der(rsa_signer):
    der = rsa_signer.certificate.public_bytes(Encoding.DER)

    assert certificate_fingerprint(rsa_signer.certificate) == hashlib.sha256(der).hexdigest()


def test_a_pem_bundle_loads_every_certificate_in_order(root_ca, rsa_signer):
    bundle = pki.certificate_to_pem(rsa_signer.certificate) + pki.certificate_to_pem(root_ca.certificate)

    assert load_pem_certificates(bundle) == [rsa_signer.certificate, root_ca.certificate]


def test_a_pem_bundle_without_certificates_is_refused():
    with pytest.raises(ValueError):
        load_pem_certificates(b"no certificates here")


def test_a_store_built_from_pem_holds_the_anchors(root_ca):
    store = TrustStore.from_pem(anchors=pki.certificate_to_pem(root_ca.certificate))

    assert store.anchors == (root_ca.certificate,)
