"""Every pre-review finding code, its severity and why (published as docs/rules.md).

Severity choices: REFUSE where the law says the registration cannot be made as applied for
or a required element is missing; REVIEW where a person must judge or verify a document the
machine cannot read; COMPLEX where the law allows survey, announcement or investigation and
so a longer time; INFO for the record. 细则 = 不动产登记暂行条例实施细则, 条例 = 不动产登记暂行条例.
"""
from __future__ import annotations

from gateway.prereview.findings import Severity, declare

R, V, C, N = Severity.REFUSE, Severity.REVIEW, Severity.COMPLEX, Severity.INFO  # N: note (INFO)

# The unit and its state.
UNIT_CODE_MALFORMED = declare("unit.code_malformed", R, "不动产单元代码结构错误", "GB/T 37346 不动产单元代码28位结构")
UNIT_NOT_FOUND = declare("unit.not_found", R, "登记簿中无此不动产单元", "条例第22条")
UNIT_STATE_MISMATCH = declare("unit.state_mismatch", R, "单元状态与登记类型不符", "细则第66、75、78条")
UNIT_OWNERS_UNKNOWN = declare("unit.owners_unknown", V, "登记簿未记载权利人，无法核对抵押人")
UNIT_NO_PURCHASE_PRE_NOTICE = declare(
    "unit.no_purchase_pre_notice", R, "预购商品房未办理预告登记", "细则第78条（预购商品房预告登记材料）")
UNIT_NEEDS_SURVEY = declare("unit.needs_survey", C, "登记簿标注本单元需实地查看", "条例第19条")

# Encumbrances.
UNIT_SEIZED = declare("unit.seized", R, "单元已被查封，不得设立或加重抵押", "民法典第399条第5项")
UNIT_SEIZED_REVIEW = declare(
    "unit.seized_review", V, "单元已被查封（转移、注销、转本登记等由审核人员判断）",
    "民法典第399条；查封不当然阻止抵押权人处分自身权利")
UNIT_OBJECTION = declare("unit.objection", V, "存在异议登记，已提交自担风险承诺", "细则第84条")
UNIT_OBJECTION_UNDERTAKING_MISSING = declare(
    "unit.objection_undertaking_missing", R, "存在异议登记，未提交知悉异议并自担风险的书面承诺", "细则第84条")
UNIT_CONFLICTING_PRE_NOTICE = declare(
    "unit.conflicting_pre_notice", R, "存在他人预告登记，未经预告登记权利人书面同意", "民法典第221条；细则第85条第2款")
UNIT_PRE_NOTICE_HOLDER_CONSENTED = declare(
    "unit.pre_notice_holder_consented", V, "存在他人预告登记，已提交其书面同意，须核实", "民法典第221条")
UNIT_PRE_NOTICE_HOLDER_UNKNOWN = declare(
    "unit.pre_notice_holder_unknown", V, "预告登记未记载权利人身份证明号码，无法自动核对")

# Parties.
MORTGAGORS_MISSING = declare("mortgagors.missing", R, "未填写抵押人", "条例第14条（共同申请）")
MORTGAGORS_DUPLICATE = declare("mortgagors.duplicate", R, "同一抵押人重复填写")
MORTGAGORS_NOT_OWNERS = declare("mortgagors.not_owners", R, "抵押人不是登记簿记载的权利人", "民法典第395条；条例第14条")
MORTGAGORS_OWNER_MISSING = declare(
    "mortgagors.owner_missing", R, "登记簿记载的共有人未作为抵押人申请", "民法典第301条；条例第14条")
