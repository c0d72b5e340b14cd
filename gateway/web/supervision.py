"""The supervisors' dashboard (全节点效能监督): states, time at each step, overdue and at-risk lists."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.api.deps import RuntimeDep
from gateway.applications.states import STEP_OF, Status
from gateway.persistence.models import Application, Institution
from gateway.persistence.types import utcnow
from gateway.supervision.service import OPEN, StepStatistics, deadline_watch, step_statistics
from gateway.timezone import LOCAL_TZ
from gateway.web import views
from gateway.web.auth import Allowed, WebDb
from gateway.web.charts import bar_chart
from gateway.web.labels import STATUS_ZH, STEP_ZH, duration
from gateway.web.routing import render, web_router

router = web_router()
PRESETS = (7, 30, 90)
STEP_ORDER = tuple(STEP_OF.values())


@dataclass(frozen=True)
class Period:
    start: date  # first local day, inclusive
    end: date  # last local day, inclusive

    @classmethod
    def of(cls, since: str, until: str, days: int | None, today: date) -> Period:
        """From explicit dates, or the last ``days`` days (30 by default); never reversed or in the future."""
        try:
            end = min(date.fromisoformat(until), today) if until else today
            start = date.fromisoformat(since) if since else end - timedelta(days=(days or 30) - 1)
        except ValueError:
            end, start = today, today - timedelta(days=29)
        return cls(min(start, end), end)

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC instants, whole local days."""
        return (datetime.combine(self.start, time(), LOCAL_TZ),
                datetime.combine(self.end + timedelta(days=1), time(), LOCAL_TZ))


def status_counts(session: Session, since: datetime, until: datetime) -> dict[str, int]:
    """Applications received in the period, by their state now."""
    rows = session.execute(select(Application.status, func.count()).where(
        Application.received_at >= since, Application.received_at < until).group_by(Application.status)).all()
    counts = dict(rows)
    return {s.value: counts.get(s.value, 0) for s in Status}


def _step_rows(stats: list[StepStatistics], names: dict[str, str], *, grouped: bool = True) -> list[dict]:
    """Table rows by group, then in the order the steps happen."""
    order = {step: i for i, step in enumerate(STEP_ORDER)}
    ordered = sorted(stats, key=lambda s: (s.group if grouped else "", order.get(s.step, 99)))
    return [{"step": s.step, "group": names.get(s.group, s.group), "count": s.count, "median": s.median_seconds,
             "p90": s.p90_seconds} for s in ordered]


def _charts(counts: dict[str, int], by_step: list[StepStatistics]):
    states = bar_chart("本期受理申请的当前状态（件）",
                       [(STATUS_ZH[s], [n], [str(n)]) for s, n in counts.items()])
    ordered = sorted(by_step, key=lambda s: STEP_ORDER.index(s.step) if s.step in STEP_ORDER else 99)
    steps = bar_chart("各环节用时（中位数与90%分位）",
                      [(STEP_ZH.get(s.step, s.step), [s.median_seconds / 3600, s.p90_seconds / 3600],
                        [duration(s.median_seconds), duration(s.p90_seconds)]) for s in ordered],
                      series=("中位数", "90%分位"))
    return states, steps


@router.get("/supervision")
def dashboard(request: Request, runtime: RuntimeDep, db: WebDb,
              supervisor: Allowed("supervision.read"), since: str = "",
              until: str = "", days: int | None = None) -> Response:
    period = Period.of(since, until, days, views.today())
    start, end = period.bounds()
    now = utcnow()
    stats = {group: step_statistics(db, since=start, until=end, group_by=group, now=now)
             for group in ("step", "institution", "reviewer")}
    names = dict(db.execute(select(Institution.code, Institution.name)).all())
    counts = status_counts(db, start, end)
    at_risk, overdue = deadline_watch(db, today=views.today(), at_risk_days=runtime.settings.at_risk_working_days,
                                      settings=runtime.settings)
    states_chart, steps_chart = _charts(counts, stats["step"])
    return render(request, "supervision/dashboard.html", {
        "period": period, "presets": PRESETS, "days": days, "counts": counts, "total": sum(counts.values()),
        "states_chart": states_chart, "steps_chart": steps_chart, "by_step": _step_rows(stats["step"], {}, grouped=False),
        "by_institution": _step_rows(stats["institution"], names), "by_reviewer": _step_rows(stats["reviewer"], {}),
        "at_risk": at_risk, "overdue": overdue, "institution_names": names,
        "open_now": db.scalar(select(func.count()).select_from(Application).where(Application.status.in_(OPEN))),
    })
