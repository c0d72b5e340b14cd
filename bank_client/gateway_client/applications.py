"""Preparing an application for submission: XML signed with XMLDSig, or JSON signed with JWS
(compact, or detached with the ``JWS-Signature`` header), and the materials it names."""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from . import jose, xmlsig
from .errors import ClientError
from .keys import BankIdentity
from .materials import MaterialRef


class ApplicationFileError(ClientError):
    exit_status = 2


@dataclass(frozen=True)
class Submission:
    """What is sent: ``body`` byte for byte, with ``content_type`` and extra ``headers``."""

    format: str  # "xml" or "json"
    body: bytes
    content_type: str
    request_id: str
    mortgagee_code: str
    materials: list[MaterialRef]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def request_sha256(self) -> str:
        """What the receipt's RequestSha256 must be: the body's SHA-256 (for the detached JWS the
        header is not part of it)."""
        return hashlib.sha256(self.body).hexdigest()


def new_request_id() -> str:
    return f"GC-{datetime.now(timezone.utc):%Y%m%d}-{uuid.uuid4().hex[:12].upper()}"


def prepare(path: Path, identity: BankIdentity, *, refresh: bool = False, detached: bool = False,
            jws_algorithm: str | None = None) -> Submission:
    """Read and sign an application file. ``refresh``: a new request id and ``created_at`` = now
    (for templates and examples). An XML file already signed is sent as it is."""
    data = path.read_bytes()
    if path.suffix.lower() in (".jws", ".jose") or data[:2] == b"ey":
        if refresh:
            raise ApplicationFileError("the application is already signed; --refresh needs an unsigned one")
        return _signed_compact(data)
    if path.suffix.lower() == ".json" or data.lstrip()[:1] == b"{":
        return _prepare_json(data, identity, refresh=refresh, detached=detached, jws_algorithm=jws_algorithm)
    return _prepare_xml(data, identity, refresh=refresh)


def _prepare_xml(data: bytes, identity: BankIdentity, *, refresh: bool) -> Submission:
    try:
        root = xmlsig.parse(data)
    except (ValueError, etree.XMLSyntaxError) as exc:
        raise ApplicationFileError(f"the application is not well-formed XML: {exc}") from None
    if xmlsig.is_signed(root):
        if refresh:
            raise ApplicationFileError("the application is already signed; --refresh needs an unsigned one")
        body = data
    else:
        body = xmlsig.sign_application(data, key=identity.key, certificate=identity.certificate,
                                       request_id=new_request_id() if refresh else None,
                                       created_at=datetime.now(timezone.utc) if refresh else None)
        root = xmlsig.parse(body)
    g = xmlsig.gw
    refs = [MaterialRef(m.findtext(g("TypeCode")) or "", m.findtext(g("FileName")) or "",
                        (m.findtext(g("Sha256")) or "").lower())
            for m in root.iterfind(f"{g('Materials')}/{g('Material')}")]
    return Submission("xml", body, "application/xml", root.findtext(g("RequestId")) or "",
                      root.findtext(f"{g('Mortgagee')}/{g('Code')}") or "", refs)


def _signed_compact(data: bytes) -> Submission:
    """A compact JWS signed earlier (kept to resend it as it was): sent byte for byte."""
    body = data.strip()
    try:
        payload = body.split(b".")[1]
        application = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        raise ApplicationFileError("the file is not a compact JWS of a JSON application") from None
    if not isinstance(application, dict):
        raise ApplicationFileError("the JWS payload is not a JSON application")
    return Submission("json", body, "application/jose", str(application.get("request_id", "")),
                      str((application.get("mortgagee") or {}).get("code", "")), _json_refs(application))


def _json_refs(application: dict) -> list[MaterialRef]:
    return [MaterialRef(str(m.get("type_code", "")), str(m.get("file_name", "")), str(m.get("sha256", "")).lower())
            for m in application.get("materials") or [] if isinstance(m, dict)]


def _prepare_json(data: bytes, identity: BankIdentity, *, refresh: bool, detached: bool,
                  jws_algorithm: str | None) -> Submission:
    try:
        application = json.loads(data)
    except ValueError as exc:
        raise ApplicationFileError(f"the application is not JSON: {exc}") from None
    if not isinstance(application, dict):
        raise ApplicationFileError("the application JSON is not an object")
    if refresh:
        application["request_id"] = new_request_id()
        application["created_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        data = json.dumps(application, ensure_ascii=False, indent=2).encode("utf-8")
    refs = _json_refs(application)
    request_id = str(application.get("request_id", ""))
    code = str((application.get("mortgagee") or {}).get("code", ""))
    if detached:
        signature = jose.sign_detached(data, key=identity.key, certificate=identity.certificate,
                                       algorithm=jws_algorithm)
        return Submission("json", data, "application/json", request_id, code, refs, {"JWS-Signature": signature})
    body = jose.sign_compact(data, key=identity.key, certificate=identity.certificate, algorithm=jws_algorithm)
    return Submission("json", body, "application/jose", request_id, code, refs)
