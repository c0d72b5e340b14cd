"""Rules on the departments' records: the deed-tax record of a transfer, the filed contract of a pre-notice.

Records are matched to the application by the sale contract number (网签备案号) when the application
gives one, and parties by ID number (never by name). A record number the department sent twice with
different content is flagged conflicting: the registry cannot tell which version stands, so it counts
as a mismatch (tax) or as not filed (contract) until the department sorts it out.
"""
from __future__ import annotations

from bank_adapters.canonical import CanonicalApplication, Party
from gateway.prereview import codes
from gateway.prereview.findings import Finding
from gateway.prereview.identifiers import identity_key
from gateway.register.view import ContractFact, RegisterView, TaxRecordFact

FILED = "FILED"


def _contract_no(application: CanonicalApplication) -> str:
    return (application.sale_contract_no or "").strip()


def _same_people(id_numbers: tuple[str, ...], parties: tuple[Party, ...]) -> bool:
    return {identity_key(n) for n in id_numbers} == {identity_key(p.id_number) for p in parties}


def _for_contract(records, number: str, attribute: str):
    return [r for r in records if not number or getattr(r, attribute).strip() == number]


def tax_record_matches(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A transfer needs the tax bureau's 完税 / 免税 / 不征税 record for the unit and contract, whose
    taxpayers are the buyers."""
    number = _contract_no(application)
    records: list[TaxRecordFact] = _for_contract(register.tax_records, number, "sale_contract_no")
    if not records:
        if register.tax_records and number:
            return [codes.TAX_RECORD_MISMATCH(
                "税务机关就本单元推送的契税信息所载合同编号与申请的网签合同编号不一致",
                "请核对网签合同编号，或请买受人向税务机关更正", "sale_contract_no")]
        return [codes.TAX_RECORD_MISSING(
            "尚未收到税务机关就本单元本合同推送的契税完税（免税、不征税）信息",
            "请买受人先向税务机关申报契税；税务机关推送后可重新提交", "sale_contract_no")]
    if any(r.conflicting for r in records):
        return [codes.TAX_RECORD_MISMATCH(
            "税务机关就同一契税信息编号推送了内容不同的信息，无法确定以哪一份为准",
            "请联系税务机关更正后重新推送", "sale_contract_no")]
    if not any(_same_people(r.taxpayer_id_numbers, application.buyers) for r in records):
        return [codes.TAX_RECORD_MISMATCH(
            "契税信息记载的纳税人与申请的买受人不一致（按身份证明号码核对）",
            "请核对买受人，或请税务机关更正纳税人信息", "buyers")]
    return []


def _standing_contracts(register: RegisterView, number: str) -> tuple[list[ContractFact], list[ContractFact]]:
    """(records for the contract, those of them filed and standing: not cancelled, not contradicted)."""
    records = _for_contract(register.filed_contracts, number, "contract_no")
    cancelled = {r.contract_no for r in records if r.status != FILED}
    standing = [r for r in records if r.status == FILED and not r.conflicting and r.contract_no not in cancelled]
    return records, standing


def contract_filed(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """A mortgage pre-notice rests on the buyers' filed sale contract (网签备案), bought by the mortgagors."""
    records, standing = _standing_contracts(register, _contract_no(application))
    if not standing:
        message = ("住建部门推送的该合同网签备案信息已注销或相互矛盾" if records
                   else "尚未收到住建部门就本单元推送的买卖合同网签备案信息")
        return [codes.CONTRACT_NOT_FILED(message, "无需操作，审核人员将向住建部门核实网签备案", "sale_contract_no")]
    if not any(_same_people(r.buyer_id_numbers, application.mortgagors) for r in standing):
        return [codes.CONTRACT_BUYERS_DIFFER(
            "网签备案合同记载的买受人与抵押人不一致（按身份证明号码核对）",
            "无需操作，审核人员将核对买受人与抵押人", "mortgagors")]
    return []
