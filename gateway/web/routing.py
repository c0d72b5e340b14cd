"""How every staff web route behaves: HTML error pages, rollback on refusal, security headers.

The API answers refusals with problem+json; a person in a browser gets a page in Chinese instead.
``WebRoute`` catches the gateway's refusals (and the web's own, ``WebError``) inside the route,
rolls back the request's transaction and renders the error page, so that no handler needs its
own try/except and nothing half-done is committed.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gateway.api.problems import STATUS_BY_KIND
from gateway.errors import GatewayError
from gateway.web import labels

log = logging.getLogger(__name__)
TEMPLATE_DIR = Path(__file__).parent / "templates"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'"
)

_environment = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(default=True))
_environment.globals.update(labels.TEMPLATE_GLOBALS)
_environment.filters.update(labels.TEMPLATE_FILTERS)
templates = Jinja2Templates(env=_environment)


class WebError(Exception):
    """A refusal shown to a person: an HTTP status, a Chinese title and an explanation."""

    def __init__(self, status: int, title_zh: str, message_zh: str):
        super().__init__(message_zh)
        self.status, self.title_zh, self.message_zh = status, title_zh, message_zh


class LoginRequired(WebError):
    def __init__(self) -> None:
        super().__init__(401, "请先登录", "您尚未登录，或登录已过期。")


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200) -> HTMLResponse:
    """A page of the staff web; the signed-in user and the CSRF token are always available to it."""
    values = {"user": getattr(request.state, "user", None), "csrf_token": getattr(request.state, "csrf_token", ""),
              "path": request.url.path}
    values.update(context or {})
    return templates.TemplateResponse(request, template, values, status_code=status)


def wants_fragment(request: Request) -> bool:
    """An htmx request for part of a page (a history restore wants the whole page)."""
    return bool(request.headers.get("hx-request")) and not request.headers.get("hx-history-restore-request")


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def error_response(request: Request, status: int, title_zh: str, message_zh: str) -> Response:
    if wants_json(request):
        return JSONResponse({"title": title_zh, "message": message_zh}, status_code=status)
    return render(request, "error.html", {"status": status, "title": title_zh, "message": message_zh}, status=status)


def refusal_code(exc: Exception) -> str:
    """What a web refusal is logged as: the gateway's code, or ``web.<status>`` for the web's own."""
    if isinstance(exc, GatewayError):
        return exc.code
    if isinstance(exc, LoginRequired):
        return "web.login_required"
    if isinstance(exc, WebError):
        return getattr(exc, "code", None) or f"web.{exc.status}"
    return "request.invalid"


def _refusal(request: Request, exc: Exception) -> Response:
    log.info("refused %s %s: %s", request.method, request.url.path, refusal_code(exc))
    if isinstance(exc, LoginRequired):
        if wants_json(request) or request.method != "GET":
            return error_response(request, 401, exc.title_zh, exc.message_zh)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if isinstance(exc, WebError):
        return error_response(request, exc.status, exc.title_zh, exc.message_zh)
    if isinstance(exc, GatewayError):
        status = STATUS_BY_KIND.get(exc.kind, 422)
        title, message = labels.refusal_zh(exc.code, exc.kind)
        return error_response(request, status, title, message)
    return error_response(request, 422, "提交的内容不完整", "请求缺少必要的内容，请返回后重新填写。")


def _rollback(request: Request) -> None:
    session = getattr(request.state, "web_db", None)
    if session is not None:
        session.rollback()


def secure_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cache-Control", "no-store")
    return response


class WebRoute(APIRoute):
    """An APIRoute whose refusals become pages, and whose responses carry the web's security headers."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except (GatewayError, WebError, RequestValidationError) as exc:
                _rollback(request)
                response = _refusal(request, exc)
            return secure_headers(response)

        return guarded


def web_router() -> APIRouter:
    """A router whose routes are ``WebRoute``s, kept out of the API description."""
    return APIRouter(route_class=WebRoute, include_in_schema=False)
