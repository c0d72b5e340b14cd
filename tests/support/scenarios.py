"""Scenarios for the registration-rules integration tests.

* applications of every registration type, as a bank sends them, with materials whose bytes
  the tests upload (``material_bytes``);
* register set-ups beyond the seeded home: a building under construction, an off-plan flat
  with its buyers' purchase pre-notices, a shop;
* the API steps the tests repeat (submit, claim, decide, read status) and register reads;
* a PKI whose certificates were already valid years ago, and a seeded runtime on it, so that
  intake can be run with ``now=`` on a date in the past (the deadline clock, overdue work).
"""
from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select

from bank_adapters import (
    CanonicalApplication,
    ChangeItem,
    DischargeReason,
    IdType,
    LinkRef,
    MaterialRef,
    Mortgagee,
    Party,
    RegistrationType,
)
from gateway.api.app import create_app
from gateway.cli import main as cli_main
from gateway.applications.intake import IntakeOutcome, submit_application
from gateway.institutions.service import find_by_code
from gateway.materials.service import store_material
from gateway.persistence.db import transaction
from gateway.persistence.models import Application, StaffUser
from gateway.register.models import PropertyUnit, RegisteredMortgage, RegistrationEntry, UnitOwner
from gateway.runtime import Runtime
from gateway.settings import get_settings
from gateway.timezone import LOCAL_TZ
from gateway.protection.keyring import copy_keys
from signing.httpsig import HttpSignatureAuth
from signing.pki import certificate_to_pem, generate_private_key, issue_certificate, make_ca, private_key_to_pem
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, make_settings, seed, staff_headers, start_runtime
from tests.support import factories
from tests.support.pki import Identity, TestPki
from tests.support.register import add_encumbrance, add_unit

T = RegistrationType
NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}

BANK = Mortgagee(factories.BANK_CODE, "平罗县测试商业银行")
OTHER_BANK = Mortgagee(factories.OTHER_BANK_CODE, "另一家银行")
WANG, LI = factories.application().mortgagors
DEVELOPER = Party("平罗县宏达房地产开发有限公司", IdType.USCC, "91640221MA7BQ2KX4D")

BUILDING_CODE = "640221001002GB00031F00020000"  # an apartment building under construction
OFF_PLAN_CODE = "640221001002GB00031F00020502"  # a flat in it, sold off-plan
SHOP_CODE = "640221001003GB00045F00010001"  # a shop owned by the two test mortgagors

# Mortgages put in the register directly (as if imported), for the types that act on one.
EXISTING_NO = "宁(2025)平罗县不动产证明第0000101号"
SECOND_NO = "宁(2025)平罗县不动产证明第0000187号"
THIRD_NO = "宁(2025)平罗县不动产证明第0000230号"
CERTIFICATE_NO = re.compile(r"宁\((\d{4})\)平罗县不动产证明第(\d{7})号")


# --- materials --------------------------------------------------------------------------------------

def material_bytes(code: str) -> bytes:
    """The bytes the tests upload for a material type (the factory's bytes for its three)."""
    return factories.MATERIALS.get(code) or f"%PDF-1.4 {code.lower()} (test)\n".encode()


def refs(*codes: str) -> tuple[MaterialRef, ...]:
    return tuple(MaterialRef(code, f"{code.lower()}.pdf", factories.sha256(material_bytes(code))) for code in codes)


CONTRACTS = ("LOAN_CONTRACT", "MORTGAGE_CONTRACT", "ID_DOCUMENT")


# --- applications of every type ------------------------------------------------------------------

_NO_TERMS = dict(secured_amount=None, debt_start=None, debt_end=None, loan_contract_no=None,
                 mortgage_contract_no=None, debtor=None)


def _build(defaults: dict, overrides: dict) -> CanonicalApplication:
    return factories.application(**{**defaults, **overrides})


def first(**overrides) -> CanonicalApplication:
    """抵押权首次登记 (general) of the seeded home by the test bank."""
    return factories.application(**overrides)


def maximum(**overrides) -> CanonicalApplication:
    """最高额抵押: 2,000,000 yuan over the claim determination period 2026-12-01 – 2031-11-30."""
    return _build(dict(registration_type=T.MORTGAGE_FIRST_MAXIMUM, secured_amount=None,
                       maximum_claim_amount=Decimal("2000000.00"), claim_period_start=date(2026, 12, 1),
                       claim_period_end=date(2031, 11, 30)), overrides)


