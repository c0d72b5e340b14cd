"""Recording reads of personal data: right after the read succeeded, before the response is sent.

A read runs in a read-only unit of work (no write lock for its whole duration). The endpoint only
notes what it read (:func:`note_read`); :class:`RecordReads`, an ASGI middleware, writes the noted
entries in a short transaction of its own when the response is about to start — only if the answer
is a success — and commits it before a byte goes out. A read whose entry cannot be written is
answered 503 ``audit.unavailable`` instead of the data: nothing is shown that is not recorded.

Embedded mode: the write waits for the write gate on the event loop (like every writing request)
and only then takes a pool thread, so readers waiting to record can never fill the thread pool
while a gated writer needs a thread to commit. A request that already holds the gate (a POST)
writes without taking it again.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.audit.chain import Pending, append
from gateway.errors import GatewayError
from gateway.persistence.db import transaction

log = logging.getLogger(__name__)
NOTED = "audit_reads"


class AuditUnavailable(GatewayError):
    """A read's audit entry could not be written: the data is not sent."""

    code = "audit.unavailable"
    title = "The audit trail is unavailable"
    kind = "unavailable"


def note_read(request, entry: Pending) -> None:
    """Record ``entry`` once this request's answer turns out a success (see :class:`RecordReads`)."""
    request.scope.setdefault("state", {}).setdefault(NOTED, []).append(entry)


def write_reads(runtime, entries: list[Pending]) -> None:
    """The reads' entries, in a transaction of their own (the CLI records its reads this way too)."""
    with transaction(runtime.sessions) as session:
        for entry in entries:
            append(session, entry)


class RecordReads:
    """Writes the entries an endpoint noted, before its successful response starts."""

    def __init__(self, app: ASGIApp, runtime: Callable[[], object]):
        self.app = app
        self._runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = False

        async def send_after_recording(message: Message) -> None:
            nonlocal refused
            if refused:
                return  # the original answer's body: dropped, a refusal went out instead
            if message["type"] == "http.response.start":
                entries = scope.get("state", {}).pop(NOTED, [])
                if entries and message["status"] < 400 and not await self._recorded(scope, entries):
                    refused = True
                    await _send_unavailable(send)
                    return
            await send(message)

        await self.app(scope, receive, send_after_recording)

    async def _recorded(self, scope: Scope, entries: list[Pending]) -> bool:
        from gateway.api.write_gate import is_gated

        runtime = self._runtime()
        try:
            if is_gated(scope["method"], scope["path"]):  # this request already holds the gate
                await anyio.to_thread.run_sync(write_reads, runtime, entries)
            else:
                async with runtime.write_gate():
                    await anyio.to_thread.run_sync(write_reads, runtime, entries)
        except Exception:
            log.exception("a read's audit entry could not be written; the data is not sent")
            return False
        return True


async def _send_unavailable(send: Send) -> None:
    from gateway.api.problems import problem

    refusal = AuditUnavailable("the read could not be recorded in the audit trail; try again")
    response = problem(503, refusal.code, refusal.title, refusal.detail)
    await send({"type": "http.response.start", "status": 503, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
