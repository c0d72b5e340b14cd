"""E-certificates through the API: made in the background after approval, downloaded by the bank,
checked with the tools a court or another bank would use (pyHanko, poppler's pdfsig, xmlsec1),
generated exactly once, private to the bank, and superseded by a later change or transfer.

One approved application is shared by the read-only tests of this module (``issued``); tests
that change the register or rerun the task get a gateway of their own.
"""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select
from sqlalchemy import text as sql

from bank_adapters import ChangeField, ChangeItem
from gateway.api.app import create_app
from gateway.certificates.models import IssuedCertificate
from gateway.keys import SealSigner
from gateway.persistence.db import transaction
from gateway.persistence.models import Application, SignedDocument
from gateway.register.models import RegistrationEntry
from gateway.runtime import Runtime
from gateway.tasks import registry
from signing.httpsig import HttpSignatureAuth
from signing.pades import verify_pdf
from signing.trust import load_pem_certificates
from tests.conftest import REVIEWER_PASSWORD, staff_headers
from tests.integration.helpers import NS, approve, claim, submit_new
from tests.support import pdf_tools, scenarios as s
from tests.support.tamper import counters, runtime, runtime_from_template, seeded_database  # noqa: F401 (fixtures)

BANK_NAME = "平罗县测试商业银行"


@dataclass(frozen=True)
class Issued:
    """An approved application and everything the bank downloads for it."""

    runtime: Runtime
    client: TestClient
    application_no: str
    pdf: bytes
    xml: bytes
    result: bytes


def download(client: TestClient, number: str, fmt: str, auth) -> bytes:
    response = client.get(f"/v1/applications/{number}/certificate.{fmt}", auth=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(f"application/{fmt}")
    return response.content


def issue(client: TestClient, pki, auth, reviewer) -> tuple[str, bytes, bytes, bytes]:
    """Submit a first mortgage, approve it (no further step) and download certificate and result."""
    number = submit_new(client, pki, auth)
    approve(client, number, reviewer)
    result = client.get(f"/v1/applications/{number}/result", auth=auth)
    assert result.status_code == 200, result.text
    return number, download(client, number, "pdf", auth), download(client, number, "xml", auth), result.content


def text(xml: bytes, path: str) -> str | None:
    return etree.fromstring(xml).findtext(path, namespaces=NS)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_of(runtime: Runtime, number: str) -> RegistrationEntry:
    with transaction(runtime.sessions) as session:
        return session.scalar(select(RegistrationEntry).join(Application, Application.id == RegistrationEntry.application_id)
                              .where(Application.application_no == number))


def stored_certificates(runtime: Runtime) -> list[tuple[str, str, bytes, bytes, str]]:
    with transaction(runtime.sessions) as session:
        return [(c.certificate_no, c.verification_code, c.pdf, c.xml, c.status)
                for c in session.scalars(select(IssuedCertificate).order_by(IssuedCertificate.id))]


def result_documents(runtime: Runtime, number: str) -> list[bytes]:
    with transaction(runtime.sessions) as session:
        return list(session.scalars(select(SignedDocument.content).join(Application)
                                    .where(Application.application_no == number, SignedDocument.kind == "result")))


@pytest.fixture(scope="module")
def issued(seeded_database, tmp_path_factory, pki) -> Iterator[Issued]:
    runtime = runtime_from_template(seeded_database, tmp_path_factory.mktemp("issued") / "var", pki)
    auth = HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key)
    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        reviewer = staff_headers(client, "reviewer", REVIEWER_PASSWORD)
        yield Issued(runtime, client, *issue(client, pki, auth, reviewer))
    runtime.close()


@pytest.fixture(scope="module")
def ca_nss(tmp_path_factory, pki) -> Path:
    return pdf_tools.nss_trusting(tmp_path_factory.mktemp("nss") / "db", pki.ca_path)


# --- what the bank receives -------------------------------------------------------------------------------

