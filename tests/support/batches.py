"""Batch bundles as a bank builds them (docs/interface/batches.md), and hostile variants of them."""
from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from tests.support import factories


@dataclass
class BundleItem:
    request_id: str
    document: bytes  # the individually signed application
    materials: dict[str, bytes] = field(default_factory=lambda: dict(factories.MATERIALS))
    extension: str = "xml"  # xml | jws | json (then with ``signature``, its detached JWS)
    signature: str | None = None


def signed_items(identity, count: int, **overrides) -> list[BundleItem]:
    """``count`` valid signed first-mortgage applications of the test bank, each with its materials."""
    items = []
    for _ in range(count):
        application = factories.application(**overrides)
        items.append(BundleItem(application.request_id, factories.signed_request(application, identity)))
    return items


def jws_items(identity, count: int, *, detached: bool = False, **overrides) -> list[BundleItem]:
    """JSON applications signed with JWS: compact (.jws), or detached (.json with its signature)."""
    from tests.support import jws_requests

    items = []
    for _ in range(count):
        application = factories.application(**overrides)
        if detached:
            body, signature = jws_requests.detached_request(application, identity)
            items.append(BundleItem(application.request_id, body, extension="json", signature=signature))
        else:
            items.append(BundleItem(application.request_id, jws_requests.compact_request(application, identity),
                                    extension="jws"))
    return items


def manifest_of(items: Iterable[BundleItem], *, batch_id: str, institution: str = factories.BANK_CODE) -> dict:
    return {
        "format": "mortgage-batch/1",
        "batch_id": batch_id,
        "institution": institution,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "items": [_entry(n, item) for n, item in enumerate(items, start=1)],
    }


def _entry(number: int, item: BundleItem) -> dict:
    entry = {"request_id": item.request_id, "file": f"applications/{number:05d}.{item.extension}",
             "materials": [f"materials/{factories.sha256(data)}.pdf" for data in item.materials.values()]}
    if item.signature is not None:
        entry["signature"] = f"{entry['file']}.jws"
    return entry


def build_bundle(items: list[BundleItem], *, batch_id: str = "BATCH-1", institution: str = factories.BANK_CODE,
                 manifest: dict | None = None, extra: dict[str, bytes] | None = None,
                 compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP: manifest.json, applications/NNNNN.xml, materials/<sha256>.pdf (each material once)."""
    manifest = manifest or manifest_of(items, batch_id=batch_id, institution=institution)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        for entry, item in zip(manifest["items"], items, strict=False):
            archive.writestr(entry["file"], item.document)
            if item.signature is not None:
                archive.writestr(entry["signature"], item.signature)
        written = set()
        for item in items:
            for data in item.materials.values():
                name = f"materials/{factories.sha256(data)}.pdf"
                if name not in written:
                    written.add(name)
                    archive.writestr(name, data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(client, body: bytes, auth, *, content_type: str = "application/zip"):
    return client.post("/v1/batches", content=body, headers={"Content-Type": content_type}, auth=auth)
