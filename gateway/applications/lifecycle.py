"""Moving an application through its states, with everything that goes with a transition.

One place records the event (actor, time), closes and opens steps (全节点效能监督), stops and
restarts the deadline clock (补正, 公告) and recomputes the deadline.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.actors import Actor
from gateway.applications.deadline import refresh_deadline
from gateway.applications.records import record_event
from gateway.applications.states import PAUSED, STEP_OF, Action, Status, next_status
from gateway.persistence.models import Application, ApplicationPause, ApplicationStep
from gateway.settings import Settings


def transition(
    session: Session,
    settings: Settings,
    application: Application,
    action: Action,
    actor: Actor,
    *,
    at: datetime,
    note: dict[str, Any] | None = None,
) -> Status:
    """Apply ``action``; raises ``IllegalTransition`` (and changes nothing) when not allowed."""
    current = Status(application.status)
    target = next_status(current, action)
    application.status = target.value
    record_event(session, application, action, current, actor, at=at, note=note)
    _move_step(session, application, target, actor, at=at)
    clock_changed = _move_pause(session, application, current, target, note, at=at)
    if clock_changed:
        refresh_deadline(session, settings, application, at=at)
    return target


def open_first_step(session: Session, application: Application, *, at: datetime) -> None:
    """A newly accepted application starts waiting in the queue (one Core insert: intake's)."""
    session.execute(ApplicationStep.__table__.insert(), dict(
        application_id=application.id, institution_id=application.institution_id,
        step=STEP_OF[Status(application.status)], actor=None, started_at=at, ended_at=None,
    ))


def _move_step(session: Session, application: Application, target: Status, actor: Actor, *, at: datetime) -> None:
    open_step = session.scalar(
        select(ApplicationStep).where(
            ApplicationStep.application_id == application.id, ApplicationStep.ended_at.is_(None)
        )
    )
    if open_step is not None:
        open_step.ended_at = at
    step = STEP_OF.get(target)
    if step is not None:
        session.add(ApplicationStep(
            application_id=application.id, institution_id=application.institution_id, step=step,
            actor=actor.ref if actor.kind == "staff" and target == Status.IN_REVIEW else None,
            started_at=at,
        ))


def _move_pause(session, application, current: Status, target: Status, note, *, at: datetime) -> bool:
    changed = False
    if current in PAUSED and target not in PAUSED:
        pause = session.scalar(
            select(ApplicationPause).where(
                ApplicationPause.application_id == application.id, ApplicationPause.ended_at.is_(None)
            )
        )
        if pause is not None:
            pause.ended_at = at
            changed = True
    if target in PAUSED and current not in PAUSED:
        reason = (note or {}).get("reason") or PAUSED[target]
        session.add(ApplicationPause(application_id=application.id, kind=PAUSED[target],
                                     reason=str(reason)[:500], started_at=at))
        changed = True
    session.flush()
    return changed
