"""Bundles refused whole: each bad input gets its documented code, and nothing of it is stored."""
from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.batches.models import Batch, BatchItem
from gateway.persistence.db import transaction
from gateway.persistence.models import Application, Material, OutboxMessage, SignatureUse
from tests.conftest import make_settings, seed, start_runtime
from tests.support import batches, factories


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request) -> dict:
    return {"database_url": request.getfixturevalue("postgres_url")} if request.param == "postgresql" else {}


@pytest.fixture
def gateway_with(tmp_path, pki, database):
    """``gateway_with(**settings)``: a seeded runtime and its client; both closed after the test."""
    opened = []

    def start(**overrides):
        runtime = start_runtime(make_settings(tmp_path / f"var{len(opened)}", pki, **database, **overrides))
        seed(runtime, pki)
        client = TestClient(create_app(runtime), base_url="http://gateway.test").__enter__()
        opened.append((runtime, client))
        return runtime, client

    yield start
    for runtime, client in opened:
        client.__exit__(None, None, None)
        runtime.close()


@pytest.fixture
def gateway(gateway_with) -> Iterator[tuple]:
    return gateway_with()


def refused(gateway, body: bytes, auth, *, status: int, code: str, content_type: str = "application/zip") -> dict:
    runtime, client = gateway
    response = batches.upload(client, body, auth, content_type=content_type)
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == code
    with transaction(runtime.sessions) as session:
        stored = [session.scalar(select(func.count()).select_from(model))
                  for model in (Batch, BatchItem, Material, Application, SignatureUse, OutboxMessage)]
    assert stored == [0, 0, 0, 0, 0, 0], "nothing of a refused bundle is stored"
    return problem


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_bundle_with_a_duplicate_request_id_is_refused(gateway, pki, bank_auth):
    items = [batches.BundleItem("REQ-TWICE", factories.signed_request(factories.application(request_id="REQ-TWICE"),
                                                                      pki.bank)) for _ in range(2)]
    problem = refused(gateway, batches.build_bundle(items), bank_auth, status=422, code="batch.duplicate_request_id")
    assert problem["positions"] == [1, 2]


def test_an_item_listing_a_material_not_in_the_bundle_is_refused(gateway, pki, bank_auth):
    items = batches.signed_items(pki.bank, 2)
    manifest = batches.manifest_of(items, batch_id="BATCH-1")
    manifest["items"][1]["materials"].append(f"materials/{factories.sha256(b'never sent')}.pdf")
    problem = refused(gateway, batches.build_bundle(items, manifest=manifest), bank_auth, status=422,
                      code="batch.material_not_in_bundle")
    assert problem["position"] == 2


def test_an_application_referencing_a_material_not_in_the_bundle_is_refused(gateway, pki, bank_auth):
    item = batches.signed_items(pki.bank, 1)[0]
    del item.materials["ID_DOCUMENT"]  # neither listed nor in the bundle, but the application references it
    problem = refused(gateway, batches.build_bundle([item]), bank_auth, status=422,
                      code="batch.material_not_in_bundle")
    assert problem["sha256"] == factories.sha256(factories.MATERIALS["ID_DOCUMENT"])


def test_an_item_of_another_institution_is_refused(gateway, pki, bank_auth):
    theirs = factories.application(mortgagee=factories.Mortgagee(factories.OTHER_BANK_CODE, "另一家银行"))
    items = [*batches.signed_items(pki.bank, 1),
             batches.BundleItem(theirs.request_id, factories.signed_request(theirs, pki.other_bank))]
    problem = refused(gateway, batches.build_bundle(items), bank_auth, status=403,
                      code="batch.item_foreign_institution")
    assert problem["position"] == 2


def test_an_item_signed_with_another_institutions_certificate_is_refused(gateway, pki, bank_auth):
    application = factories.application()
    items = [batches.BundleItem(application.request_id, factories.signed_request(application, pki.other_bank))]
    refused(gateway, batches.build_bundle(items), bank_auth, status=403, code="batch.item_foreign_institution")


def test_a_manifest_naming_another_institution_than_the_signer_is_refused(gateway, pki, other_bank_auth):
    body = batches.build_bundle(batches.signed_items(pki.bank, 1))  # bank A's bundle, uploaded by bank B
    refused(gateway, body, other_bank_auth, status=403, code="batch.institution_mismatch")


def test_a_bundle_over_the_size_limit_is_refused_before_it_is_read(gateway_with, pki, bank_auth):
    gateway = gateway_with(max_batch_bytes=20_000)
    body = batches.build_bundle(batches.signed_items(pki.bank, 5), compression=zipfile.ZIP_STORED)
    assert len(body) > 20_000
    refused(gateway, body, bank_auth, status=413, code="batch.too_large")


def test_a_bundle_with_more_items_than_allowed_is_refused(gateway_with, pki, bank_auth):
    gateway = gateway_with(max_batch_items=2)
    refused(gateway, batches.build_bundle(batches.signed_items(pki.bank, 3)), bank_auth, status=413,
            code="batch.too_large")


