"""The registration fee (不动产登记费) of one application, from a configurable tariff.

Defaults follow 国家发展改革委、财政部《关于不动产登记收费标准等有关问题的通知》
(发改价格规〔2016〕2559号), as the centre applies it to mortgage registrations:

- 抵押权首次、变更、转移登记 are charged per case (件): residential 80 yuan, non-residential 550;
  a pre-notice converted to a mortgage is a 抵押权首次登记 and is charged the same way.
- 注销登记 and 预告登记 are not charged (the notice forbids charging for them), so
  MORTGAGE_DISCHARGE and PRE_NOTICE_MORTGAGE are free by default.
- A change of nothing but a party's name (姓名、名称变更) is free under the same notice.
- The fee is paid by the party registered as rights holder, for a mortgage the mortgagee.

Each free category can be switched to charged, and the amounts changed, per county.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bank_adapters.canonical import CanonicalApplication, ChangeField, RegistrationType
from gateway.register.view import UnitUse

_NAME_FIELDS = frozenset({ChangeField.MORTGAGEE_NAME, ChangeField.MORTGAGOR_NAME})
_NOTICE = "发改价格规〔2016〕2559号"


@dataclass(frozen=True)
class Tariff:
    """Amounts per case (件) and which free categories a county charges after all."""

    residential: Decimal = Decimal("80")
    non_residential: Decimal = Decimal("550")
    currency: str = "CNY"
    charge_discharge: bool = False
    charge_pre_notice: bool = False
    charge_name_change: bool = False


@dataclass(frozen=True)
class Fee:
    amount: Decimal
    currency: str
    basis_zh: str


def fee_for(application: CanonicalApplication, unit_use: UnitUse | None, tariff: Tariff = Tariff()) -> Fee | None:
    """The fee for one application; ``None`` when it depends on a unit use nobody knows.

    ``unit_use`` comes from the register (``RegisterView.unit.use``); an application on a unit
    missing from the register is refused anyway, so it has no fee.
    """
    free_reason = _free_reason(application, tariff)
    if free_reason is not None:
        return Fee(Decimal("0.00"), tariff.currency, f"{free_reason}，不收取登记费（{_NOTICE}）")
    if unit_use is None:
        return None
    if unit_use is UnitUse.RESIDENTIAL:
        amount, category = tariff.residential, "住宅类"
    else:
        amount, category = tariff.non_residential, "非住宅类"
    amount = amount.quantize(Decimal("0.01"))
    if application.registration_type is RegistrationType.OWNERSHIP_TRANSFER:
        return Fee(amount, tariff.currency, f"{category}不动产所有权转移登记，每件{amount:f}元，由受让方（买受人）缴纳（{_NOTICE}）")
    return Fee(amount, tariff.currency, f"{category}不动产抵押权登记，每件{amount:f}元，由抵押权人缴纳（{_NOTICE}）")


def _free_reason(application: CanonicalApplication, tariff: Tariff) -> str | None:
    kind = application.registration_type
    if kind is RegistrationType.MORTGAGE_DISCHARGE and not tariff.charge_discharge:
        return "抵押权注销登记"
    if kind is RegistrationType.PRE_NOTICE_MORTGAGE and not tariff.charge_pre_notice:
        return "预告登记"
    if kind is RegistrationType.MORTGAGE_CHANGE and not tariff.charge_name_change and _name_change_only(application):
        return "仅变更当事人姓名或名称"
    return None


def _name_change_only(application: CanonicalApplication) -> bool:
    return bool(application.changes) and all(item.field in _NAME_FIELDS for item in application.changes)
