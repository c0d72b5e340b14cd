"""Institutions' signing certificates, administered: registering one (key rotation), the checks
that refuse an unusable one, listing and the expiry report (API, CLI, admin page, /metrics),
revoking with a reason (refused from the next request), the trust anchors and CRL import.

Every change is recorded with who and when; every bad input is refused with its own code and
changes nothing.
"""
from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.institutions.auth import KEYS
from gateway.institutions.service import add_institution
from gateway.persistence.db import transaction
from gateway.persistence.models import AdminAction, Institution, InstitutionCertificate
from signing.httpsig import HttpSignatureAuth
from signing.pki import certificate_to_pem, generate_private_key, issue_certificate, make_ca, private_key_to_pem
from signing.trust import certificate_fingerprint
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, staff_headers, upload_materials
from tests.support import factories
from tests.support import scenarios as s
from tests.support.pki import Identity
from tests.support.tamper import (
    runtime,  # noqa: F401 (fixture: a seeded runtime on a copied database)
    runtime_from_template,
    seeded_database,  # noqa: F401 (fixture)
)

BANK = factories.BANK_CODE
NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- helpers ---------------------------------------------------------------------------------------------------

def issue(pki, directory: Path, name: str, *, days: int = 365, kind: str = "ec") -> Identity:
    """A new certificate of the trusted test CA (a bank's next key), valid from a minute ago."""
    now = datetime.now(timezone.utc)
    key = generate_private_key(kind)
    certificate = issue_certificate(ca_key=pki.ca_key, ca_cert=pki.ca_certificate, common_name=name,
                                    organization=name, public_key=key.public_key(),
                                    not_before=now - timedelta(minutes=1), not_after=now + timedelta(days=days))
    key_path, cert_path = directory / f"{name}-key.pem", directory / f"{name}-cert.pem"
    key_path.write_bytes(private_key_to_pem(key))
    cert_path.write_bytes(certificate_to_pem(certificate))
    return Identity(key, certificate, key_path, cert_path)


def snapshot(runtime) -> tuple[list[tuple], int]:
    """Every registered certificate with its revocation, and the number of recorded admin actions."""
    with transaction(runtime.sessions) as session:
        rows = session.execute(select(InstitutionCertificate.fingerprint, InstitutionCertificate.institution_id,
                                      InstitutionCertificate.revoked_at, InstitutionCertificate.revocation_reason)
                               .order_by(InstitutionCertificate.fingerprint)).all()
        return [tuple(row) for row in rows], session.scalar(select(func.count()).select_from(AdminAction))


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


def actions(runtime, action: str) -> list[AdminAction]:
    with transaction(runtime.sessions) as session:
        found = list(session.scalars(select(AdminAction).where(AdminAction.action == action)
                                     .order_by(AdminAction.id)))
        session.expunge_all()
        return found


def register(client, admin, identity: Identity, code: str = BANK):
    return client.post(f"/v1/admin/institutions/{code}/certificates", json={"pem": identity.cert_pem.decode()},
                       headers=admin)


def revoke(client, admin, fingerprint: str, reason: str = "密钥泄露"):
    return client.post(f"/v1/admin/institution-certificates/{fingerprint}/revoke", json={"reason": reason}, headers=admin)


def make_crl(pki, serials: dict[int, x509.ReasonFlags | None], *, signer=None, next_update_days: int = 7) -> bytes:
    now = datetime.now(timezone.utc)
    key, issuer = signer or (pki.ca_key, pki.ca_certificate)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject).last_update(now - timedelta(hours=1))
               .next_update(now + timedelta(days=next_update_days)))
    for serial, reason in serials.items():
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now - timedelta(hours=2))
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(key, hashes.SHA256()).public_bytes(Encoding.PEM)


def auth_for(identity: Identity) -> HttpSignatureAuth:
    return HttpSignatureAuth(key_id=identity.fingerprint, private_key=identity.key)


def submit(client, identity: Identity):
    return client.post("/v1/applications", content=factories.signed_request(factories.application(), identity),
                       headers={"Content-Type": "application/xml"})


def application_no(response) -> str:
    assert response.status_code == 202, response.text
    return etree.fromstring(response.content).findtext("g:ApplicationNo", namespaces=NS)


