"""Rules of the combined second-hand purchase and mortgage (转移 + 抵押 合并办理, 带押过户).

The buyers' bank files the OWNERSHIP_TRANSFER linked with the buyers' new mortgage; the sellers
are exactly the recorded owners, the buyers are the mortgagors; a mortgage on the unit that no
member of the group discharges is carried over and needs its mortgagee's consent.
"""
from __future__ import annotations

from collections.abc import Iterator

from bank_adapters.canonical import CanonicalApplication
from gateway.prereview import codes
from gateway.prereview.findings import Finding
from gateway.prereview.identifiers import identity_key
from gateway.prereview.rules.common import in_force_mortgages, supplied
from gateway.register.view import RegisterView

CONSENT = "MORTGAGEE_CONSENT"


def transfer_is_combined(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A transfer comes only in a linked group, before the buyers' mortgage (a later position)."""
    link = application.link
    hint = "请将所有权转移登记与买受人的抵押权首次登记使用同一 GroupId 关联申请，转移登记排在抵押登记之前"
    if link is None:
        return [codes.TRANSFER_NOT_LINKED("所有权转移登记未与买受人的抵押权首次登记关联申请", hint, "link")]
    if link.position >= link.size:
        return [codes.TRANSFER_NOT_LINKED("所有权转移登记须排在同组买受人的抵押权首次登记之前", hint, "link.position")]
    return []


def sellers_are_owners(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """The sellers are exactly the recorded owners, matched on the ID number."""
    if register.unit is None:
        return []
    if not application.sellers:
        return [codes.TRANSFER_SELLERS_MISSING("未填写转让方", "请填写登记簿记载的全部权利人作为转让方", "sellers")]
    owners = [identity_key(o.id_number) for o in register.owners]
    return [*_strangers(application, set(owners)), *_owners_not_selling(application, owners)]


def _strangers(application: CanonicalApplication, owners: set[str]) -> Iterator[Finding]:
    seen: set[str] = set()
    for index, party in enumerate(application.sellers):
        key = identity_key(party.id_number)
        if key in seen or key not in owners:
            what = "与前面的转让方重复" if key in seen else "不是登记簿记载的该单元权利人"
            yield codes.TRANSFER_SELLERS_NOT_OWNERS(
                f"第{index + 1}位转让方{what}", "转让方须为登记簿记载的权利人，每人填写一次，请核对身份证明号码",
                f"sellers[{index}].id_number")
        seen.add(key)


def _owners_not_selling(application: CanonicalApplication, owners: list[str]) -> Iterator[Finding]:
    selling = {identity_key(p.id_number) for p in application.sellers}
    for position, key in enumerate(owners, start=1):
        if key not in selling:
            yield codes.TRANSFER_OWNER_NOT_SELLING(
                f"登记簿记载的第{position}位权利人未作为转让方申请", "全部共有人须共同作为转让方申请，请补充", "sellers")


def buyers_are_the_mortgagors(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """Buyers are given, and the Mortgagors element lists the same people (the buyers' mortgage)."""
    if not application.buyers:
        return [codes.TRANSFER_BUYERS_MISSING("未填写受让方（买受人）", "请填写全部买受人", "buyers")]
    buyers = {identity_key(p.id_number) for p in application.buyers}
    if {identity_key(p.id_number) for p in application.mortgagors} != buyers:
        return [codes.TRANSFER_MORTGAGORS_NOT_BUYERS(
            "抵押人栏与受让方（买受人）不一致", "所有权转移登记的抵押人栏请填写全部买受人", "mortgagors")]
    return []


def sale_terms_given(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """The filed sale contract's number and the price (the tax bureau's record is matched on them)."""
    findings = []
    if not (application.sale_contract_no or "").strip():
        findings.append(codes.TRANSFER_SALE_CONTRACT_MISSING(
            "未填写买卖合同编号", "请填写住建部门网签备案的买卖合同编号", "sale_contract_no"))
    if application.sale_price is None:
        findings.append(codes.TRANSFER_SALE_PRICE_MISSING("未填写成交价格", "请填写买卖合同约定的成交价格", "sale_price"))
    return findings


def carried_over_mortgages_consented(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """An in-force mortgage no member of the group discharges stays on the unit (带押过户): its
    mortgagee's consent to the sale is required."""
    discharged = register.combined.discharged_certificates
    carried = [m for m in in_force_mortgages(register) if m.certificate_no not in discharged]
    if not carried or supplied(application, register, CONSENT):
        return []
    return [codes.TRANSFER_MORTGAGEE_CONSENT_MISSING(
        f"该单元有{len(carried)}项现势抵押权将随房屋转让继续存在，未提交抵押权人同意转让的证明",
        "请提交抵押权人同意转让的证明（MORTGAGEE_CONSENT），或由抵押权人在同组申请中注销该抵押权", "materials")]


def mortgage_filed_with_its_transfer(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """The buyers' mortgage in a combined group is the transfer's applicant's (no other bank joins it)."""
    code = register.combined.transfer_mortgagee_code
    if code is None or code == application.mortgagee.code:
        return []
    return [codes.TRANSFER_MORTGAGE_NOT_COMBINED(
        "同组所有权转移登记由其他机构申请，本抵押权首次登记不能与之合并办理",
        "请由申请所有权转移登记的买受人贷款银行申请，或使用其他 GroupId", "mortgagee.code")]
