"""The clerk's new application: the form, material uploads, the pre-check and the submission."""
from __future__ import annotations

import unicodedata
import uuid
from urllib.parse import unquote

from fastapi import Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bank_adapters.errors import AdapterError
from gateway.api.deps import RuntimeDep
from gateway.applications.assessment import PreReviewRefused
from gateway.errors import GatewayError, RequestIdReused
from gateway.prereview.unit_code import is_well_formed
from gateway.register.repository import find_unit
from gateway.web import catalogue_view, clerk_service
from gateway.web.auth import Allowed, PostedForm, WebDb
from gateway.web.clerk_form import (
    REQUEST_ID, WEB_TYPES, ApplicationForm, form_field, required_material_codes, validate,
)
from gateway.web.labels import DISCHARGE_REASON_ZH, ID_TYPE_ZH, material_zh, refusal_zh, type_zh
from gateway.web.routing import WebError, render, wants_fragment, web_router

router = web_router()


def new_request_id() -> str:
    # One id per form shown: submitting the same form twice is then an exact retry, never a second application.
    return f"WEB-{uuid.uuid4().hex[:24]}"


def _form_page(request: Request, runtime, form: ApplicationForm, *, status: int = 200, errors=None,
               findings=None, check=None, problem=None) -> Response:
    findings = [{**f, "form_field": form_field(f.get("field"))} for f in findings or []]
    context = {
        "form": form, "errors": errors or {}, "findings": findings, "check": check, "problem": problem,
        "types": [(t.value, type_zh(t.value)) for t in WEB_TYPES], "id_types": ID_TYPE_ZH,
        "discharge_reasons": DISCHARGE_REASON_ZH, "choices": catalogue_view.material_choices(form.kind),
        "held": catalogue_view.held_materials(form.kind), "catalogue": catalogue_view.catalogue_for_script(),
        "demo_units": catalogue_view.demo_units() if _is_demo(runtime) else [],
        "max_bytes": runtime.settings.max_material_bytes,
        "required": [(code, material_zh(code)) for code in required_material_codes(form.kind, form.discharge_reason)],
        "if_not_on_file": [(code, material_zh(code)) for code in catalogue_view.if_not_on_file(form.kind)],
    }
    template = "clerk/_precheck.html" if wants_fragment(request) else "clerk/form.html"
    return render(request, template, context, status=status)


def _is_demo(runtime) -> bool:
    return (runtime.settings.data_dir / "demo" / "credentials.json").exists()


@router.get("/clerk/applications/new")
def new_application(request: Request, runtime: RuntimeDep, clerk: Allowed("application.submit"),
                    kind: str = Query("MORTGAGE_FIRST", alias="type")) -> Response:
    if kind not in {t.value for t in WEB_TYPES}:
        kind = WEB_TYPES[0].value
    return _form_page(request, runtime, ApplicationForm(registration_type=kind, request_id=new_request_id()))


@router.post("/clerk/applications")
def submit_application(request: Request, runtime: RuntimeDep, db: WebDb,
                       clerk: Allowed("application.submit"), posted: PostedForm) -> Response:
    """Check the form, then pre-check it (预审检查) or submit it through the bank channel's intake."""
    form = ApplicationForm.from_form(posted)
    if not REQUEST_ID.match(form.request_id):
        form.request_id = new_request_id()
    checking = posted.get("action") == "check"
    partial = wants_fragment(request)
    errors = validate(form)
    if errors:
        return _form_page(request, runtime, form, errors=errors, status=200 if partial else 422)
    applicant = clerk_service.applicant_of(db, clerk)
    db.commit()  # intake runs its own transaction; on SQLite this one must not hold the write lock meanwhile
    try:
        if checking:
            assessment = clerk_service.precheck(runtime, form, applicant)
            return _form_page(request, runtime, form, findings=assessment.findings_json(), check=assessment.outcome.value)
        outcome = clerk_service.submit(runtime, form, applicant)
    except PreReviewRefused as exc:
        return _form_page(request, runtime, form, findings=exc.extra.get("findings", []), check="REFUSED",
                          status=200 if partial else 422)
    except (GatewayError, AdapterError) as exc:
        return _form_page(request, runtime, form, problem=_problem(exc), status=200 if partial else 422)
    return RedirectResponse(f"/clerk/applications/{outcome.application_no}?submitted=1", status_code=303)


def _problem(exc: Exception) -> dict:
    if isinstance(exc, RequestIdReused):
        number = exc.extra.get("application_no", "")
        return {"title": "此表单已经提交过", "message": f"该表单已提交并受理（申请编号 {number}）。如需再次申请，请新建申请。",
                "link": f"/clerk/applications/{number}" if number else None}
    if isinstance(exc, AdapterError):
        return {"title": "无法生成申请报文", "message": "填写的内容含有不允许的字符或超出长度，请检查后重试。", "link": None}
    title, message = refusal_zh(exc.code, exc.kind)
    return {"title": title, "message": message, "link": None}


def _file_name(header: str | None) -> str:
    """The uploaded file's name as the request format allows it (no path, no control characters)."""
    name = unquote(header or "").replace("/", "_").replace("\\", "_")
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")).strip()
    return name[:200] or "材料.pdf"


def _read_limited(request: Request, limit: int) -> bytes:
    """The body (already read whole by the body middleware, which refuses one over the limit)."""
    content = request.scope.get("state", {}).get("body", b"")
    if len(content) > limit:
        raise WebError(413, "文件过大", f"单个文件不能超过 {limit // 1_048_576} MB。")
    return content


@router.post("/clerk/materials")
def upload_material(request: Request, runtime: RuntimeDep, db: WebDb,
                    clerk: Allowed("materials.upload")) -> JSONResponse:
    """One material file, as the raw request body; answered with the SHA-256 it is known by."""
    content = _read_limited(request, runtime.settings.max_material_bytes)
    if not content:
        raise WebError(422, "文件为空", "所选文件没有内容。")
    if clerk_service.media_type_of(content) is None:
        raise WebError(415, "文件类型不支持", "只接受 PDF、JPG 和 PNG 格式的扫描件。")
    material = clerk_service.store_upload(db, runtime, institution_id=clerk.institution_id, content=content)
    return JSONResponse({"sha256": material.sha256, "size": material.size, "media_type": material.media_type,
                         "file_name": _file_name(request.headers.get("x-file-name"))}, status_code=201)


@router.get("/clerk/unit")
def unit_lookup(request: Request, db: WebDb, clerk: Allowed("application.submit"), unit_code: str = "") -> Response:
    """The register's location of a unit code, so the clerk can see the code names the right home."""
    code = unit_code.strip().upper()
    unit = find_unit(db, code) if is_well_formed(code) else None
    return render(request, "clerk/_unit.html", {"unit": unit, "unit_code": code, "well_formed": is_well_formed(code)})