# --- registering a certificate -----------------------------------------------------------------------------------

def test_an_admin_registers_a_new_certificate_of_a_bank(client, runtime, admin, pki, tmp_path):
    new = issue(pki, tmp_path, "bank-2027")

    response = register(client, admin, new)

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["fingerprint"], body["institution_code"], body["status"]) == (new.fingerprint, BANK, "current")
    assert response.headers["location"] == f"/v1/admin/institution-certificates/{new.fingerprint}"
    [added] = actions(runtime, "certificate.add")
    assert (added.actor, added.subject, added.details["institution"]) == ("admin", new.fingerprint, BANK)


@pytest.mark.parametrize(("which", "code"), [("expired", "certificate.expired"),
                                             ("not_yet_valid", "certificate.not_yet_valid"),
                                             ("untrusted", "certificate.untrusted")])
def test_an_unusable_certificate_is_refused_and_nothing_changes(client, runtime, admin, pki, which, code):
    before = snapshot(runtime)
    assert_refused(register(client, admin, getattr(pki, which)), 422, code)
    assert snapshot(runtime) == before


def test_a_ca_certificate_is_refused_for_its_key_usage(client, runtime, admin, pki):
    before = snapshot(runtime)
    response = client.post(f"/v1/admin/institutions/{BANK}/certificates",
                           json={"pem": certificate_to_pem(pki.ca_certificate).decode()}, headers=admin)
    assert_refused(response, 422, "certificate.wrong_key_usage")
    assert snapshot(runtime) == before


def test_a_file_that_is_not_a_certificate_is_refused(client, runtime, admin, pki):
    before = snapshot(runtime)
    response = client.post(f"/v1/admin/institutions/{BANK}/certificates",
                           json={"pem": pki.bank.key_path.read_text()}, headers=admin)
    assert_refused(response, 422, "certificate.unreadable")
    assert "PRIVATE" not in response.text
    assert snapshot(runtime) == before


def test_a_certificate_already_registered_is_refused(client, runtime, admin, pki):
    before = snapshot(runtime)
    assert_refused(register(client, admin, pki.other_bank), 409, "certificate.exists")
    assert snapshot(runtime) == before


def test_a_certificate_for_an_unknown_institution_is_refused(client, runtime, admin, pki, tmp_path):
    before = snapshot(runtime)
    assert_refused(register(client, admin, issue(pki, tmp_path, "nobody"), code="91640221MA00000000"),
                   404, "institution.not_found")
    assert snapshot(runtime) == before


def test_an_institution_is_not_added_with_an_unusable_first_certificate(runtime, pki):
    with pytest.raises(Exception) as refused, transaction(runtime.sessions) as session:
        add_institution(session, code="91640221MA75XQ2D4J", name="新银行", kind="bank",
                        cert_pem=pki.expired.cert_pem, trust=runtime.trust)
    assert getattr(refused.value, "code", None) == "certificate.expired"
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(Institution).where(Institution.code == "91640221MA75XQ2D4J")) is None


def test_a_reviewer_may_not_register_a_certificate(client, runtime, pki, tmp_path):
    reviewer = staff_headers(client, "reviewer", REVIEWER_PASSWORD)
    before = snapshot(runtime)
    assert_refused(register(client, reviewer, issue(pki, tmp_path, "sneaky")), 403, "auth.forbidden")
    assert snapshot(runtime) == before


# --- listing and the expiry report ------------------------------------------------------------------------------

def test_the_list_is_sorted_by_expiry_with_each_status(client, admin, pki):
    items = client.get("/v1/admin/institution-certificates", headers=admin).json()["items"]

    assert [item["not_after"] for item in items] == sorted(item["not_after"] for item in items)
    status = {item["fingerprint"]: item["status"] for item in items}
    assert status[pki.bank.fingerprint] == "current"
    assert status[pki.expired.fingerprint] == "expired"
    assert status[pki.not_yet_valid.fingerprint] == "not_yet_valid"


