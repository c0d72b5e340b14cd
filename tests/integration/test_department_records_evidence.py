"""The evidence export holds the departments' records pre-review used (docs/operations.md §8): each as the
department sent it — body bytes, HTTP signature headers — with the certificate its signature names, so
the record's signature can be checked from the ZIP alone; manifest.json lists them with what the
reviewer saw."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from gateway.department_records.service import CONFLICT_FLAG
from signing.httpsig import verify_request
from signing.trust import load_pem_certificates
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, staff_headers
from tests.support import combined as c
from tests.support import department_records as d
from tests.support import factories, scenarios as s

GROUP = "ZYDY-EVIDENCE-1"
FOLDER = "department-records"


@pytest.fixture
def departments(runtime, pki) -> tuple[d.Department, d.Department]:
    return d.add_departments(runtime, pki)


@pytest.fixture
def admin(client):
    return staff_headers(client, "admin", ADMIN_PASSWORD)


def tax_record_bytes(**overrides) -> bytes:
    """The deed-tax record of the combined purchase, as the tax bureau's bytes (not re-serialised by anyone)."""
    return d.json_bytes(d.tax_record(taxpayers=d.parties(c.BUYERS), **overrides))


def push(client, department: d.Department, path: str, body: bytes, status: int = 201) -> None:
    response = d.push(client, path, department, body)
    assert response.status_code == status, response.text


def export(client, admin, number: str) -> tuple[dict[str, bytes], dict]:
    response = client.get(f"/v1/admin/applications/{number}/evidence", headers=admin)
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return files, json.loads(files["manifest.json"])


def stored_record(runtime, record_id: str):
    [record] = [r for r in d.records(runtime) if r.record_id == record_id]
    return record


def test_an_ownership_transfers_export_holds_the_tax_records_exact_bytes_and_signature_headers(
        client, runtime, pki, departments, admin):
    tax, _ = departments
    body = tax_record_bytes()
    push(client, tax, d.TAX_PATH, body)
    transfer = s.submit_ok(client, c.transfer(GROUP), s.main_bank(pki))

    files, manifest = export(client, admin, transfer)

    [entry] = manifest["department_records"]
    assert entry["kind"] == "tax" and entry["record_no"] == "PL-TAX-2026-000123"
    assert entry["department_code"] == factories.TAX_BUREAU_CODE and entry["flags"] == []
    assert entry["body"] == f"{FOLDER}/01-tax-{entry['record_id']}.json"
    assert files[entry["body"]] == body  # byte for byte as pushed
    assert entry["request_sha256"] == hashlib.sha256(body).hexdigest()
    headers = json.loads(files[entry["signature_headers"]])
    assert headers == stored_record(runtime, entry["record_id"]).signature_headers
    assert {"signature", "signature-input", "content-digest", "@method", "@target-uri"} <= set(headers)
    assert headers["@method"] == "POST" and headers["@target-uri"].endswith(d.TAX_PATH)
    # Every file is in the manifest with its digest, the record's included.
    for name in (entry["body"], entry["signature_headers"], entry["certificate"]):
        assert manifest["files"][name] == hashlib.sha256(files[name]).hexdigest()


def test_the_exported_tax_record_verifies_against_the_exported_certificate(client, runtime, pki, departments, admin):
    tax, _ = departments
    body = tax_record_bytes()
    push(client, tax, d.TAX_PATH, body)
    transfer = s.submit_ok(client, c.transfer(GROUP), s.main_bank(pki))

    files, manifest = export(client, admin, transfer)

    [entry] = manifest["department_records"]
    [certificate] = load_pem_certificates(files[entry["certificate"]])
    assert certificate == pki.tax_bureau.certificate
    headers = json.loads(files[entry["signature_headers"]])
    stored = stored_record(runtime, entry["record_id"])
    verified = verify_request(
        method=headers["@method"], url=headers["@target-uri"], body=files[entry["body"]],
        headers={k: v for k, v in headers.items() if not k.startswith("@")},
        resolve_key=lambda key_id: certificate.public_key(), now=stored.received_at)
    assert verified.key_id == pki.tax_bureau.fingerprint


def test_a_conflicting_version_of_the_tax_record_is_exported_too_both_flagged(client, pki, departments, admin):
    tax, _ = departments
    first, second = tax_record_bytes(), tax_record_bytes(tax_amount="1.00")
    push(client, tax, d.TAX_PATH, first)
    transfer = s.submit_ok(client, c.transfer(GROUP), s.main_bank(pki))
    push(client, tax, d.TAX_PATH, second)  # the same number, other content: kept and flagged

    files, manifest = export(client, admin, transfer)

    older, newer = manifest["department_records"]
    assert (files[older["body"]], files[newer["body"]]) == (first, second)
    assert older["flags"] == newer["flags"] == [CONFLICT_FLAG]
    assert newer["conflicts_with"] == older["record_id"]
    assert older["body"].startswith(f"{FOLDER}/01-tax-") and newer["body"].startswith(f"{FOLDER}/02-tax-")


def test_a_pre_notices_export_holds_its_filed_contract_and_no_tax_record(client, pki, departments, admin):
    tax, housing = departments
    contract = d.json_bytes(d.filed_contract())
    push(client, housing, d.CONTRACT_PATH, contract)
    push(client, tax, d.TAX_PATH, d.json_bytes(d.tax_record(unit_code=d.OFF_PLAN)))
    number = s.submit_ok(client, s.pre_notice(), s.main_bank(pki))

    files, manifest = export(client, admin, number)

    [entry] = manifest["department_records"]
    assert entry["kind"] == "contract" and files[entry["body"]] == contract
    assert entry["department_code"] == factories.HOUSING_BUREAU_CODE


def test_a_mortgages_export_on_a_unit_with_a_tax_record_holds_no_department_record(
        client, pki, departments, admin):
    tax, _ = departments
    push(client, tax, d.TAX_PATH, tax_record_bytes())
    number = s.submit_ok(client, factories.application(), s.main_bank(pki))

    files, manifest = export(client, admin, number)

    assert manifest["department_records"] == []
    assert not [name for name in files if name.startswith(f"{FOLDER}/")]


def test_the_reviewer_is_shown_the_records_the_export_holds(client, pki, departments, admin):
    tax, _ = departments
    push(client, tax, d.TAX_PATH, tax_record_bytes())
    transfer = s.submit_ok(client, c.transfer(GROUP), s.main_bank(pki))
    reviewer = staff_headers(client, "reviewer", REVIEWER_PASSWORD)
    shown = client.get(f"/v1/review/applications/{transfer}", headers=reviewer).json()["department_records"]

    files, manifest = export(client, admin, transfer)

    assert [(r["record_id"], r["content_sha256"], r["flags"]) for r in shown] == [
        (e["record_id"], e["content_sha256"], e["flags"]) for e in manifest["department_records"]]
    assert [r["body"].encode() for r in shown] == [files[e["body"]] for e in manifest["department_records"]]
