"""Verifying any signed document from the gateway — XML (XMLDSig) or JSON (JWS) — before anything
in it is used. Registration certificate twins are signed by the registration authority's seal and
verified against the seal's certificate instead."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from lxml import etree

from .errors import VerificationFailed
from .jose import verify_gateway_jws
from .keys import fingerprint
from .xmlsig import NS, parse, verify_document

XML_TYPES = ("application/xml", "text/xml")
JWS_TYPES = ("application/jose",)


@dataclass(frozen=True)
class VerifiedDocument:
    """A verified document: its exact bytes, its root (``Receipt``, ``Result``, …), its signed fields
    as a plain dict, and the signer's certificate fingerprint."""

    data: bytes
    media_type: str
    name: str
    fields: dict
    signer: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def application_no(self) -> str | None:
        value = self.fields.get("application_no")
        return value if isinstance(value, str) else None

    @property
    def extension(self) -> str:
        return "jws" if self.media_type in JWS_TYPES else "xml"

    def summary(self) -> dict:
        return {"document": self.name, "sha256": self.sha256, "media_type": self.media_type,
                "signed_by": self.signer, "fields": self.fields}


# Elements the output schema lets repeat: always arrays in the JSON form (json-channel.md §3, rule 3).
# (parent, child) pairs, from schemas/gateway-output-v1.xsd; an element met twice is an array too.
REPEATED = {("Findings", "Finding"), ("Obligors", "Obligor"), ("Other", "Item"), ("Supplement", "Item"),
            ("Applications", "Count"), ("IntakeRefusals", "Count"), ("SupplementRequests", "Material"),
            ("Violations", "Violation"), ("WatchedBy", "Application"), ("WatchedBy", "Mortgage")}


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def json_form(root: etree._Element) -> dict:
    """The JSON form of a signed XML document, by the gateway's mechanical mapping
    (docs/interface/json-channel.md §3), so both channels read the same way."""
    return {"document": etree.QName(root).localname, **_members(root)}


def _members(element: etree._Element) -> dict:
    out: dict = {snake(etree.QName(k).localname): v for k, v in element.attrib.items()}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        local = etree.QName(child).localname
        name, value = snake(local), _value(child)
        if name in out or (etree.QName(element).localname, local) in REPEATED:
            existing = out.get(name, [])
            out[name] = [*(existing if isinstance(existing, list) else [existing]), value]
        else:
            out[name] = value
    return out


def _value(element: etree._Element):
    if any(isinstance(c.tag, str) for c in element):
        return _members(element)
    if element.attrib:
        return {"value": element.text or "", **_members(element)}
    return element.text or ""


class DocumentVerifier:
    """Holds the pins: the gateway's certificates, and optionally the seal's (CA) certificates."""

    def __init__(self, gateway: list[x509.Certificate], seal: list[x509.Certificate] | None = None,
                 announced: Callable[[str], str | None] | None = None):
        """``announced(sha256)``: the application whose verified result announced a certificate twin
        with that SHA-256 (``Certificate/XmlSha256``), or None — the store keeps them."""
        self.gateway = list(gateway)
        self._gateway_der = {fingerprint(c) for c in gateway}
        self.seal = list(seal or [])
        self.announced = announced or (lambda sha256: None)

    def verify(self, data: bytes, media_type: str | None) -> VerifiedDocument:
        media = (media_type or "").split(";")[0].strip().lower()
        if media in JWS_TYPES or (not media and data[:2] == b"ey"):
            return self._verify_jws(data)
        if media in XML_TYPES or not media:
            return self._verify_xml(data)
        raise VerificationFailed(f"unexpected media type {media_type!r} for a signed document")

    def _verify_xml(self, data: bytes) -> VerifiedDocument:
        def accept(leaf: x509.Certificate, others) -> bool:
            return fingerprint(leaf) in self._gateway_der or self._sealed_by(leaf)

        try:
            verified = verify_document(data, accept_signer=accept)
        except VerificationFailed as exc:
            twin = self._announced_twin(data)
            if twin is not None:
                return twin
            if not self.seal and b"RegistrationCertificate" in data[:600]:
                raise VerificationFailed(f"{exc} (a registration certificate twin is signed by the seal: configure "
                                         "seal_certificate, the seal's certificate or its CA)") from None
            raise
        name = etree.QName(verified.root).localname
        if etree.QName(verified.root).namespace != NS:
            raise VerificationFailed("the signed document is not in the gateway's namespace")
        if fingerprint(verified.certificate) not in self._gateway_der and name != "RegistrationCertificate":
            raise VerificationFailed("the seal signs registration certificates only; "
                                     "this document must be the gateway's")
        return VerifiedDocument(data, "application/xml", name, json_form(verified.root),
                                fingerprint(verified.certificate))

    def _announced_twin(self, data: bytes) -> VerifiedDocument | None:
        """A certificate twin whose exact bytes a verified result announced: the gateway's signature on
        the result vouches for it, whoever sealed it (the seal's certificate need not be pinned)."""
        application_no = self.announced(hashlib.sha256(data).hexdigest())
        if application_no is None:
            return None
        root = parse(data)
        if root.tag != f"{{{NS}}}RegistrationCertificate":
            return None
        fields = {**json_form(root), "application_no": application_no}
        return VerifiedDocument(data, "application/xml", "RegistrationCertificate", fields,
                                f"announced-by-result:{application_no}")

    def _sealed_by(self, leaf: x509.Certificate) -> bool:
        now = datetime.now(timezone.utc)
        if not (leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc):
            return False
        for seal in self.seal:
            if seal == leaf:
                return True
            try:
                leaf.verify_directly_issued_by(seal)
                return True
            except (ValueError, TypeError, InvalidSignature):
                continue
        return False

    def _verify_jws(self, data: bytes) -> VerifiedDocument:
        verified = verify_gateway_jws(data, pinned=self.gateway)
        try:
            payload = json.loads(verified.payload)
        except ValueError:
            raise VerificationFailed("the JWS payload is not JSON") from None
        if not isinstance(payload, dict):
            raise VerificationFailed("the JWS payload is not a JSON object")
        name = payload.get("document") or payload.get("type") or _typ_name(verified.header) or "document"
        return VerifiedDocument(data, "application/jose", str(name), payload, fingerprint(verified.certificate))


def _typ_name(header: dict) -> str | None:
    typ = header.get("typ")
    return typ.split("+")[0] if isinstance(typ, str) else None
