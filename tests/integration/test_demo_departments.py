"""The demo's departments (`gateway demo init`, docs/interface/departments.md §10.1): a tax bureau, a
housing bureau and the housing-fund centre as a department too, each keyed by the demo CA, granted its
role's default purposes, with a `department-client` configuration that signs queries the gateway answers.
"""
from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import gateway.demo as demo_module
from gateway.api.app import create_app
from gateway.demo import initialise_demo
from gateway.departments.grants import purposes_of
from gateway.departments.models import InstitutionPurpose
from gateway.departments.purposes import default_purposes
from gateway.institutions.service import find_by_code
from gateway.persistence.models import Institution
from gateway.prereview.identifiers import is_valid_credit_code
from gateway.registration_events.subscriptions import subscriptions_of
from gateway.runtime import Runtime
from gateway.settings import Settings
from gateway_client.config import load_config
from signing.httpsig import HttpSignatureAuth
from signing.pki import load_private_key_pem
from signing.trust import certificate_fingerprint, load_pem_certificates

DEPARTMENTS = {  # credentials.json key -> (key file stem, role, a purpose of the role for a unit extract)
    "tax_bureau": ("tax-bureau", "tax_bureau", "TRANSFER_TAX_CHECK"),
    "housing_bureau": ("housing-bureau", "housing_bureau", "SALE_CONTRACT_FILING"),
    "housing_fund": ("housing-fund", "fund_centre", "FUND_LOAN_COLLATERAL"),
}
UNIT = "640221001001GB00008F00020301"  # the demo register's flat of the ownership-transfer example


def demo_settings(path: Path) -> Settings:
    return Settings(data_dir=path / "var", staff_token_secrets=["demo-test-secret"], sweep_interval_seconds=3600)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[tuple[Runtime, dict, str]]:
    settings = demo_settings(tmp_path_factory.mktemp("demo-departments"))
    printed = io.StringIO()
    credentials = initialise_demo(settings, out=printed)
    runtime = Runtime.from_settings(settings)
    yield runtime, credentials, printed.getvalue()
    runtime.close()


def test_the_demo_registers_a_tax_bureau_and_a_housing_bureau_with_valid_codes(demo):
    runtime, credentials, _ = demo
    with runtime.read_sessions() as session:
        for name, role in (("tax_bureau", "tax_bureau"), ("housing_bureau", "housing_bureau")):
            institution = find_by_code(session, credentials[name]["code"])
            assert is_valid_credit_code(institution.code)
            assert (institution.kind, institution.department_role) == ("department", role)
            assert credentials[name]["department_role"] == role and credentials[name]["kind"] == "department"


def test_the_demo_housing_fund_is_also_a_department_and_still_an_applicant(demo):
    runtime, credentials, _ = demo
    with runtime.read_sessions() as session:
        fund = find_by_code(session, credentials["housing_fund"]["code"])
        assert (fund.kind, fund.department_role) == ("housing_fund", "fund_centre")
    assert credentials["housing_fund"]["department_role"] == "fund_centre"
    # The keys of credentials.json that existed before the departments are unchanged.
    assert {"users", "bank", "housing_fund", "rural_bank"} <= set(credentials)
    assert credentials["bank"]["kind"] == "bank" and credentials["rural_bank"]["kind"] == "bank"


def test_each_demo_department_has_its_roles_default_purposes_and_only_the_tax_bureau_is_subscribed(demo):
    runtime, credentials, _ = demo
    with runtime.read_sessions() as session:
        for name, (_, role, _) in DEPARTMENTS.items():
            institution = find_by_code(session, credentials[name]["code"])
            assert purposes_of(session, institution) == sorted(default_purposes(role)), name
            topics = [(s.topic, s.origin) for s in subscriptions_of(session, institution=institution) if s.active]
            assert topics == ([("registration-events", "default")] if role == "tax_bureau" else []), name


