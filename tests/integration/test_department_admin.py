"""Departments as parties: registered with a role (API and CLI), given their role's default purposes,
their purposes changed by an administrator (recorded), refused what only banks do, and every refusal
with its own code and nothing stored."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bank_adapters.canonical import Mortgagee
from gateway.departments.models import InstitutionPurpose
from gateway.departments.purposes import default_purposes
from gateway.persistence.db import transaction
from gateway.persistence.models import AdminAction, Institution
from gateway.registration_events.models import REGISTRATION_EVENTS, DepartmentSubscription
from tests.support import factories
from tests.support.department_queries import FAMILY, add_departments, add_register, ask, family, verified
from tests.support.onboarding import add_department
from tests.support.processes import cli, gateway_env

TAX = factories.TAX_BUREAU_CODE


def new_department(pki, *, role: str | None = "tax_bureau", kind: str = "department", code: str = TAX,
                   identity=None) -> dict:
    return {"code": code, "name": "国家税务总局平罗县税务局", "kind": kind, "department_role": role,
            "certificate_pem": (identity or pki.tax_bureau).cert_pem.decode()}


def counts(runtime) -> tuple[int, int, int]:
    """(institutions, granted purposes, admin actions)."""
    with transaction(runtime.sessions) as session:
        return tuple(session.scalar(select(func.count()).select_from(table))
                     for table in (Institution, InstitutionPurpose, AdminAction))


def refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


# --- registering -------------------------------------------------------------------------------------

def test_a_department_registered_through_the_api_gets_its_roles_default_purposes(runtime, client, admin, pki):
    response = client.post("/v1/admin/institutions", json=new_department(pki), headers=admin)
    assert response.status_code == 201, response.text
    view = response.json()
    assert view["kind"] == "department" and view["department_role"] == "tax_bureau"
    assert view["purposes"] == sorted(default_purposes("tax_bureau")) == ["DEED_TAX_RELIEF", "TRANSFER_TAX_CHECK"]
    assert client.get(f"/v1/admin/institutions/{TAX}", headers=admin).json()["purposes"] == view["purposes"]
    with transaction(runtime.sessions) as session:
        created = session.scalar(select(AdminAction).where(AdminAction.action == "institution.create",
                                                           AdminAction.subject == TAX))
        assert created.details["after"]["department_role"] == "tax_bureau"


def test_the_tax_bureau_is_subscribed_to_registration_events_from_its_creation(runtime, client, admin, pki):
    assert client.post("/v1/admin/institutions", json=new_department(pki), headers=admin).status_code == 201
    with transaction(runtime.sessions) as session:
        topics = list(session.scalars(select(DepartmentSubscription.topic).join(
            Institution, Institution.id == DepartmentSubscription.institution_id).where(Institution.code == TAX)))
    assert topics == [REGISTRATION_EVENTS]


def test_a_housing_fund_centre_may_also_be_the_fund_centre_department(runtime, client, admin, pki):
    body = new_department(pki, role="fund_centre", kind="housing_fund", code=factories.FUND_CENTRE_CODE,
                          identity=pki.fund_centre)
    response = client.post("/v1/admin/institutions", json=body, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["purposes"] == sorted(default_purposes("fund_centre"))


def test_a_bank_shows_no_role_and_no_purposes(client, admin):
    view = client.get(f"/v1/admin/institutions/{factories.BANK_CODE}", headers=admin).json()
    assert view["department_role"] is None and view["purposes"] == []


@pytest.mark.parametrize("kind, role", [("department", None), ("department", "mayor"), ("bank", "tax_bureau"),
                                        ("housing_fund", "tax_bureau")],
                         ids=["department-without-role", "unknown-role", "bank-with-role", "fund-with-other-role"])
def test_a_role_that_does_not_fit_the_kind_is_refused(runtime, client, admin, pki, kind, role):
    before = counts(runtime)
    refused(client.post("/v1/admin/institutions", json=new_department(pki, kind=kind, role=role), headers=admin),
            422, "institution.invalid_role")
    assert counts(runtime) == before


# --- purposes ----------------------------------------------------------------------------------------

def test_an_administrator_sets_a_departments_purposes_and_it_is_recorded(runtime, client, admin, pki):
    client.post("/v1/admin/institutions", json=new_department(pki), headers=admin)
    response = client.put(f"/v1/admin/institutions/{TAX}/purposes", json={"purposes": ["DEED_TAX_RELIEF"]},
                          headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["purposes"] == ["DEED_TAX_RELIEF"]
    history = client.get(f"/v1/admin/institutions/{TAX}/history", headers=admin).json()["items"]
    change = next(item for item in history if item["action"] == "institution.purposes")
    assert change["details"] == {"before": {"purposes": ["DEED_TAX_RELIEF", "TRANSFER_TAX_CHECK"]},
                                 "after": {"purposes": ["DEED_TAX_RELIEF"]}}


def test_an_unknown_purpose_is_refused_and_nothing_changes(runtime, client, admin, pki):
    client.post("/v1/admin/institutions", json=new_department(pki), headers=admin)
    before = counts(runtime)
    refused(client.put(f"/v1/admin/institutions/{TAX}/purposes", json={"purposes": ["DEED_TAX_RELIEF", "GOSSIP"]},
                       headers=admin), 422, "query.purpose_unknown")
    assert counts(runtime) == before


def test_purposes_for_a_bank_are_refused_and_nothing_is_stored(runtime, client, admin):
    before = counts(runtime)
    refused(client.put(f"/v1/admin/institutions/{factories.BANK_CODE}/purposes", json={"purposes": ["DEED_TAX_RELIEF"]},
                       headers=admin), 403, "department.not_a_department")
    assert counts(runtime) == before


def test_a_revoked_purpose_is_refused_at_the_next_query(runtime, client, admin, pki):
    departments = add_departments(runtime, pki)
    add_register(runtime)
    verified(runtime, ask(client, departments["tax_bureau"], FAMILY, family("DEED_TAX_RELIEF")))
    client.put(f"/v1/admin/institutions/{TAX}/purposes", json={"purposes": ["TRANSFER_TAX_CHECK"]}, headers=admin)
    response = ask(client, departments["tax_bureau"], FAMILY, family("DEED_TAX_RELIEF"))
    refused(response, 403, "query.purpose_not_allowed")


def test_a_purpose_of_another_role_may_be_granted(runtime, client, admin, pki):
    departments = add_departments(runtime, pki)
    add_register(runtime)
    client.put(f"/v1/admin/institutions/{TAX}/purposes",
               json={"purposes": ["DEED_TAX_RELIEF", "FIRST_HOME_LOAN_CHECK"]}, headers=admin)
    assert verified(runtime, ask(client, departments["tax_bureau"], FAMILY, family("FIRST_HOME_LOAN_CHECK")))


# --- what a department may not do ----------------------------------------------------------------------

def test_a_department_cannot_submit_an_application(runtime, client, pki):
    add_departments(runtime, pki)
    body = factories.signed_request(factories.application(mortgagee=Mortgagee(TAX, "税务局")), pki.tax_bureau)
    response = client.post("/v1/applications", content=body, headers={"Content-Type": "application/xml"})
    refused(response, 403, "auth.forbidden")
    with transaction(runtime.sessions) as session:
        from gateway.persistence.models import Application

        assert session.scalar(select(func.count()).select_from(Application)) == 0


def test_a_department_cannot_upload_materials_or_send_a_batch(runtime, client, pki):
    departments = add_departments(runtime, pki)
    data = b"%PDF-1.4 department"
    auth = departments["tax_bureau"].auth
    refused(client.put(f"/v1/materials/{factories.sha256(data)}", content=data,
                       headers={"Content-Type": "application/pdf"}, auth=auth), 403, "auth.forbidden")
    refused(client.post("/v1/batches", content=b"PK\x05\x06" + b"\0" * 18, headers={"Content-Type": "application/zip"},
                        auth=auth), 403, "auth.forbidden")


def test_a_department_reads_its_inbox(runtime, client, pki):
    departments = add_departments(runtime, pki)
    response = client.get("/v1/inbox", auth=departments["tax_bureau"].auth)
    assert response.status_code == 200, response.text


# --- the CLI -----------------------------------------------------------------------------------------

def test_the_cli_registers_a_department_and_grants_and_revokes_purposes(tmp_path, pki):
    env = gateway_env(tmp_path / "var", pki)
    cli(env, "db", "upgrade")
    printed = add_department(env, pki.housing_bureau, factories.HOUSING_BUREAU_CODE, "housing_bureau")
    assert [line.split("\t")[0] for line in printed.splitlines()] == ["FIRST_HOME_LOAN_CHECK", "SALE_CONTRACT_FILING"]
    changed = cli(env, "institution", "purposes", "--code", factories.HOUSING_BUREAU_CODE,
                  "--grant", "DEED_TAX_RELIEF", "--revoke", "SALE_CONTRACT_FILING")
    assert [line.split("\t")[0] for line in changed.splitlines()] == ["DEED_TAX_RELIEF", "FIRST_HOME_LOAN_CHECK"]
    shown = cli(env, "institution", "show", "--code", factories.HOUSING_BUREAU_CODE)
    assert "department role: housing_bureau" in shown and "purposes: DEED_TAX_RELIEF, FIRST_HOME_LOAN_CHECK" in shown
    assert "institution.purposes" in shown


def test_the_add_department_helper_gives_exactly_the_purposes_asked_for(tmp_path, pki):
    env = gateway_env(tmp_path / "var", pki)
    cli(env, "db", "upgrade")
    printed = add_department(env, pki.fund_centre, factories.FUND_CENTRE_CODE, "fund_centre",
                             purposes=["FUND_LOAN_COLLATERAL"])
    assert [line.split("\t")[0] for line in printed.splitlines()] == ["FUND_LOAN_COLLATERAL"]


def test_the_cli_refuses_an_unknown_purpose_and_a_department_without_a_role(tmp_path, pki):
    import subprocess

    from tests.support.processes import BIN

    env = gateway_env(tmp_path / "var", pki)
    cli(env, "db", "upgrade")
    add_department(env, pki.tax_bureau, TAX, "tax_bureau")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "gateway"), *args], env=env, capture_output=True, text=True, timeout=120)

    unknown = run("institution", "purposes", "--code", TAX, "--grant", "GOSSIP")
    assert unknown.returncode == 1 and "query.purpose_unknown" in unknown.stderr
    roleless = run("institution", "add", "--code", factories.HOUSING_BUREAU_CODE, "--name", "住建局", "--kind",
                   "department", "--cert", str(pki.housing_bureau.cert_path))
    assert roleless.returncode == 1 and "institution.invalid_role" in roleless.stderr
    listed = run("institution", "purposes", "--code", TAX)
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["DEED_TAX_RELIEF", "TRANSFER_TAX_CHECK"]
    assert factories.HOUSING_BUREAU_CODE not in run("institution", "list").stdout


# --- a housing-fund centre: applicant, and department only with the role ---------------------------------

def fund_centre_as_housing_fund(runtime, pki, role):
    from gateway.institutions.administration import create_institution
    from tests.support.department_queries import Department

    with transaction(runtime.sessions) as session:
        create_institution(session, actor="test", request_id=None, code=factories.FUND_CENTRE_CODE,
                           name="住房公积金管理中心", kind="housing_fund", cert_pem=pki.fund_centre.cert_pem,
                           trust=runtime.trust, department_role=role)
    add_register(runtime)
    return Department("fund_centre", factories.FUND_CENTRE_CODE, pki.fund_centre)


def test_a_housing_fund_centre_with_the_fund_centre_role_queries_as_a_department(runtime, client, pki):
    centre = fund_centre_as_housing_fund(runtime, pki, "fund_centre")
    answer = verified(runtime, ask(client, centre, FAMILY, family("FUND_LOAN_ELIGIBILITY")))
    assert answer["department"] == factories.FUND_CENTRE_CODE and answer["result"]["unit_count"] == 2


def test_a_housing_fund_centre_without_the_role_is_refused_the_query_ports(runtime, client, pki):
    from tests.support.department_queries import stored

    centre = fund_centre_as_housing_fund(runtime, pki, None)
    refused(ask(client, centre, FAMILY, family("FUND_LOAN_ELIGIBILITY")), 403, "department.not_a_department")
    assert stored(runtime) == (0, 0)


# --- the admin web page -------------------------------------------------------------------------------

@pytest.fixture
def web_admin(client) -> str:
    from tests.integration.test_admin_institutions import ADMIN_PASSWORD, web_sign_in

    return web_sign_in(client, "admin", ADMIN_PASSWORD)


def test_the_admin_page_shows_a_departments_role_and_sets_its_purposes(runtime, client, admin, web_admin, pki):
    assert client.post("/v1/admin/institutions", json=new_department(pki), headers=admin).status_code == 201
    page = client.get(f"/admin/institutions/{TAX}")
    assert page.status_code == 200
    assert "部门角色" in page.text and "税务局" in page.text
    assert 'value="DEED_TAX_RELIEF" checked' in page.text and 'value="FUND_LOAN_ELIGIBILITY">' in page.text
    saved = client.post(f"/admin/institutions/{TAX}/purposes", follow_redirects=False,
                        data={"csrf_token": web_admin, "purpose": ["DEED_TAX_RELIEF", "SALE_CONTRACT_FILING"]})
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=purposes")
    assert client.get(f"/v1/admin/institutions/{TAX}", headers=admin).json()["purposes"] == [
        "DEED_TAX_RELIEF", "SALE_CONTRACT_FILING"]
    again = client.post(f"/admin/institutions/{TAX}/purposes", follow_redirects=False,
                        data={"csrf_token": web_admin, "purpose": ["DEED_TAX_RELIEF", "SALE_CONTRACT_FILING"]})
    assert again.headers["location"].endswith("?done=purposes_unchanged")
    shown = client.get(f"/admin/institutions/{TAX}?done=purposes").text
    assert "已保存该部门的查询用途" in shown and "修改部门查询用途" in shown  # the recorded change in the history


def test_the_admin_page_refuses_an_unknown_purpose_and_changes_nothing(runtime, client, admin, web_admin, pki):
    client.post("/v1/admin/institutions", json=new_department(pki), headers=admin)
    before = counts(runtime)
    refused_page = client.post(f"/admin/institutions/{TAX}/purposes",
                               data={"csrf_token": web_admin, "purpose": ["DEED_TAX_RELIEF", "MAYORS_WHIM"]})
    assert refused_page.status_code == 422 and "查询用途不正确" in refused_page.text
    assert counts(runtime) == before


def test_a_banks_admin_page_has_no_purposes_form(client, web_admin):
    page = client.get(f"/admin/institutions/{factories.BANK_CODE}")
    assert page.status_code == 200 and "部门查询用途" not in page.text
