"""Intake: a signed request in, a signed receipt out — or a refusal that leaves nothing behind."""
from __future__ import annotations

import functools
import hashlib
import json
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bank_adapters import CanonicalApplication
from bank_adapters.errors import AdapterError, SchemaInvalid
from bank_adapters.json_v1 import JsonApplicationAdapter
from bank_adapters.xml_v1 import XmlApplicationAdapter
from gateway.actors import Actor
from gateway.applications import documents
from gateway.applications.canonical_json import to_json
from gateway.applications.records import insert_document, insert_event
from gateway.applications.states import Action, next_status
from gateway.applications.assessment import Assessment, assess, refuse_if_needed
from gateway.applications.deadline import first_deadline, set_deadline
from gateway.calendar.clock import Extension
from gateway.applications.lifecycle import open_first_step, transition
from gateway.applications.outcomes import register_when_ready
from gateway.prereview.findings import Severity
from gateway.prereview.rules.parties import institution_credit_codes
from gateway.register.view import RegisterView
from gateway.prereview.triage import Outcome
from gateway.errors import (
    CertificateNotRegistered,
    InvalidRequest,
    MaterialHashMismatch,
    MaterialMissing,
    RequestIdReused,
    RequestTooLarge,
    SignatureRefused,
    StaleRequest,
    UnknownInstitution,
)
from gateway.institutions.service import find_signer, refuse_if_disabled
from gateway.quality.refusals import attributed_to
from gateway.inbox.service import publish
from gateway.outputs import sign_output
from gateway.persistence.counters import next_value
from gateway.persistence.db import read_only, transaction
from gateway.persistence.models import (
    Application,
    ApplicationExtension,
    ApplicationMaterial,
    Material,
    SignedDocument,
)
from gateway.persistence.types import utcnow
from gateway.runtime import Runtime
from gateway.timezone import LOCAL_TZ
from signing.errors import DocumentTooLarge, SigningError
from signing.trust import certificate_fingerprint
from signing.xml_parser import parse_document
from signing.jws import VerifiedJws, verify_jws
from signing.xmldsig import VerifiedDocument, verify_enveloped

ADAPTER = XmlApplicationAdapter()
JSON_ADAPTER = JsonApplicationAdapter()
#: Request media types of the JSON channel: a compact JWS, or the JSON body with a detached JWS-Signature.
JOSE = "application/jose"
JSON = "application/json"
#: How a detached-signature request is kept as evidence: the RFC 7515 flattened JSON serialization.
JOSE_JSON = "application/jose+json"


@dataclass(frozen=True)
class IntakeOutcome:
    application_no: str
    receipt: bytes
    created: bool  # False when this was an exact retry of an earlier request
    media_type: str = "application/xml"  # the receipt's: application/jose for a JSON submission


@contextmanager
def _refusals():
    """Turn library exceptions into the gateway's coded refusals."""
    try:
        yield
    except DocumentTooLarge as exc:
        raise RequestTooLarge(str(exc)) from None
    except SigningError as exc:
        raise SignatureRefused(str(exc), code=exc.code) from None
    except SchemaInvalid as exc:
        violations = [{"path": v.path, "reason": v.reason} for v in exc.violations]
        raise InvalidRequest(
            "the document does not validate against the schema",
            code=exc.code,
            extra={"violations": violations},
        ) from None
    except AdapterError as exc:
        raise InvalidRequest(str(exc), code=exc.code) from None


def read_signed_request(runtime: Runtime, body: bytes, *, now: datetime) -> tuple[VerifiedDocument, CanonicalApplication]:
    """Parse (hardened), validate against the XSD, verify the signature; nothing is stored."""
    limit = runtime.settings.max_request_bytes
    if len(body) > limit:
        raise RequestTooLarge(f"the body is {len(body)} bytes; the limit is {limit}")
    with _refusals():
        document = parse_document(body, max_bytes=limit)  # parsed once, hardened
        ADAPTER.validate(document.root)
        verified = verify_enveloped(document, trust=runtime.trust, at=now, expected_root=ADAPTER.root_tag)
        # The adapter validates again what was signed (signxml's re-parse), never the tree received.
        return verified, ADAPTER.to_canonical(verified.signed_root)


def request_format(media_type: str | None) -> str:
    """``json`` for application/jose and application/json (parameters ignored), else ``xml``."""
    essence = (media_type or "").split(";", 1)[0].strip().lower()
    return "json" if essence in (JOSE, JSON) else "xml"


