"""Administering institutions through the admin API and the admin web pages: the overview, a new
institution or branch, its name and callback URL, disabling and enabling it — each change recorded
with who and when, each bad input refused with its own code and nothing changed."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.persistence.db import transaction
from gateway.persistence.models import AdminAction, Application, Institution
from tests.conftest import (
    ADMIN_PASSWORD, REVIEWER_PASSWORD, make_settings, seed, staff_headers, start_runtime, upload_materials,
)
from tests.support import factories
from tests.support import scenarios as s

BANK = factories.BANK_CODE
OTHER = factories.OTHER_BANK_CODE
NEW_CODE = "91640221MA76R3PK3Q"  # a valid code (GB 32100) not registered by the seed
URL = "/v1/admin/institutions"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def snapshot(runtime) -> tuple[list[tuple], int]:
    """Every institution's administered fields, and the number of recorded admin actions."""
    with transaction(runtime.sessions) as session:
        rows = session.execute(select(Institution.code, Institution.name, Institution.callback_url,
                                      Institution.status, Institution.parent_id).order_by(Institution.code)).all()
        return [tuple(row) for row in rows], session.scalar(select(func.count()).select_from(AdminAction))


def row_of(runtime, code: str = BANK) -> tuple:
    """(name, callback_url, status) of one institution."""
    with transaction(runtime.sessions) as session:
        return tuple(session.execute(select(Institution.name, Institution.callback_url, Institution.status)
                                     .where(Institution.code == code)).one())


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


def new_institution(pki, **overrides) -> dict:
    # The gateway's own test certificate is issued by the trusted test CA and registered to nobody.
    return {"code": NEW_CODE, "name": "宁夏示例银行股份有限公司平罗支行", "kind": "bank",
            "certificate_pem": pki.gateway.cert_pem.decode(), **overrides}


def make_branch(runtime, branch: str = OTHER, parent: str = BANK) -> None:
    with transaction(runtime.sessions) as session:
        head = session.scalar(select(Institution).where(Institution.code == parent))
        session.scalar(select(Institution).where(Institution.code == branch)).parent_id = head.id


# --- the overview --------------------------------------------------------------------------------

def test_the_list_shows_kind_status_certificates_and_callback_url(client, admin, pki):
    response = client.get(URL, headers=admin)
    assert response.status_code == 200, response.text
    by_code = {item["code"]: item for item in response.json()["items"]}
    bank = by_code[BANK]
    assert (bank["kind"], bank["status"], bank["callback_url"]) == ("bank", "active", None)
    assert bank["accepts_requests"] is True
    fingerprints = {c["fingerprint"]: c for c in bank["certificates"]}
    assert pki.bank.fingerprint in fingerprints and pki.bank_ec.fingerprint in fingerprints
    assert fingerprints[pki.bank.fingerprint]["revoked"] is False
    assert fingerprints[pki.bank.fingerprint]["not_after"].endswith("Z")
    assert by_code[OTHER]["parent_code"] is None and by_code[OTHER]["branch_codes"] == []


