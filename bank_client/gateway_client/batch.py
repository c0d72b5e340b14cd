"""A batch bundle (docs/interface/batches.md): one ZIP holding ``manifest.json``, every application
signed on its own (``applications/NNNN.xml`` XMLDSig, ``applications/NNNN.jws`` compact JWS) and
their materials as ``materials/<sha256>.<ext>``; sent with one HTTP-signed POST."""
from __future__ import annotations

import io
import json
import re
import time
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import httpx

from . import applications
from .api import GatewayApi
from .config import Config
from .errors import ClientError
from .keys import BankIdentity
from .materials import MaterialFile, locate
from .store import Store

FORMAT = "mortgage-batch/1"
EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")


class BatchError(ClientError):
    exit_status = 2


def application_files(directory: Path) -> list[Path]:
    folder = directory / "applications" if (directory / "applications").is_dir() else directory
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".xml", ".json"))


def build_bundle(identity: BankIdentity, config: Config, directory: Path, *, batch_id: str,
                 refresh: bool = False) -> tuple[bytes, dict]:
    """The ZIP bytes and its manifest."""
    files = application_files(directory)
    if not files:
        raise BatchError(f"{directory} holds no .xml or .json application")
    search = [directory / "materials", directory, *config.materials]
    entries: dict[str, bytes] = {}
    items = []
    for position, path in enumerate(files, start=1):
        submission = applications.prepare(path, identity, refresh=refresh, jws_algorithm=config.jws_algorithm)
        found, missing = locate(submission.materials, search)
        if missing:
            raise BatchError(f"{path.name}: material {missing[0].file_name} ({missing[0].sha256}) not found; "
                             "a bundle must carry every material its items name")
        name = f"applications/{position:04d}.{'xml' if submission.format == 'xml' else 'jws'}"
        entries[name] = submission.body
        items.append({"request_id": submission.request_id, "file": name,
                      "materials": [_add_material(entries, material) for material in found]})
    manifest = {"format": FORMAT, "batch_id": batch_id, "institution": config.institution,
                "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "items": items}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
        for name, data in entries.items():
            bundle.writestr(name, data)
    return buffer.getvalue(), manifest


def _add_material(entries: dict[str, bytes], material: MaterialFile) -> str:
    suffix = material.path.suffix.lower().lstrip(".")
    name = f"materials/{material.ref.sha256}" + (f".{suffix}" if EXTENSION.match(suffix) else "")
    entries.setdefault(name, material.read())
    return name


def send_batch(api: GatewayApi, identity: BankIdentity, config: Config, directory: Path, *, batch_id: str | None,
               refresh: bool = False, wait: float = 0, save_bundle: Path | None = None,
               store: Store | None = None) -> dict:
    """Build and send the bundle of ``directory`` — or resend a bundle kept earlier (a .zip file) byte
    for byte, which the gateway answers with the same batch."""
    if directory.is_file():
        bundle = directory.read_bytes()
        try:
            with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
                manifest = json.loads(archive.read("manifest.json"))
        except (zipfile.BadZipFile, KeyError, ValueError):
            raise BatchError(f"{directory} is not a batch bundle with a manifest.json") from None
        batch_id = manifest.get("batch_id")
    else:
        batch_id = batch_id or f"GC-{datetime.now(timezone.utc):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6].upper()}"
        bundle, manifest = build_bundle(identity, config, directory, batch_id=batch_id, refresh=refresh)
    if save_bundle:
        save_bundle.write_bytes(bundle)
    kept = store.keep_request(bundle, request_id=str(batch_id), extension="zip") if store else None
    try:
        response = api.submit_batch(bundle)
    except httpx.HTTPError as exc:
        if kept is None:
            raise
        raise ClientError(f"no answer from the gateway ({type(exc).__name__}); the bundle is kept in {kept}: "
                          f"resend it as it is with `gateway-client batch {kept}`") from None
    answer = response.json()
    progress = None
    deadline = time.monotonic() + wait
    while wait and time.monotonic() < deadline:
        progress = api.batch(answer.get("batch_id", batch_id)).json()
        if is_finished(progress):
            break
        time.sleep(1)
    return {"http_status": response.status_code, "resent": response.status_code == 200, **answer,
            "bundle": str(kept) if kept else None,
            "items_sent": len(manifest["items"]), "progress": progress}


def is_finished(progress: dict) -> bool:
    """``completed`` once no item is ``pending`` (batches.md: every item accepted or refused)."""
    return progress.get("status") == "completed"