def change(certificate_no: str, *changes: ChangeItem, codes: tuple[str, ...] = ("CHANGE_AGREEMENT", "ID_DOCUMENT"),
           **overrides) -> CanonicalApplication:
    """抵押权变更登记, filed with the recorded mortgagors."""
    return _build(dict(registration_type=T.MORTGAGE_CHANGE, referenced_certificate_no=certificate_no,
                       changes=changes, materials=refs(*codes), **_NO_TERMS), overrides)


def transfer(certificate_no: str, **overrides) -> CanonicalApplication:
    """抵押权转移登记 of the test bank's mortgage to the other bank (the schema wants the mortgagors named)."""
    return _build(dict(registration_type=T.MORTGAGE_TRANSFER, referenced_certificate_no=certificate_no,
                       transferee=OTHER_BANK,
                       materials=refs("ASSIGNMENT_CONTRACT", "DEBTOR_NOTICE"), **_NO_TERMS), overrides)


def discharge(certificate_no: str, **overrides) -> CanonicalApplication:
    """抵押权注销登记 (debt repaid), filed by the mortgagee alone."""
    return _build(dict(registration_type=T.MORTGAGE_DISCHARGE, referenced_certificate_no=certificate_no,
                       discharge_reason=DischargeReason.DEBT_REPAID,
                       materials=refs("DISCHARGE_EVIDENCE"), **_NO_TERMS), overrides)


def construction(**overrides) -> CanonicalApplication:
    """在建建筑物抵押 of the developer's building."""
    return _build(dict(registration_type=T.CONSTRUCTION_MORTGAGE, unit_code=BUILDING_CODE, mortgagors=(DEVELOPER,),
                       debtor=DEVELOPER, secured_amount=Decimal("30000000.00"),
                       construction_permit_no="建字第640221202600018号",
                       materials=refs(*CONTRACTS, "CONSTRUCTION_PERMIT", "CADASTRAL_SURVEY")), overrides)


def pre_notice(**overrides) -> CanonicalApplication:
    """预购商品房抵押预告登记 of the off-plan flat, by its two buyers."""
    return _build(dict(registration_type=T.PRE_NOTICE_MORTGAGE, unit_code=OFF_PLAN_CODE,
                       materials=refs(*CONTRACTS, "PURCHASE_CONTRACT")), overrides)


def conversion(certificate_no: str, **overrides) -> CanonicalApplication:
    """预告登记转抵押权首次登记, with the pre-notice's terms (the factory's amount and period).

    The schema wants at least one material although everything required is on file; the
    identity documents are sent again.
    """
    return _build(dict(registration_type=T.PRE_NOTICE_CONVERSION, unit_code=OFF_PLAN_CODE,
                       referenced_certificate_no=certificate_no, materials=refs("ID_DOCUMENT")), overrides)


def linked(app: CanonicalApplication, group_id: str, position: int, size: int = 2) -> CanonicalApplication:
    from dataclasses import replace

    return replace(app, link=LinkRef(group_id, position, size))


# --- the register -----------------------------------------------------------------------------------

def add_building(session) -> None:
    """A non-residential building under construction, owned by the developer alone."""
    add_unit(session, BUILDING_CODE, owners=[(DEVELOPER, "单独所有")], use="NON_RESIDENTIAL",
             state="UNDER_CONSTRUCTION")


def add_off_plan_flat(session) -> None:
    """An off-plan flat: the developer owns it, 王建国 and 李秀梅 hold the purchase pre-notices."""
    add_unit(session, OFF_PLAN_CODE, owners=[(DEVELOPER, "单独所有")], state="OFF_PLAN")
    for buyer in (WANG, LI):
        add_encumbrance(session, "PURCHASE_PRE_NOTICE", unit_code=OFF_PLAN_CODE,
                        reference="宁(2026)平罗县不动产证明第0003391号", holder=buyer)


def give_title(session, unit_code: str = OFF_PLAN_CODE) -> None:
    """The buyers' title is registered: the flat is TITLED and owned 1/2 each by them."""
    unit = session.scalar(select(PropertyUnit).where(PropertyUnit.unit_code == unit_code))
    unit.state = "TITLED"
    for owner in list(unit.owners):
        session.delete(owner)
    session.flush()
    for buyer in (WANG, LI):
        session.add(UnitOwner(unit_id=unit.id, name=buyer.name, id_type=buyer.id_type.value,
                              id_number=buyer.id_number, share="1/2"))
    session.flush()


