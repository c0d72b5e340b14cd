"""Chinese names for the codes the staff web shows, and the filters its templates use."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from bank_adapters.canonical import RegistrationType
from gateway.catalogue.materials import MATERIALS
from gateway.catalogue.registration_types import TYPE_NAMES_ZH
from gateway.timezone import LOCAL_TZ

STATUS_ZH = {
    "QUEUED": "待审核", "IN_REVIEW": "审核中", "SUPPLEMENT_REQUESTED": "待补正", "ANNOUNCING": "公告中",
    "APPROVED": "审核通过，待登簿", "REGISTERED": "已登簿", "REJECTED": "不予登记",
}
ACTION_ZH = {
    "submit": "提交申请", "claim": "认领", "release": "退回队列", "approve": "审核通过", "auto_approve": "自动审核通过",
    "register": "登簿", "reject": "不予登记", "request_supplement": "要求补正", "supplement": "补正材料",
    "start_announcement": "开始公告", "end_announcement": "公告结束", "linked_rejection": "关联申请不予登记",
    "department_record": "收到部门推送信息，预审结果已更新", "return_to_review": "登簿前复核不符，退回审核",
}
ROLE_ZH = {"clerk": "公积金中心经办人", "reviewer": "审核人员", "supervisor": "监督人员", "admin": "管理员"}
ID_TYPE_ZH = {
    "RESIDENT_ID": "居民身份证", "PASSPORT": "护照", "HK_MACAO_PERMIT": "港澳居民来往内地通行证",
    "TAIWAN_PERMIT": "台湾居民来往大陆通行证", "USCC": "统一社会信用代码", "OTHER": "其他证件",
}
SEVERITY_ZH = {"REFUSE": "不予受理", "REVIEW": "需人工审核", "COMPLEX": "复杂情形", "INFO": "提示"}
TRIAGE_ZH = {"SIMPLE": "简易", "COMPLEX": "复杂", "AUTO_APPROVE": "自动审核"}
STEP_ZH = {"queue": "等待认领", "review": "审核", "supplement": "补正", "announcement": "公告", "registration": "登簿"}
DISCHARGE_REASON_ZH = {
    "DEBT_REPAID": "主债权消灭（贷款已结清）", "RIGHT_ENFORCED": "抵押权已经实现", "WAIVED": "抵押权人放弃抵押权",
    "COURT_RULING": "人民法院、仲裁委员会生效法律文书",
}
UNIT_USE_ZH = {"RESIDENTIAL": "住宅", "NON_RESIDENTIAL": "非住宅"}
UNIT_STATE_ZH = {"TITLED": "已办理所有权登记", "UNDER_CONSTRUCTION": "在建建筑物", "OFF_PLAN": "预售商品房"}
MORTGAGE_KIND_ZH = {"GENERAL": "一般抵押", "MAXIMUM": "最高额抵押", "CONSTRUCTION": "在建建筑物抵押",
                    "PRE_NOTICE": "抵押预告登记"}
MORTGAGE_STATUS_ZH = {"IN_FORCE": "现势", "DISCHARGED": "已注销", "CONVERTED": "已转本登记"}
ENCUMBRANCE_ZH = {"SEIZURE": "查封", "OBJECTION": "异议登记", "PURCHASE_PRE_NOTICE": "预购商品房预告登记"}
DOCUMENT_ZH = {"receipt": "受理回执", "supplement_request": "补正通知书", "result": "办理结果", "request": "申请报文"}
CHANNEL_ZH = {"bank_xml": "银行系统报文", "web": "网上填报"}
INSTITUTION_KIND_ZH = {"bank": "银行", "housing_fund": "公积金中心", "department": "部门"}
DEPARTMENT_ROLE_ZH = {"tax_bureau": "税务局", "housing_bureau": "住房和城乡建设局（房产交易中心）",
                      "fund_centre": "住房公积金管理中心"}
# Recorded admin actions (admin_actions.action) as the admin pages name them.
ADMIN_ACTION_ZH = {
    "institution.create": "登记机构", "institution.update": "修改名称或回调地址", "institution.disable": "停用机构",
    "institution.enable": "启用机构", "institution.purposes": "修改部门查询用途",
    "certificate.add": "登记签名证书", "certificate.revoke": "吊销签名证书", "certificate.revoke_by_crl": "按 CRL 吊销证书",
    "crl.import": "导入证书吊销列表",
    "staff.create": "创建账号", "staff.set_role": "修改角色", "staff.disable": "停用账号", "staff.enable": "启用账号",
    "staff.reset_password": "重置密码", "staff.change_password": "本人修改密码", "staff.reset_totp": "重置两步验证",
    "staff.totp_enable": "启用两步验证", "staff.totp_disable": "停用两步验证",
}
CERTIFICATE_STATUS_ZH = {"current": "有效", "not_yet_valid": "尚未生效", "expired": "已过期", "revoked": "已吊销"}

# Refusals the web can meet, by stable code; anything else falls back to its kind.
_REFUSALS = {
    "review.not_claimed": ("无法办理", "该申请已由其他审核人员认领，或尚未由您认领。"),
    "register.conflict": ("暂不能审核通过", "同一不动产单元有更早受理、尚未办结的申请，请先办结该申请；或登记簿已不允许本次登记。"),
    "application.illegal_transition": ("无法办理", "申请的当前状态不允许此操作，可能已被他人处理。请刷新页面后查看。"),
    "review.reason_required": ("请填写理由", "不予登记必须填写理由。"),
    "review.missing_required": ("请选择补正材料", "要求补正时须至少勾选一项需补正的材料。"),
    "material.too_large": ("文件过大", "单个材料文件超过大小上限。"),
    "material.missing": ("材料未上传", "所列材料尚未上传成功，请重新上传。"),
    "gateway.misconfigured": ("系统配置不完整", "网关尚未为本机构配置签名密钥，暂时无法提交。请联系登记中心管理员。"),
    "certificate.not_registered": ("系统配置不完整", "本机构的签名证书尚未在网关登记，暂时无法提交。请联系登记中心管理员。"),
    "delivery.not_dead": ("无法重新投递", "只有已转为死信的投递才能重新投递；该投递正在投递中或已送达。请刷新页面后查看。"),
    "delivery.no_callback_url": ("无法重新投递", "该机构当前没有回调地址。请先在“机构”页面设置回调地址，再重新投递。"),
    "institution.disabled": ("机构已停用", "本机构（或其上级机构）已被登记中心停用，暂不能提交申请、上传或补正材料。已提交的申请仍由登记中心继续办理。请联系登记中心。"),
    "institution.not_found": ("未找到机构", "没有此统一社会信用代码的机构。"),
    "institution.invalid_name": ("机构名称不正确", "机构名称不能为空，不超过 200 个字符。"),
    "institution.invalid_callback_url": ("回调地址不正确", "回调地址须以 https:// 开头；仅本机回环地址（127.0.0.1、::1、localhost）可用 http://；地址中不得含用户名或密码。"),
    "institution.reason_required": ("请填写停用原因", "停用机构时必须填写原因。"),
    "institution.already_disabled": ("机构已停用", "该机构已经是停用状态，可能已被他人停用。请刷新页面后查看。"),
    "institution.not_disabled": ("机构未停用", "该机构已经是启用状态，可能已被他人启用。请刷新页面后查看。"),
    "institution.nothing_to_change": ("没有需要保存的修改", "名称和回调地址都与当前相同。"),
    "certificate.unreadable": ("不是证书", "所提交的内容不是 X.509 证书（PEM 或 DER）。请提交机构的签名证书，不要提交私钥。"),
    "certificate.expired": ("证书已过期", "该证书已超过有效期，不能登记。请机构提供新证书。"),
    "certificate.not_yet_valid": ("证书尚未生效", "该证书的有效期尚未开始，请在生效后再登记。"),
    "certificate.wrong_key_usage": ("证书用途不符", "该证书不是签名证书：CA 证书、密钥用途不含数字签名（digitalSignature）或不可否认（nonRepudiation），或扩展密钥用途不含签名用途。"),
    "certificate.unsupported_key": ("证书密钥不符合要求", "签名证书须为 2048 位及以上的 RSA 密钥，或 P-256 椭圆曲线密钥。"),
    "certificate.untrusted": ("证书不受信任", "该证书不是由登记中心配置的信任锚（根证书）签发的。"),
    "certificate.exists": ("证书已登记", "该证书（同一 SHA-256 指纹）已经登记过。"),
    "certificate.unknown": ("未找到证书", "没有此指纹的已登记证书。"),
    "certificate.already_revoked": ("证书已吊销", "该证书已经被吊销，可能已被他人处理。请刷新页面后查看。"),
    "certificate.reason_required": ("请填写吊销原因", "吊销证书时必须填写原因。"),
    "certificate.reason_too_long": ("吊销原因过长", "吊销原因不超过 200 个字符。"),
    "certificate.bad_period": ("到期天数不正确", "请填写天数，例如 30 或 30d（不超过 3650 天）。"),
    "certificate.bad_status": ("证书状态不正确", "请从列表中选择证书状态。"),
    "staff.unknown": ("未找到账号", "没有此用户名的工作人员账号。"),
    "staff.exists": ("用户名已被使用", "已有同名账号，请换一个用户名。"),
    "staff.invalid_role": ("角色不正确", "角色须为公积金中心经办人、审核人员、监督人员或管理员之一。"),
    "staff.institution_mismatch": ("所属机构不正确", "公积金中心经办人必须选择所属机构；其他角色不属于任何机构。"),
    "staff.weak_password": ("密码过短", "密码至少需要 10 个字符。"),
    "staff.last_admin": ("不能停用最后一名管理员", "这是唯一仍在使用的管理员账号，不能停用或改为其他角色。请先启用或创建另一名管理员。"),
    "staff.totp_not_enrolled": ("未启用两步验证", "该账号尚未启用两步验证，无需重置。"),
    "query.purpose_unknown": ("查询用途不正确", "请从列表中选择查询用途。"),
    "department.not_a_department": ("不是部门", "只有登记为部门（或具有部门角色的公积金中心）的机构才能设置查询用途。"),
}
_BY_KIND = {
    "forbidden": ("无权访问", "您的账号角色不能使用此页面或执行此操作。"),
    "not_found": ("未找到", "所访问的申请或文件不存在，或不属于您所在的机构。"),
    "conflict": ("无法办理", "申请的状态已经变化，此操作不能执行。请刷新页面后查看。"),
    "unauthenticated": ("请先登录", "您尚未登录，或登录已过期。"),
    "too_large": ("内容过大", "提交的内容超过大小上限。"),
}


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(value: object, limit: int) -> str:
    """Text typed in a form, without control characters (signed XML cannot carry them), trimmed."""
    return _CONTROL.sub("", str(value or "")).strip()[:limit]


def refusal_zh(code: str, kind: str) -> tuple[str, str]:
    """(title, explanation) of a gateway refusal, for a person."""
    return _REFUSALS.get(code) or _BY_KIND.get(kind) or ("无法办理", "请求未被接受，请检查填写的内容。")


def type_zh(code: str) -> str:
    try:
        return TYPE_NAMES_ZH[RegistrationType(code)]
    except ValueError:
        return code


def material_zh(code: str) -> str:
    material = MATERIALS.get(code)
    return material.name_zh if material else code


def local_time(moment: datetime | str | None) -> str:
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def day(value: date | str | None) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else value.isoformat()


def yuan(value: Decimal | str | None) -> str:
    """An amount in yuan with thousands separators: 1,200,000.00 元."""
    if value in (None, ""):
        return "—"
    try:
        return f"{Decimal(str(value)):,.2f} 元"
    except InvalidOperation:
        return str(value)


def duration(seconds: float | None) -> str:
    """A time spent at a step, in the unit a person reads best."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{max(seconds, 0):.0f} 秒"
    if seconds < 3600:
        return f"{seconds / 60:.0f} 分钟"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} 小时"
    return f"{seconds / 86400:.1f} 天"


