"""The housing-fund clerk's application form: read, checked field by field, turned into the canonical application.

The checks are the pre-review's own (ID check digits, credit codes, unit code segments, the
materials list) run before submitting, so a clerk sees a precise message next to the field;
intake then runs the full pre-review against the register, exactly as for a bank.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from bank_adapters.canonical import (
    CanonicalApplication, DischargeReason, IdType, MaterialRef, Mortgagee, Party, RegistrationType,
)
from gateway.catalogue.materials import Holding, Need, requirements_for
from gateway.prereview.identifiers import IdProblem, credit_code_problem, resident_id_problem
from gateway.prereview.unit_code import UNIT_CODE_LENGTH, malformed_segments

T = RegistrationType
WEB_TYPES = (T.MORTGAGE_FIRST, T.PRE_NOTICE_MORTGAGE, T.MORTGAGE_DISCHARGE)
CREATING = frozenset({T.MORTGAGE_FIRST, T.PRE_NOTICE_MORTGAGE})
MAX_MORTGAGORS = 10
MAX_MATERIALS = 50
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
OTHER_ID = re.compile(r"^[0-9A-Za-z()\-]{1,40}$")
CERTIFICATE_NO = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff()（）〔〕\-]{1,64}$")
_ID_MESSAGES = {
    IdProblem.MISSING: "请填写证件号码",
    IdProblem.MALFORMED: "居民身份证号码应为18位（前17位数字，末位数字或X），不含空格",
    IdProblem.CHECK_DIGIT: "居民身份证号码校验位错误，请逐位核对",
    IdProblem.BIRTH_DATE: "居民身份证号码中的出生日期不存在",
}
_USCC_MESSAGES = {
    IdProblem.MISSING: "请填写统一社会信用代码",
    IdProblem.MALFORMED: "统一社会信用代码应为18位：前8位为数字，其余为数字或大写字母（不含I、O、S、V、Z）",
    IdProblem.CHECK_DIGIT: "统一社会信用代码校验位错误，请逐位核对",
}


@dataclass
class PartyRow:
    name: str = ""
    id_type: str = IdType.RESIDENT_ID.value
    id_number: str = ""

    def is_blank(self) -> bool:
        return not self.name.strip() and not self.id_number.strip()

    def to_party(self) -> Party:
        return Party(self.name.strip(), IdType(self.id_type), self.id_number.strip().upper())


@dataclass
class MaterialRow:
    type_code: str
    file_name: str
    sha256: str


@dataclass
class ApplicationForm:
    """What the clerk typed, kept as text so the form can be shown again exactly as it was."""

    registration_type: str
    request_id: str
    unit_code: str = ""
    mortgagors: list[PartyRow] = field(default_factory=lambda: [PartyRow(), PartyRow()])
    debtor_same: bool = True
    debtor: PartyRow = field(default_factory=PartyRow)
    secured_amount: str = ""
    debt_start: str = ""
    debt_end: str = ""
    loan_contract_no: str = ""
    mortgage_contract_no: str = ""
    referenced_certificate_no: str = ""
    discharge_reason: str = ""
    materials: list[MaterialRow] = field(default_factory=list)

    @property
    def kind(self) -> RegistrationType:
        return RegistrationType(self.registration_type)

    @property
    def creating(self) -> bool:
        return self.kind in CREATING

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> ApplicationForm:
        def text(name: str, limit: int = 200) -> str:
            return str(form.get(name, "")).strip()[:limit]

        kind = text("registration_type")
        mortgagors = [PartyRow(text(f"mortgagor-{i}-name", 100), text(f"mortgagor-{i}-id_type", 20) or "RESIDENT_ID",
                               text(f"mortgagor-{i}-id_number", 40)) for i in range(MAX_MORTGAGORS)]
        materials = [MaterialRow(text(f"material-{i}-type", 32), text(f"material-{i}-name", 200),
                                 text(f"material-{i}-sha256", 64)) for i in range(MAX_MATERIALS)]
        return cls(
            registration_type=kind if kind in {t.value for t in WEB_TYPES} else T.MORTGAGE_FIRST.value,
            request_id=text("request_id", 64), unit_code=text("unit_code", 40).upper(),
            mortgagors=[m for m in mortgagors if not m.is_blank()] or [PartyRow()],
            debtor_same=form.get("debtor_same") == "on",
            debtor=PartyRow(text("debtor-name", 100), text("debtor-id_type", 20) or "RESIDENT_ID",
                            text("debtor-id_number", 40)),
            secured_amount=text("secured_amount", 30), debt_start=text("debt_start", 10), debt_end=text("debt_end", 10),
            loan_contract_no=text("loan_contract_no", 64), mortgage_contract_no=text("mortgage_contract_no", 64),
            referenced_certificate_no=text("referenced_certificate_no", 64),
            discharge_reason=text("discharge_reason", 20),
            materials=[m for m in materials if m.sha256],
        )


def id_number_problem(id_type: str, number: str) -> str | None:
    """The Chinese message for a wrong ID number or credit code, or None (same checks as pre-review)."""
    number = number.strip()
    if id_type == IdType.RESIDENT_ID:
        problem = resident_id_problem(number)
        return _ID_MESSAGES.get(problem) if problem else None  # an unknown region is left to the reviewer
    if id_type == IdType.USCC:
        problem = credit_code_problem(number)
        return _USCC_MESSAGES.get(problem) if problem else None
    if not number:
        return "请填写证件号码"
    return None if OTHER_ID.match(number) else "证件号码只能包含字母、数字、括号和连字符，最多40位"


def unit_code_problem(unit_code: str) -> str | None:
    if not unit_code:
        return "请填写不动产单元代码"
    segments = malformed_segments(unit_code)
    if segments is None:
        return f"不动产单元代码应为{UNIT_CODE_LENGTH}位，当前为{len(unit_code)}位"
    return "；".join(s.describe_zh() for s in segments) or None


def parse_amount(text: str) -> Decimal | None:
    """Yuan with at most two decimals; thousands separators allowed."""
    try:
        value = Decimal(text.replace(",", "").replace("，", "").replace(" ", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")) or value >= Decimal("1e13"):
        return None
    return value


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _check_party(errors: dict[str, str], prefix: str, row: PartyRow) -> None:
    if not row.name:
        errors[f"{prefix}-name"] = "请填写姓名（名称）"
    if row.id_type not in {t.value for t in IdType}:
        errors[f"{prefix}-id_type"] = "请选择证件类型"
    elif message := id_number_problem(row.id_type, row.id_number):
        errors[f"{prefix}-id_number"] = message


def _check_terms(errors: dict[str, str], form: ApplicationForm) -> None:
    if parse_amount(form.secured_amount) is None:
        errors["secured_amount"] = "请填写大于0的金额（元），最多两位小数" if form.secured_amount else "请填写被担保主债权数额"
    start, end = parse_date(form.debt_start), parse_date(form.debt_end)
    if start is None:
        errors["debt_start"] = "请按“年-月-日”填写债务履行期限起日，如 2026-12-01"
    if end is None:
        errors["debt_end"] = "请按“年-月-日”填写债务履行期限止日，如 2046-11-30"
    elif start is not None and end <= start:
        errors["debt_end"] = "债务履行期限止日须晚于起日"
    for name, label in (("loan_contract_no", "借款合同编号"), ("mortgage_contract_no", "抵押合同编号")):
        if not getattr(form, name):
            errors[name] = f"请填写{label}"


def _check_discharge(errors: dict[str, str], form: ApplicationForm) -> None:
    if not CERTIFICATE_NO.match(form.referenced_certificate_no):
        errors["referenced_certificate_no"] = "请填写所注销抵押权的不动产登记证明号，如 宁(2025)平罗县不动产证明第0000101号"
    if form.discharge_reason not in {r.value for r in DischargeReason}:
        errors["discharge_reason"] = "请选择注销原因"


def validate(form: ApplicationForm) -> dict[str, str]:
    """Every problem found, keyed by the form field it concerns (empty: the form may be submitted)."""
    errors: dict[str, str] = {}
    if message := unit_code_problem(form.unit_code):
        errors["unit_code"] = message
    for index, row in enumerate(form.mortgagors):
        _check_party(errors, f"mortgagor-{index}", row)
    if form.creating:
        if not form.debtor_same:
            _check_party(errors, "debtor", form.debtor)
        _check_terms(errors, form)
    else:
        _check_discharge(errors, form)
    if message := materials_problem(form):
        errors["materials"] = message
    return errors


def required_material_codes(kind: RegistrationType, discharge_reason: str = "") -> list[str]:
    """Materials the clerk must upload for the type: required ones the registry does not hold."""
    codes = [r.code for r in requirements_for(kind) if r.need is Need.REQUIRED and r.held is Holding.NO]
    if kind is T.MORTGAGE_DISCHARGE:
        codes.append("COURT_DOCUMENT" if discharge_reason == DischargeReason.COURT_RULING else "DISCHARGE_EVIDENCE")
    return codes


def materials_problem(form: ApplicationForm) -> str | None:
    from gateway.web.labels import material_zh

    listed = {r.code for r in requirements_for(form.kind)}
    if any(not SHA256.match(m.sha256) or m.type_code not in listed or not m.file_name for m in form.materials):
        return "材料清单有误，请删除后重新上传"
    if not form.materials:
        return "请上传申请材料"
    present = {m.type_code for m in form.materials}
    missing = [code for code in required_material_codes(form.kind, form.discharge_reason) if code not in present]
    return f"缺少必需材料：{'、'.join(material_zh(code) for code in missing)}" if missing else None


def to_canonical(form: ApplicationForm, *, mortgagee: Mortgagee, created_at: datetime) -> CanonicalApplication:
    """The canonical application of a form that ``validate`` passed."""
    mortgagors = tuple(row.to_party() for row in form.mortgagors)
    debtor = None
    if form.creating:
        debtor = mortgagors[0] if form.debtor_same else form.debtor.to_party()
    return CanonicalApplication(
        request_id=form.request_id, created_at=created_at, registration_type=form.kind, mortgagee=mortgagee,
        mortgagors=mortgagors, debtor=debtor, unit_code=form.unit_code,
        secured_amount=parse_amount(form.secured_amount) if form.creating else None, currency="CNY",
        debt_start=parse_date(form.debt_start) if form.creating else None,
        debt_end=parse_date(form.debt_end) if form.creating else None,
        loan_contract_no=form.loan_contract_no or None if form.creating else None,
        mortgage_contract_no=form.mortgage_contract_no or None if form.creating else None,
        materials=tuple(MaterialRef(m.type_code, m.file_name, m.sha256) for m in form.materials),
        referenced_certificate_no=None if form.creating else form.referenced_certificate_no,
        discharge_reason=None if form.creating else DischargeReason(form.discharge_reason),
    )


_FIELD_PATH = re.compile(r"^(mortgagors|debtor)(?:\[(\d+)\])?(?:\.(name|id_number))?$")


def form_field(path: str | None) -> str | None:
    """The form field a pre-review finding's ``field`` points at (``mortgagors[1].id_number`` → ``mortgagor-1-id_number``)."""
    if not path:
        return None
    match = _FIELD_PATH.match(path)
    if match is None:
        return path.split(".")[0]
    group, index, attribute = match.groups()
    if group == "debtor":
        return f"debtor-{attribute or 'name'}"
    if index is None:
        return "mortgagors"
    return f"mortgagor-{index}-{attribute or 'name'}"
