"""The supervisors' page of every institution's monthly quality figures (docs/interface/quality.md)."""
from __future__ import annotations

from collections import Counter

from fastapi import Request
from fastapi.responses import Response

from gateway.api.deps import RuntimeDep
from gateway.errors import GatewayError
from gateway.persistence.types import utcnow
from gateway.quality.figures import MonthlyFigures, compute
from gateway.quality.months import Month
from gateway.web import views
from gateway.web.auth import Allowed, WebDb
from gateway.web.charts import bar_chart
from gateway.web.routing import render, web_router

router = web_router()
REFUSALS_ZH = {"quality.month_invalid": "月份应写作 YYYY-MM，如 2026-11。",
               "quality.month_not_started": "所选月份尚未开始。"}


@router.get("/supervision/quality")
def quality_page(request: Request, runtime: RuntimeDep, db: WebDb, supervisor: Allowed("quality.read_all"),
                 month: str = "") -> Response:
    current = Month.of(views.today())
    error = None
    try:
        chosen = Month.parse(month, today=views.today()) if month else current
    except GatewayError as refusal:
        chosen, error = current, REFUSALS_ZH.get(refusal.code, refusal.detail)
    figures = compute(db, runtime.settings, chosen, now=utcnow())
    return render(request, "supervision/quality.html", {
        "month": chosen, "previous": chosen.previous(), "next": chosen.next() if chosen < current else None,
        "figures": figures, "error": error, "totals": _totals(figures), "chart": _chart(figures),
        "refusal_codes": _refusal_codes(figures), "materials": _materials(figures),
    }, status=400 if error else 200)


def _totals(figures: MonthlyFigures) -> dict:
    rows = figures.institutions
    requested = sum(f.supplement_requests for f in rows)
    avoidable = sum(f.avoidable_supplement_requests for f in rows)
    return {"applications": sum(f.applications for f in rows), "refusals": sum(f.refusals for f in rows),
            "unattributed": sum(figures.unattributed_refusals.values()), "supplement_requests": requested,
            "avoidable": avoidable, "avoidable_share": avoidable / requested if requested else None,
            "decided": sum(f.decided for f in rows)}


def _chart(figures: MonthlyFigures):
    return bar_chart("各机构受理、拒收与补正（件）", [
        (f.institution_name, [f.applications, f.refusals, f.supplement_requests],
         [str(f.applications), str(f.refusals), str(f.supplement_requests)]) for f in figures.institutions
    ], series=("受理", "受理时拒收", "补正通知"))


def _refusal_codes(figures: MonthlyFigures) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for f in figures.institutions:
        counts.update(f.refusals_by_code)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _materials(figures: MonthlyFigures) -> list[dict]:
    rows: dict[str, dict] = {}
    for f in figures.institutions:
        for m in f.supplement_by_material:
            row = rows.setdefault(m.type_code, {"type_code": m.type_code, "name_zh": m.name_zh, "items": 0,
                                                "avoidable": 0})
            row["items"] += m.items
            row["avoidable"] += m.avoidable_items
    return sorted(rows.values(), key=lambda r: (-r["items"], r["type_code"]))
