"""The application's life as one explicit state machine. Pure: no database, no web."""
from __future__ import annotations

import enum

from gateway.errors import IllegalTransition


class Status(enum.StrEnum):
    """Where an application stands."""

    QUEUED = "QUEUED"  # 已受理，待审核
    IN_REVIEW = "IN_REVIEW"  # 审核中（已认领）
    SUPPLEMENT_REQUESTED = "SUPPLEMENT_REQUESTED"  # 待补正（时限暂停）
    REGISTERED = "REGISTERED"  # 已登簿
    REJECTED = "REJECTED"  # 不予登记


class Action(enum.StrEnum):
    """What can happen to an application."""

    SUBMIT = "submit"
    CLAIM = "claim"
    RELEASE = "release"
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_SUPPLEMENT = "request_supplement"
    SUPPLEMENT = "supplement"


# (from, action) -> to. ``None`` as the source is "not yet an application".
TRANSITIONS: dict[tuple[Status | None, Action], Status] = {
    (None, Action.SUBMIT): Status.QUEUED,
    (Status.QUEUED, Action.CLAIM): Status.IN_REVIEW,
    (Status.IN_REVIEW, Action.RELEASE): Status.QUEUED,
    (Status.IN_REVIEW, Action.APPROVE): Status.REGISTERED,
    (Status.IN_REVIEW, Action.REJECT): Status.REJECTED,
    (Status.IN_REVIEW, Action.REQUEST_SUPPLEMENT): Status.SUPPLEMENT_REQUESTED,
    (Status.SUPPLEMENT_REQUESTED, Action.SUPPLEMENT): Status.QUEUED,
}

FINAL = frozenset({Status.REGISTERED, Status.REJECTED})


def next_status(current: Status | None, action: Action) -> Status:
    """The status ``action`` leads to from ``current``; raises ``IllegalTransition`` otherwise."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        source = current.value if current else "(new)"
        raise IllegalTransition(
            f"'{action.value}' is not allowed while the application is {source}",
            extra={"status": source, "action": action.value},
        ) from None
