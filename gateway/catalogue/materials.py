"""The unified materials list (统一申请材料目录清单): what each registration type asks for.

Every material has a stable code (1–32 characters, ``A–Z 0–9 _``, the ``TypeCode`` of a
submitted material). Each registration type lists its materials as required, conditionally
required (a machine-checkable condition, see ``Condition``) or optional (the note says when),
and says whether the authority may already hold it, in which case it is never asked for
again (``Holding``). Based on 不动产登记暂行条例实施细则 arts. 66–78, 84–86 and the county
申请材料目录 practice; the per-type article list is ``TYPE_BASIS_ZH``.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from bank_adapters.canonical import RegistrationType
from gateway.catalogue.registration_types import TYPE_BASIS_ZH, TYPE_NAMES_ZH

T = RegistrationType


class Need(enum.StrEnum):
    REQUIRED = "REQUIRED"  # 必需
    CONDITIONAL = "CONDITIONAL"  # 符合条件时必需
    OPTIONAL = "OPTIONAL"  # 视情形提交（条件无法由系统判断，由审核人员把握）


class Holding(enum.StrEnum):
    """Whether the authority may already hold a material (不再重复提交)."""

    NO = "NO"  # 须由申请人提交
    IF_ON_FILE = "IF_ON_FILE"  # 此前申请已提交并存档的，不再提交（如当事人身份证明）
    ALWAYS = "ALWAYS"  # 由登记簿或登记档案产生，始终不需提交
    GENERATED = "GENERATED"  # 由经签名的电子申请数据生成，无需另行提交


class Condition(enum.StrEnum):
    """When a conditionally required material is required; each is decided by pre-review."""

    MORTGAGORS_APPLY = "MORTGAGORS_APPLY"
    CHANGE_OF_TERMS = "CHANGE_OF_TERMS"
    CHANGE_OF_NAME = "CHANGE_OF_NAME"
    CHANGE_HARMS_LATER_MORTGAGEES = "CHANGE_HARMS_LATER_MORTGAGEES"
    DISCHARGE_BY_COURT = "DISCHARGE_BY_COURT"
    DISCHARGE_NOT_BY_COURT = "DISCHARGE_NOT_BY_COURT"
    UNIT_HAS_OBJECTION = "UNIT_HAS_OBJECTION"
    UNIT_HAS_CONFLICTING_PRE_NOTICE = "UNIT_HAS_CONFLICTING_PRE_NOTICE"
    MORTGAGE_CARRIED_OVER = "MORTGAGE_CARRIED_OVER"


CONDITION_ZH: dict[Condition, str] = {
    Condition.MORTGAGORS_APPLY: "抵押人作为申请人的（抵押权人名称变更可由抵押权人单方申请）",
    Condition.CHANGE_OF_TERMS: "变更被担保债权数额、最高债权额、债务履行期限、债权确定期间或顺位的",
    Condition.CHANGE_OF_NAME: "变更抵押人或抵押权人姓名（名称）的",
    Condition.CHANGE_HARMS_LATER_MORTGAGEES: "变更对其他抵押权人产生不利影响的（增加数额、延长期限、顺位提前）",
    Condition.DISCHARGE_BY_COURT: "因人民法院、仲裁委员会生效法律文书注销的",
    Condition.DISCHARGE_NOT_BY_COURT: "因主债权消灭、抵押权实现或抵押权人放弃注销的",
    Condition.UNIT_HAS_OBJECTION: "不动产单元存在异议登记的（细则第84条）",
    Condition.UNIT_HAS_CONFLICTING_PRE_NOTICE: "不动产单元存在他人预告登记的（民法典第221条）",
    Condition.MORTGAGE_CARRIED_OVER: "单元上现势抵押权不在同组申请中注销、随房屋转让继续存在的（带押过户，民法典第406条）",
}


@dataclass(frozen=True)
class Material:
    code: str
    name_zh: str
    name_en: str


_MATERIAL_ROWS = (
    ("APPLICATION_FORM", "不动产登记申请书", "application form"),
    ("MORTGAGEE_ID", "抵押权人身份证明（营业执照、金融许可证等）", "mortgagee's identity documents"),
    ("ID_DOCUMENT", "抵押人、债务人身份证明", "identity documents of mortgagors and debtor"),
    ("POWER_OF_ATTORNEY", "授权委托书及代理人身份证明", "power of attorney and agent's identity"),
    ("MARRIAGE_CERTIFICATE", "婚姻状况证明", "marital status certificate"),
    ("TITLE_CERTIFICATE", "不动产权属证书", "title certificate"),
    ("LAND_USE_CERTIFICATE", "建设用地使用权不动产权属证书", "land-use right certificate"),
    ("MORTGAGE_CONTRACT", "抵押合同", "mortgage contract"),
    ("LOAN_CONTRACT", "主债权合同", "principal claim (loan) contract"),
    ("EXISTING_CLAIM_AGREEMENT", "已存在债权转入最高额抵押担保范围的书面材料",
     "agreement bringing existing claims under the maximum-amount mortgage"),
    ("CONSTRUCTION_PERMIT", "建设工程规划许可证", "construction project planning permit"),
    ("CADASTRAL_SURVEY", "不动产权籍调查成果（在建建筑物抵押范围）", "cadastral survey of the mortgaged part"),
    ("PURCHASE_CONTRACT", "已备案的商品房预售合同", "registered off-plan purchase contract"),
    ("PURCHASE_PRE_NOTICE_CERTIFICATE", "预购商品房预告登记证明", "purchase pre-notice certificate"),
    ("PRE_NOTICE_MORTGAGE_CERTIFICATE", "预购商品房抵押预告登记证明", "pre-notice mortgage certificate"),
    ("MORTGAGE_CERTIFICATE", "不动产登记证明（抵押权）", "registration certificate of the mortgage"),
    ("CHANGE_AGREEMENT", "抵押权变更协议", "mortgage change agreement"),
    ("NAME_CHANGE_EVIDENCE", "姓名或名称变更证明", "evidence of a change of name"),
    ("LATER_MORTGAGEE_CONSENT", "受不利影响的其他抵押权人书面同意及其身份证明",
     "written consent of the adversely affected other mortgagees"),
    ("ASSIGNMENT_CONTRACT", "债权转让合同", "claim assignment contract"),
    ("DEBTOR_NOTICE", "债权人已通知债务人的材料", "evidence that the debtor was notified of the assignment"),
    ("TRANSFEREE_ID", "受让人身份证明", "transferee's identity documents"),
    ("DISCHARGE_EVIDENCE", "抵押权消灭的材料（主债权消灭、抵押权实现或放弃的证明）",
     "evidence that the mortgage ended (repayment, enforcement or waiver)"),
    ("COURT_DOCUMENT", "人民法院、仲裁委员会生效法律文书", "effective court or arbitration document"),
    ("OBJECTION_UNDERTAKING", "知悉异议登记存在并自担风险的书面承诺",
     "written undertaking acknowledging the objection and accepting its risk"),
    ("PRE_NOTICE_HOLDER_CONSENT", "预告登记权利人书面同意", "written consent of the pre-notice holder"),
    ("SALE_CONTRACT", "存量房买卖合同（网签备案）", "sale contract of the home as filed with the housing bureau"),
    ("MORTGAGEE_CONSENT", "抵押权人同意抵押财产转让的证明", "the mortgagee's consent to the sale of the mortgaged home"),
)

MATERIALS: dict[str, Material] = {code: Material(code, zh, en) for code, zh, en in _MATERIAL_ROWS}


@dataclass(frozen=True)
class Requirement:
    """One line of a type's list: which material, how needed, and whether the authority holds it."""

    code: str
    need: Need
    held: Holding = Holding.NO
    condition: Condition | None = None
    note_zh: str = ""

    @property
    def material(self) -> Material:
        return MATERIALS[self.code]


