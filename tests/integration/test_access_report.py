"""Who looked at my file: a supervisor lists every access to a unit's or a person's data (API, web, CLI)."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from gateway.audit.models import AuditEntry
from gateway.persistence.db import read_only
from signing.pades import verify_pdf
from signing.trust import load_pem_certificates
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, staff_headers
from tests.integration.helpers import submit_new
from tests.support import factories
from tests.support.scenarios import run_cli
from tests.support.report import checked as show_checked

MORTGAGOR_ID = "640221198503150018"  # the test application's first mortgagor (and debtor)
EXPECTED = {("reviewer", "reviewer", "review.view"), ("91640221MA76B3KX0N", "institution", "status"),
            ("admin", "admin", "evidence.export")}


@pytest.fixture
def looked_at(client, pki, bank_auth) -> str:
    """A reviewer opens the application, the bank reads its status, an admin exports its evidence."""
    number = submit_new(client, pki, bank_auth)
    reviewer = staff_headers(client, "reviewer", REVIEWER_PASSWORD)
    assert client.get(f"/v1/review/applications/{number}", headers=reviewer).status_code == 200
    assert client.get(f"/v1/applications/{number}", auth=bank_auth).status_code == 200
    admin = staff_headers(client, "admin", ADMIN_PASSWORD)
    assert client.get(f"/v1/admin/applications/{number}/evidence", headers=admin).status_code == 200
    return number


@pytest.fixture
def supervisor(client) -> dict[str, str]:
    return staff_headers(client, "supervisor", ADMIN_PASSWORD)


def reads(listing: dict, number: str) -> set[tuple[str, str, str]]:
    return {(a["actor"], a["actor_role"], a["what"]) for a in listing["accesses"]
            if a["action"] == "data.read" and a["purpose"] == number}


def audit_count(runtime) -> int:
    with read_only(runtime.read_sessions) as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


@pytest.mark.parametrize("query", [{"unit_code": factories.UNIT_CODE}, {"id_number": MORTGAGOR_ID}],
                         ids=["by unit code", "by ID number"])
def test_the_report_lists_who_read_the_file_when_and_in_which_role(client, looked_at, supervisor, query):
    response = client.post("/v1/supervision/accesses", json=query, headers=supervisor)
    assert response.status_code == 200, response.text
    listing = response.json()
    assert reads(listing, looked_at) == EXPECTED
    assert {"application.submit", "document.store"} <= {a["action"] for a in listing["accesses"]}
    assert MORTGAGOR_ID not in response.text  # the heading masks it
    show_checked(f"[access report] {listing['subject']}: {listing['count']} entries, reads {sorted(reads(listing, looked_at))}")


def test_the_report_of_another_person_or_unit_is_empty(client, looked_at, supervisor):
    other_unit = client.post("/v1/supervision/accesses", json={"unit_code": "640221001001GB00099F00010001"},
                             headers=supervisor)
    other_person = client.post("/v1/supervision/accesses", json={"id_number": "110101199003070011"}, headers=supervisor)
    assert other_unit.json()["count"] == 0 and other_person.json()["count"] == 0


def test_asking_for_the_report_is_itself_recorded(client, runtime, looked_at, supervisor):
    client.post("/v1/supervision/accesses", json={"id_number": MORTGAGOR_ID}, headers=supervisor)
    again = client.post("/v1/supervision/accesses", json={"id_number": MORTGAGOR_ID}, headers=supervisor).json()
    reports = [a for a in again["accesses"] if a["action"] == "audit.access_report"]
    assert [(a["actor"], a["actor_role"]) for a in reports] == [("supervisor", "supervisor")]


def test_the_csv_export_lists_the_same_accesses(client, looked_at, supervisor):
    response = client.post("/v1/supervision/accesses.csv", json={"unit_code": factories.UNIT_CODE}, headers=supervisor)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {(r["actor"], r["role"], r["what"]) for r in rows if r["application"] == looked_at} >= EXPECTED


def test_the_pdf_export_is_sealed_and_verifies(client, looked_at, supervisor, pki):
    response = client.post("/v1/supervision/accesses.pdf", json={"id_number": MORTGAGOR_ID}, headers=supervisor)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    report = verify_pdf(response.content, trust_anchors=load_pem_certificates(pki.ca_path.read_bytes()))
    assert report.valid, report.problem
    assert MORTGAGOR_ID.encode() not in response.content


@pytest.mark.parametrize("body, code", [
    ({}, "audit.query_invalid"),
    ({"unit_code": factories.UNIT_CODE, "id_number": MORTGAGOR_ID}, "audit.query_invalid"),
    ({"unit_code": "640221-not-a-unit-code"}, "audit.unit_code_invalid"),
    ({"id_number": "6402 21/1985"}, "audit.id_number_invalid"),
], ids=["neither", "both", "bad unit code", "bad ID number"])
def test_a_bad_query_is_refused_with_its_code_and_records_nothing(client, runtime, looked_at, supervisor, body, code):
    before = audit_count(runtime)
    response = client.post("/v1/supervision/accesses", json=body, headers=supervisor)
    assert response.status_code == 422 and response.json()["code"] == code
    assert audit_count(runtime) == before


def test_a_reviewer_may_not_ask_who_looked_at_a_file(client, runtime, looked_at, reviewer):
    before = audit_count(runtime)
    response = client.post("/v1/supervision/accesses", json={"unit_code": factories.UNIT_CODE}, headers=reviewer)
    assert response.status_code == 403 and response.json()["code"] == "auth.forbidden"
    assert audit_count(runtime) == before


def test_the_report_needs_a_staff_token(client, looked_at):
    response = client.post("/v1/supervision/accesses.pdf", json={"unit_code": factories.UNIT_CODE})
    assert response.status_code == 401 and response.json()["code"] == "auth.required"


def test_the_supervisors_web_page_lists_the_accesses_and_offers_the_downloads(client, looked_at, pki):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signed_in = client.post("/login", data={"csrf_token": token, "username": "supervisor", "password": ADMIN_PASSWORD},
                            follow_redirects=False)
    assert signed_in.status_code == 303
    form = client.get("/supervision/accesses")
    assert form.status_code == 200 and "访问记录查询" in form.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    shown = client.post("/supervision/accesses", data={"csrf_token": csrf, "id_number": MORTGAGOR_ID, "format": "html"})
    assert shown.status_code == 200
    for expected in ("审核人员", "申请机构", "管理员", "review.view", "evidence.export", looked_at):
        assert expected in shown.text
    assert MORTGAGOR_ID not in shown.text
    refused = client.post("/supervision/accesses", data={"csrf_token": csrf, "unit_code": "bad", "format": "html"})
    assert refused.status_code == 422 and "28位" in refused.text
    pdf = client.post("/supervision/accesses", data={"csrf_token": csrf, "unit_code": factories.UNIT_CODE,
                                                     "format": "pdf"})
    assert verify_pdf(pdf.content, trust_anchors=load_pem_certificates(pki.ca_path.read_bytes())).valid


def test_gateway_audit_accesses_prints_the_report_and_writes_csv_and_pdf(runtime, looked_at, monkeypatch, capsys,
                                                                          tmp_path, pki):
    assert run_cli(monkeypatch, runtime, "audit", "accesses", "--unit-code", factories.UNIT_CODE) == 0
    out = capsys.readouterr().out
    assert "reviewer\treviewer\tdata.read\treview.view" in out and "admin\tadmin\tdata.read\tevidence.export" in out
    monkeypatch.setattr("sys.stdin", io.StringIO(MORTGAGOR_ID + "\n"))
    target = tmp_path / "accesses.pdf"
    assert run_cli(monkeypatch, runtime, "audit", "accesses", "--id-number-stdin", "--format", "pdf",
                   "--out", str(target)) == 0
    assert verify_pdf(target.read_bytes(), trust_anchors=load_pem_certificates(pki.ca_path.read_bytes())).valid
    assert run_cli(monkeypatch, runtime, "audit", "accesses", "--unit-code", factories.UNIT_CODE,
                   "--format", "pdf") == 1
    assert "error [audit.out_required]" in capsys.readouterr().err


def test_a_reviewers_web_page_view_and_material_open_are_recorded_as_reads(client, runtime, pki, bank_auth):
    number = submit_new(client, pki, bank_auth)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"csrf_token": token, "username": "reviewer", "password": REVIEWER_PASSWORD},
                       follow_redirects=False).status_code == 303
    assert client.get(f"/review/applications/{number}").status_code == 200
    assert client.get(f"/review/applications/{number}/materials/0").status_code == 200
    with read_only(runtime.read_sessions) as session:
        recorded = {(e.actor, e.actor_role, e.details["what"], e.purpose)
                    for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "data.read"))}
        signed_in = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "staff.sign_in", AuditEntry.actor == "reviewer"))
    assert recorded == {("reviewer", "reviewer", "review.page", number), ("reviewer", "reviewer", "material:0", number)}
    assert signed_in == 1  # the web sign-in
