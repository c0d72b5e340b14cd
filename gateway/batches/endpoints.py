"""The batch channel over HTTP: upload a bundle (HTTP-signed), follow its progress."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from gateway import permissions
from gateway.api.deps import DbSession, RuntimeDep, SignedFor, _raw_url, declaring, request_body
from gateway.api.problems import responses
from gateway.api.times import UtcTime
from gateway.batches import service
from gateway.batches.bundle import Bundle
from gateway.batches.errors import BatchMediaType
from gateway.institutions import replay
from gateway.institutions.auth import authenticate_institution
from gateway.logs import bind_actor
from gateway.persistence.db import read_only, transaction
from gateway.persistence.types import utcnow
from gateway.runtime import Runtime

router = APIRouter(prefix="/v1", tags=["batches"])
ZIP = "application/zip"


@dataclass(frozen=True)
class Sender:
    """The institution whose registered key signed the upload."""

    id: int
    code: str


@declaring("batch.submit", *permissions.SIGNERS)
def batch_sender(request: Request, runtime: RuntimeDep) -> Sender:
    """Like every HTTP-signed call (RFC 9421, Content-Digest covered), with the batch's own body limit."""
    request.state.action = "batch.submit"
    body = request_body(request, runtime.settings.max_batch_bytes, code="batch.too_large")
    with read_only(runtime.read_sessions) as session:
        institution = authenticate_institution(
            session, method=request.method, url=_raw_url(request), headers=request.headers.items(), body=body,
            max_age_seconds=runtime.settings.http_signature_max_age_seconds, now=utcnow(), trust=runtime.trust)
        permissions.signer_grant(institution, "batch.submit")  # a department's key is refused
        sender = Sender(institution.id, institution.code)
    bind_actor(sender.code)
    return sender


class BatchAccepted(BaseModel):
    batch_id: str = Field(description="The bank's batch id, from the manifest.")
    items: int = Field(description="How many applications the bundle holds.")
    received_at: UtcTime
    status_url: str = Field(description="Where to follow the batch: GET, HTTP-signed.")


@router.post(
    "/batches",
    status_code=202,
    response_model=BatchAccepted,
    summary="Send a batch bundle (ZIP of individually signed applications and their materials)",
    responses={200: {"description": "The identical bundle was received before: the same batch, nothing new"},
               **responses(401, 403, 409, 413, 422)},
    openapi_extra={"requestBody": {"required": True, "content": {ZIP: {"schema": {"type": "string",
                                                                                   "format": "binary"}}}}},
)
async def submit_batch(request: Request, response: Response, runtime: RuntimeDep,
                       sender: Annotated[Sender, Depends(batch_sender)]) -> BatchAccepted:
    """Answered at once (202) once the whole bundle passed its checks and was stored; each item is then
    received or refused in the background, and answered by a signed receipt or refusal in the inbox."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != ZIP:
        raise BatchMediaType(extra={"expected": ZIP})
    body = request_body(request, runtime.settings.max_batch_bytes, code="batch.too_large")
    checked = await run_in_threadpool(service.check_bundle, runtime, body, institution_id=sender.id,
                                      institution_code=sender.code)
    async with runtime.write_gate():
        received = await run_in_threadpool(_store, runtime, request, sender, checked)
    response.status_code = 202 if received.created else 200
    return BatchAccepted(batch_id=received.reference, items=received.items, received_at=received.received_at,
                         status_url=f"/v1/batches/{received.reference}")


def _store(runtime: Runtime, request: Request, sender: Sender, checked: Bundle | service.Received) -> service.Received:
    """The writing step: the signature is used up, and the bundle stored — or the earlier batch answered."""
    now = utcnow()
    try:
        with transaction(runtime.sessions) as session:
            replay.use_signature(session, institution=sender, headers=request.headers.items(),
                                 max_age_seconds=runtime.settings.http_signature_max_age_seconds, now=now)
            if isinstance(checked, service.Received):
                return checked
            existing = service.find_batch(session, institution_id=sender.id, reference=checked.batch_id)
            if existing is not None:  # stored since the check, by a concurrent upload
                return service.resent(existing, checked)
            return service.store_bundle(session, runtime, checked, institution_id=sender.id, at=now)
    except IntegrityError:
        if isinstance(checked, service.Received):
            raise
        with read_only(runtime.read_sessions) as session:
            existing = service.find_batch(session, institution_id=sender.id, reference=checked.batch_id)
            if existing is None:
                raise
            return service.resent(existing, checked)


class BatchItemStatus(BaseModel):
    position: int = Field(description="1-based, the manifest's order.")
    request_id: str
    state: str = Field(description="pending, accepted or refused.")
    application_no: str | None = Field(description="When accepted: the application number of its receipt.")
    code: str | None = Field(description="When refused: the code of its signed Refusal.")
    processed_at: UtcTime | None


class BatchStatus(BaseModel):
    batch_id: str
    status: str = Field(description="processing, or completed once no item is pending.")
    received_at: UtcTime
    completed_at: UtcTime | None
    items_total: int
    pending: int
    accepted: int
    refused: int
    items: list[BatchItemStatus] = Field(description="Items after `after`, in order, at most `limit`.")
    next_after: int | None = Field(description="Pass as `after` for the next page; null on the last page.")


@router.get("/batches/{batch_id}", response_model=BatchStatus, responses=responses(401, 404))
def batch_status(batch_id: str, institution: SignedFor("batch.read"), session: DbSession,
                 after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
                 limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> BatchStatus:
    """A batch's progress and its items, page by page (HTTP-signed by the institution that sent it)."""
    found = service.progress(session, institution_id=institution.id, reference=batch_id, after=after, limit=limit)
    batch = found.batch
    return BatchStatus(
        batch_id=batch.reference, status=batch.status, received_at=batch.received_at,
        completed_at=batch.completed_at, items_total=batch.items_total, pending=found.counts["pending"],
        accepted=found.counts["accepted"], refused=found.counts["refused"],
        items=[BatchItemStatus(**item.__dict__) for item in found.items], next_after=found.next_after)