MORTGAGORS_NAME_DIFFERS = declare("mortgagors.name_differs", V, "抵押人姓名（名称）与登记簿记载不一致")
DEBTOR_MISSING = declare("debtor.missing", R, "未填写债务人", "细则第66条；登记簿须记载债务人")
PARTY_ID_MISSING = declare("party.id_missing", R, "未填写身份证明号码")
PARTY_ID_MALFORMED = declare("party.id_malformed", R, "居民身份证号码长度或格式错误", "GB 11643")
PARTY_ID_CHECK_DIGIT = declare("party.id_check_digit", R, "居民身份证号码校验位错误", "GB 11643（ISO 7064 MOD 11-2）")
PARTY_ID_BIRTH_DATE_INVALID = declare("party.id_birth_date_invalid", R, "居民身份证号码中的出生日期不存在", "GB 11643")
PARTY_ID_REGION_UNKNOWN = declare(
    "party.id_region_unknown", V, "居民身份证号码地址码无法核验（可能为已撤并或新设区划）", "GB 11643")
PARTY_CREDIT_CODE_MALFORMED = declare("party.credit_code_malformed", R, "当事人统一社会信用代码长度或格式错误", "GB 32100")
PARTY_CREDIT_CODE_CHECK_DIGIT = declare("party.credit_code_check_digit", R, "当事人统一社会信用代码校验位错误", "GB 32100, GB 11714")
MORTGAGEE_CREDIT_CODE_MALFORMED = declare(
    "mortgagee.credit_code_malformed", R, "抵押权人统一社会信用代码长度或格式错误", "GB 32100")
MORTGAGEE_CREDIT_CODE_CHECK_DIGIT = declare(
    "mortgagee.credit_code_check_digit", R, "抵押权人统一社会信用代码校验位错误", "GB 32100, GB 11714")
TRANSFEREE_CREDIT_CODE_MALFORMED = declare(
    "transferee.credit_code_malformed", R, "受让人统一社会信用代码长度或格式错误", "GB 32100")
TRANSFEREE_CREDIT_CODE_CHECK_DIGIT = declare(
    "transferee.credit_code_check_digit", R, "受让人统一社会信用代码校验位错误", "GB 32100, GB 11714")

# Amounts and periods.
AMOUNT_MISSING = declare("amount.missing", R, "未填写被担保主债权数额", "细则第66条")
AMOUNT_NOT_POSITIVE = declare("amount.not_positive", R, "金额须为正数")
AMOUNT_PRECISION = declare("amount.precision", R, "金额最多保留两位小数（分）")
AMOUNT_MAXIMUM_MISSING = declare("amount.maximum_missing", R, "最高额抵押未填写最高债权额", "细则第71条；民法典第420条")
AMOUNT_SECURED_ON_MAXIMUM = declare(
    "amount.secured_on_maximum", R, "最高额抵押应填写最高债权额，而非被担保主债权数额", "民法典第420条")
AMOUNT_MAXIMUM_ON_GENERAL = declare("amount.maximum_on_general", R, "一般抵押不应填写最高债权额或债权确定期间")
AMOUNT_CURRENCY_MALFORMED = declare("amount.currency_malformed", R, "币种须为ISO 4217三位大写字母代码")
AMOUNT_FOREIGN_CURRENCY = declare("amount.foreign_currency", V, "被担保债权以外币计价，须人工核对")
PERIOD_MISSING = declare("period.missing", R, "未填写债务履行期限")
PERIOD_INVALID = declare("period.invalid", R, "债务履行期限止日须晚于起日")
CLAIM_PERIOD_MISSING = declare("claim_period.missing", R, "最高额抵押未填写债权确定期间", "细则第71条")
CLAIM_PERIOD_INVALID = declare("claim_period.invalid", R, "债权确定期间止日须晚于起日")

# The mortgage acted on (change, transfer, discharge, conversion).
MORTGAGE_REFERENCE_MISSING = declare("mortgage.reference_missing", R, "未填写所涉不动产登记证明号")
MORTGAGE_NOT_FOUND = declare("mortgage.not_found", R, "本单元登记簿中无此登记证明号的抵押权")
MORTGAGE_NOT_IN_FORCE = declare("mortgage.not_in_force", R, "所涉抵押权已注销或已转为本登记", "细则第68–70条")
MORTGAGE_NOT_APPLICANTS = declare(
    "mortgage.not_applicants", R, "所涉抵押权的抵押权人不是申请机构", "条例第14条；细则第68–70条")