def test_an_approved_application_yields_a_pdf_and_an_xml_certificate_without_a_human_step(issued):
    assert issued.pdf.startswith(b"%PDF-")
    assert etree.fromstring(issued.xml).tag == f"{{{NS['g']}}}RegistrationCertificate"
    assert text(issued.result, "g:Decision") == "APPROVED"


def test_the_pdf_seal_validates_with_pyhanko_against_the_issuing_ca(issued, pki):
    report = verify_pdf(issued.pdf, trust_anchors=load_pem_certificates(pki.ca_path.read_bytes()))

    assert report.valid, report.problem
    assert report.signer_fingerprint == pki.gateway.fingerprint  # the seal falls back to the gateway key in tests


def test_the_pdf_seal_validates_with_pdfsig_against_the_issuing_ca(issued, ca_nss, tmp_path):
    output = pdf_tools.pdfsig_report(issued.pdf, ca_nss, tmp_path)

    assert pdf_tools.PDFSIG_VALID in output, output
    assert pdf_tools.PDFSIG_TRUSTED in output, output


def test_pdfsig_does_not_trust_the_seal_without_the_issuing_ca(issued, tmp_path, pki):
    """The check above means something: an NSS database trusting only an unrelated certificate does not."""
    unrelated = tmp_path / "unrelated.pem"
    unrelated.write_bytes(pki.untrusted.cert_pem)  # issued by a CA the gateway does not know
    output = pdf_tools.pdfsig_report(issued.pdf, pdf_tools.nss_trusting(tmp_path / "db", unrelated), tmp_path)

    assert pdf_tools.PDFSIG_VALID in output, output
    assert pdf_tools.PDFSIG_TRUSTED not in output, output


def test_the_xml_twin_verifies_with_xmlsec1_and_names_the_pdf_by_its_sha256(issued, pki):
    verified, output = pdf_tools.xml_verifies(issued.xml, pki.ca_path)

    assert verified, output
    assert text(issued.xml, "g:PdfSha256") == sha256(issued.pdf)


def test_the_signed_result_carries_the_certificate_number_and_the_sha256_of_both_downloads(issued, pki):
    verified, output = pdf_tools.xml_verifies(issued.result, pki.ca_path)

    assert verified, output
    assert text(issued.result, "g:Registration/g:CertificateNo") == text(issued.xml, "g:CertificateNo")
    assert text(issued.result, "g:Certificate/g:PdfSha256") == sha256(issued.pdf)
    assert text(issued.result, "g:Certificate/g:XmlSha256") == sha256(issued.xml)
    assert text(issued.result, "g:Certificate/g:VerificationCode") == text(issued.xml, "g:VerificationCode")


def test_the_certificate_number_is_the_register_entrys(issued):
    entry = entry_of(issued.runtime, issued.application_no)

    assert s.CERTIFICATE_NO.fullmatch(entry.certificate_no)
    assert text(issued.xml, "g:CertificateNo") == entry.certificate_no
    assert [c[0] for c in stored_certificates(issued.runtime)] == [entry.certificate_no]


def test_the_pdf_embeds_every_font_it_uses(issued, tmp_path):
    fonts = pdf_tools.pdf_fonts(pdf_tools.write(tmp_path, "certificate.pdf", issued.pdf))

    assert fonts, "the certificate uses no font"
    assert [f["emb"] for f in fonts] == ["yes"] * len(fonts), fonts


def test_the_pdf_text_shows_the_certificate_number_the_right_and_the_mortgagee(issued, tmp_path):
    shown = pdf_tools.pdf_text(pdf_tools.write(tmp_path, "certificate.pdf", issued.pdf))

    assert text(issued.xml, "g:CertificateNo") in shown
    assert "抵押权" in shown
    assert BANK_NAME in shown
    assert text(issued.xml, "g:VerificationCode") in shown


def test_the_downloads_are_the_stored_bytes(issued):
    [(_, _, pdf, xml, status)] = stored_certificates(issued.runtime)

    assert (pdf, xml, status) == (issued.pdf, issued.xml, "IN_FORCE")


# --- exactly once -------------------------------------------------------------------------------------------

