"""What an item's document says about itself, read before its signature is verified.

Only to refuse a bundle early (an item of another institution, a material the bundle lacks, a
request id that is not the manifest's): each item is verified in full later, by the intake, and
nothing read here is trusted beyond that. An item that cannot even be read here is left to the
intake, which refuses that item alone with the precise code.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from bank_adapters.xml_v1 import NAMESPACE, ROOT_TAG
from gateway.batches.bundle import BundleItem
from signing.errors import SigningError
from signing.xml_parser import parse_xml

_NS = {"m": NAMESPACE, "ds": "http://www.w3.org/2000/09/xmldsig#"}


@dataclass(frozen=True)
class ItemClaims:
    request_id: str | None
    mortgagee_code: str | None
    signer_fingerprint: str | None  # SHA-256 of the signer certificate named in the document
    materials: tuple[str, ...]


def claims_of(item: BundleItem, *, max_bytes: int) -> ItemClaims | None:
    """The item's own claims, or None when it cannot be read (the intake will say why)."""
    try:
        if item.format == "xml":
            return _xml_claims(item.content, max_bytes)
        return _jws_claims(item, max_bytes)
    except (SigningError, ValueError, KeyError, TypeError, binascii.Error, AttributeError):
        return None


def _xml_claims(content: bytes, max_bytes: int) -> ItemClaims | None:
    root = parse_xml(content, max_bytes=max_bytes)
    if root.tag != ROOT_TAG:
        return None
    certificate = root.findtext("ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=_NS)
    return ItemClaims(
        request_id=root.findtext("m:RequestId", namespaces=_NS),
        mortgagee_code=root.findtext("m:Mortgagee/m:Code", namespaces=_NS),
        signer_fingerprint=_fingerprint_of_base64_der(certificate) if certificate else None,
        materials=tuple(sha.strip() for sha in root.xpath("m:Materials/m:Material/m:Sha256/text()", namespaces=_NS)),
    )


def _jws_claims(item: BundleItem, max_bytes: int) -> ItemClaims | None:
    if len(item.content) > max_bytes:
        return None
    if item.format == "jws":
        protected, payload, _ = item.content.decode("ascii").strip().split(".")
        document = json.loads(_b64url(payload))
    else:
        protected = (item.detached_signature or "").split(".")[0]
        document = json.loads(item.content.decode("utf-8"))
    header = json.loads(_b64url(protected))
    chain = header.get("x5c")
    fingerprint = _fingerprint_of_base64_der(chain[0]) if isinstance(chain, list) and chain else header.get("kid")
    materials = document.get("materials") or []
    return ItemClaims(
        request_id=document.get("request_id"),
        mortgagee_code=(document.get("mortgagee") or {}).get("code"),
        signer_fingerprint=fingerprint.lower() if isinstance(fingerprint, str) else None,
        materials=tuple(m.get("sha256") for m in materials if isinstance(m, dict)),
    )


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fingerprint_of_base64_der(text: str) -> str:
    """The certificate's fingerprint as the gateway names certificates: SHA-256 of its DER."""
    return hashlib.sha256(base64.b64decode("".join(text.split()), validate=True)).hexdigest()
