"""The supervisors' page "who looked at this file" (访问记录查询): by unit code or by ID number.

A POSTed form, never a query string: the ID number must not end up in URLs or access logs. The
report's own audit entry is written right before the answer goes out (gateway/audit/reads.py).
"""
from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from gateway.api.deps import RuntimeDep
from gateway.audit import service
from gateway.audit.accesses import Query
from gateway.audit.reads import note_read
from gateway.errors import InvalidRequest
from gateway.web.auth import Allowed, PostedForm, WebDb
from gateway.web.routing import render, web_router

router = web_router()
MEDIA = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
REFUSALS_ZH = {
    "audit.query_invalid": "请填写不动产单元代码或身份证件号码，二者选一。",
    "audit.unit_code_invalid": "不动产单元代码应为28位。",
    "audit.id_number_invalid": "身份证件号码格式不正确。",
}


@router.get("/supervision/accesses")
def form(request: Request, supervisor: Allowed("audit.read_accesses")) -> Response:
    return render(request, "supervision/accesses.html", {"report": None, "unit_code": "", "error": None})


@router.post("/supervision/accesses")
def report(request: Request, runtime: RuntimeDep, db: WebDb, supervisor: Allowed("audit.read_accesses"),
           posted: PostedForm) -> Response:
    unit_code, id_number = str(posted.get("unit_code") or ""), str(posted.get("id_number") or "")
    form_kind = str(posted.get("format") or "html")
    form_kind = form_kind if form_kind in MEDIA else "html"
    try:
        query = Query.of(unit_code=unit_code, id_number=id_number)
    except InvalidRequest as refusal:
        return render(request, "supervision/accesses.html", {
            "report": None, "unit_code": unit_code, "error": REFUSALS_ZH.get(refusal.code, refusal.detail)}, status=422)
    # This request's own unit of work ends here: the report is read in a read-only one, and a PDF's
    # seal may wait on a time-stamp authority, which must happen with no transaction open.
    db.commit()
    found = service.run_report(runtime, query, actor=supervisor.username, actor_role=supervisor.role, form=form_kind)
    note_read(request, found.entry)
    if form_kind == "html":
        return render(request, "supervision/accesses.html", {"report": found, "unit_code": unit_code, "error": None})
    content = service.csv_of(found) if form_kind == "csv" else service.pdf_of(runtime, found)
    return Response(content, media_type=MEDIA[form_kind], headers={
        "Content-Disposition": f'attachment; filename="{service.file_name(found, form_kind)}"',
        "Cache-Control": "no-store"})