def test_running_the_generation_task_again_changes_nothing(client, runtime, pki, bank_auth, reviewer):
    number, pdf, xml, result = issue(client, pki, bank_auth, reviewer)
    entry_id = entry_of(runtime, number).id
    before = (stored_certificates(runtime), result_documents(runtime, number), counters(runtime))

    registry.run(runtime, "certificates.generate", [entry_id])
    registry.run(runtime, "certificates.generate", [entry_id])
    assert runtime.wait_idle(30)

    assert (stored_certificates(runtime), result_documents(runtime, number), counters(runtime)) == before
    assert len(before[0]) == 1 and len(before[1]) == 1
    assert download(client, number, "pdf", bank_auth) == pdf
    assert download(client, number, "xml", bank_auth) == xml
    assert client.get(f"/v1/applications/{number}/result", auth=bank_auth).content == result


def hold_certificate_tasks(runtime: Runtime, monkeypatch) -> list[list]:
    """Keep ``certificates.generate`` tasks from running (as a slow or lost worker would); the rest run."""
    held: list[list] = []
    submit = runtime.dispatcher.runner.submit

    def hold(name: str, args: list) -> None:
        held.append(args) if name == "certificates.generate" else submit(name, args)

    monkeypatch.setattr(runtime.dispatcher.runner, "submit", hold)
    return held


def test_a_registered_application_has_no_certificate_until_the_background_task_has_run(
        client, runtime, pki, bank_auth, reviewer, monkeypatch):
    held = hold_certificate_tasks(runtime, monkeypatch)
    number = submit_new(client, pki, bank_auth)
    approve(client, number, reviewer)

    response = client.get(f"/v1/applications/{number}/certificate.pdf", auth=bank_auth)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "certificate.not_ready"
    assert held == [[entry_of(runtime, number).id]]

    registry.run(runtime, "certificates.generate", held[0])
    assert download(client, number, "pdf", bank_auth).startswith(b"%PDF-")


def test_other_units_of_work_can_write_while_a_certificate_is_sealed(
        client, runtime, pki, bank_auth, reviewer, monkeypatch):
    held = hold_certificate_tasks(runtime, monkeypatch)
    number = submit_new(client, pki, bank_auth)
    approve(client, number, reviewer)
    written_while_sealing: list[bool] = []

    def write_elsewhere() -> None:
        with transaction(runtime.sessions) as session:
            session.execute(sql("UPDATE counters SET value = value WHERE name = 'none'"))

    def seal_while_another_unit_of_work_writes(self, pdf: bytes, **options) -> bytes:
        writer = threading.Thread(target=write_elsewhere)
        writer.start()
        writer.join(timeout=5)  # the embedded database's write lock would keep it waiting 30 s
        written_while_sealing.append(not writer.is_alive())
        return seal_pdf(self, pdf, **options)

    seal_pdf = SealSigner.seal_pdf
    monkeypatch.setattr(SealSigner, "seal_pdf", seal_while_another_unit_of_work_writes)
    registry.run(runtime, "certificates.generate", held[0])

    assert written_while_sealing == [True]
    assert download(client, number, "pdf", bank_auth).startswith(b"%PDF-")


def test_a_certificate_made_only_after_a_change_registration_is_issued_superseded(
        client, runtime, pki, bank_auth, reviewer, monkeypatch):
    held = hold_certificate_tasks(runtime, monkeypatch)
    first = submit_new(client, pki, bank_auth)
    approve(client, first, reviewer)
    monkeypatch.undo()  # the worker is back; the first registration's task is still lost
    [mortgage] = s.in_force(runtime)
    change = s.submit_ok(client, s.change(mortgage.certificate_no, ChangeItem(ChangeField.DEBT_END, "2045-11-30")),
                         s.main_bank(pki))
    s.approve(client, change, reviewer)

    registry.run(runtime, "certificates.generate", held[0])  # re-driven late, e.g. by the sweep

    change_no = text(download(client, change, "xml", bank_auth), "g:CertificateNo")
    earlier = verify_status(client, download(client, first, "xml", bank_auth))
    assert (earlier["status"], earlier["status_reference"]) == ("SUPERSEDED", change_no)
    assert [c[4] for c in stored_certificates(runtime)] == ["IN_FORCE", "SUPERSEDED"]  # the change's was made first


