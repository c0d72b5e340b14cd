"""The pdfsig commands of docs/interface/signature-profile.md §5, run exactly as printed there.

A relying party (a court, another bank) follows the docs: it makes an NSS database holding the
seal's CA with certutil, then checks a certificate PDF the gateway issued with pdfsig. The shell
block is taken from the document itself, so the docs cannot drift from what works. The tools are
Debian's (.ci/ensure-system-deps installs them); a missing tool fails the test.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from signing.httpsig import HttpSignatureAuth
from tests.conftest import REVIEWER_PASSWORD, staff_headers
from tests.integration.helpers import approve, submit_new
from tests.support.pdf_tools import PDFSIG_ISSUER_UNTRUSTED, PDFSIG_TRUSTED, PDFSIG_VALID, flip_one_signed_byte
from tests.support.tamper import runtime_from_template, seeded_database  # noqa: F401

PROFILE = Path(__file__).resolve().parents[2] / "docs" / "interface" / "signature-profile.md"


def documented_commands() -> str:
    """The shell block of the profile that runs pdfsig against an NSS database."""
    blocks = re.findall(r"```sh\n(.*?)```", PROFILE.read_text(encoding="utf-8"), re.DOTALL)
    [block] = [b for b in blocks if "pdfsig -nssdir" in b]
    return block


@pytest.fixture(scope="module")
def certificate_pdf(seeded_database, tmp_path_factory, pki) -> bytes:
    runtime = runtime_from_template(seeded_database, tmp_path_factory.mktemp("pdfsig") / "var", pki)
    bank = HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key)
    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        number = submit_new(client, pki, bank)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        response = client.get(f"/v1/applications/{number}/certificate.pdf", auth=bank)
        assert response.status_code == 200, response.text
    runtime.close()
    return response.content


def run_documented_commands(directory: Path, pdf: bytes, seal_ca: bytes, *, trust: str | None = None) -> str:
    """The documented block in ``directory`` with the PDF and the CA under the names it uses
    (``trust`` replaces its certutil trust flags, to check what the docs say about them)."""
    for tool in ("certutil", "pdfsig"):
        assert shutil.which(tool), f"{tool} is missing: run .ci/ensure-system-deps"
    directory.mkdir()
    (directory / "certificate.pdf").write_bytes(pdf)
    (directory / "seal-ca.pem").write_bytes(seal_ca)
    commands = documented_commands() if trust is None else documented_commands().replace('"CT,C,C"', f'"{trust}"')
    completed = subprocess.run(["sh", "-e", "-c", commands], cwd=directory, capture_output=True,
                               text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout + completed.stderr


def test_the_documented_commands_show_the_seal_valid_and_trusted(certificate_pdf, pki, tmp_path):
    output = run_documented_commands(tmp_path / "relying-party", certificate_pdf, pki.ca_path.read_bytes())

    assert PDFSIG_VALID in output
    assert PDFSIG_TRUSTED in output


def test_the_documented_commands_show_a_changed_pdf_as_a_digest_mismatch(certificate_pdf, pki, tmp_path):
    output = run_documented_commands(tmp_path / "relying-party", flip_one_signed_byte(certificate_pdf),
                                     pki.ca_path.read_bytes())

    assert "Digest Mismatch" in output
    assert PDFSIG_VALID not in output


def test_with_another_certificate_in_the_database_the_seal_is_not_trusted(certificate_pdf, pki, tmp_path):
    output = run_documented_commands(tmp_path / "relying-party", certificate_pdf, pki.untrusted.cert_pem)

    assert PDFSIG_VALID in output  # the signature itself is intact
    assert PDFSIG_TRUSTED not in output
    assert "- Certificate Validation: Certificate issuer is unknown." in output


def test_a_ca_trusted_for_tls_servers_only_does_not_make_the_seal_trusted(certificate_pdf, pki, tmp_path):
    """Why the docs use CT,C,C: pdfsig reads the second trust field (documents and e-mail)."""
    output = run_documented_commands(tmp_path / "relying-party", certificate_pdf, pki.ca_path.read_bytes(),
                                     trust="C,,")

    assert PDFSIG_ISSUER_UNTRUSTED in output
