"""Rules about amounts and periods of a mortgage being created (general or maximum-amount)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bank_adapters.canonical import CanonicalApplication
from gateway.prereview import codes
from gateway.prereview.findings import Finding, FindingKind
from gateway.register.view import RegisterView

_CURRENCY = re.compile(r"[A-Z]{3}")
_AMOUNT_HINT = "请按主债权合同填写以元为单位、最多两位小数的正数"


def amount_problems(amount: Decimal, field: str, what_zh: str) -> list[Finding]:
    """A present amount is a finite positive number of yuan with at most two decimals (fen)."""
    if not amount.is_finite() or amount <= 0:
        return [codes.AMOUNT_NOT_POSITIVE(f"{what_zh}须大于零", _AMOUNT_HINT, field)]
    if amount.as_tuple().exponent < -2:
        return [codes.AMOUNT_PRECISION(f"{what_zh}最多保留两位小数", _AMOUNT_HINT, field)]
    return []


@dataclass(frozen=True)
class _Period:
    label_zh: str
    start_field: str
    end_field: str
    missing: FindingKind
    invalid: FindingKind

    def problems(self, start: date | None, end: date | None) -> list[Finding]:
        """Both ends present and the end after the start."""
        findings = [
            self.missing(f"未填写{self.label_zh}（{end_zh}）", f"请填写{self.label_zh}", field)
            for value, field, end_zh in ((start, self.start_field, "起"), (end, self.end_field, "止"))
            if value is None
        ]
        if start is not None and end is not None and end <= start:
            findings.append(self.invalid(f"{self.label_zh}的止日须晚于起日", f"请核对{self.label_zh}", self.end_field))
        return findings


_DEBT_PERIOD = _Period("债务履行期限", "debt_start", "debt_end", codes.PERIOD_MISSING, codes.PERIOD_INVALID)
_CLAIM_PERIOD = _Period("债权确定期间", "claim_period_start", "claim_period_end",
                        codes.CLAIM_PERIOD_MISSING, codes.CLAIM_PERIOD_INVALID)


def general_amount_and_period(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A general mortgage secures a positive claim amount over a debt performance period,
    and carries no maximum-amount terms."""
    findings = []
    if application.secured_amount is None:
        findings.append(codes.AMOUNT_MISSING("未填写被担保主债权数额", _AMOUNT_HINT, "secured_amount"))
    else:
        findings += amount_problems(application.secured_amount, "secured_amount", "被担保主债权数额")
    findings += _DEBT_PERIOD.problems(application.debt_start, application.debt_end)
    maximum_terms = [f for f in ("maximum_claim_amount", "claim_period_start", "claim_period_end")
                     if getattr(application, f) is not None]
    if maximum_terms:
        findings.append(codes.AMOUNT_MAXIMUM_ON_GENERAL(
            "一般抵押不应填写最高债权额或债权确定期间", "最高额抵押请申请最高额抵押权首次登记（MORTGAGE_FIRST_MAXIMUM）",
            maximum_terms[0]))
    return findings


def maximum_amount_and_claim_period(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A maximum-amount mortgage needs the maximum claim amount and the claim determination
    period, not a secured amount; a debt period, if given, must still run forwards."""
    findings = []
    if application.maximum_claim_amount is None:
        findings.append(codes.AMOUNT_MAXIMUM_MISSING("未填写最高债权额", _AMOUNT_HINT, "maximum_claim_amount"))
    else:
        findings += amount_problems(application.maximum_claim_amount, "maximum_claim_amount", "最高债权额")
    if application.secured_amount is not None:
        findings.append(codes.AMOUNT_SECURED_ON_MAXIMUM(
            "最高额抵押应填写最高债权额，不填写被担保主债权数额", "请将金额填入最高债权额", "secured_amount"))
    findings += _CLAIM_PERIOD.problems(application.claim_period_start, application.claim_period_end)
    start, end = application.debt_start, application.debt_end
    if start is not None and end is not None and end <= start:
        findings.append(codes.PERIOD_INVALID("债务履行期限的止日须晚于起日", "请核对债务履行期限", "debt_end"))
    return findings


def currency_is_cny(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """The currency is an ISO 4217 code; anything but CNY is queued for a person to check."""
    if not _CURRENCY.fullmatch(application.currency):
        return [codes.AMOUNT_CURRENCY_MALFORMED("币种代码格式错误", "请填写ISO 4217币种代码，人民币为CNY", "currency")]
    if application.currency != "CNY":
        return [codes.AMOUNT_FOREIGN_CURRENCY(
            "被担保债权以外币计价", "无需操作，审核人员将核对币种与金额", "currency")]
    return []
