"""Rules about what weighs on the unit: seizures, objections, other people's pre-notices.

Messages give the registration date of an encumbrance but never its reference: a court's case
number or a dispute is none of the applying institution's business beyond its existence.
"""
from __future__ import annotations

from bank_adapters.canonical import CanonicalApplication
from gateway.prereview import codes
from gateway.prereview.changes import burden_increases
from gateway.prereview.findings import Finding
from gateway.prereview.identifiers import identity_key
from gateway.prereview.rules.common import T, active_encumbrances, date_zh, referenced_mortgage, supplied
from gateway.register.view import EncumbranceKind, RegisterView

# Creating a mortgage, or making one weigh more, on a seized unit is barred (民法典第399条).
# Transfer, discharge and conversion act on a right that may predate the seizure: a person judges.
_SEIZURE_BARS = frozenset({T.MORTGAGE_FIRST, T.MORTGAGE_FIRST_MAXIMUM, T.CONSTRUCTION_MORTGAGE,
                           T.PRE_NOTICE_MORTGAGE, T.OWNERSHIP_TRANSFER})


def unit_not_seized(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """No active seizure (查封); refused where the registration would burden the seized unit."""
    seizures = active_encumbrances(register, EncumbranceKind.SEIZURE)
    if not seizures:
        return []
    since = "、".join(date_zh(s.registered_on) for s in seizures)
    if _seizure_bars(application, register):
        return [codes.UNIT_SEIZED(
            f"该不动产单元已被查封（{since}登记），不得设立抵押或增加抵押负担",
            "查封解除后再申请；如对查封有异议，请与查封机关联系", "unit_code")]
    return [codes.UNIT_SEIZED_REVIEW(
        f"该不动产单元已被查封（{since}登记），由审核人员判断能否办理",
        "无需操作，审核人员将核查查封与所涉抵押权的先后", "unit_code")]


def _seizure_bars(application: CanonicalApplication, register: RegisterView) -> bool:
    if application.registration_type in _SEIZURE_BARS:
        return True
    if application.registration_type is T.MORTGAGE_CHANGE:
        record = referenced_mortgage(application, register)
        return record is None or bool(burden_increases(application.changes, record))
    return False


def objection_acknowledged(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """An objection (异议登记) needs the applicant's written undertaking to bear the risk (细则第84条).

    Without it the application is refused at intake, and this finding is the written notice the
    article requires; with it, the application is queued and the reviewer sees the objection.
    """
    objections = active_encumbrances(register, EncumbranceKind.OBJECTION)
    if not objections:
        return []
    since = "、".join(date_zh(o.registered_on) for o in objections)
    if supplied(application, register, "OBJECTION_UNDERTAKING"):
        return [codes.UNIT_OBJECTION(
            f"该不动产单元存在异议登记（{since}登记），申请人已承诺知悉异议并自担风险",
            "无需操作，审核人员将核对书面承诺", "unit_code")]
    return [codes.UNIT_OBJECTION_UNDERTAKING_MISSING(
        f"该不动产单元存在异议登记（{since}登记），权利可能存在登记异议",
        "继续办理的，请提交知悉异议登记存在并自担风险的书面承诺（OBJECTION_UNDERTAKING）", "materials")]


def no_conflicting_pre_notice(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A purchase pre-notice held by someone other than the mortgagors bars the mortgage without
    the holder's written consent (民法典第221条); the buyer's own pre-notice is no conflict."""
    mortgagors = {identity_key(p.id_number) for p in application.mortgagors}
    pre_notices = active_encumbrances(register, EncumbranceKind.PURCHASE_PRE_NOTICE)
    unknown = [p for p in pre_notices if not p.holder_id_number]
    others = [p for p in pre_notices if p.holder_id_number and identity_key(p.holder_id_number) not in mortgagors]
    findings = []
    if unknown:
        findings.append(codes.UNIT_PRE_NOTICE_HOLDER_UNKNOWN(
            "该单元的预告登记未记载权利人身份证明号码，无法核对是否为抵押人",
            "无需操作，审核人员将核对预告登记权利人", "unit_code"))
    if not others:
        return findings
    since = "、".join(date_zh(p.registered_on) for p in others)
    if supplied(application, register, "PRE_NOTICE_HOLDER_CONSENT"):
        findings.append(codes.UNIT_PRE_NOTICE_HOLDER_CONSENTED(
            f"该单元存在他人的预告登记（{since}登记），申请人已提交预告登记权利人书面同意",
            "无需操作，审核人员将核实书面同意", "unit_code"))
    else:
        findings.append(codes.UNIT_CONFLICTING_PRE_NOTICE(
            f"该单元存在他人的预告登记（{since}登记），其权利人未作为抵押人，也未书面同意",
            "请提交预告登记权利人的书面同意（PRE_NOTICE_HOLDER_CONSENT），或待预告登记注销后再申请", "unit_code"))
    return findings
