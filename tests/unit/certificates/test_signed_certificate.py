"""The rendered certificate, sealed with PAdES, as a bank or a court would check it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from signing import pki
from signing.pades import sign_pdf, verify_pdf

from .tools import PDFSIG_DIGEST_MISMATCH, PDFSIG_TRUSTED, PDFSIG_VALID, nss_database, pdf_text, pdfsig


@pytest.fixture(scope="module")
def registry_ca():
    now = datetime.now(timezone.utc)
    return pki.make_ca(common_name="Pingluo Registry Demo Root CA", organization="平罗县不动产登记中心",
                       not_before=now - timedelta(days=1), not_after=now + timedelta(days=365))


@pytest.fixture(scope="module")
def sealed_certificate(certificate_pdf, registry_ca) -> bytes:
    ca_key, ca_certificate = registry_ca
    now = datetime.now(timezone.utc)
    seal_key = pki.generate_private_key("ec")
    seal_certificate = pki.issue_certificate(
        ca_key=ca_key, ca_cert=ca_certificate, common_name="平罗县不动产登记中心电子印章",
        organization="平罗县不动产登记中心", public_key=seal_key.public_key(),
        not_before=now - timedelta(days=1), not_after=now + timedelta(days=30),
    )
    return sign_pdf(certificate_pdf, key=seal_key, certificate=seal_certificate, chain=[ca_certificate],
                    location="平罗县")


@pytest.fixture(scope="module")
def pdfsig_database(tmp_path_factory, registry_ca):
    return nss_database(tmp_path_factory.mktemp("nss") / "db", pki.certificate_to_pem(registry_ca[1]))


def _change_one_byte_of_the_page_content(pdf: bytes) -> bytes:
    content_object = re.search(rb"/Contents (\d+) 0 R", pdf).group(1)
    start = pdf.index(b"stream", pdf.index(b"\n" + content_object + b" 0 obj")) + 40
    damaged = bytearray(pdf)
    damaged[start] ^= 0x01
    return bytes(damaged)


def test_a_sealed_certificate_verifies_with_pyhanko(sealed_certificate, registry_ca):
    report = verify_pdf(sealed_certificate, trust_anchors=[registry_ca[1]])

    assert report.valid, report.problem
    assert "平罗县不动产登记中心电子印章" in report.signer_subject


def test_a_sealed_certificate_verifies_with_pdfsig_against_the_issuing_ca(sealed_certificate, pdfsig_database,
                                                                          write_pdf):
    output = pdfsig(write_pdf(sealed_certificate), pdfsig_database)

    assert PDFSIG_VALID in output
    assert PDFSIG_TRUSTED in output


def test_sealing_keeps_the_text_extractable(sealed_certificate, write_pdf):
    assert "不动产登记证明" in pdf_text(write_pdf(sealed_certificate))


def test_a_sealed_certificate_with_one_changed_byte_in_its_page_is_reported_altered(sealed_certificate, registry_ca,
                                                                                    pdfsig_database, write_pdf):
    damaged = _change_one_byte_of_the_page_content(sealed_certificate)

    report = verify_pdf(damaged, trust_anchors=[registry_ca[1]])

    assert (report.signed, report.intact, report.valid) == (True, False, False)
    assert PDFSIG_DIGEST_MISMATCH in pdfsig(write_pdf(damaged), pdfsig_database)
