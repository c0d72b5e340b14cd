"""Rules particular to one type each: transfer, discharge, construction mortgage."""
from __future__ import annotations

from bank_adapters.canonical import CanonicalApplication, DischargeReason
from gateway.prereview import codes
from gateway.prereview.findings import Finding
from gateway.prereview.identifiers import same_identity
from gateway.prereview.rules.common import supplied
from gateway.register.view import RegisterView


def transferee_given(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A transfer names the new mortgagee (filed jointly with it), and it is not the applicant."""
    transferee = application.transferee
    if transferee is None:
        return [codes.TRANSFER_TRANSFEREE_MISSING(
            "转移登记未填写受让人（新抵押权人）", "请填写受让人名称及统一社会信用代码", "transferee")]
    if same_identity(transferee.code, application.mortgagee.code):
        return [codes.TRANSFER_TRANSFEREE_IS_APPLICANT(
            "受让人与申请机构（转让人）为同一机构", "机构更名请申请抵押权变更登记", "transferee.code")]
    return []


def discharge_reason_given(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A discharge says why the mortgage ends; one by court ruling brings the ruling."""
    reason = application.discharge_reason
    if reason is None:
        return [codes.DISCHARGE_REASON_MISSING(
            "注销登记未填写注销原因", "请选择主债权消灭、抵押权已实现、放弃抵押权或法律文书", "discharge_reason")]
    if reason is DischargeReason.COURT_RULING and not supplied(application, register, "COURT_DOCUMENT"):
        return [codes.DISCHARGE_COURT_DOCUMENT_MISSING(
            "依人民法院、仲裁委员会法律文书注销，未提交生效法律文书", "请提交生效法律文书（COURT_DOCUMENT）", "materials")]
    return []


def construction_permit_given(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A mortgage of a building under construction names its planning permit (细则第76条)."""
    if (application.construction_permit_no or "").strip():
        return []
    return [codes.CONSTRUCTION_PERMIT_NO_MISSING(
        "未填写建设工程规划许可证号", "请按建设工程规划许可证填写", "construction_permit_no")]