def test_the_list_filters_by_institution_and_status(client, admin, pki):
    other = client.get("/v1/admin/institution-certificates", params={"institution": factories.OTHER_BANK_CODE},
                       headers=admin).json()["items"]
    expired = client.get("/v1/admin/institution-certificates", params={"status": "expired"}, headers=admin).json()["items"]

    assert [item["fingerprint"] for item in other] == [pki.other_bank.fingerprint]
    assert [item["fingerprint"] for item in expired] == [pki.expired.fingerprint]


def test_the_expiry_report_lists_the_certificates_expiring_within_the_days(client, admin, pki, tmp_path):
    soon = issue(pki, tmp_path, "bank-soon", days=10)
    assert register(client, admin, soon).status_code == 201

    items = client.get("/v1/admin/institution-certificates", params={"expiring_within_days": 20}, headers=admin).json()["items"]

    assert [item["fingerprint"] for item in items] == [soon.fingerprint]
    assert 9.9 < items[0]["expires_in_days"] <= 10


def test_listing_an_unknown_institution_is_refused(client, admin):
    assert_refused(client.get("/v1/admin/institution-certificates", params={"institution": "91640221MA00000000"},
                              headers=admin), 404, "institution.not_found")


def test_listing_with_an_unknown_status_is_refused(client, admin):
    assert_refused(client.get("/v1/admin/institution-certificates", params={"status": "lost"}, headers=admin),
                   422, "request.invalid")


def test_one_certificate_is_shown_by_its_fingerprint(client, admin, pki):
    response = client.get(f"/v1/admin/institution-certificates/{pki.bank_ec.fingerprint.upper()}", headers=admin)
    assert response.status_code == 200
    assert response.json()["fingerprint"] == pki.bank_ec.fingerprint


def test_an_unknown_fingerprint_is_not_found(client, admin):
    assert_refused(client.get(f"/v1/admin/institution-certificates/{'0' * 64}", headers=admin), 404, "certificate.unknown")


def metrics(client) -> dict[str, float]:
    values = {}
    for line in client.get("/metrics").text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_the_metrics_give_days_left_per_certificate_and_how_many_expire_soon(client, admin, pki, tmp_path):
    soon = issue(pki, tmp_path, "bank-soon", days=10)
    assert register(client, admin, soon).status_code == 201
    assert revoke(client, admin, pki.bank_ec.fingerprint).status_code == 200

    exported = metrics(client)

    gauge = 'gateway_institution_certificate_expires_in_days{{institution="{}",fingerprint="{}"}}'
    assert 9.9 < exported[gauge.format(BANK, soon.fingerprint)] <= 10
    assert 363 < exported[gauge.format(BANK, pki.bank.fingerprint)] <= 365
    assert gauge.format(BANK, pki.bank_ec.fingerprint) not in exported  # revoked
    assert gauge.format(BANK, pki.expired.fingerprint) not in exported
    # The new one, and pki.not_yet_valid (registered, starts in 2 days, ends in 30).
    assert exported['gateway_institution_certificates_expiring{within_days="30"}'] == 2


# --- revoking -----------------------------------------------------------------------------------------------------

def test_an_admin_revokes_a_certificate_with_a_reason_and_time(client, runtime, admin, pki):
    response = revoke(client, admin, pki.bank_ec.fingerprint, reason="  私钥泄露  ")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["revocation_reason"], body["revoked_by"]) == ("revoked", "私钥泄露", "admin")
    assert body["revoked_at"].endswith("Z") or body["revoked_at"].endswith("+00:00")
    [entry] = actions(runtime, "certificate.revoke")
    assert (entry.actor, entry.subject, entry.details) == ("admin", pki.bank_ec.fingerprint,
                                                           {"institution": BANK, "reason": "私钥泄露"})


@pytest.mark.parametrize(("fingerprint", "reason", "status", "code"), [
    ("0" * 64, "密钥泄露", 404, "certificate.unknown"),
    ("bank_ec", "   ", 422, "certificate.reason_required"),
    ("bank_ec", "x" * 201, 422, "certificate.reason_too_long"),
])
def test_a_bad_revocation_is_refused_and_nothing_changes(client, runtime, admin, pki, fingerprint, reason, status,
                                                         code):
    fingerprint = getattr(pki, fingerprint).fingerprint if fingerprint == "bank_ec" else fingerprint
    before = snapshot(runtime)
    assert_refused(revoke(client, admin, fingerprint, reason), status, code)
    assert snapshot(runtime) == before