def read_signed_json(runtime: Runtime, body: bytes, *, now: datetime, media_type: str | None,
                     detached_signature: str | None) -> tuple[VerifiedJws, CanonicalApplication]:
    """Verify the JWS (compact body, or the body with its detached ``JWS-Signature``), then read
    the signed payload against the JSON Schema; nothing is stored."""
    limit = runtime.settings.max_request_bytes
    if len(body) > limit:
        raise RequestTooLarge(f"the body is {len(body)} bytes; the limit is {limit}")
    detached = (media_type or "").split(";", 1)[0].strip().lower() == JSON
    with _refusals():
        if detached and not detached_signature:
            raise SignatureRefused("an application/json request needs the JWS-Signature header (detached JWS)",
                                   code="jws.missing")
        if not detached and detached_signature:
            raise SignatureRefused("JWS-Signature goes with an application/json body only", code="jws.malformed")
        value = detached_signature.encode("ascii", "replace") if detached else body
        verified = verify_jws(value, trust=runtime.trust, at=now, find_certificate=_registered_certificate(runtime),
                              detached_payload=body if detached else None)
        # The adapter reads only the payload the signature covered.
        return verified, JSON_ADAPTER.to_canonical(verified.payload)


def _registered_certificate(runtime: Runtime):
    """``kid`` → the registered certificate with that SHA-256 (current or revoked: intake says which)."""
    def find(kid: str):
        from cryptography import x509

        from gateway.persistence.models import InstitutionCertificate

        with read_only(runtime.read_sessions) as session:
            pem = session.scalar(select(InstitutionCertificate.pem).where(InstitutionCertificate.fingerprint == kid))
        return None if pem is None else x509.load_pem_x509_certificate(pem.encode("ascii"))
    return find


def _read_request(runtime: Runtime, body: bytes, *, now: datetime, media_type: str | None,
                  detached_signature: str | None):
    if request_format(media_type) == "json":
        return read_signed_json(runtime, body, now=now, media_type=media_type, detached_signature=detached_signature)
    return read_signed_request(runtime, body, now=now)


def _stored_request(body: bytes, verified) -> tuple[bytes, str]:
    """The request as evidence: the body itself, or for a detached JWS the flattened JSON serialization
    (RFC 7515 §7.2.2 with the unencoded payload of RFC 7797) that holds body and signature together."""
    if not isinstance(verified, VerifiedJws):
        return body, "application/xml"
    if not verified.detached:
        return body, JOSE
    protected, _, signature = verified.value.partition("..")
    flattened = {"protected": protected, "payload": body.decode("utf-8"), "signature": signature}
    return json.dumps(flattened, ensure_ascii=False).encode("utf-8"), JOSE_JSON


@dataclass(frozen=True)
class Channel:
    """How a request arrived: a bank's own signed XML, or the web form sealed by the gateway."""

    name: str = "bank_xml"
    submitted_by: str | None = None  # the clerk, for web submissions


@dataclass(frozen=True)
class CheckedSubmission:
    """What the checks outside the writing transaction established."""

    body: bytes
    request_sha256: str
    verified: VerifiedDocument
    application: CanonicalApplication
    institution_id: int
    institution_code: str
    material_ids: list[int]
    output_format: str = "xml"  # the format the request came in, and its receipt and results go out in
    stored_request: bytes | None = None  # what is kept as the "request" document (default: body)
    request_media_type: str = "application/xml"


def submit_application(
    runtime: Runtime, body: bytes, *, now: datetime | None = None, channel: Channel = Channel(),
    media_type: str | None = None, detached_signature: str | None = None,
) -> IntakeOutcome:
    """Accept a signed application request, or refuse it with a coded error and store nothing.

    Two steps, each as short as it can be (the HTTP endpoint runs them separately, so that on
    SQLite only the second waits for the database's writer): :func:`check_submission` touches no
    database for the signature and schema checks and only reads for the rest;
    :func:`accept_submission` runs the pre-review, the inserts and the receipt in the writing
    transaction, and takes the gapless application number last.
    """
    now = now or utcnow()
    checked = check_submission(runtime, body, now=now, media_type=media_type, detached_signature=detached_signature)
    if isinstance(checked, IntakeOutcome):
        return checked
    return accept_submission(runtime, checked, now=now, channel=channel)