@dataclass(frozen=True)
class MortgageRow:
    certificate_no: str
    kind: str
    priority: int
    status: str
    mortgagee_code: str
    secured_amount: Decimal | None
    maximum_claim_amount: Decimal | None
    claim_period_start: date | None
    claim_period_end: date | None
    mortgagor_id_numbers: tuple[str, ...]
    application_no: str | None


def mortgages(runtime: Runtime, unit_code: str = factories.UNIT_CODE) -> list[MortgageRow]:
    """Every mortgage on the unit, in force first, by priority."""
    with transaction(runtime.sessions) as session:
        rows = session.execute(
            select(RegisteredMortgage, Application.application_no)
            .outerjoin(Application, Application.id == RegisteredMortgage.application_id)
            .where(RegisteredMortgage.unit_code == unit_code)
        ).all()
        found = [MortgageRow(m.certificate_no, m.kind, m.priority, m.status, m.mortgagee_code, m.secured_amount,
                             m.maximum_claim_amount, m.claim_period_start, m.claim_period_end,
                             tuple(m.mortgagor_id_numbers or ()), number) for m, number in rows]
    return sorted(found, key=lambda m: (m.status != "IN_FORCE", m.priority))


def in_force(runtime: Runtime, unit_code: str = factories.UNIT_CODE) -> list[MortgageRow]:
    return [m for m in mortgages(runtime, unit_code) if m.status == "IN_FORCE"]


def registered_numbers(runtime: Runtime) -> list[str]:
    """Certificate numbers of the registrations made by the gateway (not imported), in order."""
    with transaction(runtime.sessions) as session:
        return list(session.scalars(select(RegistrationEntry.certificate_no)
                                    .where(RegistrationEntry.registration_type != "IMPORTED")
                                    .order_by(RegistrationEntry.id)))


def application_record(runtime: Runtime, number: str) -> Application:
    """The stored application (detached; the session does not expire on commit)."""
    with transaction(runtime.sessions) as session:
        return session.scalar(select(Application).where(Application.application_no == number))


def statuses(runtime: Runtime, *numbers: str) -> list[str]:
    return [application_record(runtime, n).status for n in numbers]


# --- institutions and the API ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Bank:
    """An institution as the tests drive it: its code, signing identity and HTTP signature auth."""

    mortgagee: Mortgagee
    identity: Identity
    auth: HttpSignatureAuth

    @property
    def code(self) -> str:
        return self.mortgagee.code


def main_bank(pki: TestPki) -> Bank:
    return Bank(BANK, pki.bank, HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key))


def other_bank(pki: TestPki) -> Bank:
    return Bank(OTHER_BANK, pki.other_bank,
                HttpSignatureAuth(key_id=pki.other_bank.fingerprint, private_key=pki.other_bank.key))


def upload_for(client: TestClient, app: CanonicalApplication, bank: Bank) -> None:
    for ref in app.materials:
        data = material_bytes(ref.type_code)
        response = client.put(f"/v1/materials/{factories.sha256(data)}", content=data,
                              headers={"Content-Type": "application/pdf"}, auth=bank.auth)
        assert response.status_code in (200, 201), response.text


def post(client: TestClient, body: bytes, path: str = "/v1/applications"):
    return client.post(path, content=body, headers={"Content-Type": "application/xml"})


def submit(client: TestClient, app: CanonicalApplication, bank: Bank, *, path: str = "/v1/applications"):
    """Upload the application's materials as the bank, then post it signed by the bank."""
    upload_for(client, app, bank)
    return post(client, factories.signed_request(app, bank.identity), path)


def submit_ok(client: TestClient, app: CanonicalApplication, bank: Bank) -> str:
    """Submit; it must be accepted. Returns the application number."""
    response = submit(client, app, bank)
    assert response.status_code == 202, response.text
    return receipt(response).findtext("g:ApplicationNo", namespaces=NS)