def test_one_institution_is_shown_by_its_code(client, admin):
    response = client.get(f"{URL}/{BANK}", headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "平罗县测试商业银行"


def test_an_unknown_code_is_not_found(client, admin):
    assert_refused(client.get(f"{URL}/91640221MA00000000", headers=admin), 404, "institution.not_found")


def test_the_institution_api_is_for_administrators(client, reviewer):
    assert_refused(client.get(URL, headers=reviewer), 403, "auth.forbidden")
    assert client.get(URL).status_code == 401


# --- registering -----------------------------------------------------------------------------------

def test_an_administrator_registers_an_institution_and_it_is_recorded(client, admin, pki):
    response = client.post(URL, json=new_institution(pki, callback_url="https://bank.example/callbacks"), headers=admin)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{URL}/{NEW_CODE}"
    assert response.json()["certificates"][0]["fingerprint"] == pki.gateway.fingerprint
    history = client.get(f"{URL}/{NEW_CODE}/history", headers=admin).json()["items"]
    assert [(h["action"], h["actor"]) for h in history] == [("institution.create", "admin")]
    assert history[0]["details"]["after"]["callback_url"] == "https://bank.example/callbacks"


def test_a_branch_is_registered_under_its_head_institution(client, admin, pki):
    response = client.post(URL, json=new_institution(pki, parent_code=BANK), headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["parent_code"] == BANK
    assert client.get(f"{URL}/{BANK}", headers=admin).json()["branch_codes"] == [NEW_CODE]


@pytest.mark.parametrize(("overrides", "code"), [
    ({"parent_code": "91640221MA00000000"}, "institution.unknown_parent"),
    ({"code": "91640221MA76R3PK3X"}, "institution.invalid_code"),
    ({"name": "   "}, "institution.invalid_name"),
    ({"kind": "insurer"}, "institution.invalid_kind"),
    ({"callback_url": "http://bank.example/callbacks"}, "institution.invalid_callback_url"),
    ({"code": BANK}, "institution.exists"),
    ({"certificate_pem": "not a certificate"}, "certificate.unreadable"),
    ({"established": "2001"}, "request.invalid"),
])
def test_a_bad_registration_is_refused_and_changes_nothing(client, admin, runtime, pki, overrides, code):
    before = snapshot(runtime)
    assert_refused(client.post(URL, json=new_institution(pki, **overrides), headers=admin), 422, code)
    assert snapshot(runtime) == before


def test_a_branch_of_a_branch_is_refused(client, admin, runtime, pki):
    make_branch(runtime)
    before = snapshot(runtime)
    assert_refused(client.post(URL, json=new_institution(pki, parent_code=OTHER), headers=admin),
                   422, "institution.parent_is_branch")
    assert snapshot(runtime) == before


# --- the callback URL rule -------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://bank.example/callbacks", "https://bank.example:8443/cb?x=1", "http://127.0.0.1:9000/cb",
    "http://127.8.9.10/cb", "http://[::1]:9000/cb", "http://localhost/cb",
])
def test_https_or_loopback_http_callback_urls_are_accepted(client, admin, url):
    response = client.patch(f"{URL}/{BANK}", json={"callback_url": url}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["callback_url"] == url


@pytest.mark.parametrize("url", [
    "http://bank.example/callbacks", "http://10.0.0.5/cb", "ftp://bank.example/cb", "javascript:alert(1)",
    "https://user:secret@bank.example/cb", "https://@bank.example/cb", "https:///cb", "https://", "bank.example/cb",
    "https://bank.example:99999/cb", "https://bank.example/c b", "http://localhost.bank.example/cb",
    "https://bank.example/" + "a" * 500,
])
def test_other_callback_urls_are_refused_and_change_nothing(client, admin, runtime, url):
    before = snapshot(runtime)
    assert_refused(client.patch(f"{URL}/{BANK}", json={"callback_url": url}, headers=admin),
                   422, "institution.invalid_callback_url")
    assert snapshot(runtime) == before


# --- updating --------------------------------------------------------------------------------------

def test_the_name_and_callback_url_are_changed_and_recorded_before_and_after(client, admin):
    response = client.patch(f"{URL}/{BANK}", json={"name": "平罗县测试银行", "callback_url": "https://bank.example/cb"},
                            headers=admin)
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["updated_at"] is not None) == ("平罗县测试银行", True)
    [entry] = client.get(f"{URL}/{BANK}/history", headers=admin).json()["items"]
    assert (entry["action"], entry["actor"]) == ("institution.update", "admin")
    assert entry["details"] == {"before": {"name": "平罗县测试商业银行", "callback_url": None},
                                "after": {"name": "平罗县测试银行", "callback_url": "https://bank.example/cb"}}


def test_the_record_keeps_a_callback_url_without_its_query_string(client, admin):
    url = "https://bank.example/cb?token=s3cr3t"
    assert client.patch(f"{URL}/{BANK}", json={"callback_url": url}, headers=admin).json()["callback_url"] == url
    [entry] = client.get(f"{URL}/{BANK}/history", headers=admin).json()["items"]
    assert entry["details"]["after"] == {"callback_url": "https://bank.example/cb?…"}
    assert "s3cr3t" not in str(entry)