def check_submission(runtime: Runtime, body: bytes, *, now: datetime, media_type: str | None = "application/xml",
                     detached_signature: str | None = None) -> CheckedSubmission | IntakeOutcome:
    """Every check that does not write: signature and schema (no database but a JWS ``kid``'s
    certificate), then, in a read-only unit of work, the institution, the exact retry (answered
    here), the time window, the materials and their hashes.

    ``media_type`` picks the channel: ``application/jose`` (compact JWS) or ``application/json``
    (with ``detached_signature``, the JWS-Signature header) is the JSON channel; anything else XML.
    The request's SHA-256 is the body's in every case (for a detached JWS, without the header)."""
    verified, application = _read_request(runtime, body, now=now, media_type=media_type,
                                          detached_signature=detached_signature)
    fmt = request_format(media_type)
    stored_request, request_media_type = _stored_request(body, verified)
    request_sha256 = hashlib.sha256(body).hexdigest()
    with read_only(runtime.read_sessions) as session:
        institution = _institution_for(session, verified, application)
        with attributed_to(institution.id):  # its registered certificate signed: refusals count against it
            existing = _existing(session, institution.id, application.request_id)
            if existing is not None:
                return _replay(session, existing, request_sha256)
            _check_window(application.created_at, now, runtime.settings.created_at_window_seconds)
            material_ids = [m.id for m in _referenced_materials(session, institution.id, application)]
    return CheckedSubmission(body, request_sha256, verified, application, institution.id, institution.code, material_ids,
                             output_format=fmt, stored_request=stored_request, request_media_type=request_media_type)


def accept_submission(runtime: Runtime, checked: CheckedSubmission, *, now: datetime | None = None,
                      channel: Channel = Channel()) -> IntakeOutcome:
    """The writing transaction of an intake; the number's counter row stays locked only while
    the receipt is signed and the transaction commits. ``now`` (default: now) is the time of receipt."""
    now = now or utcnow()
    try:
        with transaction(runtime.sessions) as session:
            return _accept(runtime, session, checked, now, channel)
    except IntegrityError:
        # The same request id was accepted since the read-only check (a concurrent retry):
        # the unique constraint refused the second; answer it as a retry.
        with read_only(runtime.read_sessions) as session:
            existing = _existing(session, checked.institution_id, checked.application.request_id)
            if existing is None:
                raise
            return _replay(session, existing, checked.request_sha256)


def _accept(runtime: Runtime, session: Session, accepted: CheckedSubmission, now: datetime, channel: Channel) -> IntakeOutcome:
    application = accepted.application
    assessment = assess(session, runtime.settings, application, now=now)
    refuse_if_needed(assessment)
    # Everything the rows need is known before the first insert (the deadline included), so each
    # row is inserted once, in one statement per table: the application (the only ORM object,
    # which an automatic approval goes on with), then with Core inserts its materials, request,
    # event, step (and extension); the number last, then the receipt; the inbox entry and the audit
    # entries at commit (gateway.inbox.service, gateway.audit.chain).
    extension = _complex_extension(runtime.settings, assessment)
    record = _new_application(runtime, session, accepted, now, assessment, channel, extension)
    materials = [dict(application_id=record.id, material_id=material_id, position=position, type_code=ref.type_code,
                      file_name=ref.file_name)
                 for position, (ref, material_id) in enumerate(zip(application.materials, accepted.material_ids,
                                                                   strict=True))]
    if materials:
        session.execute(_materials_insert(), materials)
    insert_document(session, record, "request", accepted.stored_request or accepted.body,
                    media_type=accepted.request_media_type)
    submitter = (Actor.staff(channel.submitted_by) if channel.submitted_by
                 else Actor.institution(accepted.institution_code))
    insert_event(session, record, Action.SUBMIT, None, submitter, at=now,
                 note={"channel": channel.name, "institution": accepted.institution_code}
                 if channel.submitted_by else None)
    open_first_step(session, record, at=now)
    if extension is not None:
        session.execute(ApplicationExtension.__table__.insert(), dict(
            application_id=record.id, working_days=extension.working_days, reason=extension.reason,
            actor="prereview", at=now))
    record.application_no = _allocate_application_no(runtime, session, now)
    receipt, receipt_type = sign_output(runtime, documents.build_receipt(_receipt_facts(record, assessment), issued_at=now),
                                        fmt=accepted.output_format)
    receipt_id = insert_document(session, record, "receipt", receipt, media_type=receipt_type)
    # A synchronous submission has its receipt in the response; a batch item's goes out by callback too.
    publish(session, institution_id=record.institution_id, kind="receipt", content=receipt, media_type=receipt_type,
            application_id=record.id, document_id=receipt_id, deliver=channel.name == "batch", at=now)
    if assessment.outcome == Outcome.AUTO_APPROVE:
        transition(session, runtime.settings, record, Action.AUTO_APPROVE, Actor.system("prereview"), at=now,
                   note={"reason": "符合自动审核规则"})
        register_when_ready(session, runtime, record, at=now)
    return IntakeOutcome(record.application_no, receipt, created=True, media_type=receipt_type)