def days_left(value: int | None) -> str:
    if value is None:
        return "—"
    if value < 0:
        return f"已超期 {-value} 个工作日"
    if value == 0:
        return "今日到期"
    return f"剩余 {value} 个工作日"


def short_hash(value: str | None) -> str:
    return f"{value[:12]}…" if value else "—"


TEMPLATE_FILTERS = {
    "local_time": local_time, "day": day, "yuan": yuan, "duration": duration, "days_left": days_left,
    "type_zh": type_zh, "material_zh": material_zh, "short_hash": short_hash,
}
TEMPLATE_GLOBALS = {
    "STATUS_ZH": STATUS_ZH, "ACTION_ZH": ACTION_ZH, "ROLE_ZH": ROLE_ZH, "ID_TYPE_ZH": ID_TYPE_ZH,
    "SEVERITY_ZH": SEVERITY_ZH, "TRIAGE_ZH": TRIAGE_ZH, "STEP_ZH": STEP_ZH, "DISCHARGE_REASON_ZH": DISCHARGE_REASON_ZH,
    "UNIT_USE_ZH": UNIT_USE_ZH, "UNIT_STATE_ZH": UNIT_STATE_ZH, "MORTGAGE_KIND_ZH": MORTGAGE_KIND_ZH,
    "MORTGAGE_STATUS_ZH": MORTGAGE_STATUS_ZH, "ENCUMBRANCE_ZH": ENCUMBRANCE_ZH, "DOCUMENT_ZH": DOCUMENT_ZH,
    "CHANNEL_ZH": CHANNEL_ZH, "INSTITUTION_KIND_ZH": INSTITUTION_KIND_ZH,
    "DEPARTMENT_ROLE_ZH": DEPARTMENT_ROLE_ZH, "ADMIN_ACTION_ZH": ADMIN_ACTION_ZH,
    "CERTIFICATE_STATUS_ZH": CERTIFICATE_STATUS_ZH,
}
