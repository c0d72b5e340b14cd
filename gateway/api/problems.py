"""One mapping from ``GatewayError`` to RFC 9457 problem+json, and its OpenAPI description."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.errors import GatewayError

log = logging.getLogger(__name__)

STATUS_BY_KIND = {
    "bad_request": 400,
    "invalid": 422,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "timeout": 408,
    "too_large": 413,
    "unavailable": 503,
    "rate_limited": 429,
}
PROBLEM_TYPE = "https://mortgage-gateway.example/errors/"
MEDIA_TYPE = "application/problem+json"


def problem(status: int, code: str, title: str, detail: str, extra: dict[str, Any] | None = None) -> JSONResponse:
    body = {"type": PROBLEM_TYPE + code, "title": title, "status": status, "detail": detail, "code": code}
    # Extension members never replace the standard ones (RFC 9457 §3.1).
    body.update({k: v for k, v in (extra or {}).items() if k not in body})
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


async def _gateway_error(request: Request, exc: GatewayError) -> JSONResponse:
    status = STATUS_BY_KIND.get(exc.kind, 422)
    # Codes and paths only: details never carry personal data, but keep logs terse anyway.
    log.info("refused %s %s: %s", request.method, request.url.path, exc.code)
    challenge = "Bearer" if exc.code.startswith("auth.") else "Signature"
    headers = {"WWW-Authenticate": challenge} if status == 401 else None
    response = problem(status, exc.code, exc.title, exc.detail, exc.extra)
    if headers:
        response.headers.update(headers)
    if status == 429 and "retry_after" in exc.extra:
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return response


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    # The code only: the violations may quote the submitted values.
    log.info("refused %s %s: request.invalid", request.method, request.url.path)
    fields = [{"path": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()]
    return problem(422, "request.invalid", "The request is not acceptable", "invalid fields", {"violations": fields})


async def _http_error(request: Request, exc: StarletteHTTPException):
    # FastAPI answers a JSON body it cannot even decode (not UTF-8) with a bare 400; it is an
    # invalid request like any other. Everything else (404 and 405 for unknown routes) as FastAPI does.
    if exc.status_code != 400:
        return await http_exception_handler(request, exc)
    log.info("refused %s %s: request.invalid (undecodable body)", request.method, request.url.path)
    return problem(422, "request.invalid", "The request is not acceptable", "the body could not be decoded",
                   {"violations": [{"path": "body", "reason": "is not valid UTF-8 JSON"}]})


DATABASE_RETRY_AFTER_SECONDS = 5


async def _database_error(request: Request, exc: DBAPIError):
    """The database could not be reached, or dropped the connection (a restart, a fail-over, a
    locked SQLite file): nothing was committed, and the same request may be sent again."""
    if not (isinstance(exc, OperationalError) or exc.connection_invalidated):
        raise exc  # a bug, not an outage: the server's 500, with its traceback in the log
    # The error's class only: its message can quote a statement.
    log.warning("database unavailable for %s %s: %s", request.method, request.url.path, type(exc.orig).__name__)
    response = problem(503, code="database.unavailable", title="The database is not available; send the request again",
                       detail="nothing was stored; retry after a few seconds")
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def install(app: FastAPI) -> None:
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(GatewayError, _gateway_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the problem statuses an endpoint can answer."""
    schema = {
        "type": "object",
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"}, "code": {"type": "string"},
        },
        "required": ["type", "title", "status", "code"],
    }
    return {
        status: {"description": "Refused; see `code` (docs/interface/errors.md)",
                 "content": {MEDIA_TYPE: {"schema": schema}}}
        for status in statuses
    }
