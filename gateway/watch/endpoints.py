"""HTTP routes of this package: an institution's title-watch subscriptions (docs/interface/watch.md).

The notices themselves arrive in the inbox (``GET /v1/inbox``) and on the callback URL.
"""
from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from gateway.api.deps import DbSession, PathId, SignedFor
from gateway.api.problems import responses
from gateway.api.times import UtcTime
from gateway.persistence.types import utcnow
from gateway.watch import service

router = APIRouter(prefix="/v1", tags=["watch"])

UNIT_CODE = r"^[0-9]{12}[A-Z]{2}[0-9]{5}[A-Z][0-9]{8}$"


class SubscriptionIn(BaseModel):
    unit_code: str = Field(pattern=UNIT_CODE, description="The 28-character unit code to watch.")
    application_no: str = Field(pattern=r"^[0-9]{20}$",
                                description="Your application in progress on that unit.")


class SubscriptionOut(BaseModel):
    id: int
    unit_code: str
    application_no: str
    active: bool
    created_at: UtcTime
    ended_at: UtcTime | None
    end_reason: str | None = Field(description="cancelled (by you) or decided (the application was decided)")


class SubscriptionList(BaseModel):
    subscriptions: list[SubscriptionOut]


def _out(view: service.SubscriptionView) -> SubscriptionOut:
    return SubscriptionOut(**view.__dict__)


@router.post("/watch/subscriptions", response_model=SubscriptionOut, status_code=201,
             responses=responses(401, 404, 409, 422))
def subscribe(body: SubscriptionIn, response: Response, institution: SignedFor("watch.subscribe"),
              session: DbSession) -> SubscriptionOut:
    """Watch a unit while your application on it is in progress (201; 200 if already watched)."""
    view, created = service.subscribe(session, institution=institution, unit_code=body.unit_code,
                                      application_no=body.application_no, at=utcnow())
    if not created:
        response.status_code = 200
    return _out(view)


@router.get("/watch/subscriptions", response_model=SubscriptionList, responses=responses(401))
def subscriptions(institution: SignedFor("watch.read"), session: DbSession) -> SubscriptionList:
    """Your subscriptions, oldest first, ended ones included."""
    return SubscriptionList(subscriptions=[_out(v) for v in service.subscriptions_of(session, institution=institution)])


@router.delete("/watch/subscriptions/{subscription_id}", response_model=SubscriptionOut,
               responses=responses(401, 404))
def end_subscription(subscription_id: PathId, institution: SignedFor("watch.subscribe"),
                     session: DbSession) -> SubscriptionOut:
    """Stop watching (the mortgage watch of a registered mortgage is not affected)."""
    return _out(service.cancel(session, institution=institution, subscription_id=subscription_id, at=utcnow()))