@functools.cache
def _materials_insert():
    """The application's materials in one executemany (their ids are never needed at intake)."""
    return ApplicationMaterial.__table__.insert()


def _complex_extension(settings, assessment: Assessment) -> Extension | None:
    """A complex case (复杂情形) gets the statutory extension from the start, with its reasons."""
    if assessment.outcome != Outcome.COMPLEX:
        return None
    reason = "；".join(assessment.triage.complex_reasons) or "复杂情形"
    return Extension(settings.complex_extension_working_days, reason[:500])


def _allocate_application_no(runtime: Runtime, session: Session, now: datetime) -> str:
    """The next gapless number of the day; a rollback gives it back with everything else."""
    local_day = now.astimezone(LOCAL_TZ).date()
    serial = next_value(session, f"application:{local_day.isoformat()}")
    return f"{runtime.settings.area_code}{local_day:%Y%m%d}{serial:06d}"


def _institution_for(session: Session, verified: VerifiedDocument, application: CanonicalApplication):
    """The institution named in the body, which must own the signing certificate."""
    institution, certificate = find_signer(session, application.mortgagee.code,
                                           certificate_fingerprint(verified.certificate))
    if institution is None:
        raise UnknownInstitution(extra=_unknown_code_facts(application))
    if certificate is None:
        raise CertificateNotRegistered()
    refuse_if_disabled(session, institution)
    from gateway.permissions import signer_grant  # a department's key: the permission table refuses it

    signer_grant(institution, "application.submit")
    return institution


def _unknown_code_facts(application: CanonicalApplication) -> dict:
    """Name the field; a code that fails its shape or check digit (GB 32100) says so precisely."""
    findings = [f for f in institution_credit_codes(application, RegisterView(unit=None)) if f.field == "mortgagee.code"]
    facts: dict = {"field": "mortgagee.code"}
    if findings:
        facts["findings"] = [{"code": f.code, "severity": f.severity.value, "message_zh": f.message_zh,
                              "hint": f.hint, "field": f.field} for f in findings]
    return facts


def dry_run(runtime: Runtime, body: bytes, *, now: datetime | None = None, media_type: str | None = "application/xml",
            detached_signature: str | None = None) -> tuple[CanonicalApplication, Assessment]:
    """Exactly the intake checks, without storing anything (the window is checked too)."""
    now = now or utcnow()
    verified, application = _read_request(runtime, body, now=now, media_type=media_type,
                                          detached_signature=detached_signature)
    with read_only(runtime.read_sessions) as session:
        institution = _institution_for(session, verified, application)
        _check_window(application.created_at, now, runtime.settings.created_at_window_seconds)
        _referenced_materials(session, institution.id, application)
        assessment = assess(session, runtime.settings, application, now=now)
    return application, assessment


def _existing(session: Session, institution_id: int, request_id: str) -> Application | None:
    return session.scalar(
        select(Application).where(
            Application.institution_id == institution_id, Application.request_id == request_id
        )
    )


def _replay(session: Session, existing: Application, request_sha256: str) -> IntakeOutcome:
    if existing.request_sha256 != request_sha256:
        raise RequestIdReused(extra={"application_no": existing.application_no})
    receipt = session.scalar(
        select(SignedDocument).where(
            SignedDocument.application_id == existing.id, SignedDocument.kind == "receipt"
        )
    )
    return IntakeOutcome(existing.application_no, receipt.content, created=False, media_type=receipt.media_type)