MORTGAGE_MORTGAGORS_DIFFER = declare(
    "mortgage.mortgagors_differ", R, "变更登记的抵押人与登记簿记载的抵押人不一致", "条例第14条（共同申请）")
MORTGAGE_PRE_NOTICE_NOT_CONVERTED = declare(
    "mortgage.pre_notice_not_converted", V, "本机构在该单元已有抵押预告登记，应申请预告登记转本登记", "细则第78条第2款")
UNIT_EXISTING_MORTGAGES = declare("unit.existing_mortgages", N, "单元已有现势抵押权，新抵押权顺位在后", "细则第67条")

# Change, transfer, discharge, construction, conversion.
CHANGE_EMPTY = declare("change.empty", R, "变更登记未填写变更事项", "细则第68、72条")
CHANGE_DUPLICATE_FIELD = declare("change.duplicate_field", R, "同一变更事项重复填写")
CHANGE_VALUE_INVALID = declare("change.value_invalid", R, "变更后的值格式错误")
CHANGE_FIELD_NOT_APPLICABLE = declare("change.field_not_applicable", R, "变更事项不适用于该抵押权种类")
CHANGE_PRIORITY_OUT_OF_RANGE = declare("change.priority_out_of_range", R, "变更后的顺位超出该单元现势抵押权数量")
CHANGE_HARMS_LATER_MORTGAGEES = declare(
    "change.harms_later_mortgagees_without_consent", R, "变更对其他抵押权人不利，未提交其书面同意",
    "民法典第409条；细则第68条第2款、第72条第2款")
TRANSFER_TRANSFEREE_MISSING = declare("transfer.transferee_missing", R, "转移登记未填写受让人", "细则第69条")
TRANSFER_TRANSFEREE_IS_APPLICANT = declare("transfer.transferee_is_applicant", R, "受让人与转让人为同一机构")
DISCHARGE_REASON_MISSING = declare("discharge.reason_missing", R, "注销登记未填写注销原因", "细则第70条")
DISCHARGE_COURT_DOCUMENT_MISSING = declare(
    "discharge.court_document_missing", R, "依法律文书注销，未提交生效法律文书", "细则第70条")
CONSTRUCTION_PERMIT_NO_MISSING = declare(
    "construction.permit_no_missing", R, "在建建筑物抵押未填写建设工程规划许可证号", "细则第76条")
CONVERSION_NOT_PRE_NOTICE = declare(
    "conversion.not_pre_notice", R, "所涉登记不是预购商品房抵押预告登记", "细则第78条第2款")
CONVERSION_TERMS_DIFFER = declare(
    "conversion.terms_differ", V, "转本登记的抵押事项与预告登记记载不一致", "细则第85条第3款（按预告登记事项办理）")

# Materials.
MATERIALS_MISSING = declare("materials.missing", R, "缺少目录清单规定的必需材料", "细则第66–78条；统一申请材料目录清单")
MATERIALS_TAKEN_FROM_FILE = declare("materials.taken_from_file", N, "登记机构已有的材料，从档案调取，不再提交")
MATERIALS_NOT_IN_CATALOGUE = declare("materials.not_in_catalogue", N, "提交的材料类型不在本登记类型的目录清单中")

# Complex cases, the queue, linked applications.
COMPLEX_SURVEY_REQUIRED = declare("complex.survey_required", C, "需要实地查看或调查", "条例第19条")
COMPLEX_ANNOUNCEMENT_REQUIRED = declare("complex.announcement_required", C, "需要公告", "细则第17条")
COMPLEX_UNNOTARISED_INHERITANCE = declare(
    "complex.unnotarised_inheritance", C, "涉及未经公证的继承，须核查继承人", "细则第14条")
