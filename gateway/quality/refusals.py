"""Refusals at intake, recorded for the quality figures (no personal data).

Attribution rule: a refusal counts against an institution only when the request's signer was identified by a
certificate registered to that institution (the signature verified and the certificate belongs to the
institution the body names). Refusals before that point — unparsable, invalid schema, bad signature, unknown
institution, unregistered certificate — are recorded without an institution: anyone can send bytes naming
any bank, and they must not pollute that bank's figures.
"""
from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.errors import GatewayError
from gateway.persistence.db import transaction
from gateway.quality.models import IntakeRefusal

log = logging.getLogger(__name__)

_ATTRIBUTED = "quality_institution_id"  # set on a GatewayError raised after the signer was identified
MAX_FINDING_CODES = 20


def record_refusal(session: Session, *, institution_id: int | None, code: str, channel: str, at: datetime,
                   finding_codes: list[str] | None = None) -> IntakeRefusal:
    """Add one refusal to the caller's unit of work (``institution_id`` None: signer not identified)."""
    refusal = IntakeRefusal(institution_id=institution_id, code=code[:64], channel=channel[:16], at=at,
                            finding_codes=sorted(set(finding_codes))[:MAX_FINDING_CODES] if finding_codes else None)
    session.add(refusal)
    return refusal


def record_refusal_now(runtime, *, institution_id: int | None, code: str, channel: str, at: datetime,
                       finding_codes: list[str] | None = None) -> None:
    """Record one refusal in its own short transaction. A failure to record is logged, never raised: the
    bank's refusal answer matters more than the figure."""
    try:
        with transaction(runtime.sessions) as session:
            record_refusal(session, institution_id=institution_id, code=code, channel=channel, at=at,
                           finding_codes=finding_codes)
    except Exception:  # noqa: BLE001 — the statistic must never turn a refusal into a 500
        log.warning("could not record an intake refusal (code %s)", code, exc_info=True)


@contextmanager
def attributed_to(institution_id: int) -> Iterator[None]:
    """Refusals raised inside are attributed to ``institution_id`` (the signer is identified by then)."""
    try:
        yield
    except GatewayError as exc:
        if getattr(exc, _ATTRIBUTED, None) is None:
            setattr(exc, _ATTRIBUTED, institution_id)
        raise


def attributed_institution(exc: GatewayError) -> int | None:
    """The institution a refusal counts against, or None when its signer was not identified."""
    return getattr(exc, _ATTRIBUTED, None)


def finding_codes_of(exc: GatewayError) -> list[str] | None:
    """The codes of a pre-review refusal's refusing findings (codes only: messages may quote the request)."""
    findings = exc.extra.get("findings") if isinstance(exc.extra, dict) else None
    if not isinstance(findings, list):
        return None
    codes = [f["code"] for f in findings
             if isinstance(f, dict) and isinstance(f.get("code"), str) and f.get("severity") in (None, "REFUSE")]
    return codes or None


class UnattributedBudget:
    """At most ``per_minute`` unattributed refusals recorded a minute in this process.

    Anyone can send junk to the intake; each unattributed refusal would cost a write, so a flood of it
    could contend with real intake for the database's writer. Past the budget they are only counted
    here and logged once the minute is over (docs/interface/quality.md §3)."""

    def __init__(self, per_minute: int = 60) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._minute = -1
        self._used = 0
        self._dropped = 0

    def take(self, now: float) -> bool:
        minute = int(now // 60)
        with self._lock:
            if minute != self._minute:
                if self._dropped:
                    log.warning("%d unattributed intake refusals were not recorded (over %d a minute)",
                                self._dropped, self.per_minute)
                self._minute, self._used, self._dropped = minute, 0, 0
            if self._used < self.per_minute:
                self._used += 1
                return True
            self._dropped += 1
            return False


# One budget per runtime (in production: per process), keyed by its session factory (the runtime
# itself, a dataclass, is not hashable).
_budgets: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_budgets_lock = threading.Lock()


def unattributed_budget(runtime) -> UnattributedBudget:
    with _budgets_lock:
        return _budgets.setdefault(runtime.sessions, UnattributedBudget())


def record_intake_refusal(runtime, exc: GatewayError, *, channel: str, at: datetime) -> None:
    """Record a refusal raised by the synchronous intake, attributed by :func:`attributed_to`; an
    unattributed one only within the runtime's :class:`UnattributedBudget`."""
    institution_id = attributed_institution(exc)
    if institution_id is None and not unattributed_budget(runtime).take(time.monotonic()):
        return
    record_refusal_now(runtime, institution_id=institution_id, code=exc.code, channel=channel, at=at,
                       finding_codes=finding_codes_of(exc))
