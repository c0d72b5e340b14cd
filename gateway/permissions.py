"""Who may do what: one table of actions × actors, and what "its own application" means.

Every API route and staff web page names the one action it performs (``Allowed("application.review")``
in its signature, see :mod:`gateway.api.deps` and :mod:`gateway.web.auth`); the dependency behind
that name asks this table, and nothing else decides. ``tests/integration/test_permission_matrix.py``
walks every route for every actor and holds the answers to the table; docs/security.md prints it
(:func:`matrix_markdown`).

Where a grant is limited to the actor's own applications, the dependency resolves the application
named in the path and answers one the actor does not own exactly like a missing one (404), so
nobody learns which application numbers exist. A route without an application in its path (a
clerk's list) shows only the actor's own.
"""
from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gateway.applications.transfers import is_transferee
from gateway.errors import Forbidden, NotFound
from gateway.persistence.models import Application, Institution


class Actor(enum.StrEnum):
    """Who is asking: nobody known, an institution by its registered key, or a staff role."""

    ANONYMOUS = "anonymous"
    INSTITUTION = "institution"  # a bank or fund centre whose registered key signed the request (HTTP or XML)
    DEPARTMENT = "department"  # a department (tax, housing, fund centre) whose registered key signed the request
    CLERK = "clerk"  # 公积金中心经办人, bound to one institution
    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


STAFF = (Actor.CLERK, Actor.REVIEWER, Actor.SUPERVISOR, Actor.ADMIN)
# Who a registered key can stand for: an institution of kind ``department`` is a department, any other an institution.
SIGNERS = (Actor.INSTITUTION, Actor.DEPARTMENT)


class Grant(enum.StrEnum):
    """How far a permission reaches."""

    ALL = "yes"  # wherever the action applies
    PARTY = "party"  # applications the institution applied for, or is the named transferee of (joint filing)
    OWN = "own"  # applications of the actor's own institution (the applicant)
    TRANSFEREE = "transferee"  # applications naming the institution as transferee of a transfer


OWNERSHIP = frozenset({Grant.PARTY, Grant.OWN, Grant.TRANSFEREE})


@dataclass(frozen=True)
class Permission:
    action: str
    meaning: str
    grants: Mapping[Actor, Grant]


def _everyone(action: str, meaning: str) -> Permission:
    return Permission(action, meaning, {actor: Grant.ALL for actor in Actor})


def _only(action: str, meaning: str, **grants: Grant) -> Permission:
    return Permission(action, meaning, {Actor(actor): grant for actor, grant in grants.items()})


YES, PARTY, OWN, TRANSFEREE = Grant.ALL, Grant.PARTY, Grant.OWN, Grant.TRANSFEREE

TABLE: tuple[Permission, ...] = (
    _everyone("public.read", "health check, materials catalogue, the gateway's certificate, API description, "
              "web assets"),
    _everyone("metrics.read", "Prometheus metrics (counts only, no personal data)"),
    _everyone("verify.public", "verify a certificate by its code (personal data masked)"),
    _everyone("account.sign_in", "sign in (password, second factor) and out"),
    _only("account.manage_own", "one's own password and second factor",
          clerk=YES, reviewer=YES, supervisor=YES, admin=YES),
    _only("application.submit", "submit an application or dry-run one (institutions: XML-signed; clerks: sealed by "
          "the gateway for their institution)", institution=YES, clerk=YES),
    _only("materials.upload", "upload a material for one's own institution", institution=YES, clerk=YES),
    _only("application.read_status", "an application's status, history and signed receipt or result",
          institution=PARTY, clerk=OWN),
    _only("application.supplement", "answer a supplement request (补正)", institution=OWN, clerk=OWN),
    _only("application.confirm_transfer", "join a transfer as its transferee", institution=TRANSFEREE),
    _only("certificate.download", "the registration certificate (PDF, XML twin)", institution=PARTY, clerk=OWN),
    _only("certificate.request_paper", "ask for and follow a paper copy by post", institution=PARTY),
    _only("application.review", "the review queue, an application as a reviewer sees it, claim, release, "
          "announcement", reviewer=YES),
    _only("materials.read", "an application's materials", reviewer=YES),
    _only("application.decide", "approve, reject or request 补正", reviewer=YES),
    _only("application.extend", "extend an application's deadline", reviewer=YES, supervisor=YES),
    _only("supervision.read", "step times and deadlines (全节点效能监督)", supervisor=YES, admin=YES),
    _only("quality.read_own", "its own monthly quality figures and signed statement", institution=OWN),
    _only("quality.read_all", "every institution's monthly quality figures", supervisor=YES, admin=YES),
    _only("audit.read_accesses", "who looked at a unit's or a person's data, and its export (CSV, signed PDF)",
          supervisor=YES, admin=YES),
    _only("evidence.export", "every signed byte about an application, as a ZIP", admin=YES),
    _only("institution.manage", "institutions, their signing certificates, trust anchors, CRLs", admin=YES),
    _only("certificate.manage", "revoke a registration certificate; the paper-copy queue", admin=YES),
    _only("staff.manage", "staff accounts: add, role, disable, reset password or second factor", admin=YES),
    _only("delivery.manage", "callback deliveries: list, attempts, re-drive", admin=YES),
    _only("watch.subscribe", "watch a unit it has an application in progress on (title watch), or stop",
          institution=YES),
    _only("watch.read", "its own title-watch subscriptions", institution=YES),
    _only("batch.submit", "send a batch bundle of signed applications (HTTP-signed upload)", institution=YES),
    _only("batch.read", "its own batches' progress, item by item", institution=YES),
    _only("inbox.read", "its own inbox: every signed document for it, in order, from a cursor", institution=YES,
          department=YES),
    _only("inbox.acknowledge", "acknowledge its own inbox up to a cursor", institution=YES, department=YES),
    _only("department.query", "purpose-bound queries (family housing, a unit's extract) for a department role; "
          "a bank is refused by the endpoint", institution=YES, department=YES),
    _only("department.subscribe", "its registration-event subscription, for a department role; a bank is refused "
          "by the endpoint", institution=YES, department=YES),
    _only("department.records.submit", "send deed-tax records or filed sale contracts, for its department role; "
          "a bank is refused by the endpoint", institution=YES, department=YES),
)