def _required(code: str, held: Holding = Holding.NO, note: str = "") -> Requirement:
    return Requirement(code, Need.REQUIRED, held, None, note)


def _when(code: str, condition: Condition) -> Requirement:
    return Requirement(code, Need.CONDITIONAL, Holding.NO, condition)


def _optional(code: str, note: str) -> Requirement:
    return Requirement(code, Need.OPTIONAL, Holding.NO, None, note)


# Every type: the signed electronic application is the 申请书, and the institution's identity
# was verified when it was onboarded, so neither is ever asked for.
_HEAD = (
    _required("APPLICATION_FORM", Holding.GENERATED, "由机构签名的电子申请数据生成"),
    _required("MORTGAGEE_ID", Holding.ALWAYS, "机构接入时已核验并存档"),
)
_PARTIES = _required("ID_DOCUMENT", Holding.IF_ON_FILE, "此前登记已提交的，从档案调取")
_TITLE = _required("TITLE_CERTIFICATE", Holding.ALWAYS, "记载于登记簿，不再提交")
_CONTRACTS = (_required("MORTGAGE_CONTRACT", note="可为主债权合同中的抵押条款"), _required("LOAN_CONTRACT"))
_AGENT = _optional("POWER_OF_ATTORNEY", "委托代理人办理的")
_MARRIAGE = _optional("MARRIAGE_CERTIFICATE", "抵押人已婚且房屋可能为夫妻共同财产的")
# A mortgage being created disposes of the owner's right: objection and pre-notice rules apply.
_ENCUMBRANCES = (
    _when("OBJECTION_UNDERTAKING", Condition.UNIT_HAS_OBJECTION),
    _when("PRE_NOTICE_HOLDER_CONSENT", Condition.UNIT_HAS_CONFLICTING_PRE_NOTICE),
)
_HELD_CERTIFICATE = _required("MORTGAGE_CERTIFICATE", Holding.ALWAYS, "由登记簿产生，不再提交")

