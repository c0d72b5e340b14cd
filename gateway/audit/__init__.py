"""The tamper-evident audit trail (等保 2.0: audit records protected from alteration).

Every state change, decision, sign-in, admin action, stored signed message and read of an
application's personal data is appended to a hash chain (:mod:`gateway.audit.chain`) in the
transaction of the change; reads are recorded in a short transaction of their own right after
the read succeeded (:mod:`gateway.audit.reads`). Signed checkpoints (:mod:`gateway.audit.checkpoints`)
fix the chain's state; :mod:`gateway.audit.verify` re-walks it; :mod:`gateway.audit.accesses`
answers "who looked at my file".
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gateway.audit.chain import Pending, append, now
from gateway.audit.persons import id_numbers_in, indexes_of

__all__ = ["Pending", "about_application", "append", "read_of", "record"]


def record(
    session: Session, *, actor: str, actor_role: str | None, action: str, subject_kind: str, subject: str,
    units: list[str] | tuple[str, ...] = (), person_indexes: list[str] | tuple[str, ...] = (),
    purpose: str | None = None, details: dict[str, Any] | None = None,
) -> None:
    """Append one entry to the caller's transaction (``actor_role`` None: the staff member's role)."""
    append(session, Pending(actor=actor, actor_role=actor_role, action=action, subject_kind=subject_kind,
                            subject=subject, at=now(), unit_codes=list(units), person_indexes=list(person_indexes),
                            purpose=purpose, details=details))


def about_application(application, *, actor: str, actor_role: str | None, action: str,
                      purpose: str | None = None, details: dict[str, Any] | None = None) -> Pending:
    """An entry about ``application``: its unit codes and the blind indexes of its persons."""
    return Pending(actor=actor, actor_role=actor_role, action=action, subject_kind="application", subject=None,
                   at=now(), unit_codes=units_of(application), person_indexes=persons_of(application),
                   purpose=purpose, details=details, application=application)


def read_of(application, *, actor: str, actor_role: str | None, what: str) -> Pending:
    """A read of ``application``'s personal data (``what``: the page, view or file), for
    :func:`gateway.audit.reads.note_read`; its purpose is the application being worked on."""
    return about_application(application, actor=actor, actor_role=actor_role, action="data.read",
                             purpose=application.application_no, details={"what": what})


def units_of(application) -> list[str]:
    """The unit codes an application concerns (its own, and any named in its canonical form)."""
    codes = {application.unit_code} if application.unit_code else set()
    codes.update(_values_of(application.canonical, "unit_code"))
    return sorted(codes)


def persons_of(application) -> list[str]:
    return indexes_of(id_numbers_in(application.canonical or {}))


def _values_of(data: Any, key: str) -> set[str]:
    found: set[str] = set()
    if isinstance(data, dict):
        for name, value in data.items():
            if name == key and isinstance(value, str) and value:
                found.add(value)
            else:
                found |= _values_of(value, key)
    elif isinstance(data, list):
        for item in data:
            found |= _values_of(item, key)
    return found
