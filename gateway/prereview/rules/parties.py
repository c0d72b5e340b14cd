"""Rules about the parties: mortgagors are the owners, a debtor is named, identifiers are valid."""
from __future__ import annotations

from collections.abc import Iterator

from bank_adapters.canonical import CanonicalApplication, IdType, Party
from gateway.prereview import codes
from gateway.prereview.findings import Finding
from gateway.prereview.identifiers import IdProblem, credit_code_problem, identity_key, resident_id_problem
from gateway.prereview.rules.common import active_encumbrances, mortgagor_label
from gateway.register.view import EncumbranceKind, RegisterView, UnitState

Owner = tuple[str, str, str]  # (identity key, name, share), in register order


def mortgagors_are_owners(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """The mortgagors are exactly the recorded owners: every co-owner applies, no stranger does.

    Matched on the ID number. For an off-plan home the owners-to-be are the holders of the
    purchase pre-notice (预购商品房预告登记).
    """
    if register.unit is None:
        return []
    off_plan = register.unit.state is UnitState.OFF_PLAN
    owners = _owners_of_record(register, off_plan)
    if not owners:
        # Off plan without a pre-notice is refused by purchase_pre_notice_registered.
        return [] if off_plan else [codes.UNIT_OWNERS_UNKNOWN(
            "登记簿未记载该单元的权利人，无法核对抵押人", "无需操作，审核人员将核对权属", "unit_code")]
    if not application.mortgagors:
        return [codes.MORTGAGORS_MISSING("未填写抵押人", "请填写全部抵押人（登记簿记载的全部权利人）", "mortgagors")]
    return [*_strangers_and_duplicates(application, owners), *_absent_owners(application, owners, off_plan)]


def _owners_of_record(register: RegisterView, off_plan: bool) -> list[Owner]:
    """(id key, name, share) of each owner in register order."""
    if off_plan:
        holders = active_encumbrances(register, EncumbranceKind.PURCHASE_PRE_NOTICE)
        return [(identity_key(h.holder_id_number), h.holder_name or "", "") for h in holders if h.holder_id_number]
    return [(identity_key(o.id_number), o.name, o.share) for o in register.owners]


def _strangers_and_duplicates(application: CanonicalApplication, owners: list[Owner]) -> Iterator[Finding]:
    names = {key: name for key, name, _ in owners}
    seen: set[str] = set()
    for index, party in enumerate(application.mortgagors):
        key, where = identity_key(party.id_number), f"mortgagors[{index}].id_number"
        if key in seen:
            yield codes.MORTGAGORS_DUPLICATE(f"{mortgagor_label(index)}与前面的抵押人重复", "每位抵押人只填写一次", where)
        elif key not in names:
            yield codes.MORTGAGORS_NOT_OWNERS(
                f"{mortgagor_label(index)}不是登记簿记载的该单元权利人", "抵押人须为不动产权利人，请核对身份证明号码", where)
        elif names[key] and party.name.strip() != names[key].strip():
            yield codes.MORTGAGORS_NAME_DIFFERS(
                f"{mortgagor_label(index)}的姓名（名称）与登记簿记载不一致", "无需操作，审核人员将核对；如已更名请提交更名证明",
                f"mortgagors[{index}].name")
        seen.add(key)


def _absent_owners(application: CanonicalApplication, owners: list[Owner], off_plan: bool) -> Iterator[Finding]:
    applying = {identity_key(p.id_number) for p in application.mortgagors}
    who = "预告登记权利人（买受人）" if off_plan else "权利人"
    for position, (key, _name, share) in enumerate(owners, start=1):
        if key not in applying:
            share_text = f"（份额{share}）" if share else ""
            yield codes.MORTGAGORS_OWNER_MISSING(
                f"登记簿记载的第{position}位{who}{share_text}未作为抵押人申请",
                "全部共有人须共同作为抵押人申请，请补充", "mortgagors")


def debtor_given(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A mortgage being created names its debtor (the borrower, who may not be a mortgagor)."""
    if application.debtor is not None:
        return []
    return [codes.DEBTOR_MISSING("未填写债务人", "请填写主债权合同的债务人", "debtor")]


def party_id_numbers(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """Resident ID numbers pass GB 11643 and organisations' codes pass GB 32100 (python-stdnum): the
    mortgagors', the debtor's, and a transfer's sellers' and buyers'."""
    labelled = [(mortgagor_label(i), f"mortgagors[{i}]", p) for i, p in enumerate(application.mortgagors)]
    if application.debtor is not None:
        labelled.append(("债务人", "debtor", application.debtor))
    labelled += [(f"第{i + 1}位转让方", f"sellers[{i}]", p) for i, p in enumerate(application.sellers)]
    labelled += [(f"第{i + 1}位受让方", f"buyers[{i}]", p) for i, p in enumerate(application.buyers)]
    return [f for label, path, party in labelled if (f := _party_id_finding(label, path, party)) is not None]


_RESIDENT_KINDS = {
    IdProblem.MISSING: (codes.PARTY_ID_MISSING, "未填写居民身份证号码"),
    IdProblem.MALFORMED: (codes.PARTY_ID_MALFORMED, "居民身份证号码应为18位（前17位数字，末位为数字或X），不含空格"),
    IdProblem.CHECK_DIGIT: (codes.PARTY_ID_CHECK_DIGIT, "居民身份证号码校验位错误"),
    IdProblem.BIRTH_DATE: (codes.PARTY_ID_BIRTH_DATE_INVALID, "居民身份证号码中的出生日期不存在"),
    IdProblem.REGION: (codes.PARTY_ID_REGION_UNKNOWN, "居民身份证号码的地址码无法核验"),
}
_CREDIT_KINDS = {
    IdProblem.MISSING: (codes.PARTY_ID_MISSING, "未填写统一社会信用代码"),
    IdProblem.MALFORMED: (codes.PARTY_CREDIT_CODE_MALFORMED, "统一社会信用代码应为18位数字或大写字母（不含I、O、S、V、Z），不含空格"),
    IdProblem.CHECK_DIGIT: (codes.PARTY_CREDIT_CODE_CHECK_DIGIT, "统一社会信用代码校验位错误"),
}


_OTHER_KINDS = {IdProblem.MISSING: (codes.PARTY_ID_MISSING, "未填写身份证明号码")}


def _party_id_finding(label: str, path: str, party: Party) -> Finding | None:
    if party.id_type is IdType.RESIDENT_ID:
        problem, table = resident_id_problem(party.id_number), _RESIDENT_KINDS
    elif party.id_type is IdType.USCC:
        problem, table = credit_code_problem(party.id_number), _CREDIT_KINDS
    else:  # passports and permits have no public check digit: only presence is checked
        problem, table = (None if party.id_number.strip() else IdProblem.MISSING), _OTHER_KINDS
    if problem is None:
        return None
    kind, what = table[problem]
    hint = "无需操作，审核人员将核对身份证明" if problem is IdProblem.REGION else "请按身份证明原件核对后重新填写"
    return kind(f"{label}的{what}", hint, f"{path}.id_number")


def institution_credit_codes(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """The mortgagee's and the transferee's unified social credit codes pass GB 32100."""
    checks = [("抵押权人", "mortgagee.code", application.mortgagee.code,
               codes.MORTGAGEE_CREDIT_CODE_MALFORMED, codes.MORTGAGEE_CREDIT_CODE_CHECK_DIGIT)]
    if application.transferee is not None:
        checks.append(("受让人", "transferee.code", application.transferee.code,
                       codes.TRANSFEREE_CREDIT_CODE_MALFORMED, codes.TRANSFEREE_CREDIT_CODE_CHECK_DIGIT))
    findings = []
    for label, field, code, malformed, check_digit in checks:
        problem = credit_code_problem(code)
        if problem is None:
            continue
        if problem is IdProblem.CHECK_DIGIT:
            kind, what = check_digit, "校验位错误"
        else:
            kind, what = malformed, "应为18位数字或大写字母（不含I、O、S、V、Z），不含空格"
        findings.append(kind(f"{label}的统一社会信用代码{what}", "请核对营业执照或登记证书上的统一社会信用代码", field))
    return findings
