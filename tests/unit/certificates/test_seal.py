"""The seal that signs certificates: loaded once per key file version, picked up again when the
operator replaces it; and the two halves of a certificate a benchmark measures apart."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gateway.certificates.throughput import render_sample_pdf, seal_pdf
from gateway.errors import ConfigurationError
from gateway.keys import load_seal
from gateway.settings import Settings
from signing import pki
from signing.pades import verify_pdf
from signing.trust import certificate_fingerprint
from tests.conftest import make_settings

from .tools import pdf_text

NOW = datetime.now(timezone.utc)


@pytest.fixture(scope="module")
def seal_ca():
    return pki.make_ca(common_name="Seal Test Root CA", organization="平罗县不动产登记中心",
                       not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=365))


def write_seal(keys: Path, seal_ca) -> str:
    """A new seal key and certificate, written as an operator would (each file replaced whole);
    returns the certificate's fingerprint."""
    key = pki.generate_private_key("ec")
    certificate = pki.issue_certificate(
        ca_key=seal_ca[0], ca_cert=seal_ca[1], common_name="平罗县不动产登记中心电子印章",
        organization="平罗县不动产登记中心", public_key=key.public_key(),
        not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=30))
    keys.mkdir(parents=True, exist_ok=True)
    for name, content in (("seal-key.pem", pki.private_key_to_pem(key)),
                          ("seal-cert.pem", pki.certificate_to_pem(certificate))):
        (keys / f"{name}.new").write_bytes(content)
        os.replace(keys / f"{name}.new", keys / name)
    return certificate_fingerprint(certificate)


@pytest.fixture
def settings(tmp_path, pki) -> Settings:
    return make_settings(tmp_path / "var", pki)


def test_the_seal_is_loaded_once_for_many_certificates(settings, seal_ca):
    write_seal(settings.data_dir / "keys", seal_ca)

    assert load_seal(settings) is load_seal(settings)


def test_a_seal_replaced_by_the_operator_seals_the_next_certificate(settings, seal_ca):
    write_seal(settings.data_dir / "keys", seal_ca)
    seal_pdf(settings, render_sample_pdf(settings))
    replacement = write_seal(settings.data_dir / "keys", seal_ca)

    report = verify_pdf(seal_pdf(settings, render_sample_pdf(settings)), trust_anchors=[seal_ca[1]])

    assert report.valid, report.problem
    assert report.signer_fingerprint == replacement


def test_without_a_seal_of_its_own_the_gateway_key_seals_certificates(settings, pki):
    assert certificate_fingerprint(load_seal(settings).certificate) == pki.gateway.fingerprint


def test_without_any_key_loading_the_seal_is_a_configuration_error(tmp_path, pki):
    settings = make_settings(tmp_path / "var", pki, signing_key_path=tmp_path / "missing-key.pem")

    with pytest.raises(ConfigurationError, match="missing"):
        load_seal(settings)


def test_the_sample_certificate_is_unsigned_and_printed_for_the_configured_authority(settings, write_pdf):
    pdf = render_sample_pdf(settings)

    assert verify_pdf(pdf, trust_anchors=[]).problem == "the PDF carries no signature"
    text = pdf_text(write_pdf(pdf))
    assert settings.authority_name in text
    assert f"{settings.public_base_url}/verify" in text


def test_each_sample_certificate_has_its_own_verification_code(settings, write_pdf):
    texts = [pdf_text(write_pdf(render_sample_pdf(settings), f"sample-{n}.pdf")) for n in range(2)]

    assert texts[0] != texts[1]


def test_the_sealed_sample_verifies_against_the_seals_ca(settings, seal_ca):
    fingerprint = write_seal(settings.data_dir / "keys", seal_ca)

    report = verify_pdf(seal_pdf(settings, render_sample_pdf(settings)), trust_anchors=[seal_ca[1]])

    assert report.valid, report.problem
    assert report.signer_fingerprint == fingerprint
