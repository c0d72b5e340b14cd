"""``gateway demo submit EXAMPLE.xml``: what a bank's core system does, with the demo keys.

Refreshes the example's RequestId and CreatedAt, uploads the materials it references (found by
hash next to it, in materials/), signs it with the demo key of the institution it names and
submits it to the running gateway. For trying the gateway, not for production use.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import TextIO

import httpx
from lxml import etree

from gateway.settings import Settings
from gateway.timezone import LOCAL_TZ
from signing.httpsig import HttpSignatureAuth
from signing.pki import load_private_key_pem
from signing.trust import certificate_fingerprint, load_pem_certificates
from signing.xml_parser import hardened_parser
from signing.xmldsig import sign_enveloped

NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}
KEY_FILES = {"bank": "bank", "housing_fund": "housing-fund", "rural_bank": "rural-bank"}


def _demo_identity(settings: Settings, code: str):
    credentials = json.loads((settings.data_dir / "demo" / "credentials.json").read_text())
    names = {credentials[role]["code"]: role for role in ("bank", "housing_fund", "rural_bank") if role in credentials}
    if code not in names:
        raise SystemExit(f"no demo key for institution {code}; demo institutions: {', '.join(names)}")
    stem = settings.data_dir / "demo" / KEY_FILES[names[code]]
    key = load_private_key_pem(Path(f"{stem}-key.pem").read_bytes())
    certificate = load_pem_certificates(Path(f"{stem}-cert.pem").read_bytes())[0]
    return key, certificate


def submit_example(settings: Settings, example: Path, *, out: TextIO) -> int:
    try:
        return _submit(settings, example, out=out)
    except httpx.HTTPError as exc:
        print(f"could not reach the gateway at {settings.public_base_url} ({type(exc).__name__}); "
              "is `gateway serve` running?", file=out)
        return 1


def _submit(settings: Settings, example: Path, *, out: TextIO) -> int:
    root = etree.parse(str(example), hardened_parser()).getroot()
    root.find("g:RequestId", NS).text = f"DEMO-{uuid.uuid4().hex[:12]}"
    root.find("g:CreatedAt", NS).text = datetime.now(LOCAL_TZ).replace(microsecond=0).isoformat()
    key, certificate = _demo_identity(settings, root.findtext("g:Mortgagee/g:Code", namespaces=NS))
    base = settings.public_base_url.rstrip("/")
    auth = HttpSignatureAuth(key_id=certificate_fingerprint(certificate), private_key=key)
    files = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in (example.parent / "materials").glob("*")}
    with httpx.Client(base_url=base, auth=auth, timeout=30) as client:
        for sha256 in root.xpath("//g:Material/g:Sha256/text()", namespaces=NS):
            if sha256 not in files:
                raise SystemExit(f"material {sha256} is not in {example.parent / 'materials'}")
            client.put(f"/v1/materials/{sha256}", content=files[sha256].read_bytes(),
                       headers={"Content-Type": "text/plain"}).raise_for_status()
    signed = sign_enveloped(root, key=key, certificate=certificate)
    response = httpx.post(f"{base}/v1/applications", content=signed, headers={"Content-Type": "application/xml"},
                          timeout=30)
    print(f"HTTP {response.status_code}", file=out)
    print(response.text, file=out)
    return 0 if response.status_code in (200, 202) else 1
