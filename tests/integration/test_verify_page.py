"""Anyone verifies a certificate: the JSON endpoint and the public page ``/verify/{code}``.

Key facts with personal data masked and the status (in force, cancelled by a discharge,
revoked); an uploaded PDF checked against the register's record. Every bad input — unknown or
malformed code, a file that is no PDF, a PDF sealed by someone else, a PDF with one byte
changed, another certificate's PDF — gets a plain answer, on the JSON endpoint and on the page,
without a crash and without another certificate's data.

Two certificates issued on one gateway are shared by the read-only tests (``issued``); a
discharge and a revocation get a gateway of their own.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select

from gateway.api.app import create_app
from gateway.persistence.db import transaction
from gateway.register.models import RegistrationEntry
from gateway.runtime import Runtime
from gateway.tasks import registry
from gateway.timezone import LOCAL_TZ
from signing.httpsig import HttpSignatureAuth
from signing.pades import verify_pdf
from signing.trust import load_pem_certificates
from tests.conftest import REVIEWER_PASSWORD, staff_headers
from tests.integration.helpers import NS, approve, submit_new
from tests.support import pdf_tools, scenarios as s
from tests.support.tamper import (  # noqa: F401 (fixtures)
    assert_no_personal_data,
    assert_problem,
    runtime,
    runtime_from_template,
    seeded_database,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BANK_NAME = "平罗县测试商业银行"
UNKNOWN_CODE = "ZZZZZZZZZZ"  # well formed, issued to nobody (codes are random over 32 letters and digits)

# How the page words each verdict (a distinctive part of the sentence).
SAYS = {
    "GENUINE": "与登记簿记录一致",
    "NOT_A_PDF": "不是PDF文件",
    "UNSIGNED": "没有电子签章",
    "WRONG_SIGNER": "不是登记机构的电子印章",
    "ALTERED": "签章后被修改过",
    "NOT_THIS_CERTIFICATE": "与本验证码对应的登记记录不一致",
}


@dataclass(frozen=True)
class Certificate:
    application_no: str
    number: str
    code: str
    pdf: bytes


def issue(client: TestClient, pki, auth, reviewer) -> Certificate:
    number = submit_new(client, pki, auth)
    approve(client, number, reviewer)
    pdf = client.get(f"/v1/applications/{number}/certificate.pdf", auth=auth)
    xml = client.get(f"/v1/applications/{number}/certificate.xml", auth=auth)
    assert pdf.status_code == xml.status_code == 200, (pdf.text, xml.text)
    twin = etree.fromstring(xml.content)
    return Certificate(number, twin.findtext("g:CertificateNo", namespaces=NS),
                       twin.findtext("g:VerificationCode", namespaces=NS), pdf.content)


@dataclass(frozen=True)
class Issued:
    runtime: Runtime
    client: TestClient
    this: Certificate
    other: Certificate  # a second genuine certificate on the same gateway


@pytest.fixture(scope="module")
def issued(seeded_database, tmp_path_factory, pki) -> Iterator[Issued]:
    runtime = runtime_from_template(seeded_database, tmp_path_factory.mktemp("verify") / "var", pki)
    auth = HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key)
    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        reviewer = staff_headers(client, "reviewer", REVIEWER_PASSWORD)
        yield Issued(runtime, client, issue(client, pki, auth, reviewer), issue(client, pki, auth, reviewer))
    runtime.close()


@pytest.fixture(scope="module")
def uploads(issued, pki) -> dict[str, bytes]:
    """Files people may upload against ``issued.this``, by case."""
    genuine = issued.this.pdf
    return {
        "genuine": genuine,
        "not_a_pdf": b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04",
        "empty": b"",
        "unsealed": pdf_tools.unsealed(genuine),
        "sealed_by_an_untrusted_ca": pdf_tools.resealed_by(genuine, pki.untrusted),
        "sealed_by_a_bank_under_the_trusted_ca": pdf_tools.resealed_by(genuine, pki.bank),
        "one_byte_changed": pdf_tools.flip_one_signed_byte(genuine),
        "truncated": genuine[: len(genuine) // 2],
        "another_genuine_certificate": issued.other.pdf,
    }


VERDICTS = {
    "genuine": "GENUINE",
    "not_a_pdf": "NOT_A_PDF",
    "empty": "NOT_A_PDF",
    "unsealed": "UNSIGNED",
    "sealed_by_an_untrusted_ca": "WRONG_SIGNER",
    "sealed_by_a_bank_under_the_trusted_ca": "WRONG_SIGNER",
    "one_byte_changed": "ALTERED",
    "truncated": "UNSIGNED",
    "another_genuine_certificate": "NOT_THIS_CERTIFICATE",
}


def view(client: TestClient, code: str) -> dict:
    response = client.get(f"/v1/verify/{code}")
    assert response.status_code == 200, response.text
    return response.json()


def page(client: TestClient, code: str):
    response = client.get(f"/verify/{code}")
    assert response.status_code == 200, response.text
    return response


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def local_day(moment) -> str:
    return moment.astimezone(LOCAL_TZ).date().isoformat()


# --- what anyone sees -----------------------------------------------------------------------------------------

def test_the_json_view_shows_the_key_fields_and_that_the_certificate_is_in_force(issued):
    shown = view(issued.client, issued.this.code)

    assert shown["certificate_no"] == issued.this.number
    assert shown["status"] == "IN_FORCE"
    assert (shown["right_or_matter"], shown["rights_holder"]) == ("抵押权", BANK_NAME)
    assert shown["unit_code"] == "640221001001GB00012F00010001"
    assert shown["location"] == "平罗县城关镇测试路1号1单元101室"
    assert {"label": "被担保主债权数额", "value": "1,200,000.00元"} in shown["other"]
    assert shown["authority"] == "平罗县不动产登记中心"


def test_the_json_view_masks_names_and_id_numbers(issued):
    response = issued.client.get(f"/v1/verify/{issued.this.code}")

    assert response.json()["obligors"] == ["王**", "李**"]
    assert response.json()["obligor_ids"] == ["6402**********0018", "6402**********0022"]
    assert_no_personal_data(response)


def test_the_page_renders_in_chinese_with_the_status_and_masked_parties(issued):
    response = page(issued.client, issued.this.code)
    shown = visible_text(response.text)

    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in response.text
    assert "证明状态：有效（现势）" in shown
    assert issued.this.number in shown
    assert "王**（证件号 6402**********0018）" in shown
    assert "李**（证件号 6402**********0022）" in shown
    assert_no_personal_data(response)


def test_a_code_typed_in_lower_case_finds_the_certificate(issued):
    assert view(issued.client, issued.this.code.lower())["certificate_no"] == issued.this.number


def test_the_view_of_one_certificate_shows_nothing_of_another(issued):
    for response in (issued.client.get(f"/v1/verify/{issued.this.code}"), page(issued.client, issued.this.code)):
        assert issued.other.number not in response.text
        assert issued.other.code not in response.text


# --- status after a discharge or a revocation -----------------------------------------------------------------

def test_a_discharge_cancels_the_certificate_with_its_date_and_number(client, runtime, pki, bank_auth, reviewer):
    bank = s.main_bank(pki)
    certificate = issue(client, pki, bank_auth, reviewer)
    discharge = s.submit(client, s.discharge(certificate.number), bank)
    assert discharge.status_code == 202, discharge.text
    assert s.receipt(discharge).findtext("g:Triage", namespaces=s.NS) == "AUTO_APPROVE"
    assert runtime.wait_idle(30)
    with transaction(runtime.sessions) as session:
        entry = session.scalar(select(RegistrationEntry).where(RegistrationEntry.registration_type == "MORTGAGE_DISCHARGE"))
    discharged_on = local_day(entry.registered_at)

    shown = view(client, certificate.code)
    assert (shown["status"], shown["status_reference"]) == ("CANCELLED", entry.certificate_no)
    assert local_day(datetime.fromisoformat(shown["status_changed_at"])) == discharged_on

    html = visible_text(page(client, certificate.code).text)
    assert "证明状态：已注销" in html
    assert f"{discharged_on} 办理注销登记，注销登记证明号 {entry.certificate_no}" in html


def test_a_certificate_made_only_after_the_discharge_shows_cancelled(client, runtime, pki, bank_auth, reviewer,
                                                                    monkeypatch):
    held: list[list] = []
    submit = runtime.dispatcher.runner.submit
    monkeypatch.setattr(runtime.dispatcher.runner, "submit",
                        lambda name, args: held.append(args) if name == "certificates.generate" else submit(name, args))
    number = submit_new(client, pki, bank_auth)
    approve(client, number, reviewer)
    monkeypatch.undo()  # the worker is back; the registration's certificate task is still lost
    [mortgage] = s.in_force(runtime)
    assert s.submit(client, s.discharge(mortgage.certificate_no), s.main_bank(pki)).status_code == 202
    assert runtime.wait_idle(30)

    registry.run(runtime, "certificates.generate", held[0])  # re-driven late, e.g. by the sweep

    twin = etree.fromstring(client.get(f"/v1/applications/{number}/certificate.xml", auth=bank_auth).content)
    shown = view(client, twin.findtext("g:VerificationCode", namespaces=NS))
    with transaction(runtime.sessions) as session:
        discharge_no = session.scalar(select(RegistrationEntry.certificate_no)
                                      .where(RegistrationEntry.registration_type == "MORTGAGE_DISCHARGE"))
    assert (shown["status"], shown["status_reference"]) == ("CANCELLED", discharge_no)


def test_an_admin_revocation_shows_revoked_with_the_reason(client, runtime, pki, bank_auth, reviewer, admin):
    certificate = issue(client, pki, bank_auth, reviewer)
    reason = "登记簿记载的坐落有误，依法更正"

    revoked = client.post(f"/v1/admin/certificates/{certificate.number}/revoke", json={"reason": reason}, headers=admin)
    assert revoked.status_code == 200, revoked.text

    shown = view(client, certificate.code)
    assert (shown["status"], shown["revoke_reason"]) == ("REVOKED", reason)
    html = visible_text(page(client, certificate.code).text)
    assert "证明状态：已撤销（更正）" in html
    assert f"原因：{reason}" in html


def test_a_reviewer_cannot_revoke_a_certificate(issued):
    reviewer = staff_headers(issued.client, "reviewer", REVIEWER_PASSWORD)

    response = issued.client.post(f"/v1/admin/certificates/{issued.this.number}/revoke",
                                  json={"reason": "无权撤销"}, headers=reviewer)

    assert response.status_code == 403, response.text
    assert view(issued.client, issued.this.code)["status"] == "IN_FORCE"


# --- codes that find nothing ----------------------------------------------------------------------------------

def test_an_unknown_code_is_not_found_in_json(issued):
    response = issued.client.get(f"/v1/verify/{UNKNOWN_CODE}")

    assert_problem(response, 404, "certificate.not_found", secrets=(issued.this.number, issued.other.number))


def test_an_unknown_code_shows_a_not_found_page(issued):
    response = issued.client.get(f"/verify/{UNKNOWN_CODE}")

    assert response.status_code == 404
    assert "未找到与该验证码对应的不动产登记证明" in response.text
    assert issued.this.number not in response.text and issued.other.number not in response.text


@pytest.mark.parametrize("code", ["ABC", "0OI1ABCDEF", "7K3M9Q2XWD7", "ABCDE-GHJK"])
def test_a_malformed_code_is_refused_in_json(issued, code):
    assert_problem(issued.client.get(f"/v1/verify/{code}"), 422, "certificate.bad_code")


def test_a_malformed_code_shows_the_format_on_the_page_without_echoing_markup(issued):
    response = issued.client.get("/verify/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")

    assert response.status_code == 422
    assert "验证码格式不正确" in response.text
    assert "<img src=x" not in response.text


def test_a_pdf_uploaded_against_an_unknown_code_is_not_checked(issued):
    response = issued.client.post(f"/v1/verify/{UNKNOWN_CODE}/pdf", content=issued.this.pdf,
                                  headers={"Content-Type": "application/pdf"})
    assert_problem(response, 404, "certificate.not_found", secrets=(issued.this.number,))

    form = issued.client.post(f"/verify/{UNKNOWN_CODE}", files={"file": ("c.pdf", issued.this.pdf, "application/pdf")})
    assert form.status_code == 404
    assert "未找到" in form.text and issued.this.number not in form.text


# --- uploaded PDFs --------------------------------------------------------------------------------------------

def test_the_forgeries_are_what_they_claim_to_be(uploads, pki):
    """The bad files really are bad in the one way each case names (checked without the gateway)."""
    anchors = load_pem_certificates(pki.ca_path.read_bytes())
    assert verify_pdf(uploads["genuine"], trust_anchors=anchors).valid
    assert not verify_pdf(uploads["unsealed"], trust_anchors=anchors).signed
    untrusted = verify_pdf(uploads["sealed_by_an_untrusted_ca"], trust_anchors=anchors)
    assert (untrusted.intact, untrusted.trusted) == (True, False)
    bank = verify_pdf(uploads["sealed_by_a_bank_under_the_trusted_ca"], trust_anchors=anchors)
    assert (bank.valid, bank.signer_fingerprint) == (True, pki.bank.fingerprint)
    changed = verify_pdf(uploads["one_byte_changed"], trust_anchors=anchors)
    assert (changed.signed, changed.intact) == (True, False)
    assert sum(a != b for a, b in zip(uploads["one_byte_changed"], uploads["genuine"], strict=True)) == 1


@pytest.mark.parametrize("case", sorted(VERDICTS))
def test_an_uploaded_file_gets_a_plain_verdict_in_json(issued, uploads, case):
    response = issued.client.post(f"/v1/verify/{issued.this.code}/pdf", content=uploads[case],
                                  headers={"Content-Type": "application/pdf"})

    assert response.status_code == 200, response.text
    verdict = response.json()
    assert (verdict["verdict"], verdict["ok"]) == (VERDICTS[case], case == "genuine")
    assert SAYS[verdict["verdict"]] in verdict["message_zh"]
    assert issued.other.number not in response.text and issued.other.code not in response.text
    assert_no_personal_data(response)


@pytest.mark.parametrize("case", sorted(VERDICTS))
def test_an_uploaded_file_gets_a_plain_verdict_on_the_page(issued, uploads, case):
    response = issued.client.post(f"/verify/{issued.this.code}",
                                  files={"file": ("certificate.pdf", uploads[case], "application/pdf")})

    assert response.status_code == 200, response.text
    verdict = re.search(r'<p class="verdict (ok|bad)" role="alert">([^<]*)</p>', response.text)
    assert verdict, response.text
    assert verdict.group(1) == ("ok" if case == "genuine" else "bad")
    assert SAYS[VERDICTS[case]] in verdict.group(2)
    # Still this certificate's page, and nothing of the other one.
    assert issued.this.number in response.text
    assert issued.other.number not in response.text and issued.other.code not in response.text
    assert_no_personal_data(response)


def test_an_oversized_upload_is_refused_without_reading_it_all(issued):
    response = issued.client.post(f"/v1/verify/{issued.this.code}/pdf", content=b"%PDF-1.7\n" + b"0" * (11 * 2**20),
                                  headers={"Content-Type": "application/pdf"})

    assert_problem(response, 413, "certificate.upload_too_large")


# --- a look at the page -----------------------------------------------------------------------------------------

def test_a_screenshot_of_the_verify_page_with_a_verdict_is_saved(issued):
    """For a person to look at: test-artifacts/verify-page.png (headless Debian Chromium, no network)."""
    from playwright.sync_api import sync_playwright  # a missing Playwright fails: pip install playwright

    chromium = Path("/usr/bin/chromium")
    assert chromium.exists(), "Chromium is missing: apt-get install -y chromium"
    html = issued.client.post(f"/verify/{issued.this.code}",
                              files={"file": ("certificate.pdf", issued.this.pdf, "application/pdf")}).text
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "verify-page.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            tab = browser.new_page(viewport={"width": 900, "height": 1000})
            tab.set_content(html)
            assert tab.locator("p.status").inner_text().startswith("证明状态：有效")
            assert SAYS["GENUINE"] in tab.locator("p.verdict").inner_text()
            tab.screenshot(path=str(target), full_page=True)
        finally:
            browser.close()
    assert target.read_bytes().startswith(b"\x89PNG")