def test_revoking_without_a_reason_field_is_refused(client, runtime, admin, pki):
    before = snapshot(runtime)
    response = client.post(f"/v1/admin/institution-certificates/{pki.bank_ec.fingerprint}/revoke", json={}, headers=admin)
    assert_refused(response, 422, "request.invalid")
    assert snapshot(runtime) == before


def test_revoking_a_revoked_certificate_is_a_conflict(client, runtime, admin, pki):
    assert revoke(client, admin, pki.bank_ec.fingerprint).status_code == 200
    before = snapshot(runtime)
    assert_refused(revoke(client, admin, pki.bank_ec.fingerprint, "again"), 409, "certificate.already_revoked")
    assert snapshot(runtime) == before


# --- rotation with overlap, and revocation on the next request -------------------------------------------------------

def test_old_and_new_keys_both_work_until_the_old_one_is_revoked(client, admin, pki, tmp_path, bank_auth):
    """Rotation: both keys sign a status request and an application in the same minute; after the
    old certificate is revoked, only the new key is accepted — on the very next request, although
    the old key's parsed certificate is still in the key cache."""
    old, new = pki.bank, issue(pki, tmp_path, "bank-next")
    assert register(client, admin, new).status_code == 201
    upload_materials(client, bank_auth)

    number = application_no(submit(client, old))
    assert application_no(submit(client, new))
    assert client.get(f"/v1/applications/{number}", auth=auth_for(old)).status_code == 200
    assert client.get(f"/v1/applications/{number}", auth=auth_for(new)).status_code == 200
    assert old.fingerprint in KEYS._entries  # parsed and chain-checked, cached

    assert revoke(client, admin, old.fingerprint, "换证完成").status_code == 200

    assert_refused(client.get(f"/v1/applications/{number}", auth=auth_for(old)), 401, "http_signature.unknown_key")
    assert_refused(submit(client, old), 403, "certificate.not_registered")
    assert client.get(f"/v1/applications/{number}", auth=auth_for(new)).status_code == 200
    assert application_no(submit(client, new))


# --- trust anchors ------------------------------------------------------------------------------------------------

def test_the_trust_anchors_are_listed_with_their_fingerprints(client, admin, pki):
    items = client.get("/v1/admin/trust-anchors", headers=admin).json()["items"]

    assert [item["fingerprint"] for item in items] == [certificate_fingerprint(pki.ca_certificate)]
    assert "CN=Test CA" in items[0]["subject"] and items[0]["status"] == "current"


@pytest.fixture
def own_anchors(seeded_database, tmp_path, pki):
    """A gateway whose trust anchors file is its own copy, which the test may replace."""
    anchors = tmp_path / "anchors.pem"
    shutil.copy(pki.ca_path, anchors)
    gateway = runtime_from_template(seeded_database, tmp_path / "var", pki, trust_anchors_path=anchors)
    with TestClient(create_app(gateway), base_url="http://gateway.test") as client:
        yield client, anchors
    gateway.close()


def test_a_new_trust_anchors_file_counts_from_the_next_request(own_anchors, pki, tmp_path):
    client, anchors = own_anchors
    admin = staff_headers(client, "admin", ADMIN_PASSWORD)
    assert client.get("/v1/applications/NO-SUCH-APPLICATION", auth=auth_for(pki.bank)).status_code == 404
    now = datetime.now(timezone.utc)
    _, other_ca = make_ca(common_name="Next CA", organization="Test", not_before=now - timedelta(days=1),
                          not_after=now + timedelta(days=30))

    anchors.write_bytes(certificate_to_pem(other_ca))

    listed = client.get("/v1/admin/trust-anchors", headers=admin).json()["items"]
    assert [item["fingerprint"] for item in listed] == [certificate_fingerprint(other_ca)]
    assert_refused(client.get("/v1/applications/NO-SUCH-APPLICATION", auth=auth_for(pki.bank)), 401, "certificate.untrusted")


# --- CRL import ------------------------------------------------------------------------------------------------------