APPLICATION_EARLIER_PENDING = declare(
    "application.earlier_pending", V, "同一单元有先受理、尚未办结的申请", "细则第67条（按受理先后办理）")
LINK_INVALID = declare("link.invalid", R, "关联申请的组号、顺序号或件数不合理")
# Checked at intake against the other members of the group (needs the database).
LINK_SIZE_MISMATCH = declare("link.size_mismatch", R, "同组关联申请的申请件数不一致")
LINK_POSITION_TAKEN = declare("link.position_taken", R, "同组关联申请中该顺序号已被使用")
LINK_GROUP_REJECTED = declare("link.group_rejected", R, "同组关联申请已不予登记")
LINK_UNIT_MISMATCH = declare("link.unit_mismatch", R, "同组关联申请须针对同一不动产单元")
RULE_FAILED = declare("prereview.rule_failed", V, "预审规则未能完成，转人工审核")

# Department records (信息互联): the tax bureau's deed-tax records, the housing bureau's filed contracts.
TAX_RECORD_MISSING = declare(
    "tax.record_missing", R, "未收到税务机关对本单元本合同的契税完税（免税、不征税）信息",
    "契税法第9、11条（未按规定缴纳契税的，不动产登记机构不予办理登记）")
TAX_RECORD_MISMATCH = declare(
    "tax.record_mismatch", R, "契税信息与申请不一致（纳税人与买受人、合同编号不符，或税务机关推送的信息相互矛盾）",
    "契税法第11条")
CONTRACT_NOT_FILED = declare(
    "contract.not_filed", V, "未收到住建部门对本单元买卖合同的网签备案信息", "细则第85条第1款第1项（已备案的商品房预售合同）")
CONTRACT_BUYERS_DIFFER = declare(
    "contract.buyers_differ", V, "网签备案合同的买受人与抵押人不一致", "细则第85、86条（预购商品房抵押预告登记由买受人申请）")

# Combined second-hand purchase and mortgage (转移 + 抵押 合并办理, 带押过户): helper D's rules.
TRANSFER_NOT_LINKED = declare(
    "transfer.not_linked", R, "所有权转移登记须与买受人的抵押权首次登记作为关联申请合并办理",
    "转移 + 抵押 合并办理（本中心只受理银行代为申请的合并件）")
TRANSFER_SELLERS_MISSING = declare("transfer.sellers_missing", R, "未填写转让方", "条例第14条（共同申请）")
TRANSFER_SELLERS_NOT_OWNERS = declare(
    "transfer.sellers_not_owners", R, "转让方不是登记簿记载的权利人，或重复填写", "细则第38条")
TRANSFER_OWNER_NOT_SELLING = declare(
    "transfer.owner_not_selling", R, "登记簿记载的权利人未作为转让方申请", "民法典第301条（共有物处分）")
TRANSFER_BUYERS_MISSING = declare("transfer.buyers_missing", R, "未填写受让方（买受人）", "条例第14条")
TRANSFER_MORTGAGORS_NOT_BUYERS = declare(
    "transfer.mortgagors_not_buyers", R, "所有权转移登记的抵押人栏须与受让方一致", "application-format.md 第8节")
TRANSFER_SALE_CONTRACT_MISSING = declare(
    "transfer.sale_contract_missing", R, "未填写网签备案的买卖合同编号", "细则第38条（买卖合同）")
TRANSFER_SALE_PRICE_MISSING = declare("transfer.sale_price_missing", R, "未填写成交价格", "契税法第4条（计税依据）")
TRANSFER_MORTGAGEE_CONSENT_MISSING = declare(
    "transfer.mortgagee_consent_missing", R, "单元上的抵押权随房屋转让继续存在，未提交抵押权人同意转让的证明",
    "民法典第406条；带押过户")
TRANSFER_MORTGAGE_NOT_COMBINED = declare(
    "transfer.mortgage_not_combined", R, "合并办理的抵押权首次登记须由同组所有权转移登记的申请机构申请",
    "转移 + 抵押 合并办理")
