"""Request bodies are read whole, within a size limit and a deadline, before the app runs.

So no endpoint, dependency or database transaction ever waits on a client's network: a client
that sends slowly, stops half-way or announces more than it sends is answered ``408`` (or just
dropped if it hangs up) without having touched the database. Limits are checked on the declared
``Content-Length`` before anything is read, and again while reading; an HTTP-signed request with a
large body has its signature headers (fresh ``created``, a key id some current certificate has)
checked first, so an unknown client cannot make the gateway read megabytes.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api.problems import STATUS_BY_KIND, problem
from gateway.errors import BodyTimeout, GatewayError, RequestTooLarge
from gateway.persistence.db import read_only
from gateway.persistence.types import utcnow
from gateway.runtime import Runtime

log = logging.getLogger(__name__)
SIGNATURE_PRECHECK_BYTES = 64 * 1024
DEFAULT_LIMIT = 1_048_576
VERIFY_UPLOAD_LIMIT = 10 * 1_048_576


@dataclass(frozen=True)
class BodyRule:
    methods: frozenset[str]
    path: re.Pattern[str]
    limit: Callable[[Runtime], int]
    code: str


RULES = (
    BodyRule(frozenset({"PUT"}), re.compile(r"^/v1/materials/[^/]+$"),
             lambda r: r.settings.max_material_bytes, code="material.too_large"),
    BodyRule(frozenset({"POST"}), re.compile(r"^/clerk/materials$"),
             lambda r: r.settings.max_material_bytes, code="material.too_large"),
    BodyRule(frozenset({"POST"}), re.compile(r"^/v1/applications(/dry-run)?$"),
             lambda r: r.settings.max_request_bytes, code="xml.too_large"),
    BodyRule(frozenset({"POST"}), re.compile(r"^(/v1)?/verify/[^/]+(/pdf)?$"),
             lambda r: VERIFY_UPLOAD_LIMIT + 64 * 1024, code="certificate.upload_too_large"),
    BodyRule(frozenset({"POST"}), re.compile(r"^/v1/batches$"),
             lambda r: r.settings.max_batch_bytes, code="batch.too_large"),
)
OTHER_BODIES = BodyRule(frozenset(), re.compile(""), lambda r: DEFAULT_LIMIT, code="request.too_large")


def body_limit(runtime: Runtime, method: str, path: str) -> tuple[int, str]:
    """The largest body this route accepts, and the code a larger one is refused with."""
    for rule in RULES:
        if method in rule.methods and rule.path.match(path):
            return rule.limit(runtime), rule.code
    return OTHER_BODIES.limit(runtime), OTHER_BODIES.code


class _Disconnected(Exception):
    pass


class BufferedBodies:
    """ASGI middleware: reads the body first (see the module docstring), then calls the app."""

    def __init__(self, app: ASGIApp, runtime: Callable[[], Runtime]):
        self.app = app
        self._runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        runtime = self._runtime()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            body = await self._read(scope, headers, receive, runtime)
        except _Disconnected:
            return  # the client hung up: nothing was started, nothing to answer
        except GatewayError as exc:
            log.info("refused %s %s: %s", scope["method"], scope["path"], exc.code)
            await _refuse(exc, send)
            return
        scope.setdefault("state", {})["body"] = body
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, scope: Scope, headers: dict[str, str], receive: Receive, runtime: Runtime) -> bytes:
        limit, code = body_limit(runtime, scope["method"], scope["path"])
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge(f"the body is {declared} bytes; the limit is {limit}", code=code)
        announced_large = (int(declared) > SIGNATURE_PRECHECK_BYTES if declared.isdigit()
                           else "chunked" in headers.get("transfer-encoding", "").lower())
        if "signature-input" in headers and announced_large:
            await run_in_threadpool(_precheck_signature, runtime, list(headers.items()))
        settings = runtime.settings
        return await _read_within(receive, limit, code, idle=settings.body_idle_timeout_seconds,
                                  total=settings.body_timeout_seconds)


async def _read_within(receive: Receive, limit: int, code: str, *, idle: float, total: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + total
    while True:
        wait = min(idle, deadline - time.monotonic())
        if wait <= 0:
            raise BodyTimeout(f"the body was not received within {total:g} s")
        try:
            message = await asyncio.wait_for(receive(), wait)
        except TimeoutError:
            raise BodyTimeout(f"no part of the body arrived for {wait:g} s") from None
        if message["type"] == "http.disconnect":
            raise _Disconnected()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(f"the body is over the limit of {limit} bytes", code=code)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _precheck_signature(runtime: Runtime, headers: list[tuple[str, str]]) -> None:
    from gateway.institutions.auth import precheck_signature_headers

    with read_only(runtime.read_sessions) as session:
        precheck_signature_headers(session, headers=headers, now=utcnow(),
                                   max_age_seconds=runtime.settings.http_signature_max_age_seconds)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the client's disconnect, as usual

    return replay


async def _refuse(exc: GatewayError, send: Send) -> None:
    status = STATUS_BY_KIND.get(exc.kind, 422)
    response = problem(status, exc.code, exc.title, exc.detail, exc.extra)
    # The body was not read to its end: the connection cannot carry another request.
    response.headers["Connection"] = "close"
    if status == 401:
        response.headers["WWW-Authenticate"] = "Signature"
    await response({"type": "http"}, _never_receive, send)


async def _never_receive() -> Message:
    return {"type": "http.disconnect"}
