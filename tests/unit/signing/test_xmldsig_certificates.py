"""Certificate checks as seen through verify_enveloped: validity, trust, the signer's key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lxml import etree

from signing import pki
from signing.errors import (
    CertificateExpired,
    CertificateNotYetValid,
    CertificateUntrusted,
    SignatureInvalid,
)
from signing.trust import TrustStore
from signing.xmldsig import sign_enveloped
from signing.xmldsig_profile import DS_NS


def test_a_document_signed_with_an_expired_certificate_is_refused(application_xml, root_ca, issue, verify, now):
    expired = issue(root_ca, kind="ec", valid_from=now - timedelta(days=60), valid_until=now - timedelta(days=1))
    signed = sign_enveloped(application_xml, key=expired.key, certificate=expired.certificate)

    with pytest.raises(CertificateExpired):
        verify(signed)


def test_a_document_signed_with_a_not_yet_valid_certificate_is_refused(application_xml, root_ca, issue, verify, now):
    future = issue(root_ca, kind="ec", valid_from=now + timedelta(days=1), valid_until=now + timedelta(days=60))
    signed = sign_enveloped(application_xml, key=future.key, certificate=future.certificate)

    with pytest.raises(CertificateNotYetValid):
        verify(signed)


def test_a_certificate_is_judged_at_the_given_time_not_the_clock(application_xml, root_ca, issue, verify, now):
    expired = issue(root_ca, kind="ec", valid_from=now - timedelta(days=60), valid_until=now - timedelta(days=1))
    signed = sign_enveloped(application_xml, key=expired.key, certificate=expired.certificate)

    verified = verify(signed, at=now - timedelta(days=2))

    assert verified.certificate == expired.certificate


def test_a_document_signed_under_an_untrusted_ca_is_refused(application_xml, other_ca, issue, verify):
    stranger = issue(other_ca, kind="ec")
    signed = sign_enveloped(application_xml, key=stranger.key, certificate=stranger.certificate)

    with pytest.raises(CertificateUntrusted):
        verify(signed)


def test_a_document_carrying_its_own_untrusted_ca_in_key_info_is_refused(application_xml, other_ca, issue, verify):
    stranger = issue(other_ca, kind="ec")
    signed = sign_enveloped(
        application_xml, key=stranger.key, certificate=stranger.certificate, chain=[other_ca.certificate]
    )

    with pytest.raises(CertificateUntrusted):
        verify(signed)


def test_a_document_signed_with_a_self_signed_certificate_is_refused(application_xml, verify, now):
    key = pki.generate_private_key("ec")
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Self-made Signer")])
    self_signed = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    signed = sign_enveloped(application_xml, key=key, certificate=self_signed)

    with pytest.raises(CertificateUntrusted):
        verify(signed)


def test_a_document_signed_with_the_ca_key_itself_is_refused(application_xml, root_ca, verify):
    signed = sign_enveloped(application_xml, key=root_ca.key, certificate=root_ca.certificate)

    with pytest.raises(CertificateUntrusted):
        verify(signed)


def test_a_genuine_certificate_swapped_into_key_info_does_not_verify(application_xml, root_ca, issue, verify, edit):
    # Both certificates are trusted; the signature was made with the other one's key.
    signer, bystander = issue(root_ca, kind="ec"), issue(root_ca, kind="ec")
    signed = sign_enveloped(application_xml, key=signer.key, certificate=signer.certificate)
    bystander_signed = sign_enveloped(application_xml, key=bystander.key, certificate=bystander.certificate)

    def take_bystanders_key_info(root: etree._Element) -> None:
        key_info = root.find(f"{{{DS_NS}}}Signature/{{{DS_NS}}}KeyInfo")
        other = etree.fromstring(bystander_signed).find(f"{{{DS_NS}}}Signature/{{{DS_NS}}}KeyInfo")
        key_info.getparent().replace(key_info, other)

    with pytest.raises(SignatureInvalid):
        verify(edit(signed, take_bystanders_key_info))


def test_an_empty_trust_store_refuses_every_document(signed_application, verify):
    with pytest.raises(CertificateUntrusted):
        verify(signed_application, trust=TrustStore(anchors=()))
