"""Reading a batch bundle: a ZIP of a manifest, individually signed applications and their materials.

Untrusted bytes, so every limit is checked on the ZIP's central directory before anything is
decompressed: the number of entries (read from the end record, before the directory itself is
parsed), each entry's name and kind (no path traversal, absolute paths, links or encryption), the
declared sizes (total, per entry, and the compression ratio). Decompression never produces more
than an entry declares (:mod:`zipfile` stops there and checks the CRC). Nothing here touches the
database; a bundle that fails any check is refused whole.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime

from gateway.batches.errors import (
    BatchDuplicateRequestId,
    BatchLayoutInvalid,
    BatchManifestInvalid,
    BatchMaterialHashMismatch,
    BatchMaterialNotInBundle,
    BatchNotZip,
    BatchTooLarge,
    BatchUnsafeEntry,
    BatchZipBomb,
)

FORMAT = "mortgage-batch/1"
MANIFEST = "manifest.json"
ENTRIES_PER_ITEM = 4  # the entry-count limit: this many per allowed item (application, signature, materials)
RATIO_CHECKED_ABOVE = 1_048_576  # smaller entries may compress as well as they like

ITEM_FORMATS = {".xml": "xml", ".jws": "jws", ".json": "json"}
MEDIA_TYPES = {"pdf": "application/pdf", "ofd": "application/ofd", "jpg": "image/jpeg", "jpeg": "image/jpeg",
               "png": "image/png", "tif": "image/tiff", "tiff": "image/tiff", "xml": "application/xml",
               "txt": "text/plain"}
SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/?$")
APPLICATION_ENTRY = re.compile(r"^applications/[A-Za-z0-9._-]{1,100}$")
MATERIAL_ENTRY = re.compile(r"^materials/(?P<sha256>[0-9a-f]{64})(?:\.(?P<ext>[a-z0-9]{1,8}))?$")
BATCH_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
REQUEST_ID = BATCH_ID
USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
MANIFEST_KEYS = {"format", "batch_id", "institution", "created_at", "items"}
ITEM_KEYS = {"request_id", "file", "signature", "materials"}


@dataclass(frozen=True)
class BundleLimits:
    max_items: int
    max_expanded_bytes: int
    max_compression_ratio: int
    max_item_bytes: int
    max_material_bytes: int


@dataclass(frozen=True)
class BundleItem:
    position: int  # 1-based, the order of the manifest
    request_id: str
    file: str
    format: str  # xml | jws | json (JSON with a detached JWS in ``detached_signature``)
    content: bytes
    detached_signature: str | None
    materials: tuple[str, ...]  # the SHA-256s the manifest lists for it


@dataclass(frozen=True)
class BundleMaterial:
    sha256: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class Bundle:
    sha256: str
    size: int
    batch_id: str
    institution: str
    created_at: datetime
    items: tuple[BundleItem, ...]
    materials: dict[str, BundleMaterial]


def read_bundle(body: bytes, limits: BundleLimits) -> Bundle:
    """The bundle in ``body``, every check passed; raises a ``batch.*`` refusal otherwise."""
    if not body.startswith(b"PK\x03\x04"):
        raise BatchNotZip("the body does not start like a ZIP archive")
    max_entries = ENTRIES_PER_ITEM * limits.max_items + 1
    declared = _declared_entry_count(body)
    if declared > max_entries:
        raise BatchZipBomb(f"the archive declares {declared} entries; at most {max_entries} are allowed")
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise BatchNotZip(f"the ZIP archive cannot be read ({type(exc).__name__})") from None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        _check_entries(archive.infolist(), limits, len(body))
        contents = {info.filename: _read(archive, info) for info in infos}
    manifest = _manifest(contents.pop(MANIFEST, None), limits)
    materials = _materials(contents, limits)
    items = _items(manifest["items"], contents, materials, limits)
    if contents:
        unused = sorted(contents)[:5]
        raise BatchLayoutInvalid(f"entries not named by the manifest: {', '.join(unused)}",
                                 extra={"entries": unused})
    _refuse_unused(materials, items)
    return Bundle(hashlib.sha256(body).hexdigest(), len(body), manifest["batch_id"], manifest["institution"],
                  manifest["created_at"], items, materials)


def _declared_entry_count(body: bytes) -> int:
    """The entry count of the end-of-central-directory record (ZIP64 too), read before the
    directory is parsed: a small body may declare millions of entries."""
    tail_start = max(0, len(body) - 22 - 65_535)
    at = body.rfind(b"PK\x05\x06", tail_start)
    if at < 0 or len(body) - at < 22:
        raise BatchNotZip("the ZIP archive has no end-of-central-directory record")
    count = struct.unpack_from("<H", body, at + 10)[0]
    locator = at - 20
    if count == 0xFFFF and locator >= 0 and body[locator:locator + 4] == b"PK\x06\x07":
        record = struct.unpack_from("<Q", body, locator + 8)[0]
        if record + 40 > len(body) or body[record:record + 4] != b"PK\x06\x06":
            raise BatchNotZip("the ZIP64 end record is damaged")
        count = struct.unpack_from("<Q", body, record + 32)[0]
    return count


def _check_entries(infos: list[zipfile.ZipInfo], limits: BundleLimits, compressed_total: int) -> None:
    names: set[str] = set()
    expanded = 0
    for info in infos:
        name = info.filename
        if not SAFE_NAME.match(name) or any(part in (".", "..") for part in name.rstrip("/").split("/")):
            raise BatchUnsafeEntry("an entry name is absolute, climbs out of the archive or uses characters "
                                   "outside A-Z a-z 0-9 . _ - /", extra={"entry": name[:200]})
        if name in names:
            raise BatchUnsafeEntry("two entries have the same name", extra={"entry": name})
        names.add(name)
        if info.flag_bits & 0x1:
            raise BatchUnsafeEntry("an entry is encrypted", extra={"entry": name})
        if stat.S_ISLNK(info.external_attr >> 16):
            raise BatchUnsafeEntry("an entry is a symbolic link", extra={"entry": name})
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BatchUnsafeEntry("an entry uses a compression method other than stored or deflate",
                                   extra={"entry": name})
        expanded += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECKED_ABOVE and ratio > limits.max_compression_ratio:
            raise BatchZipBomb(f"an entry expands {ratio:.0f} times; the limit is {limits.max_compression_ratio}",
                               extra={"entry": name})
    if expanded > limits.max_expanded_bytes:
        raise BatchZipBomb(f"the entries expand to {expanded} bytes; the limit is {limits.max_expanded_bytes}")
    if expanded > RATIO_CHECKED_ABOVE and expanded / max(compressed_total, 1) > limits.max_compression_ratio:
        raise BatchZipBomb(f"the archive expands {expanded / compressed_total:.0f} times; "
                           f"the limit is {limits.max_compression_ratio}")


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(info) as entry:
            data = entry.read(info.file_size + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise BatchNotZip(f"an entry cannot be read ({type(exc).__name__})", extra={"entry": info.filename}) from None
    if len(data) != info.file_size:
        raise BatchNotZip("an entry is not the size its directory record declares", extra={"entry": info.filename})
    return data


def _manifest(data: bytes | None, limits: BundleLimits) -> dict:
    if data is None:
        raise BatchManifestInvalid("the bundle has no manifest.json at its top level")
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BatchManifestInvalid("manifest.json is not UTF-8 JSON") from None
    if not isinstance(manifest, dict):
        raise _invalid("", "must be an object")
    if set(manifest) != MANIFEST_KEYS:
        raise _invalid("", f"must have exactly the members {', '.join(sorted(MANIFEST_KEYS))}")
    if manifest["format"] != FORMAT:
        raise _invalid("format", f"must be {FORMAT}")
    for key, pattern in (("batch_id", BATCH_ID), ("institution", USCC)):
        if not isinstance(manifest[key], str) or not pattern.match(manifest[key]):
            raise _invalid(key, f"must match {pattern.pattern}")
    manifest["created_at"] = _timestamp(manifest["created_at"])
    items = manifest["items"]
    if not isinstance(items, list) or not items:
        raise _invalid("items", "must be a non-empty array")
    if len(items) > limits.max_items:
        raise BatchTooLarge(f"the bundle has {len(items)} items; the limit is {limits.max_items}",
                            extra={"max_items": limits.max_items})
    return manifest


def _timestamp(value: object) -> datetime:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _invalid("created_at", "must be a date and time with a UTC offset (RFC 3339)")
    return parsed


def _invalid(path: str, reason: str) -> BatchManifestInvalid:
    return BatchManifestInvalid(f"manifest.json: {path or '(top level)'} {reason}",
                                extra={"violations": [{"path": path, "reason": reason}]})


def _materials(contents: dict[str, bytes], limits: BundleLimits) -> dict[str, BundleMaterial]:
    materials: dict[str, BundleMaterial] = {}
    for name in [name for name in contents if name.startswith("materials/")]:
        match = MATERIAL_ENTRY.match(name)
        if match is None:
            raise BatchLayoutInvalid("a material's entry name is not materials/<sha256>.<extension>",
                                     extra={"entry": name})
        sha256, content = match["sha256"], contents.pop(name)
        if sha256 in materials:
            raise BatchLayoutInvalid("the same material is in the bundle twice", extra={"entry": name})
        if not content:
            raise BatchLayoutInvalid("a material is empty", extra={"entry": name})
        if len(content) > limits.max_material_bytes:
            raise BatchTooLarge(f"a material is over the material limit of {limits.max_material_bytes} bytes",
                                extra={"entry": name})
        if hashlib.sha256(content).hexdigest() != sha256:
            raise BatchMaterialHashMismatch(extra={"entry": name})
        materials[sha256] = BundleMaterial(sha256, MEDIA_TYPES.get(match["ext"] or "", "application/octet-stream"),
                                           content)
    return materials


def _items(entries: list, contents: dict[str, bytes], materials: dict[str, BundleMaterial],
           limits: BundleLimits) -> tuple[BundleItem, ...]:
    items: list[BundleItem] = []
    positions: dict[str, int] = {}
    for position, entry in enumerate(entries, start=1):
        path = f"items[{position - 1}]"
        item = _item(entry, path, position, contents, materials)
        if item.request_id in positions:
            raise BatchDuplicateRequestId(
                f"items {positions[item.request_id]} and {position} both have request id {item.request_id}",
                extra={"request_id": item.request_id, "positions": [positions[item.request_id], position]})
        positions[item.request_id] = position
        items.append(item)
    return tuple(items)


def _item(entry: object, path: str, position: int, contents: dict[str, bytes],
          materials: dict[str, BundleMaterial]) -> BundleItem:
    if not isinstance(entry, dict) or not {"request_id", "file", "materials"} <= set(entry) <= ITEM_KEYS:
        raise _invalid(path, "must be an object with request_id, file, materials (and signature for .json)")
    request_id, file, listed = entry["request_id"], entry["file"], entry["materials"]
    if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
        raise _invalid(f"{path}.request_id", f"must match {REQUEST_ID.pattern}")
    if not isinstance(file, str) or not APPLICATION_ENTRY.match(file) or not _suffix(file) in ITEM_FORMATS:
        raise _invalid(f"{path}.file", "must name applications/<name>.xml, .jws or .json")
    item_format = ITEM_FORMATS[_suffix(file)]
    signature = entry.get("signature")
    if (item_format == "json") != (signature is not None):
        raise _invalid(f"{path}.signature", "is required for a .json item (its detached JWS), and only for one")
    if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed):
        raise _invalid(f"{path}.materials", "must be an array of entry names")
    content = _take(contents, file, path)
    detached = _take(contents, signature, path).decode("ascii", "replace").strip() if signature else None
    shas = []
    for name in listed:
        match = MATERIAL_ENTRY.match(name)
        if match is None or match["sha256"] not in materials:
            raise BatchMaterialNotInBundle("an item lists a material that is not in the bundle",
                                           extra={"position": position, "material": name[:200]})
        shas.append(match["sha256"])
    return BundleItem(position, request_id, file, item_format, content, detached, tuple(shas))


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:] if dot > name.rfind("/") else ""


def _take(contents: dict[str, bytes], name: object, path: str) -> bytes:
    if not isinstance(name, str) or not APPLICATION_ENTRY.match(name):
        raise _invalid(path, "names a file outside applications/")
    if name not in contents:
        raise BatchLayoutInvalid("an item's file is not in the bundle (or is named by two items)",
                                 extra={"entry": name})
    return contents.pop(name)


def _refuse_unused(materials: dict[str, BundleMaterial], items: tuple[BundleItem, ...]) -> None:
    listed = {sha for item in items for sha in item.materials}
    unused = sorted(set(materials) - listed)
    if unused:
        raise BatchLayoutInvalid("materials no item lists are in the bundle", extra={"sha256": unused[:5]})
