"""Recording reads of personal data: right after the read succeeded, before the response is sent.

A read runs in a read-only unit of work (no write lock for its whole duration). The endpoint only
notes what it read (:func:`note_read`); :class:`RecordReads`, an ASGI middleware, writes the noted
entries in a short transaction of its own when the response is about to start — only if the answer
is a success — and commits it before a byte goes out. A read whose entry cannot be written is
answered 503 ``audit.unavailable`` instead of the data: nothing is shown that is not recorded.

Reads that finish at about the same time are recorded together (group commit): each hands its
entries to the process's :class:`ReadRecorder` and waits; one writer task writes every entry
waiting, up to :data:`MAX_BATCH`, in one transaction and then answers all of them — committed, or
failed, in which case every read of that batch is refused. Under load a read thus waits for one
short transaction shared with the reads beside it instead of queueing for one of its own.

Embedded mode: the writer waits for the write gate on the event loop (like every writing request)
and only then takes a pool thread, so readers waiting to record can never fill the thread pool
while a gated writer needs a thread to commit. A request that already holds the gate (a POST)
writes its entries itself without taking it again: waiting for the writer, which waits for the
gate that request holds, would never end.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.audit.chain import Pending, append
from gateway.errors import GatewayError
from gateway.persistence.db import transaction

log = logging.getLogger(__name__)
NOTED = "audit_reads"
MAX_BATCH = 64  # entries per transaction: bounds how long the write gate and the chain head are held


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


class ReadRecorder:
    """Writes the entries of reads waiting at the same moment in one transaction (one event loop).

    :meth:`record` queues a request's entries and returns once a transaction holding them has
    committed (True) or failed (False). The writer task is started by the first entries queued and
    ends when none are left; entries queued while it writes make up its next batch. It runs in a
    context of its own, so its log lines carry no request's id or actor."""

    def __init__(self, runtime: Callable[[], object]):
        self._runtime = runtime
        self._waiting: list[tuple[list[Pending], asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def record(self, entries: list[Pending]) -> bool:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((entries, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting(), context=contextvars.Context())
        # A request cancelled meanwhile (its client went away) leaves its entries in the batch:
        # recorded and not shown is allowed, shown and not recorded is not.
        return await asyncio.shield(done)

    async def _write_waiting(self) -> None:
        while self._waiting:
            batch: list[tuple[list[Pending], asyncio.Future]] = []
            try:
                async with self._runtime().write_gate():
                    batch = self._next_batch()  # taken with the gate held: the reads queued meanwhile go too
                    await anyio.to_thread.run_sync(write_reads, self._runtime(),
                                                   [entry for entries, _ in batch for entry in entries])
            except Exception:
                batch = batch or self._next_batch()
                log.exception("%d reads' audit entries could not be written; their data is not sent", len(batch))
                self._answer(batch, False)
            else:
                self._answer(batch, True)

    @staticmethod
    def _answer(batch: list[tuple[list[Pending], asyncio.Future]], written: bool) -> None:
        for _, done in batch:
            if not done.done():
                done.set_result(written)

    def _next_batch(self) -> list[tuple[list[Pending], asyncio.Future]]:
        """The oldest waiting reads, up to :data:`MAX_BATCH` entries (at least one read, however many it has)."""
        count, size = 0, 0
        while count < len(self._waiting) and (count == 0 or size + len(self._waiting[count][0]) <= MAX_BATCH):
            size += len(self._waiting[count][0])
            count += 1
        batch, self._waiting[:count] = self._waiting[:count], []
        return batch


class RecordReads:
    """Writes the entries an endpoint noted, before its successful response starts."""

    def __init__(self, app: ASGIApp, runtime: Callable[[], object]):
        self.app = app
        self._runtime = runtime
        self._recorder: tuple[asyncio.AbstractEventLoop, ReadRecorder] | None = None

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

        if not is_gated(scope["method"], scope["path"]):
            return await self._recorder_of_this_loop().record(entries)
        try:  # this request already holds the gate: it writes its own entries
            await anyio.to_thread.run_sync(write_reads, self._runtime(), entries)
        except Exception:
            log.exception("a read's audit entry could not be written; the data is not sent")
            return False
        return True

    def _recorder_of_this_loop(self) -> ReadRecorder:
        """The recorder of the running event loop (a test client runs one loop after another)."""
        loop = asyncio.get_running_loop()
        if self._recorder is None or self._recorder[0] is not loop:
            self._recorder = (loop, ReadRecorder(self._runtime))
        return self._recorder[1]


async def _send_unavailable(send: Send) -> None:
    from gateway.api.problems import problem

    refusal = AuditUnavailable("the read could not be recorded in the audit trail; try again")
    response = problem(503, refusal.code, refusal.title, refusal.detail)
    await send({"type": "http.response.start", "status": 503, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