def confirm_transfer(client: TestClient, number: str, transferee: Bank):
    """The transferee joins the transfer: it reads the receipt and confirms that exact request."""
    receipt_response = client.get(f"/v1/applications/{number}/documents/receipt", auth=transferee.auth)
    assert receipt_response.status_code == 200, receipt_response.text
    sha256 = etree.fromstring(receipt_response.content).findtext("g:RequestSha256", namespaces=NS)
    response = client.post(f"/v1/applications/{number}/transferee-confirmation",
                           json={"request_sha256": sha256}, auth=transferee.auth)
    assert response.status_code == 200, response.text
    return response


def receipt(response_or_bytes) -> etree._Element:
    """The signed receipt of an HTTP response, or of ``IntakeOutcome.receipt`` bytes."""
    data = response_or_bytes if isinstance(response_or_bytes, bytes) else response_or_bytes.content
    return etree.fromstring(data)


def receipt_findings(root: etree._Element) -> list[str]:
    return [f.findtext("g:Code", namespaces=NS) for f in root.iterfind("g:Findings/g:Finding", NS)]


def claim(client: TestClient, number: str, headers) -> None:
    response = client.post(f"/v1/review/applications/{number}/claim", headers=headers)
    assert response.status_code == 200, response.text


def decide(client: TestClient, number: str, headers, decision: str = "approve", **body) -> dict:
    """Claim and decide; the background work (certificates, deliveries) is waited for."""
    claim(client, number, headers)
    response = client.post(f"/v1/review/applications/{number}/decision", json={"decision": decision, **body},
                           headers=headers)
    assert response.status_code == 200, response.text
    assert client.app.state.runtime.wait_idle(60)
    return response.json()


def approve(client: TestClient, number: str, headers) -> dict:
    return decide(client, number, headers, "approve")


def reject(client: TestClient, number: str, headers, reason: str = "抵押合同未加盖抵押人签章") -> dict:
    return decide(client, number, headers, "reject", reason=reason)


def status(client: TestClient, number: str, bank: Bank) -> dict:
    response = client.get(f"/v1/applications/{number}", auth=bank.auth)
    assert response.status_code == 200, response.text
    return response.json()


def result(client: TestClient, number: str, bank: Bank) -> etree._Element:
    response = client.get(f"/v1/applications/{number}/result", auth=bank.auth)
    assert response.status_code == 200, response.text
    return etree.fromstring(response.content)


def supervisor_headers(client: TestClient) -> dict[str, str]:
    return staff_headers(client, "supervisor", ADMIN_PASSWORD)


def reviewer2_headers(client: TestClient) -> dict[str, str]:
    return staff_headers(client, "reviewer2", REVIEWER_PASSWORD)


# --- intake and review at a chosen time ----------------------------------------------------------------