def test_a_null_callback_url_removes_the_callback(client, admin):
    client.patch(f"{URL}/{BANK}", json={"callback_url": "https://bank.example/cb"}, headers=admin)
    response = client.patch(f"{URL}/{BANK}", json={"callback_url": None}, headers=admin)
    assert response.status_code == 200 and response.json()["callback_url"] is None


def test_giving_the_current_values_changes_and_records_nothing(client, admin, runtime):
    before = snapshot(runtime)
    response = client.patch(f"{URL}/{BANK}", json={"name": "平罗县测试商业银行"}, headers=admin)
    assert response.status_code == 200, response.text
    assert snapshot(runtime) == before


@pytest.mark.parametrize(("body", "code"), [
    ({"name": ""}, "institution.invalid_name"),
    ({"name": "x" * 201}, "institution.invalid_name"),
    ({}, "institution.nothing_to_change"),
    ({"kind": "housing_fund"}, "request.invalid"),
])
def test_a_bad_update_is_refused_and_changes_nothing(client, admin, runtime, body, code):
    before = snapshot(runtime)
    assert_refused(client.patch(f"{URL}/{BANK}", json=body, headers=admin), 422, code)
    assert snapshot(runtime) == before


def test_updating_an_unknown_institution_is_not_found(client, admin, runtime):
    before = snapshot(runtime)
    assert_refused(client.patch(f"{URL}/91640221MA00000000", json={"name": "某银行"}, headers=admin),
                   404, "institution.not_found")
    assert snapshot(runtime) == before


# --- disabling and enabling ------------------------------------------------------------------------

def disable(client, admin, code: str = BANK, reason: str = "已退出合作"):
    return client.post(f"{URL}/{code}/disable", json={"reason": reason}, headers=admin)


def test_a_disabled_banks_signed_requests_are_refused_and_accepted_again_after_enabling(client, admin, bank_auth):
    data = factories.MATERIALS["LOAN_CONTRACT"]
    put = lambda: client.put(f"/v1/materials/{factories.sha256(data)}", content=data,  # noqa: E731
                             headers={"Content-Type": "application/pdf"}, auth=bank_auth)
    response = disable(client, admin)
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["disabled_reason"]) == ("disabled", "已退出合作")
    assert_refused(put(), 403, "institution.disabled")
    assert client.post(f"{URL}/{BANK}/enable", headers=admin).status_code == 200
    assert put().status_code in (200, 201)


def test_a_disabled_banks_application_is_refused_and_nothing_is_stored(client, admin, runtime, pki, bank_auth):
    upload_materials(client, bank_auth)
    disable(client, admin)
    response = client.post("/v1/applications", content=factories.signed_request(factories.application(), pki.bank),
                           headers={"Content-Type": "application/xml"})
    assert_refused(response, 403, "institution.disabled")
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Application)) == 0


def test_a_branch_is_refused_while_its_head_institution_is_disabled(client, admin, runtime, other_bank_auth):
    make_branch(runtime)
    disable(client, admin)
    assert_refused(client.get("/v1/applications/640221202612060000001", auth=other_bank_auth), 403,
                   "institution.disabled")
    listed = {i["code"]: i for i in client.get(URL, headers=admin).json()["items"]}
    assert (listed[OTHER]["status"], listed[OTHER]["accepts_requests"]) == ("active", False)
    client.post(f"{URL}/{BANK}/enable", headers=admin)
    assert client.get("/v1/applications/640221202612060000001", auth=other_bank_auth).status_code == 404


def test_a_disabled_banks_open_application_is_still_reviewed_and_its_result_kept_for_it(
        pki, client, admin, reviewer):
    bank = s.main_bank(pki)
    number = s.submit_ok(client, s.first(), bank)
    disable(client, admin)
    assert s.approve(client, number, reviewer)["status"] in ("APPROVED", "REGISTERED")
    assert_refused(client.get(f"/v1/applications/{number}/result", auth=bank.auth), 403, "institution.disabled")
    client.post(f"{URL}/{BANK}/enable", headers=admin)
    assert s.result(client, number, bank) is not None