def test_a_crl_of_a_trust_anchor_revokes_the_registered_certificates_it_lists(client, runtime, admin, pki):
    crl = make_crl(pki, {pki.bank_ec.certificate.serial_number: x509.ReasonFlags.key_compromise,
                         123456789: None})

    response = client.post("/v1/admin/crl", content=crl, headers={**admin, "Content-Type": "application/x-pem-file"})

    assert response.status_code == 200, response.text
    assert (response.json()["revoked"], response.json()["listed"]) == ([pki.bank_ec.fingerprint], 2)
    shown = client.get(f"/v1/admin/institution-certificates/{pki.bank_ec.fingerprint}", headers=admin).json()
    assert (shown["status"], shown["revocation_reason"]) == ("revoked", "CRL: keyCompromise")
    assert client.get(f"/v1/admin/institution-certificates/{pki.bank.fingerprint}", headers=admin).json()["status"] == "current"
    assert [a.subject for a in actions(runtime, "certificate.revoke_by_crl")] == [pki.bank_ec.fingerprint]
    assert len(actions(runtime, "crl.import")) == 1


def test_a_crl_not_signed_by_a_trust_anchor_is_refused(client, runtime, admin, pki):
    # Signed by a key of its own under the test CA's very name: a forgery.
    forged = make_crl(pki, {pki.bank_ec.certificate.serial_number: None},
                      signer=(generate_private_key("ec"), pki.ca_certificate))
    before = snapshot(runtime)
    assert_refused(client.post("/v1/admin/crl", content=forged, headers=admin), 422, "crl.untrusted")
    assert snapshot(runtime) == before


def test_a_file_that_is_not_a_crl_is_refused(client, runtime, admin, pki):
    before = snapshot(runtime)
    assert_refused(client.post("/v1/admin/crl", content=pki.bank.cert_pem, headers=admin), 422, "crl.unreadable")
    assert snapshot(runtime) == before


# --- the CLI -------------------------------------------------------------------------------------------------------

def test_the_cli_registers_a_certificate_and_records_the_operator(monkeypatch, runtime, pki, tmp_path, capsys):
    new = issue(pki, tmp_path, "bank-cli")
    assert s.run_cli(monkeypatch, runtime, "institution", "add-cert", "--code", BANK, "--cert", str(new.cert_path)) == 0
    assert new.fingerprint in capsys.readouterr().out
    [added] = actions(runtime, "certificate.add")
    assert added.actor.startswith("cli:")


@pytest.mark.parametrize(("arguments", "code"), [
    (("--code", BANK, "--cert", "KEY"), "certificate.unreadable"),
    (("--code", BANK, "--cert", "EXPIRED"), "certificate.expired"),
    (("--code", "91640221MA00000000", "--cert", "NEW"), "institution.not_found"),
    (("--code", BANK, "--cert", "MISSING"), "file.unreadable"),
])
def test_the_cli_refuses_a_bad_certificate_and_changes_nothing(monkeypatch, runtime, pki, tmp_path, capsys,
                                                               arguments, code):
    files = {"KEY": str(pki.bank.key_path), "EXPIRED": str(pki.expired.cert_path),
             "NEW": str(issue(pki, tmp_path, "bank-new").cert_path), "MISSING": str(tmp_path / "missing.pem")}
    before = snapshot(runtime)
    assert s.run_cli(monkeypatch, runtime, "institution", "add-cert", *[files.get(a, a) for a in arguments]) == 1
    assert f"error [{code}]" in capsys.readouterr().err
    assert snapshot(runtime) == before


def test_the_cli_lists_the_certificates_expiring_within_20_days(monkeypatch, runtime, client, admin, pki, tmp_path,
                                                                capsys):
    soon = issue(pki, tmp_path, "bank-soon", days=10)
    assert register(client, admin, soon).status_code == 201
    capsys.readouterr()

    assert s.run_cli(monkeypatch, runtime, "institution", "certificates", "--expiring", "20d") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("not_after\t")
    assert len(lines) == 2 and soon.fingerprint in lines[1] and "\tcurrent\t" in lines[1] and " !" in lines[1]


