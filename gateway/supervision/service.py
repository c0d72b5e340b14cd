"""Queries over steps and deadlines. Durations are computed in Python to stay portable."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.applications.deadline import current_deadline, load_calendar, local_date
from gateway.calendar.clock import working_days_left
from gateway.calendar.working_days import Deadline
from gateway.applications.states import FINAL, PAUSED, Status
from gateway.institutions.certificates import expiry_metrics
from gateway.persistence.models import Application, ApplicationStep, Delivery, Institution, OutboxMessage
from gateway.settings import Settings

GROUPS = ("step", "reviewer", "institution")
OPEN = tuple(s.value for s in Status if s not in FINAL)


@dataclass(frozen=True)
class StepStatistics:
    step: str
    group: str  # the step itself, a reviewer's username or an institution code
    count: int
    median_seconds: float
    p90_seconds: float


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def step_statistics(
    session: Session, *, since: datetime, until: datetime, group_by: str, now: datetime
) -> list[StepStatistics]:
    """Median and 90th percentile time per step, for steps started in [since, until)."""
    rows = session.execute(
        select(ApplicationStep, Institution.code)
        .join(Institution, Institution.id == ApplicationStep.institution_id)
        .where(ApplicationStep.started_at >= since, ApplicationStep.started_at < until)
    ).all()
    buckets: dict[tuple[str, str], list[float]] = {}
    for step, institution_code in rows:
        key = {"step": step.step, "reviewer": step.actor or "-", "institution": institution_code}[group_by]
        if group_by == "reviewer" and step.actor is None:
            continue
        seconds = ((step.ended_at or now) - step.started_at).total_seconds()
        buckets.setdefault((step.step, key), []).append(seconds)
    return [
        StepStatistics(step, key, len(values), statistics.median(values), _percentile(values, 0.9))
        for (step, key), values in sorted(buckets.items())
    ]


@dataclass(frozen=True)
class DeadlineWatch:
    application_no: str
    institution_code: str
    status: str
    due_date: date
    working_days_left: int
    provisional: bool
    paused: bool


def deadline_watch(
    session: Session, *, today: date, at_risk_days: int, settings: Settings | None = None
) -> tuple[list[DeadlineWatch], list[DeadlineWatch]]:
    """(at risk, overdue): open applications with at most ``at_risk_days`` working days left, or past due.

    The stored due date of a paused application assumes the pause ended when it was last computed;
    with ``settings`` it is recomputed as of ``today`` (the clock is stopped, the deadline moves on).
    """
    calendar = load_calendar(session)
    at_risk, overdue = [], []
    rows = session.execute(
        select(Application, Institution.code).join(Institution).where(Application.status.in_(OPEN))
        .order_by(Application.due_date, Application.id)
    ).all()
    for application, code in rows:
        paused = Status(application.status) in PAUSED
        deadline = Deadline(application.due_date, application.deadline_provisional)
        if paused and settings is not None:
            deadline = current_deadline(session, settings, application, today=today)
        left = working_days_left(deadline, today, calendar)
        entry = DeadlineWatch(application.application_no, code, application.status, deadline.due, left,
                              deadline.provisional, paused)
        if left < 0:
            overdue.append(entry)
        elif left <= at_risk_days and not entry.paused:
            at_risk.append(entry)
    return at_risk, overdue


def metrics_text(session: Session, *, now: datetime, at_risk_days: int, settings: Settings | None = None) -> str:
    """Prometheus text exposition of the gauges supervisors and operators watch."""
    lines = ["# HELP gateway_applications Applications by status.", "# TYPE gateway_applications gauge"]
    counts = dict(session.execute(select(Application.status, func.count()).group_by(Application.status)).all())
    for status in Status:
        lines.append(f'gateway_applications{{status="{status.value}"}} {counts.get(status.value, 0)}')
    at_risk, overdue = deadline_watch(session, today=local_date(now), at_risk_days=at_risk_days, settings=settings)
    provisional = session.scalar(select(func.count()).select_from(Application).where(
        Application.deadline_provisional.is_(True), Application.status.in_(OPEN))) or 0
    lines += [
        "# HELP gateway_applications_at_risk Open applications close to their deadline.",
        "# TYPE gateway_applications_at_risk gauge", f"gateway_applications_at_risk {len(at_risk)}",
        "# HELP gateway_applications_overdue Open applications past their deadline.",
        "# TYPE gateway_applications_overdue gauge", f"gateway_applications_overdue {len(overdue)}",
        "# HELP gateway_deadlines_provisional Open applications whose deadline is provisional (calendar year not loaded).",
        "# TYPE gateway_deadlines_provisional gauge", f"gateway_deadlines_provisional {provisional}",
        "# HELP gateway_deliveries Callback deliveries by status.", "# TYPE gateway_deliveries gauge",
    ]
    deliveries = dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    for status in ("pending", "delivered", "dead"):
        lines.append(f'gateway_deliveries{{status="{status}"}} {deliveries.get(status, 0)}')
    unsent = session.execute(select(func.count(), func.min(OutboxMessage.created_at))
                             .where(OutboxMessage.dispatched_at.is_(None))).one()
    oldest = max(0.0, (now - unsent[1]).total_seconds()) if unsent[1] is not None else 0.0
    lines += [
        "# HELP gateway_outbox_unsent Background tasks written but not yet handed to the task runner.",
        "# TYPE gateway_outbox_unsent gauge", f"gateway_outbox_unsent {unsent[0]}",
        "# HELP gateway_outbox_oldest_unsent_seconds Age of the oldest unsent background task (0 when none).",
        "# TYPE gateway_outbox_oldest_unsent_seconds gauge", f"gateway_outbox_oldest_unsent_seconds {oldest:.0f}",
    ]
    warning_days = (settings.certificate_expiry_warning_days if settings
                    else Settings.model_fields["certificate_expiry_warning_days"].default)
    lines += expiry_metrics(session, now=now, within_days=warning_days)
    return "\n".join(lines) + "\n"
