"""The materials rule: everything the unified materials list requires is submitted or held."""
from __future__ import annotations

from collections.abc import Callable

from bank_adapters.canonical import CanonicalApplication, DischargeReason
from gateway.catalogue.materials import MATERIALS, Condition, Holding, Need, Requirement, requirements_for
from gateway.prereview import codes
from gateway.prereview.changes import NAME_FIELDS
from gateway.prereview.findings import Finding
from gateway.prereview.rules.common import submitted_codes
from gateway.register.view import RegisterView

# Conditions another rule decides, with a finding that says more than "material missing":
# change.harms_later_mortgagees_without_consent, discharge.court_document_missing,
# unit.objection_undertaking_missing and unit.conflicting_pre_notice.
_DECIDED_ELSEWHERE = frozenset({
    Condition.CHANGE_HARMS_LATER_MORTGAGEES, Condition.DISCHARGE_BY_COURT,
    Condition.UNIT_HAS_OBJECTION, Condition.UNIT_HAS_CONFLICTING_PRE_NOTICE,
    Condition.MORTGAGE_CARRIED_OVER,  # transfer.mortgagee_consent_missing
})
_CONDITIONS: dict[Condition, Callable[[CanonicalApplication], bool]] = {
    Condition.MORTGAGORS_APPLY: lambda app: bool(app.mortgagors),
    Condition.CHANGE_OF_TERMS: lambda app: any(i.field not in NAME_FIELDS for i in app.changes),
    Condition.CHANGE_OF_NAME: lambda app: any(i.field in NAME_FIELDS for i in app.changes),
    Condition.DISCHARGE_NOT_BY_COURT: lambda app: app.discharge_reason not in (None, DischargeReason.COURT_RULING),
}


def required_now(application: CanonicalApplication) -> tuple[Requirement, ...]:
    """The type's required materials, and its conditional ones whose condition holds."""
    return tuple(r for r in requirements_for(application.registration_type) if _needed(r, application))


def _needed(requirement: Requirement, application: CanonicalApplication) -> bool:
    if requirement.need is Need.REQUIRED:
        return True
    condition = requirement.condition
    if requirement.need is not Need.CONDITIONAL or condition is None or condition in _DECIDED_ELSEWHERE:
        return False
    return _CONDITIONS[condition](application)


def materials_complete(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """Required materials missing → refused, listing them all; those the authority holds are
    taken from file and not asked for again; unknown material codes are noted."""
    submitted = submitted_codes(application)
    missing, from_file = [], []
    for requirement in required_now(application):
        if requirement.code in submitted or requirement.held is Holding.GENERATED:
            continue
        if requirement.held is Holding.ALWAYS or requirement.code in register.held_materials:
            from_file.append(requirement.code)
        else:
            missing.append(requirement.code)
    findings = []
    if missing:
        findings.append(codes.MATERIALS_MISSING(
            f"缺少申请材料：{_listing(missing)}", "请按统一申请材料目录清单补齐后重新申请", "materials"))
    if from_file:
        findings.append(codes.MATERIALS_TAKEN_FROM_FILE(
            f"以下材料登记机构已有，从档案调取：{_listing(from_file)}", "无需提交", "materials"))
    listed = {r.code for r in requirements_for(application.registration_type)}
    unknown = sorted(submitted - listed)
    if unknown:
        findings.append(codes.MATERIALS_NOT_IN_CATALOGUE(
            f"以下材料类型不在本登记类型的目录清单中：{'、'.join(unknown)}",
            "无需操作；如为必需材料，请使用目录清单中的材料代码", "materials"))
    return findings


def _listing(material_codes: list[str]) -> str:
    return "、".join(f"{MATERIALS[code].name_zh}（{code}）" for code in material_codes)
