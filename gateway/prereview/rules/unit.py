"""Rules about the property unit itself: its code, its existence, its state."""
from __future__ import annotations

from bank_adapters.canonical import CanonicalApplication
from gateway.catalogue.registration_types import TYPE_NAMES_ZH
from gateway.prereview import codes
from gateway.prereview.findings import Finding
from gateway.prereview.rules.common import T, active_encumbrances, referenced_mortgage
from gateway.prereview.unit_code import UNIT_CODE_LENGTH, is_well_formed, malformed_segments
from gateway.register.view import EncumbranceKind, MortgageKind, RegisterView, UnitState

S = UnitState
_STATE_ZH = {S.TITLED: "已登记房屋所有权", S.UNDER_CONSTRUCTION: "在建建筑物", S.OFF_PLAN: "预售商品房"}
# The state a unit must be in for a type that creates a mortgage.
_STATES_FOR_TYPE = {
    T.MORTGAGE_FIRST: {S.TITLED},
    T.MORTGAGE_FIRST_MAXIMUM: {S.TITLED},
    T.PRE_NOTICE_CONVERSION: {S.TITLED},  # converts only once the buyer's title is registered
    T.CONSTRUCTION_MORTGAGE: {S.UNDER_CONSTRUCTION},
    T.PRE_NOTICE_MORTGAGE: {S.OFF_PLAN},
    T.OWNERSHIP_TRANSFER: {S.TITLED},
}
# Change, transfer and discharge act on a mortgage; the state that fits depends on its kind
# (a construction mortgage survives completion until converted, 细则第77条).
_STATES_FOR_KIND = {
    MortgageKind.GENERAL: {S.TITLED},
    MortgageKind.MAXIMUM: {S.TITLED},
    MortgageKind.CONSTRUCTION: {S.UNDER_CONSTRUCTION, S.TITLED},
    MortgageKind.PRE_NOTICE: {S.OFF_PLAN, S.TITLED},
}


def unit_code_shape(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """The unit code has 28 characters in the GB/T 37346 segments; each bad segment is named."""
    bad = malformed_segments(application.unit_code)
    hint = "请按不动产权属证书或登记簿记载的不动产单元号填写"
    if bad is None:
        message = f"不动产单元代码应为{UNIT_CODE_LENGTH}位，实为{len(application.unit_code)}位"
        return [codes.UNIT_CODE_MALFORMED(message, hint, "unit_code")]
    return [codes.UNIT_CODE_MALFORMED(f"不动产单元代码{s.describe_zh()}", hint, "unit_code") for s in bad]


def unit_exists_in_fitting_state(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """The unit is in the register, in the state the registration type needs."""
    if register.unit is None:
        if not is_well_formed(application.unit_code):
            return []  # unit_code_shape already says why no unit can be found
        return [codes.UNIT_NOT_FOUND(
            "登记簿中没有该不动产单元", "请核对不动产单元号；新建房屋须先办理所有权首次登记", "unit_code")]
    allowed = _allowed_states(application, register)
    state = register.unit.state
    if state in allowed:
        return []
    wanted = "或".join(_STATE_ZH[s] for s in S if s in allowed)
    message = f"该单元为{_STATE_ZH[state]}，{TYPE_NAMES_ZH[application.registration_type]}要求单元为{wanted}"
    return [codes.UNIT_STATE_MISMATCH(message, _state_hint(state), "unit_code")]


def _allowed_states(application: CanonicalApplication, register: RegisterView) -> set[UnitState]:
    if application.registration_type in _STATES_FOR_TYPE:
        return _STATES_FOR_TYPE[application.registration_type]
    record = referenced_mortgage(application, register)
    # Without the mortgage, mortgage.not_found refuses; a state finding would only add noise.
    return _STATES_FOR_KIND[record.kind] if record is not None else set(S)


def _state_hint(state: UnitState) -> str:
    if state is S.OFF_PLAN:
        return "预售商品房请申请预购商品房抵押预告登记"
    if state is S.UNDER_CONSTRUCTION:
        return "在建建筑物请申请在建建筑物抵押权登记"
    return "房屋已登记所有权的，请申请抵押权首次登记或预告登记转本登记"


def purchase_pre_notice_registered(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A pre-notice mortgage of an off-plan home needs the buyer's purchase pre-notice (细则第78条)."""
    if register.unit is None or register.unit.state is not S.OFF_PLAN:
        return []
    if active_encumbrances(register, EncumbranceKind.PURCHASE_PRE_NOTICE):
        return []
    return [codes.UNIT_NO_PURCHASE_PRE_NOTICE(
        "该预售商品房未办理预购商品房预告登记", "请买受人先办理（或同时申请）预购商品房预告登记", "unit_code")]