def test_disabling_a_disabled_institution_is_a_conflict_and_changes_nothing(client, admin, runtime):
    disable(client, admin)
    before = snapshot(runtime)
    assert_refused(disable(client, admin, reason="再次停用"), 409, "institution.already_disabled")
    assert snapshot(runtime) == before


def test_enabling_an_active_institution_is_a_conflict_and_changes_nothing(client, admin, runtime):
    before = snapshot(runtime)
    assert_refused(client.post(f"{URL}/{BANK}/enable", headers=admin), 409, "institution.not_disabled")
    assert snapshot(runtime) == before


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_disabling_needs_a_reason(client, admin, runtime, reason):
    before = snapshot(runtime)
    assert_refused(disable(client, admin, reason=reason), 422, "institution.reason_required")
    assert snapshot(runtime) == before


def test_disabling_an_unknown_institution_is_not_found(client, admin, runtime):
    before = snapshot(runtime)
    assert_refused(disable(client, admin, code="91640221MA00000000"), 404, "institution.not_found")
    assert_refused(client.post(f"{URL}/91640221MA00000000/enable", headers=admin), 404, "institution.not_found")
    assert snapshot(runtime) == before


def test_disable_and_enable_are_recorded_with_who_when_and_the_reason(client, admin):
    disable(client, admin)
    client.post(f"{URL}/{BANK}/enable", headers=admin)
    entries = client.get(f"{URL}/{BANK}/history", headers=admin).json()["items"]
    assert [(e["action"], e["actor"]) for e in entries] == [("institution.enable", "admin"),
                                                             ("institution.disable", "admin")]
    assert entries[1]["details"]["after"]["disabled_reason"] == "已退出合作"
    assert entries[1]["at"].endswith("Z")


def test_the_history_includes_the_changes_to_the_institutions_certificates(client, admin, runtime, pki):
    from gateway.institutions.certificates import revoke

    with transaction(runtime.sessions) as session:
        revoke(session, fingerprint=pki.bank_ec.fingerprint, reason="密钥泄露", actor="admin", request_id=None)
    [entry] = client.get(f"{URL}/{BANK}/history", headers=admin).json()["items"]
    assert (entry["action"], entry["subject_kind"], entry["subject"]) == ("certificate.revoke", "certificate",
                                                                          pki.bank_ec.fingerprint)
    assert client.get(f"{URL}/{OTHER}/history", headers=admin).json()["items"] == []


def test_the_history_of_an_unknown_institution_is_not_found(client, admin):
    assert_refused(client.get(f"{URL}/91640221MA00000000/history", headers=admin), 404, "institution.not_found")


# --- the admin web pages ---------------------------------------------------------------------------

def web_sign_in(client: TestClient, username: str, password: str) -> str:
    """Sign ``client`` in to the staff web; returns the session's CSRF token."""
    token = CSRF_FIELD.search(client.get("/login").text).group(1)
    signed_in = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                            follow_redirects=False)
    assert signed_in.status_code == 303, signed_in.text
    return CSRF_FIELD.search(client.get(signed_in.headers["location"]).text).group(1)


@pytest.fixture
def web_admin(client) -> str:
    return web_sign_in(client, "admin", ADMIN_PASSWORD)


def test_the_admin_page_lists_the_institutions(client, web_admin):
    page = client.get("/admin/institutions")
    assert page.status_code == 200
    assert BANK in page.text and "平罗县测试商业银行" in page.text and "另一家银行" in page.text


def test_the_institution_page_shows_certificates_branches_and_history(client, web_admin, runtime, pki):
    make_branch(runtime)
    client.post(f"/admin/institutions/{BANK}", data={"csrf_token": web_admin, "name": "平罗县测试银行",
                                                      "callback_url": ""})
    page = client.get(f"/admin/institutions/{BANK}")
    assert page.status_code == 200
    assert pki.bank.fingerprint in page.text and OTHER in page.text and "修改名称或回调地址" in page.text


