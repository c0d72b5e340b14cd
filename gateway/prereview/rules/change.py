"""Rules about a 抵押权变更登记: what is changed, and whom the change harms."""
from __future__ import annotations

from bank_adapters.canonical import CanonicalApplication, ChangeField
from gateway.prereview import codes
from gateway.prereview.changes import (
    FIELD_ZH,
    FORMAT_ZH,
    burden_increases,
    parse_change_value,
    parsed_changes,
    raised_priority,
)
from gateway.prereview.findings import Finding
from gateway.prereview.identifiers import same_identity
from gateway.prereview.rules.common import in_force_mortgages, referenced_mortgage, supplied
from gateway.register.view import MortgageKind, MortgageRecord, RegisterView

F = ChangeField
_MAXIMUM_ONLY = frozenset({F.MAXIMUM_CLAIM_AMOUNT, F.CLAIM_PERIOD_END})


def change_values_parse(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """At least one change, each field once, each new value in its field's format.

    The new value is never quoted back: a new name is personal data.
    """
    if not application.changes:
        return [codes.CHANGE_EMPTY("未填写变更事项", "请填写变更事项及变更后的内容", "changes")]
    findings, seen = [], set()
    for index, item in enumerate(application.changes):
        if item.field in seen:
            findings.append(codes.CHANGE_DUPLICATE_FIELD(
                f"第{index + 1}项变更事项（{FIELD_ZH[item.field]}）重复", "每个变更事项只填写一次",
                f"changes[{index}].field"))
        seen.add(item.field)
        try:
            parse_change_value(item)
        except ValueError:
            findings.append(codes.CHANGE_VALUE_INVALID(
                f"第{index + 1}项变更事项（{FIELD_ZH[item.field]}）的变更后内容格式错误",
                f"请填写{FORMAT_ZH[item.field]}", f"changes[{index}].new_value"))
    return findings


def change_fits_mortgage(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """The changed fields exist on this kind of mortgage, and new dates and priority make sense."""
    record = referenced_mortgage(application, register)
    if record is None:
        return []
    values = parsed_changes(application.changes)
    findings = []
    for index, item in enumerate(application.changes):
        where = f"changes[{index}]"
        if _not_applicable(item.field, record.kind):
            findings.append(codes.CHANGE_FIELD_NOT_APPLICABLE(
                f"{FIELD_ZH[item.field]}不适用于该抵押权", "一般抵押变更被担保主债权数额，最高额抵押变更最高债权额",
                f"{where}.field"))
        elif item.field in values:
            finding = _value_finding(item.field, values[item.field], record, register, where)
            findings += [finding] if finding else []
    return findings


def _not_applicable(field: ChangeField, kind: MortgageKind) -> bool:
    if kind is MortgageKind.MAXIMUM:
        return field is F.SECURED_AMOUNT
    return field in _MAXIMUM_ONLY


def _value_finding(field, value, record: MortgageRecord, register: RegisterView, where: str) -> Finding | None:
    if field is F.DEBT_END and record.debt_start is not None and value <= record.debt_start:
        return codes.PERIOD_INVALID("变更后的债务履行期限止日须晚于起日", "请核对债务履行期限", f"{where}.new_value")
    if field is F.CLAIM_PERIOD_END and record.claim_period_start is not None and value <= record.claim_period_start:
        return codes.CLAIM_PERIOD_INVALID("变更后的债权确定期间止日须晚于起日", "请核对债权确定期间", f"{where}.new_value")
    ranks = len({m.priority for m in in_force_mortgages(register)})
    if field is F.PRIORITY and value > ranks:
        return codes.CHANGE_PRIORITY_OUT_OF_RANGE(
            f"变更后的顺位超出该单元现势抵押权的数量（{ranks}项）", "请核对变更后的顺位", f"{where}.new_value")
    return None


def change_harms_later_mortgagees(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A change that harms other mortgagees needs their written consent (民法典第409条):
    a higher amount or a longer period harms those ranked after it, a raise in priority harms
    those it overtakes (they end up later). The applicant's own mortgages need no consent."""
    record = referenced_mortgage(application, register)
    if record is None or supplied(application, register, "LATER_MORTGAGEE_CONSENT"):
        return []
    harmed, reasons = _harmed_priorities(application, record, register)
    if not harmed:
        return []
    ranks = "、".join(f"第{p}顺位" for p in harmed)
    return [codes.CHANGE_HARMS_LATER_MORTGAGEES(
        f"本次变更（{'、'.join(reasons)}）对{ranks}抵押权人产生不利影响，未提交其书面同意",
        "请提交受影响抵押权人的书面同意及其身份证明（LATER_MORTGAGEE_CONSENT）", "changes")]


def _harmed_priorities(application: CanonicalApplication, record: MortgageRecord,
                       register: RegisterView) -> tuple[list[int], list[str]]:
    others = [m for m in in_force_mortgages(register)
              if m.priority != record.priority and not same_identity(m.mortgagee_code, application.mortgagee.code)]
    harmed: set[int] = set()
    reasons: list[str] = []
    later = {m.priority for m in others if m.priority > record.priority}
    increases = burden_increases(application.changes, record)
    if later and increases:
        reasons += increases
        harmed |= later
    raised_to = raised_priority(application.changes, record)
    if raised_to is not None:
        overtaken = {m.priority for m in others if raised_to <= m.priority < record.priority}
        if overtaken:
            reasons.append(f"顺位提前至第{raised_to}顺位")
            harmed |= overtaken
    return sorted(harmed), reasons
