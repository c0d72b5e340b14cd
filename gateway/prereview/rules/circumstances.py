"""Rules about the handling of the case: complex circumstances, the queue, linked applications."""
from __future__ import annotations

from bank_adapters.canonical import CanonicalApplication, SpecialCircumstance
from gateway.prereview import codes
from gateway.prereview.findings import Finding
from gateway.register.view import RegisterView

_DECLARED = {
    SpecialCircumstance.SURVEY_REQUIRED: (
        codes.COMPLEX_SURVEY_REQUIRED, "需要实地查看或调查，办理时限相应延长"),
    SpecialCircumstance.ANNOUNCEMENT_REQUIRED: (
        codes.COMPLEX_ANNOUNCEMENT_REQUIRED, "需要公告，公告期间不计入办理时限"),
    SpecialCircumstance.UNNOTARISED_INHERITANCE: (
        codes.COMPLEX_UNNOTARISED_INHERITANCE, "涉及未经公证的继承，须核查全部继承人，办理时限相应延长"),
}


def special_circumstances(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """Declared survey, announcement or unnotarised inheritance make the case complex."""
    declared = dict.fromkeys(application.special_circumstances)  # each once, in declared order
    return [_DECLARED[c][0](_DECLARED[c][1], "无需操作，登记机构将告知延长后的办理期限", "special_circumstances")
            for c in declared]


def unit_needs_survey(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """The register marks the unit for a site survey (条例第19条): complex."""
    if register.unit is None or not register.unit.needs_survey:
        return []
    return [codes.UNIT_NEEDS_SURVEY(
        "登记簿标注该不动产单元需要实地查看，办理时限相应延长", "无需操作，登记机构将告知延长后的办理期限", "unit_code")]


def no_earlier_pending(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """Applications on one unit are decided in order of receipt (细则第67条): a person checks
    that an earlier, undecided one does not change what this one may do."""
    if register.earlier_pending <= 0:
        return []
    return [codes.APPLICATION_EARLIER_PENDING(
        f"同一不动产单元有{register.earlier_pending}件先受理的申请尚未办结",
        "无需操作，将按受理先后顺序办理", "unit_code")]


def link_is_consistent(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A linked group has a group id, at least two members, and this member's position in range."""
    link = application.link
    if link is None:
        return []
    hint = "请核对关联申请的组号（GroupId）、顺序号（Position）与件数（Size）"
    findings = []
    if not link.group_id.strip():
        findings.append(codes.LINK_INVALID("关联申请未填写组号", hint, "link.group_id"))
    if link.size < 2:
        findings.append(codes.LINK_INVALID("关联申请的件数至少为2", hint, "link.size"))
    if not 1 <= link.position <= max(link.size, 1):
        findings.append(codes.LINK_INVALID("关联申请的顺序号须在1与件数之间", hint, "link.position"))
    return findings
