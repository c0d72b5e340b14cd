"""Rules about mortgages already in the register: the one acted on, and the ones ranking ahead."""
from __future__ import annotations

from bank_adapters.canonical import CanonicalApplication, ChangeField
from gateway.prereview import codes
from gateway.prereview.findings import Finding
from gateway.prereview.identifiers import identity_key, same_identity
from gateway.prereview.rules.common import in_force_mortgages, referenced_mortgage
from gateway.register.view import MortgageKind, MortgageStatus, RegisterView

_STATUS_ZH = {MortgageStatus.DISCHARGED: "已注销", MortgageStatus.CONVERTED: "已转为抵押权首次登记"}


def referenced_mortgage_held_by_applicant(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """The mortgage acted on exists on this unit, is in force, and the applicant is its mortgagee."""
    if not (application.referenced_certificate_no or "").strip():
        return [codes.MORTGAGE_REFERENCE_MISSING(
            "未填写所涉抵押权（或预告登记）的不动产登记证明号", "请填写不动产登记证明号",
            "referenced_certificate_no")]
    if register.unit is None:
        return []  # unit.not_found already refuses; no mortgage can be looked up
    record = referenced_mortgage(application, register)
    if record is None:
        return [codes.MORTGAGE_NOT_FOUND(
            "该单元登记簿中没有此不动产登记证明号记载的抵押权", "请核对不动产登记证明号与不动产单元号",
            "referenced_certificate_no")]
    findings = []
    if record.status is not MortgageStatus.IN_FORCE:
        findings.append(codes.MORTGAGE_NOT_IN_FORCE(
            f"所涉抵押权{_STATUS_ZH[record.status]}", "已注销或已转本登记的抵押权不能再办理此项登记",
            "referenced_certificate_no"))
    if not same_identity(record.mortgagee_code, application.mortgagee.code):
        findings.append(codes.MORTGAGE_NOT_APPLICANTS(
            "所涉抵押权的抵押权人不是申请机构", "只有登记簿记载的抵押权人可以申请，请核对不动产登记证明号",
            "mortgagee.code"))
    return findings


def change_mortgagors_apply(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A change is applied for jointly by the recorded mortgagors and the mortgagee (条例第14条),
    except a change of nothing but the mortgagee's name, which the mortgagee may file alone."""
    if application.changes and all(item.field is ChangeField.MORTGAGEE_NAME for item in application.changes):
        return []
    record = referenced_mortgage(application, register)
    if record is None or not record.mortgagor_id_numbers:
        return []  # nothing recorded to compare with; the reviewer sees the mortgage
    recorded = {identity_key(n) for n in record.mortgagor_id_numbers}
    applying = {identity_key(p.id_number) for p in application.mortgagors}
    if recorded == applying:
        return []
    return [codes.MORTGAGE_MORTGAGORS_DIFFER(
        "变更登记的抵押人与登记簿记载的该抵押权的抵押人不一致",
        "变更登记须由登记簿记载的全部抵押人与抵押权人共同申请", "mortgagors")]


def existing_mortgages_noted(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """For the record: the mortgages already in force rank ahead of the new one (细则第67条)."""
    ahead = {m.priority for m in in_force_mortgages(register)}
    if not ahead:
        return []
    return [codes.UNIT_EXISTING_MORTGAGES(
        f"该单元已有{len(ahead)}项现势抵押权（含抵押预告登记），本次抵押权按受理时间顺位在后",
        "无需操作", "unit_code")]


def pre_notice_not_duplicated(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A first mortgage by a bank already holding a pre-notice mortgage on the unit is most likely
    a conversion filed as the wrong type; registering both would secure the loan twice."""
    own = [m for m in in_force_mortgages(register)
           if m.kind is MortgageKind.PRE_NOTICE and same_identity(m.mortgagee_code, application.mortgagee.code)]
    if not own:
        return []
    return [codes.MORTGAGE_PRE_NOTICE_NOT_CONVERTED(
        "申请机构在该单元已有现势的抵押预告登记",
        "如为同一笔贷款，请改为申请预告登记转抵押权首次登记（PRE_NOTICE_CONVERSION）", "registration_type")]


def conversion_of_pre_notice(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A conversion acts on a pre-notice mortgage and registers what the pre-notice recorded."""
    record = referenced_mortgage(application, register)
    if record is None:
        return []
    if record.kind is not MortgageKind.PRE_NOTICE:
        return [codes.CONVERSION_NOT_PRE_NOTICE(
            "所涉登记不是预购商品房抵押预告登记", "请填写抵押预告登记的不动产登记证明号", "referenced_certificate_no")]
    pairs = {
        "secured_amount": ("被担保主债权数额", application.secured_amount, record.secured_amount),
        "debt_start": ("债务履行期限（起）", application.debt_start, record.debt_start),
        "debt_end": ("债务履行期限（止）", application.debt_end, record.debt_end),
    }
    differing = [(field, zh) for field, (zh, new, old) in pairs.items() if old is not None and new != old]
    return [codes.CONVERSION_TERMS_DIFFER(
        f"{zh}与抵押预告登记记载不一致", "无需操作，审核人员将核对；事项有变化的，转本登记后另行申请变更登记", field)
        for field, zh in differing]