CATALOGUE: dict[RegistrationType, tuple[Requirement, ...]] = {
    T.MORTGAGE_FIRST: (*_HEAD, _PARTIES, _TITLE, *_CONTRACTS, *_ENCUMBRANCES, _MARRIAGE, _AGENT),
    T.MORTGAGE_FIRST_MAXIMUM: (
        *_HEAD, _PARTIES, _TITLE,
        _required("MORTGAGE_CONTRACT", note="最高额抵押合同"),
        _required("LOAN_CONTRACT", note="一定期间内将要连续发生的债权的合同"),
        *_ENCUMBRANCES,
        _optional("EXISTING_CLAIM_AGREEMENT", "约定将最高额抵押权设立前已存在的债权纳入担保范围的"),
        _MARRIAGE, _AGENT,
    ),
    T.MORTGAGE_CHANGE: (
        *_HEAD,
        Requirement("ID_DOCUMENT", Need.CONDITIONAL, Holding.IF_ON_FILE, Condition.MORTGAGORS_APPLY),
        _TITLE, _HELD_CERTIFICATE,
        _when("CHANGE_AGREEMENT", Condition.CHANGE_OF_TERMS),
        _when("NAME_CHANGE_EVIDENCE", Condition.CHANGE_OF_NAME),
        _when("LATER_MORTGAGEE_CONSENT", Condition.CHANGE_HARMS_LATER_MORTGAGEES),
        _when("OBJECTION_UNDERTAKING", Condition.UNIT_HAS_OBJECTION),
        _AGENT,
    ),
    T.MORTGAGE_TRANSFER: (
        *_HEAD, _TITLE, _HELD_CERTIFICATE,
        _required("ASSIGNMENT_CONTRACT"),
        _required("DEBTOR_NOTICE"),
        _required("TRANSFEREE_ID", Holding.IF_ON_FILE, "受让人为已接入机构或此前已提交的，不再提交"),
        _AGENT,
    ),
    T.MORTGAGE_DISCHARGE: (
        *_HEAD, _HELD_CERTIFICATE,
        _when("DISCHARGE_EVIDENCE", Condition.DISCHARGE_NOT_BY_COURT),
        _when("COURT_DOCUMENT", Condition.DISCHARGE_BY_COURT),
        _AGENT,
    ),
    T.CONSTRUCTION_MORTGAGE: (
        *_HEAD, _PARTIES,
        _required("LAND_USE_CERTIFICATE", Holding.ALWAYS, "记载于登记簿，不再提交"),
        *_CONTRACTS,
        _required("CONSTRUCTION_PERMIT"),
        _required("CADASTRAL_SURVEY", note="抵押范围不含已预告登记或已预售备案的商品房（细则第75条）"),
        *_ENCUMBRANCES, _AGENT,
    ),
    T.PRE_NOTICE_MORTGAGE: (
        *_HEAD, _PARTIES, *_CONTRACTS,
        _required("PURCHASE_CONTRACT", Holding.IF_ON_FILE, "办理预购商品房预告登记时已提交的，不再提交"),
        _required("PURCHASE_PRE_NOTICE_CERTIFICATE", Holding.ALWAYS, "由登记簿产生，不再提交"),
        *_ENCUMBRANCES, _MARRIAGE, _AGENT,
    ),
    T.PRE_NOTICE_CONVERSION: (
        *_HEAD, _PARTIES, _TITLE,
        _required("PRE_NOTICE_MORTGAGE_CERTIFICATE", Holding.ALWAYS, "由登记簿产生，不再提交"),
        _required("MORTGAGE_CONTRACT", Holding.ALWAYS, "办理抵押预告登记时已提交并存档"),
        _required("LOAN_CONTRACT", Holding.ALWAYS, "办理抵押预告登记时已提交并存档"),
        *_ENCUMBRANCES, _AGENT,
    ),
    # The buyers' bank files it in a group with the buyers' mortgage; the deed-tax record is not a
    # material: the tax bureau sends it (pre-review tax.record_missing).
    T.OWNERSHIP_TRANSFER: (
        *_HEAD,
        _required("ID_DOCUMENT", Holding.IF_ON_FILE, "买卖双方身份证明；此前登记已提交的，从档案调取"),
        _TITLE,
        _required("SALE_CONTRACT"),
        _when("MORTGAGEE_CONSENT", Condition.MORTGAGE_CARRIED_OVER),
        *_ENCUMBRANCES, _MARRIAGE, _AGENT,
    ),
}


