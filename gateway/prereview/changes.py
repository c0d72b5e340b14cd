"""Reading the new values of a 抵押权变更登记 and what they do to the mortgage and to others."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from bank_adapters.canonical import ChangeField, ChangeItem
from gateway.register.view import MortgageRecord

F = ChangeField
NAME_FIELDS = frozenset({F.MORTGAGEE_NAME, F.MORTGAGOR_NAME})
FIELD_ZH = {
    F.SECURED_AMOUNT: "被担保主债权数额",
    F.MAXIMUM_CLAIM_AMOUNT: "最高债权额",
    F.DEBT_END: "债务履行期限（止）",
    F.CLAIM_PERIOD_END: "债权确定期间（止）",
    F.PRIORITY: "抵押权顺位",
    F.MORTGAGEE_NAME: "抵押权人名称",
    F.MORTGAGOR_NAME: "抵押人姓名（名称）",
}
FORMAT_ZH = {
    F.SECURED_AMOUNT: "以元为单位、最多两位小数的正数",
    F.MAXIMUM_CLAIM_AMOUNT: "以元为单位、最多两位小数的正数",
    F.DEBT_END: "YYYY-MM-DD 格式的日期",
    F.CLAIM_PERIOD_END: "YYYY-MM-DD 格式的日期",
    F.PRIORITY: "正整数",
    F.MORTGAGEE_NAME: "非空的名称",
    F.MORTGAGOR_NAME: "非空的姓名或名称",
}

ChangeValue = Decimal | date | int | str
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # fromisoformat alone also takes 20260101, 2026-W01-1


def parse_change_value(item: ChangeItem) -> ChangeValue:
    """The new value in its field's type; ``ValueError`` when it does not parse."""
    text = item.new_value.strip()
    if item.field in (F.SECURED_AMOUNT, F.MAXIMUM_CLAIM_AMOUNT):
        return _positive_yuan(text)
    if item.field in (F.DEBT_END, F.CLAIM_PERIOD_END):
        if not _ISO_DATE.fullmatch(text):
            raise ValueError("not YYYY-MM-DD")
        return date.fromisoformat(text)
    if item.field is F.PRIORITY:
        if not text.isascii() or not text.isdigit() or int(text) < 1:
            raise ValueError("not a positive integer")
        return int(text)
    if not text:
        raise ValueError("blank name")
    return text


def _positive_yuan(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation as error:
        raise ValueError("not a decimal") from error
    if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:
        raise ValueError("not a positive amount in fen")
    return amount


def parsed_changes(items: tuple[ChangeItem, ...]) -> dict[ChangeField, ChangeValue]:
    """The changes that parse, by field (the first one wins; duplicates are refused elsewhere)."""
    values: dict[ChangeField, ChangeValue] = {}
    for item in items:
        try:
            values.setdefault(item.field, parse_change_value(item))
        except ValueError:
            continue
    return values


def burden_increases(items: tuple[ChangeItem, ...], record: MortgageRecord) -> tuple[str, ...]:
    """How the change makes the mortgage weigh more on the unit (more money or longer), in Chinese.

    A value the register does not record counts as an increase: nobody can show it is not.
    """
    values = parsed_changes(items)
    recorded = {
        F.SECURED_AMOUNT: record.secured_amount,
        F.MAXIMUM_CLAIM_AMOUNT: record.maximum_claim_amount,
        F.DEBT_END: record.debt_end,
        F.CLAIM_PERIOD_END: record.claim_period_end,
    }
    verbs = {F.SECURED_AMOUNT: "增加", F.MAXIMUM_CLAIM_AMOUNT: "增加", F.DEBT_END: "延长", F.CLAIM_PERIOD_END: "延长"}
    return tuple(
        f"{verbs[field]}{FIELD_ZH[field]}"
        for field, old in recorded.items()
        if field in values and (old is None or values[field] > old)
    )


def raised_priority(items: tuple[ChangeItem, ...], record: MortgageRecord) -> int | None:
    """The better (smaller) priority the mortgage moves up to, or ``None`` if it does not move up."""
    new = parsed_changes(items).get(F.PRIORITY)
    return new if isinstance(new, int) and new < record.priority else None