def test_the_cli_lists_one_institutions_certificates_soonest_first(monkeypatch, runtime, pki, capsys):
    assert s.run_cli(monkeypatch, runtime, "institution", "certificates", "--code", factories.OTHER_BANK_CODE) == 0
    assert [line.split("\t")[4] for line in capsys.readouterr().out.splitlines()[1:]] == [pki.other_bank.fingerprint]


def test_the_cli_refuses_a_period_that_is_not_days(monkeypatch, runtime, capsys):
    assert s.run_cli(monkeypatch, runtime, "institution", "certificates", "--expiring", "a month") == 1
    assert "error [certificate.bad_period]" in capsys.readouterr().err


def test_the_cli_revokes_a_certificate(monkeypatch, runtime, client, pki, capsys):
    assert s.run_cli(monkeypatch, runtime, "institution", "revoke-cert", "--fingerprint", pki.bank_ec.fingerprint,
                     "--reason", "银行换证") == 0
    assert "revoked" in capsys.readouterr().out
    assert_refused(client.get("/v1/applications/NO-SUCH-APPLICATION", auth=auth_for(pki.bank_ec)), 401,
                   "http_signature.unknown_key")
    [entry] = actions(runtime, "certificate.revoke")
    assert entry.actor.startswith("cli:") and entry.details["reason"] == "银行换证"


@pytest.mark.parametrize(("fingerprint", "reason", "code"), [
    ("0" * 64, "x", "certificate.unknown"), ("bank_ec", "", "certificate.reason_required"),
    ("expired-twice", "x", "certificate.already_revoked"),
])
def test_the_cli_refuses_a_bad_revocation_and_changes_nothing(monkeypatch, runtime, pki, capsys, fingerprint,
                                                              reason, code):
    if fingerprint == "expired-twice":
        fingerprint = pki.expired.fingerprint
        assert s.run_cli(monkeypatch, runtime, "institution", "revoke-cert", "--fingerprint", fingerprint,
                         "--reason", "expired") == 0
    elif fingerprint == "bank_ec":
        fingerprint = pki.bank_ec.fingerprint
    before = snapshot(runtime)
    capsys.readouterr()
    assert s.run_cli(monkeypatch, runtime, "institution", "revoke-cert", "--fingerprint", fingerprint,
                     "--reason", reason) == 1
    assert f"error [{code}]" in capsys.readouterr().err
    assert snapshot(runtime) == before


def test_the_cli_lists_the_trust_anchors(monkeypatch, runtime, pki, capsys):
    assert s.run_cli(monkeypatch, runtime, "institution", "trust-anchors") == 0
    [_, row] = capsys.readouterr().out.splitlines()
    assert row.startswith(certificate_fingerprint(pki.ca_certificate)) and "CN=Test CA" in row


def test_the_cli_imports_a_crl(monkeypatch, runtime, pki, tmp_path, capsys):
    path = tmp_path / "ca.crl"
    path.write_bytes(make_crl(pki, {pki.other_bank.certificate.serial_number: x509.ReasonFlags.cessation_of_operation}))

    assert s.run_cli(monkeypatch, runtime, "institution", "import-crl", str(path)) == 0

    assert f"revoked {pki.other_bank.fingerprint}" in capsys.readouterr().out
    [entry] = actions(runtime, "certificate.revoke_by_crl")
    assert entry.details["reason"] == "CRL: cessationOfOperation"


@pytest.mark.parametrize(("content", "code"), [("forged", "crl.untrusted"), ("certificate", "crl.unreadable")])
def test_the_cli_refuses_a_bad_crl_and_changes_nothing(monkeypatch, runtime, pki, tmp_path, capsys, content, code):
    path = tmp_path / "bad.crl"
    path.write_bytes(pki.bank.cert_pem if content == "certificate" else make_crl(
        pki, {pki.bank.certificate.serial_number: None}, signer=(generate_private_key("ec"), pki.ca_certificate)))
    before = snapshot(runtime)
    assert s.run_cli(monkeypatch, runtime, "institution", "import-crl", str(path)) == 1
    assert f"error [{code}]" in capsys.readouterr().err
    assert snapshot(runtime) == before


# --- the admin page ---------------------------------------------------------------------------------------------------

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


def rows_of(page: str) -> list[str]:
    return re.findall(r'<tr data-fingerprint="([0-9a-f]{64})"', page)