def test_the_forms_update_disable_and_enable_an_institution(client, web_admin, runtime):
    updated = client.post(f"/admin/institutions/{BANK}", follow_redirects=False, data={
        "csrf_token": web_admin, "name": "平罗县测试银行", "callback_url": "https://bank.example/cb"})
    assert updated.status_code == 303 and updated.headers["location"].endswith("?done=updated")
    disabled = client.post(f"/admin/institutions/{BANK}/disable", data={"csrf_token": web_admin, "reason": "已退出合作"})
    assert "已停用" in disabled.text
    assert row_of(runtime) == ("平罗县测试银行", "https://bank.example/cb", "disabled")
    enabled = client.post(f"/admin/institutions/{BANK}/enable", data={"csrf_token": web_admin})
    assert enabled.status_code == 200 and "机构已启用" in enabled.text
    assert row_of(runtime)[2] == "active"


def test_the_form_refuses_a_plain_http_callback_url_and_changes_nothing(client, web_admin, runtime):
    before = snapshot(runtime)
    page = client.post(f"/admin/institutions/{BANK}", data={"csrf_token": web_admin, "name": "平罗县测试银行",
                                                             "callback_url": "http://bank.example/cb"})
    assert page.status_code == 422 and "回调地址不正确" in page.text
    assert snapshot(runtime) == before


def test_the_disable_form_without_a_reason_is_refused(client, web_admin, runtime):
    before = snapshot(runtime)
    page = client.post(f"/admin/institutions/{BANK}/disable", data={"csrf_token": web_admin, "reason": " "})
    assert page.status_code == 422 and "请填写停用原因" in page.text
    assert snapshot(runtime) == before


def test_an_unknown_institution_page_is_not_found(client, web_admin):
    assert client.get("/admin/institutions/91640221MA00000000").status_code == 404


def test_a_reviewer_may_not_use_the_institution_pages(client, runtime):
    csrf = web_sign_in(client, "reviewer", REVIEWER_PASSWORD)
    before = snapshot(runtime)
    assert client.get("/admin/institutions").status_code == 403
    refused = client.post(f"/admin/institutions/{BANK}/disable", data={"csrf_token": csrf, "reason": "x"})
    assert refused.status_code == 403 and "无权访问" in refused.text
    assert snapshot(runtime) == before


def test_a_clerk_of_a_disabled_institution_cannot_upload_or_submit(client, admin, runtime):
    from gateway.staff.service import add_user

    with transaction(runtime.sessions) as session:
        add_user(session, username="clerk", role="clerk", password="clerk-password-1", institution_code=BANK)
    csrf = web_sign_in(client, "clerk", "clerk-password-1")
    disable(client, admin)
    refused = client.post("/clerk/materials", content=factories.MATERIALS["LOAN_CONTRACT"],
                          headers={"X-CSRF-Token": csrf, "Content-Type": "application/pdf"})
    assert refused.status_code == 403 and "机构已停用" in refused.text
    client.post(f"{URL}/{BANK}/enable", headers=admin)
    accepted = client.post("/clerk/materials", content=factories.MATERIALS["LOAN_CONTRACT"],
                           headers={"X-CSRF-Token": csrf, "Content-Type": "application/pdf"})
    assert accepted.status_code == 201, accepted.text


def test_the_administration_works_the_same_on_postgresql(tmp_path, pki, postgres_url, bank_auth):
    runtime = start_runtime(make_settings(tmp_path / "var", pki, database_url=postgres_url))
    try:
        seed(runtime, pki)
        with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
            headers = staff_headers(client, "admin", ADMIN_PASSWORD)
            assert client.patch(f"{URL}/{BANK}", json={"callback_url": "https://bank.example/cb"},
                                headers=headers).status_code == 200
            assert disable(client, headers).status_code == 200
            assert_refused(client.get("/v1/applications/640221202612060000001", auth=bank_auth), 403,
                           "institution.disabled")
            assert_refused(disable(client, headers), 409, "institution.already_disabled")
            assert client.post(f"{URL}/{BANK}/enable", headers=headers).status_code == 200
            history = client.get(f"{URL}/{BANK}/history", headers=headers).json()["items"]
            assert [h["action"] for h in history] == ["institution.enable", "institution.disable", "institution.update"]
            assert client.get(URL, headers=headers).json()["items"][0]["certificates"]
    finally:
        runtime.close()
