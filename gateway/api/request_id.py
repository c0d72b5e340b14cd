"""Every request gets an id: on each of its log lines and in the ``X-Request-ID`` response header.

A client (a bank, a reverse proxy) may send its own well-formed ``X-Request-ID``; otherwise one
is made. It is returned on every response, refusals and error pages included, so a bank can quote
it to the centre's support and the operator finds the request's lines with one grep. The same
middleware writes the request's one access line: method, path (never the query string), status
and duration.
"""
from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import logs

HEADER = "X-Request-ID"
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Polled every few seconds by load balancers and Prometheus: their access lines are DEBUG.
QUIET_PATHS = frozenset({"/healthz", "/metrics"})

access_log = logging.getLogger("gateway.access")


def incoming_request_id(scope: Scope) -> str | None:
    """The client's ``X-Request-ID`` if it is well formed (anything else is replaced, not refused)."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"x-request-id":
            text = value.decode("latin-1").strip()
            return text if WELL_FORMED.fullmatch(text) else None
    return None


class RequestIds:
    """ASGI middleware, outermost: binds the request id for the request and stamps the response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope) or uuid.uuid4().hex
        token = logs.begin_request(request_id)
        started = time.perf_counter()
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if status is None:  # answer the 500 here, so that it too carries the id
                await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send_with_id)
            _access_line(scope, status, started)
            # The request's context stays bound: the server logs the traceback with this id.
            raise
        _access_line(scope, status, started)
        logs.end_request(token)


def _access_line(scope: Scope, status: int | None, started: float) -> None:
    path = scope.get("path", "")
    level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
    elapsed_ms = (time.perf_counter() - started) * 1000
    access_log.log(level, "%s %s %s %.0f ms", scope.get("method", "-"), path,
                   status if status is not None else "no-response", elapsed_ms)
