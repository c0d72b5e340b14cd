"""Registration-event test helpers: departments in the database, and the events a department finds.

Events are read from the inbox table as the inbox serves them and checked as a department would:
the compact JWS verified with signing/jws.py against the gateway's certificate and the trust anchors.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from gateway.inbox.models import InboxEntry
from gateway.institutions.service import add_certificate
from gateway.persistence.db import transaction
from gateway.persistence.models import Institution
from gateway.persistence.types import utcnow
from gateway.registration_events.subscriptions import on_department_created
from signing.httpsig import HttpSignatureAuth
from signing.jws import verify_jws
from signing.trust import certificate_fingerprint
from tests.support import factories
from tests.support.pki import Identity, TestPki

KIND = "registration_event"


@dataclass(frozen=True)
class Department:
    code: str
    role: str
    identity: Identity

    @property
    def auth(self) -> HttpSignatureAuth:
        return HttpSignatureAuth(key_id=self.identity.fingerprint, private_key=self.identity.key)


def tax_bureau(pki: TestPki) -> Department:
    return Department(factories.TAX_BUREAU_CODE, "tax_bureau", pki.tax_bureau)


def housing_bureau(pki: TestPki) -> Department:
    return Department(factories.HOUSING_BUREAU_CODE, "housing_bureau", pki.housing_bureau)


def fund_centre(pki: TestPki) -> Department:
    return Department(factories.FUND_CENTRE_CODE, "fund_centre", pki.fund_centre)


NAMES = {"tax_bureau": "国家税务总局平罗县税务局", "housing_bureau": "平罗县住房和城乡建设局",
         "fund_centre": "石嘴山市住房公积金管理中心平罗管理部"}


def add_department(runtime, department: Department, *, callback_url: str | None = None,
                   kind: str = "department") -> None:
    """The department as the administrator registers it (with its default subscriptions)."""
    with transaction(runtime.sessions) as session:
        institution = Institution(code=department.code, name=NAMES[department.role], kind=kind,
                                  department_role=department.role, callback_url=callback_url)
        session.add(institution)
        session.flush()
        add_certificate(session, institution=institution, cert_pem=department.identity.cert_pem, trust=runtime.trust)
        on_department_created(session, institution)


def inbox_events(runtime, code: str) -> list[tuple[bytes, str]]:
    """(signed bytes, media type) of the institution's registration events, in inbox order."""
    assert runtime.wait_idle(60)
    with transaction(runtime.sessions) as session:
        institution_id = session.scalar(select(Institution.id).where(Institution.code == code))
        entries = session.scalars(select(InboxEntry).where(InboxEntry.institution_id == institution_id,
                                                           InboxEntry.kind == KIND).order_by(InboxEntry.sequence))
        return [(entry.content, entry.media_type) for entry in entries]


def verified_payload(runtime, content: bytes) -> dict:
    """The payload of a registration event, if its JWS verifies against the gateway's certificate."""
    gateway_certificate = runtime.signer.certificate
    fingerprint = certificate_fingerprint(gateway_certificate)
    verified = verify_jws(content, trust=runtime.trust, at=utcnow(),
                          find_certificate=lambda kid: gateway_certificate if kid == fingerprint else None)
    assert verified.header["typ"] == "registration_event+jws"
    assert certificate_fingerprint(verified.certificate) == fingerprint
    return json.loads(verified.payload)


def events_of(runtime, code: str) -> list[dict]:
    """The department's registration events, each verified, in inbox order."""
    documents = inbox_events(runtime, code)
    assert all(media_type == "application/jose" for _, media_type in documents)
    return [verified_payload(runtime, content) for content, _ in documents]
