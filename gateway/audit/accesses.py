"""Who looked at my file: every audit entry concerning a unit or a person, as a list, CSV or signed PDF.

A unit is found by its code, a person by the blind index of the ID number (the number itself is
never stored nor searched). Each row says who, when, what and why: the actor and their role, the
action (and the page or file read), and the application being worked on.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.audit.models import AuditEntry, AuditLookup
from gateway.audit.persons import person_index
from gateway.errors import InvalidRequest
from gateway.prereview.unit_code import is_well_formed
from gateway.timezone import LOCAL_TZ

MAX_ROWS = 10_000
ID_NUMBER = re.compile(r"^[0-9A-Za-z\-]{6,32}$")
ROLE_ZH = {"reviewer": "审核人员", "supervisor": "监督人员", "admin": "管理员", "clerk": "公积金中心经办人",
           "institution": "申请机构", "department": "部门", "system": "系统", "cli": "命令行操作员", "staff": "工作人员"}
ACTION_ZH = {"data.read": "查阅", "document.store": "保存签名文件", "application.submit": "提交申请",
             "application.claim": "领取审核", "application.release": "退回队列", "application.approve": "审核通过",
             "application.auto_approve": "自动审核通过", "application.register": "登簿",
             "application.reject": "不予登记", "application.request_supplement": "要求补正",
             "application.supplement": "补正", "application.start_announcement": "开始公告",
             "application.end_announcement": "结束公告", "application.linked_rejection": "关联申请被拒",
             "application.confirm_transfer": "受让方确认", "audit.access_report": "查询访问记录",
             "department.query": "部门查询", "registration_event.publish": "登记信息推送（部门）",
             "department_record.tax": "税务局推送契税信息", "department_record.contract": "住建部门推送网签备案合同",
             "application.department_record": "收到部门推送信息，预审结果更新",
             "application.return_to_review": "登簿前复核不符，退回审核"}
# Entries whose details say what was read or returned (the report's "what" column).
READS = frozenset({"data.read", "department.query", "registration_event.publish"})


@dataclass(frozen=True)
class Query:
    """Exactly one of a unit code or a person's ID number (kept only as its blind index)."""

    unit_code: str | None = None
    person: str | None = None  # the blind index
    shown_as: str = ""  # for the report's heading: the unit code, or the ID number masked

    @classmethod
    def of(cls, *, unit_code: str | None, id_number: str | None) -> Query:
        unit_code, id_number = (unit_code or "").strip() or None, (id_number or "").strip() or None
        if (unit_code is None) == (id_number is None):
            raise InvalidRequest("give exactly one of unit_code and id_number", code="audit.query_invalid")
        if unit_code is not None:
            if not is_well_formed(unit_code):
                raise InvalidRequest("the unit code is not a well-formed 28-character unit code",
                                     code="audit.unit_code_invalid")
            return cls(unit_code=unit_code, shown_as=unit_code)
        if not ID_NUMBER.match(id_number):
            raise InvalidRequest("the ID number is not 6 to 32 letters, digits or hyphens", code="audit.id_number_invalid")
        return cls(person=person_index(id_number), shown_as=mask(id_number))

    @property
    def key(self) -> str:
        return f"unit:{self.unit_code}" if self.unit_code else f"person:{self.person}"


@dataclass(frozen=True)
class Access:
    seq: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    what: str
    purpose: str | None
    subject_kind: str
    subject: str

    @property
    def role_zh(self) -> str:
        return ROLE_ZH.get(self.actor_role, self.actor_role)

    @property
    def action_zh(self) -> str:
        return ACTION_ZH.get(self.action, self.action)

    @property
    def local_time(self) -> str:
        return self.at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


def mask(id_number: str) -> str:
    """An ID number as a report's heading shows it: the first 6 and last 4 characters."""
    return id_number[:6] + "*" * max(len(id_number) - 10, 0) + id_number[-4:] if len(id_number) > 10 else "*" * len(id_number)


def accesses(session: Session, query: Query, *, limit: int = MAX_ROWS) -> list[Access]:
    """Every entry concerning the unit or person, oldest first."""
    entries = session.scalars(
        select(AuditEntry).join(AuditLookup, AuditLookup.seq == AuditEntry.seq)
        .where(AuditLookup.key == query.key).order_by(AuditEntry.seq).limit(limit)
    )
    return [Access(seq=e.seq, at=e.at, actor=e.actor, actor_role=e.actor_role, action=e.action,
                   what=str((e.details or {}).get("what", "")) if e.action in READS else "",
                   purpose=e.purpose, subject_kind=e.subject_kind, subject=e.subject) for e in entries]


def report_entry(query: Query, *, actor: str, actor_role: str, rows: int, form: str):
    """The audit entry of the report itself: asking who looked at a file is a look at it too."""
    from gateway.audit.chain import Pending, now

    return Pending(actor=actor, actor_role=actor_role, action="audit.access_report", subject_kind="audit",
                   subject=query.unit_code or "person", at=now(),
                   unit_codes=[query.unit_code] if query.unit_code else [],
                   person_indexes=[query.person] if query.person else [], purpose="access report",
                   details={"form": form, "rows": rows})


CSV_COLUMNS = ("seq", "time (Asia/Shanghai)", "actor", "role", "action", "what", "application", "subject kind", "subject")


def as_csv(rows: list[Access]) -> bytes:
    """UTF-8 with a byte-order mark (spreadsheets open Chinese text correctly), one row per access."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow((row.seq, row.local_time, row.actor, row.actor_role, row.action, row.what, row.purpose or "",
                         row.subject_kind, row.subject))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
