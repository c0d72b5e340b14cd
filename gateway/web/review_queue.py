"""The reviewers' queue with filters: oldest deadline first, keyset-paginated on (due date, id)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank_adapters.canonical import RegistrationType
from gateway.api.deps import MAX_ID
from gateway.applications.states import FINAL, Status
from gateway.persistence.models import Application, Institution
from gateway.review.service import after_cursor, in_queue, keyset_page

# Open states a reviewer may filter on; by default the queue shows those waiting for a reviewer.
FILTERABLE = tuple(s.value for s in Status if s not in FINAL)


@dataclass(frozen=True)
class QueueFilter:
    registration_type: str = ""
    institution_id: int | None = None
    status: str = ""

    @classmethod
    def of(cls, registration_type: str, institution: str, status: str) -> QueueFilter:
        """Filters from query parameters; anything unknown means "all"."""
        return cls(
            registration_type if registration_type in {t.value for t in RegistrationType} else "",
            int(institution) if institution.isdigit() and int(institution) <= MAX_ID else None,
            status if status in FILTERABLE else "",
        )

    def where(self, stmt):
        # By default the reviewers' queue, which its partial index serves; one status, the (status, ...) index.
        stmt = stmt.where(Application.status == self.status if self.status else in_queue())
        if self.registration_type:
            stmt = stmt.where(Application.registration_type == self.registration_type)
        if self.institution_id is not None:
            stmt = stmt.where(Application.institution_id == self.institution_id)
        return stmt


def queue_page(session: Session, filters: QueueFilter, *, after: str | None, limit: int = 50
               ) -> tuple[list[Application], str | None]:
    """One page of the filtered queue, oldest deadline first."""
    return keyset_page(session, after_cursor(filters.where(select(Application)), after), limit=limit)


def queue_count(session: Session, filters: QueueFilter) -> int:
    return session.scalar(filters.where(select(func.count()).select_from(Application))) or 0


def institutions(session: Session) -> list[Institution]:
    return list(session.scalars(select(Institution).order_by(Institution.name)))
