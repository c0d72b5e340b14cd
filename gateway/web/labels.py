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
    "CHANNEL_ZH": CHANNEL_ZH,
}
