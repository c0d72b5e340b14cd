"""Reading a batch bundle (gateway/batches/bundle.py): pure, no database, no signatures."""
from __future__ import annotations

import io
import json
import struct
import zipfile

import pytest

from gateway.batches.bundle import BundleLimits, read_bundle
from gateway.batches.errors import (
    BatchLayoutInvalid,
    BatchManifestInvalid,
    BatchNotZip,
    BatchUnsafeEntry,
    BatchZipBomb,
)
from tests.support import factories

LIMITS = BundleLimits(max_items=10, max_expanded_bytes=10_000_000, max_compression_ratio=100,
                      max_item_bytes=1_048_576, max_material_bytes=1_048_576)
MATERIAL = b"%PDF-1.4 a material\n"
MATERIAL_ENTRY = f"materials/{factories.sha256(MATERIAL)}.pdf"


def manifest(**changes) -> dict:
    return {"format": "mortgage-batch/1", "batch_id": "B-1", "institution": factories.BANK_CODE,
            "created_at": "2026-12-07T01:00:00Z",
            "items": [{"request_id": "R-1", "file": "applications/1.xml", "materials": [MATERIAL_ENTRY]}],
            **changes}


def zipped(entries: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def bundle(**manifest_changes) -> dict[str, bytes]:
    return {"manifest.json": json.dumps(manifest(**manifest_changes)).encode(), "applications/1.xml": b"<a/>",
            MATERIAL_ENTRY: MATERIAL}


def test_a_well_formed_bundle_is_read_with_its_items_and_materials():
    read = read_bundle(zipped(bundle()), LIMITS)
    assert (read.batch_id, read.institution, len(read.items)) == ("B-1", factories.BANK_CODE, 1)
    item, = read.items
    assert (item.position, item.request_id, item.format, item.content) == (1, "R-1", "xml", b"<a/>")
    assert item.materials == (factories.sha256(MATERIAL),)
    assert read.materials[factories.sha256(MATERIAL)].media_type == "application/pdf"


def test_the_entry_count_is_read_from_the_end_record_before_the_directory():
    body = bytearray(zipped(bundle()))
    end = bytes(body).rfind(b"PK\x05\x06")
    struct.pack_into("<HH", body, end + 8, 60_000, 60_000)  # declares 60,000 entries
    with pytest.raises(BatchZipBomb):
        read_bundle(bytes(body), LIMITS)


def test_a_zip64_end_record_is_read_too(monkeypatch):
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # so that three entries get ZIP64 end records
    body = bytearray(zipped({f"materials/{n:064x}.pdf": b"x" for n in range(3)}))
    assert b"PK\x06\x06" in body
    struct.pack_into("<HH", body, body.rfind(b"PK\x05\x06") + 8, 0xFFFF, 0xFFFF)  # "see the ZIP64 record"
    body = bytes(body)
    small = BundleLimits(max_items=0, max_expanded_bytes=10, max_compression_ratio=100, max_item_bytes=1,
                         max_material_bytes=1)
    with pytest.raises(BatchZipBomb, match="declares 3 entries"):
        read_bundle(body, small)


def test_the_manifest_may_not_carry_unknown_members():
    with pytest.raises(BatchManifestInvalid):
        read_bundle(zipped(bundle(extra="x")), LIMITS)


def test_a_json_item_needs_its_detached_signature_and_an_xml_item_may_not_have_one():
    items = [{"request_id": "R-1", "file": "applications/1.json", "materials": [MATERIAL_ENTRY]}]
    entries = {**bundle(items=items), "applications/1.json": b"{}"}
    del entries["applications/1.xml"]
    with pytest.raises(BatchManifestInvalid):
        read_bundle(zipped(entries), LIMITS)


def test_a_directory_entry_is_allowed_and_an_empty_material_is_not():
    entries = {"applications/": b"", **bundle()}
    assert read_bundle(zipped(entries), LIMITS).items
    entries[MATERIAL_ENTRY] = b""
    with pytest.raises(BatchLayoutInvalid):
        read_bundle(zipped(entries), LIMITS)


@pytest.mark.parametrize("name", ["a/../b", "./manifest.json", "/x", "a//b", "ü.xml", "a\\b", "a:b"])
def test_unsafe_names_are_refused(name):
    with pytest.raises(BatchUnsafeEntry):
        read_bundle(zipped({**bundle(), name: b"x"}), LIMITS)


def test_an_empty_body_and_a_zip_without_an_end_record_are_not_zips():
    with pytest.raises(BatchNotZip):
        read_bundle(b"", LIMITS)
    with pytest.raises(BatchNotZip):
        read_bundle(b"PK\x03\x04" + b"\0" * 100, LIMITS)
