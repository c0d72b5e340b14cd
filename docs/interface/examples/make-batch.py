#!/usr/bin/env python3
"""Build a batch bundle (docs/interface/batches.md) from signed applications and a materials folder.

Standard library only, so a bank can run it anywhere (Python 3.9+):

    python3 make-batch.py --institution 91640221MA76R3PK3Q --batch-id PLB-20261207-01 \\
        --materials materials/ --out batch.zip signed/*.xml

Each application file must already be signed on its own (XMLDSig for .xml, a compact JWS for .jws;
a .json file needs its detached JWS next to it as <name>.json.jws). The script reads each
application's RequestId and the SHA-256 of every material it references, finds those materials in
--materials by their content, and writes manifest.json, applications/NNNNN.<ext> and
materials/<sha256>.<ext> (each material once). It changes no byte of a signed application.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime, timezone
from pathlib import Path

NS = "{urn:pingluo-bdc:mortgage-gateway:v1}"


def claims(path: Path) -> tuple[str, list[str]]:
    """The request id and the referenced materials' SHA-256s of one signed application."""
    if path.suffix == ".xml":
        root = ET.parse(path).getroot()  # your own file: a plain parser is fine here
        shas = [e.text.strip() for e in root.iter(f"{NS}Sha256") if e.text]
        return root.findtext(f"{NS}RequestId"), shas
    if path.suffix == ".jws":
        payload = path.read_text(encoding="ascii").strip().split(".")[1]
        document = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    else:
        document = json.loads(path.read_text(encoding="utf-8"))
    return document["request_id"], [m["sha256"] for m in document.get("materials", [])]


def materials_by_hash(folder: Path) -> dict[str, Path]:
    return {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def build(files: list[Path], *, institution: str, batch_id: str, materials: dict[str, Path]) -> bytes:
    items, entries = [], {}
    for number, path in enumerate(files, start=1):
        request_id, shas = claims(path)
        name = f"applications/{number:05d}{path.suffix}"
        entries[name] = path.read_bytes()
        item = {"request_id": request_id, "file": name, "materials": []}
        if path.suffix == ".json":
            item["signature"] = f"{name}.jws"
            entries[item["signature"]] = path.with_name(path.name + ".jws").read_bytes()
        for sha in shas:
            if sha not in materials:
                sys.exit(f"{path.name}: no file in the materials folder has SHA-256 {sha}")
            extension = materials[sha].suffix.lower()
            entry = f"materials/{sha}{extension if 1 < len(extension) <= 9 else ''}"
            entries[entry] = materials[sha].read_bytes()
            item["materials"].append(entry)
        items.append(item)
    manifest = {"format": "mortgage-batch/1", "batch_id": batch_id, "institution": institution,
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "items": items}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        for name, data in entries.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("applications", nargs="+", type=Path, help="signed .xml, .jws or .json applications")
    parser.add_argument("--institution", required=True, help="your unified social credit code")
    parser.add_argument("--batch-id", required=True, help="your id of this batch: 1-64 of A-Z a-z 0-9 . _ : -")
    parser.add_argument("--materials", type=Path, required=True, help="folder holding every referenced material")
    parser.add_argument("--out", type=Path, required=True, help="the bundle to write (.zip)")
    arguments = parser.parse_args()
    bundle = build(arguments.applications, institution=arguments.institution, batch_id=arguments.batch_id,
                   materials=materials_by_hash(arguments.materials))
    arguments.out.write_bytes(bundle)
    print(f"{arguments.out}: {len(arguments.applications)} applications, {len(bundle)} bytes, "
          f"SHA-256 {hashlib.sha256(bundle).hexdigest()}")


if __name__ == "__main__":
    main()
