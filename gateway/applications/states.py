"""The application's life as one explicit state machine. Pure: no database, no web."""
from __future__ import annotations

import enum

from gateway.errors import IllegalTransition


class Status(enum.StrEnum):
    """Where an application stands."""

    QUEUED = "QUEUED"  # 已受理，待审核
    IN_REVIEW = "IN_REVIEW"  # 审核中（已认领）
    SUPPLEMENT_REQUESTED = "SUPPLEMENT_REQUESTED"  # 待补正（时限暂停）
    ANNOUNCING = "ANNOUNCING"  # 公告中（时限暂停）
    APPROVED = "APPROVED"  # 审核通过，待登簿（关联申请须全部通过）
    REGISTERED = "REGISTERED"  # 已登簿
    REJECTED = "REJECTED"  # 不予登记


class Action(enum.StrEnum):
    """What can happen to an application."""

    SUBMIT = "submit"
    CLAIM = "claim"
    RELEASE = "release"
    APPROVE = "approve"
    AUTO_APPROVE = "auto_approve"
    REGISTER = "register"
    REJECT = "reject"
    REQUEST_SUPPLEMENT = "request_supplement"
    SUPPLEMENT = "supplement"
    START_ANNOUNCEMENT = "start_announcement"
    END_ANNOUNCEMENT = "end_announcement"
    LINKED_REJECTION = "linked_rejection"  # a linked application was refused: all-or-nothing
    CONFIRM_TRANSFER = "confirm_transfer"  # the transferee joins a transfer (an event, no new status)
    DEPARTMENT_RECORD = "department_record"  # a department's record arrived: findings refreshed (an event)
    RETURN_TO_REVIEW = "return_to_review"  # checked again at registration and no longer fit: reviewed again


# (from, action) -> to. ``None`` as the source is "not yet an application".
TRANSITIONS: dict[tuple[Status | None, Action], Status] = {
    (None, Action.SUBMIT): Status.QUEUED,
    (Status.QUEUED, Action.CLAIM): Status.IN_REVIEW,
    (Status.QUEUED, Action.AUTO_APPROVE): Status.APPROVED,
    (Status.IN_REVIEW, Action.RELEASE): Status.QUEUED,
    (Status.IN_REVIEW, Action.APPROVE): Status.APPROVED,
    (Status.IN_REVIEW, Action.REJECT): Status.REJECTED,
    (Status.IN_REVIEW, Action.REQUEST_SUPPLEMENT): Status.SUPPLEMENT_REQUESTED,
    (Status.IN_REVIEW, Action.START_ANNOUNCEMENT): Status.ANNOUNCING,
    (Status.ANNOUNCING, Action.END_ANNOUNCEMENT): Status.QUEUED,
    (Status.SUPPLEMENT_REQUESTED, Action.SUPPLEMENT): Status.QUEUED,
    (Status.APPROVED, Action.REGISTER): Status.REGISTERED,
    (Status.APPROVED, Action.RETURN_TO_REVIEW): Status.QUEUED,
    **{
        (status, Action.LINKED_REJECTION): Status.REJECTED
        for status in (Status.QUEUED, Status.IN_REVIEW, Status.SUPPLEMENT_REQUESTED,
                       Status.ANNOUNCING, Status.APPROVED)
    },
}

FINAL = frozenset({Status.REGISTERED, Status.REJECTED})
# The reviewers' queue: waiting for a reviewer or held by one. The queue query and the partial
# index that serves it (ix_applications_open_queue) both use this tuple, in this order.
QUEUE_STATUSES = (Status.QUEUED.value, Status.IN_REVIEW.value)
# The deadline clock stops in these states (补正, 公告).
PAUSED = {Status.SUPPLEMENT_REQUESTED: "supplement", Status.ANNOUNCING: "announcement"}
# The step (全节点效能监督) an application is at while in each non-final state.
STEP_OF = {
    Status.QUEUED: "queue",
    Status.IN_REVIEW: "review",
    Status.SUPPLEMENT_REQUESTED: "supplement",
    Status.ANNOUNCING: "announcement",
    Status.APPROVED: "registration",
}


def next_status(current: Status | None, action: Action) -> Status:
    """The status ``action`` leads to from ``current``; raises ``IllegalTransition`` otherwise."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        source = current.value if current else "(new)"
        raise IllegalTransition(
            f"'{action.value}' is not allowed while the application is {source}",
            extra={"current_status": source, "action": action.value},
        ) from None
