"""HTTP routes of this package: pull the inbox, acknowledge it (both HTTP-signed by the institution)."""
from __future__ import annotations

import base64

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from gateway import audit
from gateway.api.deps import DbSession, RuntimeDep, SignedFor
from gateway.api.problems import responses
from gateway.api.times import UtcTime
from gateway.audit.reads import note_read
from gateway.inbox import pulling
from gateway.inbox.cursors import MAX_CURSOR_CHARS, cursor_keys
from gateway.persistence.models import Application
from gateway.persistence.types import utcnow

router = APIRouter(prefix="/v1", tags=["inbox"])


class InboxEntryOut(BaseModel):
    cursor: str = Field(description="The position just after this entry: pass it as `after`, or acknowledge it.")
    sequence: int = Field(description="1, 2, 3, … per institution, no gap, no repeat.")
    kind: str = Field(description="receipt | refusal | supplement_request | result | certificate | watch_notice "
                                  "| statement | registration_event (departments)")
    application_no: str | None
    created_at: UtcTime
    media_type: str = Field(description="application/xml (XMLDSig) or application/jose (JWS compact)")
    sha256: str = Field(description="SHA-256 (hex) of the signed bytes in `document`")
    document: str = Field(description="The exact signed bytes, base64")


class InboxPage(BaseModel):
    entries: list[InboxEntryOut]
    next_cursor: str = Field(description="Pass as `after` for the next page (the same cursor when the page is empty).")
    more: bool = Field(description="True: more entries are already waiting after this page.")
    acknowledged: str | None = Field(description="The acknowledged position's cursor; null: nothing acknowledged yet.")


class AcknowledgeIn(BaseModel):
    cursor: str = Field(min_length=1, max_length=MAX_CURSOR_CHARS)


class Acknowledged(BaseModel):
    acknowledged: str = Field(description="The acknowledged position's cursor (unchanged by an older cursor).")
    acknowledged_sequence: int


@router.get("/inbox", response_model=InboxPage, responses=responses(400, 401, 422))
def pull(request: Request, session: DbSession, runtime: RuntimeDep, institution: SignedFor("inbox.read"),
         after: str | None = Query(None, max_length=MAX_CURSOR_CHARS,
                                   description="A cursor from an earlier page; omitted: after the acknowledged position."),
         limit: int = Query(pulling.DEFAULT_LIMIT, ge=1, le=pulling.MAX_LIMIT)) -> InboxPage:
    """Every signed document for the institution, in order, after ``after``."""
    page = pulling.read_page(session, cursor_keys(runtime.settings), institution_id=institution.id, after=after,
                             limit=limit)
    _note_reads(request, session, institution, {e.application_id for e in page.entries if e.application_id})
    return InboxPage(
        entries=[InboxEntryOut(
            cursor=e.cursor, sequence=e.sequence, kind=e.kind, application_no=e.application_no,
            created_at=e.created_at, media_type=e.media_type, sha256=e.sha256,
            document=base64.b64encode(e.document).decode("ascii"),
        ) for e in page.entries],
        next_cursor=page.next_cursor, more=page.more, acknowledged=page.acknowledged,
    )


def _note_reads(request: Request, session, institution, application_ids: set[int]) -> None:
    """The audit trail records who read an application's documents, here as anywhere (one entry per
    application on the page; entries about no application carry no personal data)."""
    if not application_ids:
        return
    for application in session.scalars(select(Application).where(Application.id.in_(application_ids))
                                       .order_by(Application.id)):
        note_read(request, audit.read_of(application, actor=institution.code, actor_role="institution", what="inbox"))


@router.post("/inbox/ack", response_model=Acknowledged, responses=responses(400, 401, 422))
def acknowledge(body: AcknowledgeIn, session: DbSession, runtime: RuntimeDep,
                institution: SignedFor("inbox.acknowledge")) -> Acknowledged:
    """Acknowledge every entry up to ``cursor``; an older cursor than the acknowledged one changes nothing."""
    keys = cursor_keys(runtime.settings)
    sequence = pulling.acknowledge(session, keys, institution_id=institution.id, cursor=body.cursor, at=utcnow())
    return Acknowledged(acknowledged=keys.make(institution.id, sequence), acknowledged_sequence=sequence)