def test_each_demo_departments_key_and_certificate_are_in_the_demo_folder_and_registered(demo):
    runtime, credentials, _ = demo
    folder = runtime.settings.data_dir / "demo"
    with runtime.read_sessions() as session:
        for name, (stem, _, _) in DEPARTMENTS.items():
            certificate = load_pem_certificates((folder / f"{stem}-cert.pem").read_bytes())[0]
            key = load_private_key_pem((folder / f"{stem}-key.pem").read_bytes())
            assert key.public_key().public_numbers() == certificate.public_key().public_numbers()
            assert (folder / f"{stem}-key.pem").stat().st_mode & 0o077 == 0
            institution = find_by_code(session, credentials[name]["code"])
            assert certificate_fingerprint(certificate) in {c.fingerprint for c in institution.certificates}


def test_the_banner_names_the_departments_their_keys_and_the_client_configurations(demo):
    runtime, credentials, printed = demo
    folder = (runtime.settings.data_dir / "demo").resolve()
    for name in ("tax_bureau", "housing_bureau"):
        assert f"({credentials[name]['code']}), key {folder}/{DEPARTMENTS[name][0]}-key.pem" in printed
    assert "role fund_centre" in printed
    assert f"department-client --config {folder}/tax-bureau.toml" in printed


@pytest.mark.parametrize("name", sorted(DEPARTMENTS))
def test_the_written_client_configuration_signs_a_query_the_gateway_answers(demo, name):
    runtime, credentials, _ = demo
    stem, _, purpose = DEPARTMENTS[name]
    config = load_config(runtime.settings.data_dir / "demo" / f"{stem}.toml", environ={})
    assert config.institution == credentials[name]["code"]
    assert config.gateway_url == runtime.settings.public_base_url
    assert config.gateway_certificate == (runtime.settings.data_dir / "keys" / "gateway-cert.pem").resolve()
    certificate = load_pem_certificates(config.certificate.read_bytes())[0]
    auth = HttpSignatureAuth(key_id=certificate_fingerprint(certificate),
                             private_key=load_private_key_pem(config.key.read_bytes()))
    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        answered = client.post("/v1/departments/queries/unit-extract", auth=auth,
                               json={"purpose": purpose, "case_reference": f"DEMO-{stem}", "unit_code": UNIT})
    assert answered.status_code == 200, answered.text
    assert answered.headers["content-type"].startswith("application/jose")


def test_init_again_adds_nothing(demo):
    runtime, credentials, _ = demo
    with runtime.read_sessions() as session:
        institutions = session.scalar(select(func.count()).select_from(Institution))
        purposes = session.scalar(select(func.count()).select_from(InstitutionPurpose))
    again = initialise_demo(runtime.settings, out=io.StringIO())
    with runtime.read_sessions() as session:
        assert session.scalar(select(func.count()).select_from(Institution)) == institutions
        assert session.scalar(select(func.count()).select_from(InstitutionPurpose)) == purposes
    assert again == credentials


def test_a_demo_made_before_the_departments_gets_them_at_its_next_init(tmp_path, monkeypatch):
    settings = demo_settings(tmp_path)
    with monkeypatch.context() as patch:  # the demo as it was: no departments, the fund centre no department
        patch.setattr(demo_module, "_add_departments", lambda settings, path, credentials: credentials)
        old = initialise_demo(settings, out=io.StringIO())
    assert "tax_bureau" not in old and "department_role" not in old["housing_fund"]
    old_bank_key = (settings.data_dir / "demo" / "bank-key.pem").read_bytes()

    upgraded = initialise_demo(settings, out=io.StringIO())

    assert {"tax_bureau", "housing_bureau"} <= set(upgraded) and upgraded["users"] == old["users"]
    assert json.loads((settings.data_dir / "demo" / "credentials.json").read_text()) == upgraded
    assert (settings.data_dir / "demo" / "bank-key.pem").read_bytes() == old_bank_key
    runtime = Runtime.from_settings(settings)
    try:
        with runtime.read_sessions() as session:
            fund = find_by_code(session, old["housing_fund"]["code"])
            assert fund.department_role == "fund_centre"
            assert purposes_of(session, fund) == sorted(default_purposes("fund_centre"))
            assert find_by_code(session, upgraded["tax_bureau"]["code"]).department_role == "tax_bureau"
    finally:
        runtime.close()
