"""Admin web pages: callback deliveries (回调投递) — dead letters first, every attempt, re-drive."""
from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from gateway.delivery import service
from gateway.logs import current_request_id
from gateway.persistence.models import Institution
from gateway.persistence.types import utcnow
from gateway.timezone import LOCAL_TZ
from gateway.web.labels import DOCUMENT_ZH
from gateway.web.auth import Allowed, WebDb
from gateway.web.routing import render, web_router

router = web_router()
DELIVERY_STATUS_ZH = {"pending": "待投递", "delivered": "已送达", "dead": "死信（已停止重试）"}
OUTCOME_ZH = {"delivered": "送达", "failed": "失败，将重试", "dead": "失败，转为死信"}
# Inbox entries delivered by callback besides an application's own documents (labels.DOCUMENT_ZH).
KIND_ZH = {**DOCUMENT_ZH, "certificate": "不动产登记证明（XML）", "refusal": "不予受理通知", "watch_notice": "抵押物权利变动提示",
           "statement": "月度质量报告", "registration_event": "登记信息推送（部门）"}
FILTERS = ("dead", "pending", "delivered", "all")
PAGE_SIZE = 200


@router.get("/admin/deliveries")
def deliveries(request: Request, db: WebDb, admin: Allowed("delivery.manage"), status: str = "dead") -> Response:
    """Dead letters by default; any other status, or all, by filter."""
    status = status if status in FILTERS else "dead"
    rows = service.list_deliveries(db, status=None if status == "all" else status, limit=PAGE_SIZE)
    return render(request, "admin/deliveries.html", {
        "rows": rows, "status": status, "filters": FILTERS, "codes": service.institution_codes(db, rows),
        "described": service.describe_all(db, rows),
        "STATUS": DELIVERY_STATUS_ZH, "page_size": PAGE_SIZE, "KIND": KIND_ZH,
    })


@router.get("/admin/deliveries/{delivery_id}")
def delivery(request: Request, db: WebDb,
             admin: Allowed("delivery.manage"), delivery_id: int, done: str = "") -> Response:
    """One delivery and every attempt made, across re-drives."""
    found = service.get_delivery(db, delivery_id)
    institution = db.scalar(select(Institution).where(Institution.id == found.institution_id))
    return render(request, "admin/deliveries_detail.html", {
        "d": found, "described": service.describe(db, found), "institution": institution,
        "history": service.attempts_of(db, found.id),
        "redrives": service.redrives_of(db, found.id), "unsendable": service.why_unsendable(institution), "done": done,
        "STATUS": DELIVERY_STATUS_ZH, "OUTCOME": OUTCOME_ZH, "to_second": _to_second, "KIND": KIND_ZH,
    })


def _to_second(moment) -> str:
    """Attempts can be seconds apart: show the seconds (local time)."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


@router.post("/admin/deliveries/{delivery_id}/redrive")
def redrive(db: WebDb, admin: Allowed("delivery.manage"), delivery_id: int) -> Response:
    service.redrive(db, delivery_id, actor=admin.username, at=utcnow(), request_id=current_request_id())
    return RedirectResponse(f"/admin/deliveries/{delivery_id}?done=redrive", status_code=303)
