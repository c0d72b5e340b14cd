"""HTTP routes of this package: an institution's own monthly figures and signed statement; every
institution's figures for supervisors (docs/interface/quality.md)."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.api.deps import Allowed, DbSession, RuntimeDep, SignedFor
from gateway.api.problems import responses
from gateway.persistence.types import utcnow
from gateway.quality.figures import compute
from gateway.quality.months import Month
from gateway.quality.schemas import QualityFiguresOut, SupervisionQualityOut
from gateway.quality.statement import signed_statement
from gateway.timezone import LOCAL_TZ

router = APIRouter(prefix="/v1", tags=["quality"])


def _month(text: str, now) -> Month:
    return Month.parse(text, today=now.astimezone(LOCAL_TZ).date())


@router.get("/quality/{month}", response_model=QualityFiguresOut, responses=responses(400, 401))
def own_figures(month: str, institution: SignedFor("quality.read_own"), runtime: RuntimeDep,
                session: DbSession) -> QualityFiguresOut:
    """The signing institution's figures for a month (``YYYY-MM``, Beijing time)."""
    now = utcnow()
    figures = compute(session, runtime.settings, _month(month, now), now=now, institution_id=institution.id)
    return QualityFiguresOut.of_month(figures)


@router.get("/quality/{month}/statement", response_class=Response, responses={
    200: {"description": "The signed Statement", "content": {"application/xml": {}, "application/jose": {}}},
    **responses(400, 401)})
def own_statement(month: str, institution: SignedFor("quality.read_own"), runtime: RuntimeDep,
                  session: DbSession) -> Response:
    """The same figures as a ``Statement`` signed by the gateway (XMLDSig, or JWS for a JSON institution)."""
    now = utcnow()
    figures = compute(session, runtime.settings, _month(month, now), now=now, institution_id=institution.id)
    signed, media_type = signed_statement(runtime, institution, figures, issued_at=now)
    return Response(signed, media_type=media_type)


@router.get("/supervision/quality", response_model=SupervisionQualityOut, tags=["supervision"],
            responses=responses(400, 401, 403))
def all_figures(supervisor: Allowed("quality.read_all"), runtime: RuntimeDep, session: DbSession,
                month: str | None = None) -> SupervisionQualityOut:
    """Every institution's figures for a month (default: the current month)."""
    now = utcnow()
    chosen = _month(month, now) if month is not None else Month.of(now.astimezone(LOCAL_TZ).date())
    return SupervisionQualityOut.of_month(compute(session, runtime.settings, chosen, now=now))