def test_a_zip_bomb_is_refused_before_it_is_expanded(gateway, pki, bank_auth):
    bomb = bytes(30 * 1_048_576)  # 30 MiB of zeros deflate to about 30 KiB
    body = batches.build_bundle(batches.signed_items(pki.bank, 1),
                                extra={f"materials/{factories.sha256(bomb)}.pdf": bomb})
    assert len(body) < 200_000
    refused(gateway, body, bank_auth, status=413, code="batch.zip_bomb")


def test_a_bundle_expanding_beyond_the_total_limit_is_refused(gateway_with, pki, bank_auth):
    gateway = gateway_with(max_batch_expanded_bytes=10_000)
    refused(gateway, batches.build_bundle(batches.signed_items(pki.bank, 3)), bank_auth, status=413,
            code="batch.zip_bomb")


def test_a_zip_declaring_too_many_entries_is_refused_before_its_directory_is_read(gateway_with, pki, bank_auth):
    gateway = gateway_with(max_batch_items=1)  # at most 4 entries per item, and the manifest
    extra = {f"materials/{n:064x}.pdf": b"x" for n in range(6)}
    refused(gateway, batches.build_bundle(batches.signed_items(pki.bank, 1), extra=extra), bank_auth, status=413,
            code="batch.zip_bomb")


@pytest.mark.parametrize("name", ["../evil.xml", "/etc/cron.d/evil", "applications/../../evil.xml",
                                  "applications\\..\\evil.xml", "C:/evil.xml", "materials/./x.pdf"])
def test_path_traversal_in_an_entry_name_is_refused(gateway, pki, bank_auth, name):
    body = batches.build_bundle(batches.signed_items(pki.bank, 1), extra={name: b"<x/>"})
    problem = refused(gateway, body, bank_auth, status=422, code="batch.unsafe_entry")
    assert problem["entry"] == name


def test_a_symbolic_link_entry_is_refused(gateway, pki, bank_auth):
    buffer = io.BytesIO(batches.build_bundle(batches.signed_items(pki.bank, 1)))
    with zipfile.ZipFile(buffer, "a") as archive:
        link = zipfile.ZipInfo("applications/link.xml")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    refused(gateway, buffer.getvalue(), bank_auth, status=422, code="batch.unsafe_entry")


def test_a_body_that_is_not_a_zip_despite_its_content_type_is_refused(gateway, bank_auth):
    refused(gateway, b"%PDF-1.4 not a zip at all\n", bank_auth, status=422, code="batch.not_zip")


def test_a_truncated_zip_is_refused(gateway, pki, bank_auth):
    body = batches.build_bundle(batches.signed_items(pki.bank, 2))
    refused(gateway, body[: len(body) // 2], bank_auth, status=422, code="batch.not_zip")


def test_a_zip_whose_entry_was_damaged_is_refused(gateway, pki, bank_auth):
    item = batches.signed_items(pki.bank, 1)[0]
    body = bytearray(batches.build_bundle([item], compression=zipfile.ZIP_STORED))
    at = bytes(body).index(b"<MortgageApplication")  # change a stored byte: the CRC no longer matches
    body[at + 1] = ord("N")
    refused(gateway, bytes(body), bank_auth, status=422, code="batch.not_zip")


def test_a_bundle_sent_as_another_content_type_is_refused(gateway, pki, bank_auth):
    refused(gateway, batches.build_bundle(batches.signed_items(pki.bank, 1)), bank_auth, status=422,
            code="batch.media_type", content_type="application/json")


def test_a_manifest_that_breaks_the_format_is_refused(gateway, pki, bank_auth):
    items = batches.signed_items(pki.bank, 1)
    manifest = batches.manifest_of(items, batch_id="BATCH-1")
    manifest["format"] = "mortgage-batch/9"
    problem = refused(gateway, batches.build_bundle(items, manifest=manifest), bank_auth, status=422,
                      code="batch.manifest_invalid")
    assert problem["violations"] == [{"path": "format", "reason": "must be mortgage-batch/1"}]


def test_an_entry_the_manifest_does_not_name_is_refused(gateway, pki, bank_auth):
    body = batches.build_bundle(batches.signed_items(pki.bank, 1), extra={"applications/stray.xml": b"<x/>"})
    refused(gateway, body, bank_auth, status=422, code="batch.layout_invalid")


def test_a_material_whose_bytes_do_not_match_its_name_is_refused(gateway, pki, bank_auth):
    items = batches.signed_items(pki.bank, 1)
    manifest = batches.manifest_of(items, batch_id="BATCH-1")
    wrong = f"materials/{factories.sha256(b'something else')}.pdf"
    manifest["items"][0]["materials"].append(wrong)
    body = batches.build_bundle(items, manifest=manifest, extra={wrong: b"not what the name says"})
    refused(gateway, body, bank_auth, status=422, code="batch.material_hash_mismatch")


def test_an_unsigned_upload_is_refused(gateway, pki):
    refused(gateway, batches.build_bundle(batches.signed_items(pki.bank, 1)), None, status=401,
            code="http_signature.missing")


def test_a_manifest_that_is_not_json_is_refused(gateway, pki, bank_auth):
    refused(gateway, zip_of({"manifest.json": b"\xff\xfe not json"}), bank_auth, status=422,
            code="batch.manifest_invalid")