def _check_window(created_at: datetime, now: datetime, window_seconds: int) -> None:
    skew = created_at - now
    if abs(skew) > timedelta(seconds=window_seconds):
        direction = "in the future" if skew > timedelta(0) else "in the past"
        raise StaleRequest(
            f"CreatedAt is {abs(int(skew.total_seconds()))} s {direction}; "
            f"the window is ±{window_seconds} s",
            extra={"window_seconds": window_seconds},
        )


def _referenced_materials(session: Session, institution_id: int, application: CanonicalApplication) -> list[Material]:
    """The institution's uploaded materials the application names, in its order (one query)."""
    wanted = {ref.sha256 for ref in application.materials}
    held = {material.sha256: material for material in session.scalars(
        select(Material).where(Material.institution_id == institution_id, Material.sha256.in_(wanted)))} if wanted else {}
    found = []
    for ref in application.materials:
        material = held.get(ref.sha256)
        if material is None:
            raise MaterialMissing(
                f"material {ref.type_code} ({ref.sha256}) has not been uploaded",
                extra={"sha256": ref.sha256, "type_code": ref.type_code},
            )
        if hashlib.sha256(material.content).hexdigest() != ref.sha256:
            raise MaterialHashMismatch(extra={"sha256": ref.sha256, "type_code": ref.type_code})
        found.append(material)
    return found


def _new_application(runtime, session, accepted: CheckedSubmission, now, assessment, channel: Channel,
                     extension: Extension | None) -> Application:
    application = accepted.application
    record = Application(
        # A placeholder, unique and never committed: the real number is allocated last.
        application_no=f"~{uuid.uuid4().hex[:24]}",
        institution_id=accepted.institution_id,
        request_id=application.request_id,
        registration_type=application.registration_type.value,
        status=next_status(None, Action.SUBMIT).value,
        unit_code=application.unit_code,
        request_sha256=accepted.request_sha256,
        output_format=accepted.output_format,
        canonical=to_json(application),
        signature=_signature_facts(accepted.verified),
        request_created_at=application.created_at,
        received_at=now,
        triage=assessment.outcome.value if assessment.outcome != Outcome.REFUSED else "SIMPLE",
        findings=assessment.findings_json(),
        fee_amount=assessment.fee.amount if assessment.fee else None,
        link_group=application.link.group_id if application.link else None,
        link_position=application.link.position if application.link else None,
        link_size=application.link.size if application.link else None,
        channel=channel.name,
        submitted_by=channel.submitted_by,
    )
    set_deadline(record, first_deadline(session, runtime.settings, registration_type=record.registration_type,
                                        received_at=now, extensions=[extension] if extension else []))
    session.add(record)
    session.flush()
    return record


def _signature_facts(verified: VerifiedDocument | VerifiedJws) -> dict:
    certificate = verified.certificate
    if isinstance(verified, VerifiedJws):
        return {
            "signer_subject": certificate.subject.rfc4514_string(),
            "issuer": certificate.issuer.rfc4514_string(),
            "serial_number": format(certificate.serial_number, "x"),
            "fingerprint_sha256": certificate_fingerprint(certificate),
            "not_before": certificate.not_valid_before_utc.isoformat(),
            "not_after": certificate.not_valid_after_utc.isoformat(),
            "signature_algorithm": f"JWS {verified.algorithm}",
            "digest_algorithm": "SHA-256",
            "jws": "detached" if verified.detached else "compact",
        }
    return {
        "signer_subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "serial_number": format(certificate.serial_number, "x"),
        "fingerprint_sha256": certificate_fingerprint(certificate),
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "signature_algorithm": verified.signature_algorithm,
        "digest_algorithm": verified.digest_algorithm,
    }


def _receipt_facts(record: Application, assessment: Assessment) -> documents.ReceiptFacts:
    shown = (Severity.REVIEW, Severity.COMPLEX, Severity.INFO)
    return documents.ReceiptFacts(
        application_no=record.application_no,
        request_id=record.request_id,
        mortgagee_code=record.canonical["mortgagee"]["code"],
        request_sha256=record.request_sha256,
        received_at=record.received_at,
        status=record.status,
        due_date=record.due_date,
        deadline_provisional=record.deadline_provisional,
        triage=record.triage,
        fee=(assessment.fee.amount, assessment.fee.basis_zh) if assessment.fee else None,
        findings=tuple(documents.NoticeFinding(f["code"], f["severity"], f["message_zh"], f["hint"])
                       for f in assessment.findings_json(severities=shown)),
    )
