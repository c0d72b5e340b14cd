"""The query ports' test world: the three departments registered as the administrator does (with their
roles' default purposes), a register with what each purpose may or may not see, and the department's
side of a query — signed request, verified answer.

The family: 王建国 (APPLICANT) and 李秀梅 (SPOUSE) own the test unit (1/2 each, a mortgage in force, a
seizure, an objection, a purchase pre-notice); 王建国 also owns a second flat alone and a shop
(non-residential: never in a family-housing answer). The children own nothing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select

from gateway.audit.models import AuditEntry
from gateway.departments.models import DepartmentQuery, InstitutionPurpose
from gateway.institutions.administration import create_institution
from gateway.persistence.db import transaction
from gateway.persistence.types import utcnow
from signing.httpsig import HttpSignatureAuth
from signing.jws import verify_jws
from signing.trust import certificate_fingerprint
from tests.support import factories
from tests.support.onboarding import DEPARTMENT_NAMES
from tests.support.register import add_encumbrance, add_mortgage, add_unit

FAMILY = "/v1/departments/queries/family-housing"
EXTRACT = "/v1/departments/queries/unit-extract"
SECOND_FLAT = "640221001001GB00012F00010002"
SHOP = "640221001001GB00012F00010003"
UNKNOWN_UNIT = "640221001001GB00012F00019999"
APPLICANT, SPOUSE = factories.application().mortgagors


def _check_character(body: str) -> str:
    """GB 11643's ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(body))
    return "10X98765432"[total % 11]


CHILDREN = tuple(body + _check_character(body) for body in (
    "64022120150304001", "64022120180611002", "64022120190101003", "64022120200202004", "64022120210303005"))


@dataclass(frozen=True)
class Department:
    role: str
    code: str
    identity: object

    @property
    def auth(self) -> HttpSignatureAuth:
        return HttpSignatureAuth(key_id=self.identity.fingerprint, private_key=self.identity.key)


def departments(pki) -> dict[str, Department]:
    return {"tax_bureau": Department("tax_bureau", factories.TAX_BUREAU_CODE, pki.tax_bureau),
            "housing_bureau": Department("housing_bureau", factories.HOUSING_BUREAU_CODE, pki.housing_bureau),
            "fund_centre": Department("fund_centre", factories.FUND_CENTRE_CODE, pki.fund_centre)}


def add_departments(runtime, pki) -> dict[str, Department]:
    """The three departments, registered like the admin API and CLI do (default purposes, subscriptions)."""
    found = departments(pki)
    with transaction(runtime.sessions) as session:
        for department in found.values():
            create_institution(session, actor="test", request_id=None, code=department.code,
                               name=DEPARTMENT_NAMES[department.role], kind="department",
                               cert_pem=department.identity.cert_pem, trust=runtime.trust,
                               department_role=department.role)
    return found


def add_register(runtime) -> None:
    """Beyond the seeded test unit (owned by the applicant and spouse): see the module docstring."""
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no="宁(2025)平罗县不动产证明第0000077号")
        add_encumbrance(session, "SEIZURE", reference="(2026)宁0221执保1号")
        add_encumbrance(session, "OBJECTION", reference="异议2026-01")
        add_encumbrance(session, "PURCHASE_PRE_NOTICE", reference="预告2026-01")
        add_unit(session, SECOND_FLAT, owners=[(APPLICANT, "1/1")])
        add_unit(session, SHOP, owners=[(APPLICANT, "1/1")], use="NON_RESIDENTIAL")


def member(role: str, id_number: str, id_type: str = "RESIDENT_ID") -> dict:
    return {"role": role, "id_type": id_type, "id_number": id_number}


def family(purpose: str = "DEED_TAX_RELIEF", *members: dict, **extra) -> dict:
    members = members or (member("APPLICANT", APPLICANT.id_number), member("SPOUSE", SPOUSE.id_number))
    return {"purpose": purpose, "case_reference": "QS-2026-0001", "members": list(members), **extra}


def extract(purpose: str = "TRANSFER_TAX_CHECK", unit_code: str = factories.UNIT_CODE, **extra) -> dict:
    return {"purpose": purpose, "case_reference": "QS-2026-0002", "unit_code": unit_code, **extra}


def ask(client, department: Department, path: str, body: dict):
    return client.post(path, content=json.dumps(body, ensure_ascii=False).encode(),
                       headers={"Content-Type": "application/json"}, auth=department.auth)


def verified(runtime, response) -> dict:
    """The answer's payload, once its JWS verifies against the gateway's certificate (and chains)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/jose")
    certificate = runtime.signer.certificate
    fingerprint = certificate_fingerprint(certificate)
    checked = verify_jws(response.content, trust=runtime.trust, at=utcnow(),
                         find_certificate=lambda kid: certificate if kid == fingerprint else None)
    assert checked.header["typ"] == "department_answer+jws" and checked.header["alg"] == "PS256"
    payload = json.loads(checked.payload)
    assert payload["query_id"] == response.headers["X-Query-Id"]
    return payload


def stored(runtime) -> tuple[int, int]:
    """(rows in department_queries, audit entries of department queries)."""
    with transaction(runtime.sessions) as session:
        return (session.scalar(select(func.count()).select_from(DepartmentQuery)),
                session.scalar(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "department.query")))


def purposes_in_db(runtime, institution_id: int) -> list[str]:
    with transaction(runtime.sessions) as session:
        return sorted(session.scalars(select(InstitutionPurpose.purpose)
                                      .where(InstitutionPurpose.institution_id == institution_id)))