def test_the_admin_page_sorts_by_expiry_and_highlights_those_expiring_soon(client, admin, web_admin, pki, tmp_path):
    soon = issue(pki, tmp_path, "bank-soon", days=10)
    assert register(client, admin, soon).status_code == 201

    page = client.get("/admin/certificates")

    assert page.status_code == 200
    listed = rows_of(page.text)
    assert listed[0] == pki.expired.fingerprint and listed[1] == soon.fingerprint
    assert f'<tr data-fingerprint="{soon.fingerprint}" class="expiring-soon">' in page.text
    assert f'<tr data-fingerprint="{pki.bank.fingerprint}">' in page.text
    assert certificate_fingerprint(pki.ca_certificate) in page.text.replace("<wbr>", "")  # the trust anchors


def test_the_admin_page_filters_the_expiring_ones(client, web_admin, pki):
    page = client.get("/admin/certificates", params={"expiring": "400", "institution": factories.OTHER_BANK_CODE})
    assert rows_of(page.text) == [pki.other_bank.fingerprint]


def test_the_admin_page_registers_and_revokes_a_certificate(client, runtime, web_admin, pki, tmp_path):
    new = issue(pki, tmp_path, "bank-web")

    added = client.post("/admin/certificates", data={"csrf_token": web_admin, "institution": BANK,
                                                     "pem": new.cert_pem.decode()}, follow_redirects=False)
    revoked = client.post(f"/admin/certificates/{pki.bank_ec.fingerprint}/revoke",
                          data={"csrf_token": web_admin, "reason": "换证"}, follow_redirects=False)

    assert (added.status_code, revoked.status_code) == (303, 303)
    assert "证书已吊销" in client.get(revoked.headers["location"]).text
    assert [a.actor for a in actions(runtime, "certificate.add") + actions(runtime, "certificate.revoke")] == [
        "admin", "admin"]


def test_the_admin_page_refuses_an_untrusted_certificate_in_chinese_and_changes_nothing(client, runtime, web_admin,
                                                                                          pki):
    before = snapshot(runtime)
    page = client.post("/admin/certificates", data={"csrf_token": web_admin, "institution": BANK,
                                                    "pem": pki.untrusted.cert_pem.decode()})
    assert page.status_code == 422 and "证书不受信任" in page.text
    assert snapshot(runtime) == before


def test_the_admin_page_refuses_a_revocation_without_reason_and_changes_nothing(client, runtime, web_admin, pki):
    before = snapshot(runtime)
    page = client.post(f"/admin/certificates/{pki.bank_ec.fingerprint}/revoke",
                       data={"csrf_token": web_admin, "reason": " "})
    assert page.status_code == 422 and "请填写吊销原因" in page.text
    assert snapshot(runtime) == before


# --- two API processes on PostgreSQL -----------------------------------------------------------------------------------

def test_a_revocation_made_through_one_api_process_counts_in_another_at_once(tmp_path, pki, postgres_url):
    """Two runtimes (engines, key caches' users, trust stores) on one PostgreSQL database stand for
    two API processes behind a load balancer: the second refuses the key on its next request."""
    from tests.conftest import make_settings, seed, start_runtime

    first = start_runtime(make_settings(tmp_path / "one", pki, database_url=postgres_url))
    seed(first, pki)
    second = start_runtime(make_settings(tmp_path / "two", pki, database_url=postgres_url))
    try:
        with TestClient(create_app(first), base_url="http://gateway.test") as one, \
                TestClient(create_app(second), base_url="http://gateway.test") as two:
            probe = "/v1/applications/NO-SUCH-APPLICATION"
            assert two.get(probe, auth=auth_for(pki.bank_ec)).status_code == 404  # accepted: no such application
            admin = staff_headers(one, "admin", ADMIN_PASSWORD)

            assert revoke(one, admin, pki.bank_ec.fingerprint, "密钥泄露").status_code == 200

            assert_refused(two.get(probe, auth=auth_for(pki.bank_ec)), 401, "http_signature.unknown_key")
            assert two.get(probe, auth=auth_for(pki.bank)).status_code == 404
    finally:
        first.close()
        second.close()
