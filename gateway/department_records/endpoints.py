"""HTTP routes: departments push deed-tax records and filed sale contracts (docs/interface/departments.md).

The body is read whole before the signature is checked, parsed by :mod:`.schemas` (so every refusal
carries a ``record.*`` code), and kept verbatim with its signature headers. The answer is a signed
receipt: 201 for a new record (a conflicting version included, flagged), 200 for the same content again.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.api.deps import DbSession, RuntimeDep, SignedFor, _raw_url
from gateway.api.problems import responses
from gateway.department_records import receipts, service
from gateway.logs import current_request_id
from gateway.persistence.types import utcnow

router = APIRouter(prefix="/v1/departments", tags=["departments"])

_RECEIPT = {"description": "The signed receipt: a compact JWS (docs/interface/departments.md).",
            "content": {receipts.MEDIA_TYPE: {"schema": {"type": "string"}}}}
_ANSWERS = {200: {**_RECEIPT, "description": "The same record (same content) was received before: its receipt."},
            201: _RECEIPT, **responses(401, 403, 422)}
_BODY = {"description": "The record as JSON; kept verbatim as evidence.", "required": True,
         "content": {"application/json": {"schema": {"type": "object"}}}}


def _receive(kind: str, request: Request, runtime, session, institution) -> Response:
    received = service.receive(
        session, kind=kind, institution=institution, body=request.state.body, method=request.method,
        url=_raw_url(request), headers={k.lower(): v for k, v in request.headers.items()}, at=utcnow(),
        request_id=current_request_id())
    return Response(receipts.signed_receipt(runtime, received, institution), media_type=receipts.MEDIA_TYPE,
                    status_code=201 if received.created else 200,
                    headers={"X-Record-Id": received.record.record_id})


@router.post("/tax-records", status_code=201, response_class=Response, responses=_ANSWERS,
             openapi_extra={"requestBody": _BODY})
def submit_tax_record(request: Request, runtime: RuntimeDep, session: DbSession,
                      institution: SignedFor("department.records.submit")) -> Response:
    """A deed-tax record (契税 完税 / 免税 / 不征税) from the tax bureau."""
    return _receive("tax", request, runtime, session, institution)


@router.post("/contracts", status_code=201, response_class=Response, responses=_ANSWERS,
             openapi_extra={"requestBody": _BODY})
def submit_contract(request: Request, runtime: RuntimeDep, session: DbSession,
                    institution: SignedFor("department.records.submit")) -> Response:
    """A filed sale contract (网签备案) from the housing bureau."""
    return _receive("contract", request, runtime, session, institution)
