"""Departments pushing records in the integration tests: the tax bureau and the housing bureau onboarded
on a seeded runtime, their signed HTTP clients, record bodies, and what the database holds afterwards."""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select

from bank_adapters import IdType, Party
from gateway.audit.models import AuditEntry
from gateway.department_records.models import DepartmentRecord
from gateway.institutions.service import add_institution
from gateway.persistence.db import transaction
from gateway.persistence.models import ApplicationEvent
from gateway.persistence.types import utcnow
from signing.httpsig import HttpSignatureAuth
from signing.jws import verify_jws
from signing.trust import TrustStore, certificate_fingerprint, load_pem_certificates
from tests.support import factories, scenarios as s

UNIT = factories.UNIT_CODE
OFF_PLAN = s.OFF_PLAN_CODE
SELLERS = (s.WANG, s.LI)  # the recorded owners of UNIT
BUYERS = (Party("赵志强", IdType.RESIDENT_ID, "64022119900101001X"),
          Party("孙丽", IdType.RESIDENT_ID, "640221199203040022"))
SALE_CONTRACT_NO = "WQ2026-000456"
OFF_PLAN_CONTRACT_NO = "WQ2026-000789"
TAX_PATH, CONTRACT_PATH = "/v1/departments/tax-records", "/v1/departments/contracts"


@dataclass(frozen=True)
class Department:
    code: str
    auth: HttpSignatureAuth


def signer(identity) -> HttpSignatureAuth:
    return HttpSignatureAuth(key_id=identity.fingerprint, private_key=identity.key)


def add_departments(runtime, pki) -> tuple[Department, Department]:
    """The tax bureau and the housing bureau, registered with their keys; the off-plan flat in the register."""
    with transaction(runtime.sessions) as session:
        add_institution(session, code=factories.TAX_BUREAU_CODE, name="国家税务总局平罗县税务局", kind="department",
                        cert_pem=pki.tax_bureau.cert_pem, trust=runtime.trust, department_role="tax_bureau")
        add_institution(session, code=factories.HOUSING_BUREAU_CODE, name="平罗县住房和城乡建设局", kind="department",
                        cert_pem=pki.housing_bureau.cert_pem, trust=runtime.trust, department_role="housing_bureau")
        s.add_off_plan_flat(session)
    return (Department(factories.TAX_BUREAU_CODE, signer(pki.tax_bureau)),
            Department(factories.HOUSING_BUREAU_CODE, signer(pki.housing_bureau)))


def parties(people) -> list[dict]:
    return [{"name": p.name, "id_type": p.id_type.value, "id_number": p.id_number} for p in people]


def tax_record(record_no: str = "PL-TAX-2026-000123", **overrides) -> dict:
    return {"record_no": record_no, "status": "PAID", "unit_code": UNIT, "sale_contract_no": SALE_CONTRACT_NO,
            "taxpayers": parties(BUYERS), "tax_amount": "18000.00", "decided_on": "2026-12-01", **overrides}


def filed_contract(**overrides) -> dict:
    return {"contract_no": OFF_PLAN_CONTRACT_NO, "unit_code": OFF_PLAN, "buyers": parties(SELLERS),
            "price": "680000.00", "filed_on": "2026-11-20", "status": "FILED", **overrides}


def push(client, path: str, department: Department, body: dict | bytes):
    content = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return client.post(path, content=content, headers={"Content-Type": "application/json"}, auth=department.auth)


def receipt(response, pki) -> dict:
    """The receipt's payload, after verifying the gateway's signature as a department would."""
    assert response.headers["content-type"].startswith("application/jose"), response.text
    pinned = pki.gateway.certificate
    verified = verify_jws(response.content, at=utcnow(),
                          trust=TrustStore(anchors=tuple(load_pem_certificates(pki.ca_path.read_bytes()))),
                          find_certificate=lambda kid: pinned if kid == certificate_fingerprint(pinned) else None)
    assert verified.header["typ"] == "department_record_receipt+jws"
    return json.loads(verified.payload)


@dataclass(frozen=True)
class Stored:
    records: int
    record_audit_entries: int
    department_events: int


def stored(runtime) -> Stored:
    """What pushing a record writes: records, their audit entries, the applications' events."""
    with transaction(runtime.sessions) as session:
        return Stored(
            session.scalar(select(func.count()).select_from(DepartmentRecord)),
            session.scalar(select(func.count()).select_from(AuditEntry)
                           .where(AuditEntry.action.like("department_record.%"))),
            session.scalar(select(func.count()).select_from(ApplicationEvent)
                           .where(ApplicationEvent.action == "department_record")),
        )


NOTHING = Stored(0, 0, 0)


def records(runtime) -> list[DepartmentRecord]:
    with transaction(runtime.sessions) as session:
        rows = list(session.scalars(select(DepartmentRecord).order_by(DepartmentRecord.id)))
        for row in rows:
            _ = (row.body, row.facts, row.signature_headers)  # loaded before the session closes
        session.expunge_all()
        return rows


def json_bytes(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()
