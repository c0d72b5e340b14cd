"""Public verification of a certificate: key facts with personal data masked, status, uploaded PDFs."""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from lxml import etree
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.applications.documents import NS
from gateway.certificates.models import IssuedCertificate
from gateway.errors import GatewayError, InvalidRequest, NotFound
from gateway.timezone import LOCAL_TZ
from signing.pades import verify_pdf
from signing.trust import certificate_fingerprint

CODE_PATTERN = re.compile(r"^[A-HJ-NP-Z2-9]{10}$")


class CertificateNotFound(NotFound):
    code = "certificate.not_found"
    title = "No certificate has this verification code"


class BadVerificationCode(InvalidRequest):
    code = "certificate.bad_code"
    title = "A verification code is 10 characters: capital letters and digits 2–9"


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳修 → 欧**; organisations (long names) keep their first four characters."""
    keep = 4 if len(name) > 6 else 1
    return name[:keep] + "*" * max(len(name) - keep, 1)


def mask_id(number: str) -> str:
    """640221198503150018 → 6402**********0018."""
    return number[:4] + "*" * max(len(number) - 8, 0) + number[-4:] if len(number) > 8 else "*" * len(number)


def obligor_ids_of(session: Session, certificate: IssuedCertificate) -> list[str]:
    from gateway.persistence.models import Application

    application = session.get(Application, certificate.application_id)
    return [p["id_number"] for p in application.canonical.get("mortgagors", [])] if application else []


def find_by_code(session: Session, code: str) -> IssuedCertificate:
    code = code.strip().upper()
    if not CODE_PATTERN.match(code):
        raise BadVerificationCode()
    certificate = session.scalar(select(IssuedCertificate).where(IssuedCertificate.verification_code == code))
    if certificate is None:
        raise CertificateNotFound()
    return certificate


STATUS_ZH = {"IN_FORCE": "有效（现势）", "SUPERSEDED": "已被新证明替代", "CANCELLED": "已注销", "REVOKED": "已撤销（更正）"}


def public_view(certificate: IssuedCertificate, *, obligor_ids: list[str] = ()) -> dict:
    """What anyone may see: the XML twin's key fields, obligors masked, and the status."""
    root = etree.fromstring(certificate.xml)
    text = lambda name: root.findtext(f"{{{NS}}}{name}")  # noqa: E731
    return {
        "certificate_no": certificate.certificate_no,
        "status": certificate.status,
        "status_zh": STATUS_ZH[certificate.status],
        "status_changed_at": certificate.status_changed_at,  # aware UTC; JSON writes it with a Z
        # The day in the registration centre's time, which the page prints.
        "status_changed_on": (certificate.status_changed_at.astimezone(LOCAL_TZ).date().isoformat()
                              if certificate.status_changed_at else None),
        "status_reference": certificate.status_reference,
        "revoke_reason": certificate.revoke_reason,
        "right_or_matter": text("RightOrMatter"),
        "rights_holder": text("RightsHolder"),
        "obligors": [mask_name(o.text or "") for o in root.iter(f"{{{NS}}}Obligor")],
        "obligor_ids": [mask_id(number) for number in obligor_ids],
        "location": text("Location"),
        "unit_code": text("UnitCode"),
        "other": [{"label": i.findtext(f"{{{NS}}}Label"), "value": i.findtext(f"{{{NS}}}Value")}
                  for i in root.iter(f"{{{NS}}}Item")],
        "authority": text("Authority"),
        "registered_on": text("RegisteredOn"),
        "pdf_sha256": certificate.pdf_sha256,
    }


@dataclass(frozen=True)
class UploadCheck:
    """The verdict on an uploaded PDF, in plain words."""

    ok: bool
    verdict: str  # GENUINE | ALTERED | NOT_THIS_CERTIFICATE | WRONG_SIGNER | UNSIGNED | NOT_A_PDF
    message_zh: str
    signer: str | None = None
    signed_at: datetime | None = None


def check_upload(certificate: IssuedCertificate, data: bytes, *, seal_anchors) -> UploadCheck:
    """Is this exactly the certificate the register issued, with the authority's intact seal?"""
    if not data.startswith(b"%PDF-"):
        return UploadCheck(False, "NOT_A_PDF", "上传的文件不是PDF文件。")
    report = verify_pdf(data, trust_anchors=seal_anchors)
    if not report.signed:
        return UploadCheck(False, "UNSIGNED", "该PDF没有电子签章，不是登记机构出具的电子证明。")
    if not report.intact:
        return UploadCheck(False, "ALTERED", "该PDF在签章后被修改过，内容不可信。", report.signer_subject)
    if not report.trusted or report.signer_fingerprint != _sealed_by(certificate.pdf):
        # Trusted is not enough: the anchors may also issue banks' certificates, and a bank's
        # signature must not be called the authority's seal.
        return UploadCheck(False, "WRONG_SIGNER", "该PDF的签章不是登记机构的电子印章。", report.signer_subject)
    if hashlib.sha256(data).hexdigest() != certificate.pdf_sha256:
        return UploadCheck(False, "NOT_THIS_CERTIFICATE",
                           "签章有效，但该文件与本验证码对应的登记记录不一致（可能是另一份证明或被重新签章）。",
                           report.signer_subject, report.signed_at)
    return UploadCheck(True, "GENUINE", "该PDF与登记簿记录一致，电子签章有效、内容未被修改。",
                       report.signer_subject, report.signed_at)


def _sealed_by(pdf: bytes) -> str | None:
    """Fingerprint of the seal certificate on the issued PDF (the register's own bytes)."""
    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
    if not signatures:
        return None
    return certificate_fingerprint(x509.load_der_x509_certificate(signatures[0].signer_cert.dump()))


class UploadTooLarge(GatewayError):
    code = "certificate.upload_too_large"
    title = "The uploaded file is larger than any certificate"
    kind = "too_large"