def local_time(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """``hour:minute`` on ``day`` at the registration centre, as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ).astimezone(timezone.utc)


def store_materials(runtime: Runtime, app: CanonicalApplication, code: str = factories.BANK_CODE) -> None:
    with transaction(runtime.sessions) as session:
        institution = find_by_code(session, code)
        for ref in app.materials:
            data = material_bytes(ref.type_code)
            store_material(session, institution_id=institution.id, sha256=factories.sha256(data), content=data,
                           media_type="application/pdf", max_bytes=10**6)


def submit_at(runtime: Runtime, app: CanonicalApplication, identity: Identity, now: datetime) -> IntakeOutcome:
    """Intake as if it were ``now``: the request is created then, its materials are on file."""
    from dataclasses import replace

    app = replace(app, created_at=now)
    store_materials(runtime, app, app.mortgagee.code)
    return submit_application(runtime, factories.signed_request(app, identity), now=now)


def staff_user(session, username: str = "reviewer") -> StaffUser:
    return session.scalar(select(StaffUser).where(StaffUser.username == username))


# --- a PKI already valid in the past ------------------------------------------------------------------------

def build_long_lived_pki(directory: Path, *, years: int = 3) -> TestPki:
    """Like ``tests.support.pki.build_pki``, but every good certificate is valid ``years`` back and forth."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    span = timedelta(days=365 * years)
    ca_key, ca_cert = make_ca(common_name="Long CA", organization="Test", not_before=now - span - timedelta(days=1),
                              not_after=now + span + timedelta(days=1))
    rogue = make_ca(common_name="Rogue CA", organization="Rogue", not_before=now - span, not_after=now + span)
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(certificate_to_pem(ca_cert))

    def identity(name, *, kind="rsa", issuer=(ca_key, ca_cert), start=-span, end=span) -> Identity:
        key = generate_private_key(kind)
        cert = issue_certificate(ca_key=issuer[0], ca_cert=issuer[1], common_name=name, organization=name,
                                 public_key=key.public_key(), not_before=now + start, not_after=now + end)
        key_path, cert_path = directory / f"{name}-key.pem", directory / f"{name}-cert.pem"
        key_path.write_bytes(private_key_to_pem(key))
        cert_path.write_bytes(certificate_to_pem(cert))
        return Identity(key, cert, key_path, cert_path)

    return TestPki(
        ca_path=ca_path,
        gateway=identity("gateway"),
        bank=identity("bank"),
        bank_ec=identity("bank-ec", kind="ec"),
        other_bank=identity("other-bank"),
        # Only ever refused; EC keys are quicker to make.
        expired=identity("expired", kind="ec", start=-span, end=-span + timedelta(days=30)),
        not_yet_valid=identity("not-yet-valid", kind="ec", start=span - timedelta(days=30), end=span),
        untrusted=identity("untrusted", kind="ec", issuer=rogue),
        tax_bureau=identity("tax-bureau", kind="ec"),
        housing_bureau=identity("housing-bureau", kind="ec"),
        fund_centre=identity("fund-centre", kind="ec"),
    )


# Every module importing these fixtures gets its own copy of their definitions; the session's one
# PKI and template database are kept here so that they are made once.
_LONG_LIVED: dict[str, object] = {}


@pytest.fixture(scope="session")
def long_lived_pki(tmp_path_factory) -> TestPki:
    if "pki" not in _LONG_LIVED:
        _LONG_LIVED["pki"] = build_long_lived_pki(tmp_path_factory.mktemp("long-pki"))
    return _LONG_LIVED["pki"]


@pytest.fixture(scope="session")
def long_lived_database(tmp_path_factory, long_lived_pki) -> Path:
    """A migrated, seeded database on the long-lived PKI, copied for each test."""
    if "database" not in _LONG_LIVED:
        data_dir = tmp_path_factory.mktemp("long-template")
        template = start_runtime(make_settings(data_dir, long_lived_pki))
        seed(template, long_lived_pki)
        template.close()
        _LONG_LIVED["database"] = data_dir / "gateway.db"
    return _LONG_LIVED["database"]


@dataclass
class Past:
    """A seeded embedded gateway whose institutions' certificates were valid years ago."""

    runtime: Runtime
    client: TestClient
    pki: TestPki
    bank: Bank
    other: Bank
    numbers: dict[str, str] = field(default_factory=dict)  # application numbers a test set up, by role


def past_gateway(database: Path, data_dir: Path, pki: TestPki, **settings) -> Past:
    data_dir.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(database) as source, sqlite3.connect(data_dir / "gateway.db") as target:
        source.backup(target)
    source.close()
    target.close()
    copy_keys(database.parent, data_dir)  # the copy is encrypted under the template's keys
    runtime = start_runtime(make_settings(data_dir, pki, **settings))
    client = TestClient(create_app(runtime), base_url="http://gateway.test")
    return Past(runtime, client, pki, main_bank(pki), other_bank(pki))


@pytest.fixture
def past(long_lived_database, tmp_path, long_lived_pki) -> Iterator[Past]:
    gateway = past_gateway(long_lived_database, tmp_path / "var", long_lived_pki)
    with gateway.client:
        yield gateway
    gateway.runtime.close()


# --- the operator CLI, in-process -------------------------------------------------------------------------------

def run_cli(monkeypatch, runtime: Runtime, *args: str) -> int:
    """``gateway ARGS`` in this process, configured by environment (as an operator's shell would be)
    for the runtime's data directory; returns the exit code."""
    settings = runtime.settings
    for name in [n for n in os.environ if n.startswith("GATEWAY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("GATEWAY_SIGNING_KEY_PATH", str(settings.signing_key_path))
    monkeypatch.setenv("GATEWAY_SIGNING_CERT_PATH", str(settings.signing_cert_path))
    monkeypatch.setenv("GATEWAY_TRUST_ANCHORS_PATH", str(settings.trust_anchors_path))
    if settings.database_url:
        monkeypatch.setenv("GATEWAY_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        return cli_main(list(args))
    finally:
        get_settings.cache_clear()