# --- who may download ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["pdf", "xml"])
def test_another_bank_cannot_download_the_certificate(issued, other_bank_auth, fmt):
    response = issued.client.get(f"/v1/applications/{issued.application_no}/certificate.{fmt}", auth=other_bank_auth)

    assert response.status_code == 404, response.text
    assert text(issued.xml, "g:CertificateNo") not in response.text
    assert b"%PDF" not in response.content


def test_a_download_needs_a_signed_request(issued):
    response = issued.client.get(f"/v1/applications/{issued.application_no}/certificate.pdf")

    assert response.status_code == 401, response.text
    assert response.json()["code"] == "http_signature.missing"


def test_a_rejected_application_has_no_certificate(client, runtime, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    claim(client, number, reviewer)
    decided = client.post(f"/v1/review/applications/{number}/decision",
                          json={"decision": "reject", "reason": "抵押合同未加盖抵押人签章"}, headers=reviewer)
    assert decided.status_code == 200, decided.text
    assert runtime.wait_idle(30)

    for fmt in ("pdf", "xml"):
        response = client.get(f"/v1/applications/{number}/certificate.{fmt}", auth=bank_auth)
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "certificate.not_ready"
    assert stored_certificates(runtime) == []


def test_an_application_still_in_review_has_no_certificate(client, pki, bank_auth):
    number = submit_new(client, pki, bank_auth)

    response = client.get(f"/v1/applications/{number}/certificate.xml", auth=bank_auth)

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "certificate.not_ready"


# --- a later registration supersedes the certificate --------------------------------------------------------

def verify_status(client: TestClient, xml: bytes) -> dict:
    response = client.get(f"/v1/verify/{text(xml, 'g:VerificationCode')}")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_change_registration_supersedes_the_earlier_certificate(client, runtime, pki, bank_auth, reviewer):
    bank = s.main_bank(pki)
    first, _, first_xml, _ = issue(client, pki, bank_auth, reviewer)
    first_no = text(first_xml, "g:CertificateNo")

    change = s.submit_ok(client, s.change(first_no, ChangeItem(ChangeField.DEBT_END, "2045-11-30")), bank)
    s.approve(client, change, reviewer)

    change_xml = download(client, change, "xml", bank_auth)
    change_no = text(change_xml, "g:CertificateNo")
    assert change_no not in (None, first_no)
    earlier = verify_status(client, first_xml)
    assert (earlier["status"], earlier["status_reference"]) == ("SUPERSEDED", change_no)
    assert verify_status(client, change_xml)["status"] == "IN_FORCE"
    assert "抵押权变更登记" in text(change_xml, "g:Notes")


def test_a_transfer_registration_supersedes_the_earlier_certificate_and_names_the_new_mortgagee(
        client, runtime, pki, bank_auth, reviewer):
    bank = s.main_bank(pki)
    _, _, first_xml, _ = issue(client, pki, bank_auth, reviewer)
    first_no = text(first_xml, "g:CertificateNo")

    transfer = s.submit_ok(client, s.transfer(first_no), bank)
    s.confirm_transfer(client, transfer, s.other_bank(pki))
    s.approve(client, transfer, reviewer)

    transfer_xml = download(client, transfer, "xml", bank_auth)
    transfer_no = text(transfer_xml, "g:CertificateNo")
    earlier = verify_status(client, first_xml)
    assert (earlier["status"], earlier["status_reference"]) == ("SUPERSEDED", transfer_no)
    assert text(transfer_xml, "g:RightsHolder") == s.OTHER_BANK.name
    # The mortgagors did not change: the new certificate still names them as 义务人.
    assert [o.text for o in etree.fromstring(transfer_xml).iterfind("g:Obligors/g:Obligor", NS)] == ["王建国", "李秀梅"]