def requirements_for(registration_type: RegistrationType) -> tuple[Requirement, ...]:
    """The materials list of one registration type, in the order it is published."""
    return CATALOGUE[registration_type]


def catalogue_json() -> dict:
    """The whole list as plain JSON data, for ``GET /v1/catalogue``."""
    return {
        "materials": [{"code": m.code, "name_zh": m.name_zh, "name_en": m.name_en} for m in MATERIALS.values()],
        "conditions": [{"code": c.value, "description_zh": CONDITION_ZH[c]} for c in Condition],
        "types": [
            {
                "registration_type": t.value,
                "name_zh": TYPE_NAMES_ZH[t],
                "basis_zh": TYPE_BASIS_ZH[t],
                "materials": [_requirement_json(r) for r in requirements],
            }
            for t, requirements in CATALOGUE.items()
        ],
    }


def _requirement_json(requirement: Requirement) -> dict:
    condition = requirement.condition
    return {
        "code": requirement.code,
        "name_zh": requirement.material.name_zh,
        "need": requirement.need.value,
        "condition": condition.value if condition else None,
        "condition_zh": CONDITION_ZH[condition] if condition else None,
        "held": requirement.held.value,
        "note_zh": requirement.note_zh or None,
    }


_NEED_ZH = {Need.REQUIRED: "必需", Need.CONDITIONAL: "条件必需", Need.OPTIONAL: "视情形"}
_HELD_ZH = {
    Holding.NO: "须提交",
    Holding.IF_ON_FILE: "已存档的免交",
    Holding.ALWAYS: "免交（登记机构已有）",
    Holding.GENERATED: "免交（由电子申请生成）",
}


def catalogue_markdown() -> str:
    """``docs/catalogue.md``: the same list for people, generated so the two never disagree."""
    lines = [
        "# 统一申请材料目录清单 (unified materials list)",
        "",
        "Generated by `gateway.catalogue.materials.catalogue_markdown()`; do not edit by hand.",
        "The same data is served at `GET /v1/catalogue`. Submit each material with its code as",
        "`TypeCode`. Materials marked 免交 are never asked for; 已存档的免交 ones are taken from",
        "file when an earlier application supplied them (pre-review reports `materials.taken_from_file`).",
        "",
    ]
    for registration_type, requirements in CATALOGUE.items():
        lines += [
            f"## {TYPE_NAMES_ZH[registration_type]} (`{registration_type.value}`)",
            "",
            f"依据：{TYPE_BASIS_ZH[registration_type]}",
            "",
            "| 代码 | 材料 | 要求 | 登记机构已有 | 说明 |",
            "|---|---|---|---|---|",
        ]
        lines += [_requirement_row(r) for r in requirements]
        lines.append("")
    return "\n".join(lines)


def _requirement_row(requirement: Requirement) -> str:
    need = _NEED_ZH[requirement.need]
    parts = (CONDITION_ZH[requirement.condition] if requirement.condition else "", requirement.note_zh)
    note = "；".join(part for part in parts if part)
    return (
        f"| `{requirement.code}` | {requirement.material.name_zh} | {need} "
        f"| {_HELD_ZH[requirement.held]} | {note} |"
    )
