"""The gateway's department ports as a department calls them (docs/interface/departments.md): every
call HTTP-signed with the department's key, every answer that is a signed document verified against
the pinned gateway certificate before anything in it is used."""
from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from .api import GatewayApi, expect
from .documents import DocumentVerifier, VerifiedDocument
from .errors import ConfigError, VerificationFailed

MEMBER_ROLES = ("APPLICANT", "SPOUSE", "CHILD")
SUBSCRIPTION = "/v1/departments/subscriptions/registration-events"


def member(value: str) -> dict:
    """``ROLE:ID_TYPE:ID_NUMBER`` (e.g. ``APPLICANT:RESIDENT_ID:640221…``) as a query's family member.

    The role is checked here only for its spelling; the gateway applies the family rule."""
    role, _, rest = value.partition(":")
    id_type, _, id_number = rest.partition(":")
    if not (role and id_type and id_number):
        raise ConfigError(f"--member {_position_hint(value)}: expected ROLE:ID_TYPE:ID_NUMBER "
                          f"(ROLE one of {', '.join(MEMBER_ROLES)})")
    return {"role": role.upper(), "id_type": id_type.upper(), "id_number": id_number}


def _position_hint(value: str) -> str:
    # Never echo an ID number: show only the role part of what was given.
    return repr(value.split(":")[0] + ":…") if ":" in value else "(malformed)"


@dataclass(frozen=True)
class SignedAnswer:
    """A verified signed answer: the HTTP status, the document (exact bytes and signed payload)."""

    http_status: int
    document: VerifiedDocument

    @property
    def payload(self) -> dict:
        return self.document.fields


class DepartmentApi(GatewayApi):
    """The bank client's API (signed client, inbox, acknowledgement) plus the department ports."""

    def __init__(self, config, identity, verifier: DocumentVerifier, *, on_behalf_of: str | None = None,
                 transport: httpx.BaseTransport | None = None):
        super().__init__(config, identity, transport=transport)
        self.verifier = verifier
        self.department = config.institution
        # Normally absent: the signer is the department. ``--as`` sends another code, which the
        # gateway refuses (department.signer_mismatch) — kept to check that it does.
        self.on_behalf_of = on_behalf_of

    def _body(self, fields: dict) -> dict:
        return {**fields, **({"department": self.on_behalf_of} if self.on_behalf_of else {})}

    # Query ports.
    def family_housing(self, *, purpose: str | None, case_reference: str | None, members: list[dict]) -> SignedAnswer:
        body = self._body({"purpose": purpose, "case_reference": case_reference, "members": members})
        return self._query("/v1/departments/queries/family-housing", body)

    def unit_extract(self, *, purpose: str | None, case_reference: str | None, unit_code: str) -> SignedAnswer:
        body = self._body({"purpose": purpose, "case_reference": case_reference, "unit_code": unit_code})
        return self._query("/v1/departments/queries/unit-extract", body)

    def _query(self, path: str, body: dict) -> SignedAnswer:
        body = {key: value for key, value in body.items() if value is not None}
        response = expect(self.signed.post(path, json=body), 200)
        answer = SignedAnswer(response.status_code, self._verify(response))
        payload = answer.payload
        for key in ("purpose", "case_reference"):
            if payload.get(key) != body.get(key):
                raise VerificationFailed(f"the signed answer's {key} is not the one asked")
        if payload.get("department") not in (None, self.department):
            raise VerificationFailed("the signed answer names another department")
        header = response.headers.get("x-query-id")
        if header and str(payload.get("query_id")) != header:
            raise VerificationFailed("the signed answer's query_id is not the X-Query-Id header's")
        return answer

    # Registration events.
    def subscribe(self) -> httpx.Response:
        return expect(self.signed.put(SUBSCRIPTION, json=self._body({})), 200, 201)

    def unsubscribe(self) -> httpx.Response:
        return expect(self.signed.delete(SUBSCRIPTION), 200, 204)

    def department_subscriptions(self) -> httpx.Response:
        return expect(self.signed.get("/v1/departments/subscriptions"), 200)

    # Records pushed in.
    def push_record(self, kind: str, body: bytes) -> SignedAnswer:
        """POST a tax record or a filed contract exactly as the file holds it (the gateway keeps these
        bytes as evidence); verify the signed receipt."""
        path = {"tax-record": "/v1/departments/tax-records", "contract": "/v1/departments/contracts"}[kind]
        try:
            record = json.loads(body)
        except ValueError:
            raise ConfigError(f"the {kind} file is not JSON") from None
        if not isinstance(record, dict):
            raise ConfigError(f"the {kind} file must hold one JSON object")
        if self.on_behalf_of:
            record["department"] = self.on_behalf_of
            body = json.dumps(record, ensure_ascii=False).encode("utf-8")
        response = expect(self.signed.post(path, content=body, headers={"Content-Type": "application/json"}), 200, 201)
        answer = SignedAnswer(response.status_code, self._verify(response))
        number_field = "record_no" if kind == "tax-record" else "contract_no"
        signed_number = answer.payload.get(number_field)
        if signed_number is not None and signed_number != record.get(number_field):
            raise VerificationFailed(f"the signed receipt names another {number_field}")
        return answer

    def _verify(self, response: httpx.Response) -> VerifiedDocument:
        return self.verifier.verify(response.content, response.headers.get("content-type") or "application/jose")
