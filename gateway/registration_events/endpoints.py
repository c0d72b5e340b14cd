"""HTTP routes of this package: a department's subscription to registration events.

The events themselves arrive in the department's inbox (``GET /v1/inbox``) and on its callback URL.
"""
from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from gateway.api.deps import DbSession, SignedFor
from gateway.api.problems import responses
from gateway.api.times import UtcTime
from gateway.departments.roles import refuse_other_signer
from gateway.errors import InvalidRequest
from gateway.persistence.types import utcnow
from gateway.registration_events import subscriptions as service
from gateway.registration_events.models import REGISTRATION_EVENTS

router = APIRouter(prefix="/v1/departments/subscriptions", tags=["departments"])


class SubscriptionOut(BaseModel):
    topic: str = Field(description="registration-events")
    active: bool
    subscribed_at: UtcTime | None = Field(description="when the subscription (last) started; null if never")
    ended_at: UtcTime | None = Field(description="when the department stopped it; null while active")
    origin: str | None = Field(description="default (given at the department's creation) or department (its own "
                                           "request); null if never subscribed")


class SubscriptionList(BaseModel):
    department: str
    subscriptions: list[SubscriptionOut]


def _out(view: service.SubscriptionView) -> SubscriptionOut:
    return SubscriptionOut(**view.__dict__)


def _check_body(request: Request, department) -> None:
    """A department first, then the optional body ``{"department": "<code>"}``: the signer's own code."""
    service.require_department(department)
    body = getattr(request.state, "body", b"") or b""
    if not body.strip():
        return
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict) or set(document) - {"department"}:
        raise InvalidRequest('the body, when sent, is {"department": "<your code>"}')
    refuse_other_signer(department, document.get("department"))


@router.get("", response_model=SubscriptionList, responses=responses(401, 403))
def subscriptions(department: SignedFor("department.subscribe"), session: DbSession) -> SubscriptionList:
    """Your subscriptions, ended ones included (403 ``subscription.not_department`` for a bank)."""
    views = service.subscriptions_of(session, institution=department)
    return SubscriptionList(department=department.code, subscriptions=[_out(v) for v in views])


@router.put("/registration-events", response_model=SubscriptionOut, status_code=201,
            responses=responses(401, 403, 422))
def subscribe(request: Request, response: Response, department: SignedFor("department.subscribe"),
              session: DbSession) -> SubscriptionOut:
    """Receive every registration entered from now on (201; 200 if already subscribed)."""
    _check_body(request, department)
    view, started = service.subscribe(session, institution=department, topic=REGISTRATION_EVENTS, at=utcnow())
    if not started:
        response.status_code = 200
    return _out(view)


@router.delete("/registration-events", response_model=SubscriptionOut, responses=responses(401, 403, 422))
def unsubscribe(request: Request, department: SignedFor("department.subscribe"), session: DbSession) -> SubscriptionOut:
    """Stop receiving registration events (events already written for you are still delivered)."""
    _check_body(request, department)
    return _out(service.unsubscribe(session, institution=department, topic=REGISTRATION_EVENTS, at=utcnow()))