PERMISSIONS: dict[str, Permission] = {permission.action: permission for permission in TABLE}

# FastAPI's own routes (the API description and its viewers) take no dependencies: their action is named here.
FRAMEWORK_ROUTES: dict[str, str] = {path: "public.read" for path in ("/openapi.json", "/docs", "/docs/oauth2-redirect",
                                                                      "/redoc")}

# An account that must first enrol a second factor or replace a reset password may do only these.
WHILE_ACCOUNT_SETUP_PENDING = frozenset({"account.sign_in", "account.manage_own"})


def permission(action: str) -> Permission:
    """The table's row for ``action``; an action not in the table is a programming error."""
    try:
        return PERMISSIONS[action]
    except KeyError:
        raise LookupError(f"the action {action!r} is not in gateway.permissions.TABLE") from None


def signer_actor(institution: Institution) -> Actor:
    """The actor an institution's registered key stands for."""
    return Actor.DEPARTMENT if institution.kind == "department" else Actor.INSTITUTION


def signer_grant(institution: Institution, action: str) -> Grant:
    """How far the table lets the institution whose key signed (a bank, fund centre or department) do
    ``action``; the standard 403 if not at all (a department calling a bank's route)."""
    extent = grant(signer_actor(institution), action)
    if extent is None:
        raise Forbidden("an institution of this kind may not do this")
    return extent


def grant(actor: Actor | str, action: str) -> Grant | None:
    """How far ``actor`` may do ``action``; None: not at all."""
    return permission(action).grants.get(Actor(actor))


def is_party(application: Application, institution: Institution, extent: Grant) -> bool:
    """Whether ``institution`` owns ``application`` as far as ``extent`` reaches."""
    applicant = application.institution_id == institution.id
    if extent is Grant.OWN:
        return applicant
    if extent is Grant.TRANSFEREE:
        return is_transferee(application, institution)
    return extent is Grant.ALL or applicant or is_transferee(application, institution)


APPLICATIONS_FOUND = "applications_found"  # session.info: application number -> Application


def application_for(session: Session, application_no: str, *, institution: Institution | None,
                    extent: Grant) -> Application:
    """The application named in a path, if ``institution`` owns it as far as ``extent`` reaches; another's is
    answered exactly like a missing one.

    Looked up by number once per unit of work: a route's ownership check and its endpoint both ask
    for the application in the path, and the second is given the object the first found (kept here,
    as the session's identity map holds objects only weakly), as long as it is in the session."""
    found = session.info.setdefault(APPLICATIONS_FOUND, {})
    application = found.get(application_no)
    if application is None or application not in session:
        application = session.scalar(_application_by_number(), {"application_no": application_no})
        if application is not None:
            found[application_no] = application
    if application is None or institution is None or not is_party(application, institution, extent):
        raise NotFound("no such application")
    return application


@functools.cache
def _application_by_number():
    # Built once: every request naming an application runs it.
    return select(Application).where(Application.application_no == bindparam("application_no"))


def matrix_markdown() -> str:
    """The table as docs/security.md prints it (between its ``permissions`` markers)."""
    head = "| Action | What it covers | " + " | ".join(f"`{actor}`" for actor in Actor) + " |"
    rows = [head, "|---|---|" + "---|" * len(Actor)]
    for row in TABLE:
        cells = (row.grants[actor].value if actor in row.grants else "–" for actor in Actor)
        rows.append(f"| `{row.action}` | {row.meaning} | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"
