"""Supervisor API and the metrics endpoint."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from gateway.api.deps import Allowed, DbSession, Public, RuntimeDep
from gateway.api.problems import responses
from gateway.applications.deadline import local_date
from gateway.persistence.types import utcnow
from gateway.supervision import service

router = APIRouter(tags=["supervision"])


class StepRow(BaseModel):
    step: str
    group: str
    count: int
    median_seconds: float
    p90_seconds: float


@router.get("/v1/supervision/steps", response_model=list[StepRow], responses=responses(401, 403, 422))
def steps(
    session: DbSession, supervisor: Allowed("supervision.read"),
    group_by: Literal["step", "reviewer", "institution"] = "step",
    since: datetime | None = Query(None, description="Default: 30 days ago"),
    until: datetime | None = Query(None, description="Default: now"),
) -> list[StepRow]:
    """Time spent at each step, median and 90th percentile, per step, reviewer or institution."""
    now = utcnow()
    rows = service.step_statistics(session, since=since or now - timedelta(days=30), until=until or now,
                                   group_by=group_by, now=now)
    return [StepRow(**vars(r)) for r in rows]


class DeadlineRow(BaseModel):
    application_no: str
    institution_code: str
    status: str
    due_date: date
    working_days_left: int
    provisional: bool
    paused: bool


class DeadlineWatch(BaseModel):
    at_risk: list[DeadlineRow]
    overdue: list[DeadlineRow]


@router.get("/v1/supervision/deadlines", response_model=DeadlineWatch, responses=responses(401, 403))
def deadlines(runtime: RuntimeDep, session: DbSession, supervisor: Allowed("supervision.read")) -> DeadlineWatch:
    """Open applications at risk of missing their deadline, and overdue ones."""
    at_risk, overdue = service.deadline_watch(session, today=local_date(utcnow()),
                                              at_risk_days=runtime.settings.at_risk_working_days,
                                              settings=runtime.settings)
    return DeadlineWatch(at_risk=[DeadlineRow(**vars(r)) for r in at_risk],
                         overdue=[DeadlineRow(**vars(r)) for r in overdue])


@router.get("/metrics", response_class=PlainTextResponse, tags=["public"], dependencies=[Public("metrics.read")])
def metrics(runtime: RuntimeDep, session: DbSession) -> PlainTextResponse:
    """Prometheus metrics: counts only, no personal data."""
    text = service.metrics_text(session, now=utcnow(), at_risk_days=runtime.settings.at_risk_working_days,
                                settings=runtime.settings)
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4")
