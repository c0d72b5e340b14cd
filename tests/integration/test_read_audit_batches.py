"""Reads' audit entries are written together (group commit, gateway/audit/reads.py), never less safely.

The gateway's own app shows one entry per read and an intact chain; a bare app behind the same two
middlewares shows the batching itself: one transaction for reads waiting together, a failed one
refusing every read in it, the batch bound, and a gated request recording its own reads while
readers wait for the gate it holds.
"""
from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gateway.api.write_gate import WriteGate
from gateway.audit import reads
from gateway.audit.chain import Pending, now
from gateway.audit.models import AuditEntry
from gateway.audit.reads import RecordReads, note_read
from gateway.keys import load_trust_store
from gateway.audit.verify import verify
from gateway.persistence.db import read_only
from tests.integration.helpers import submit_new
from tests.support.report import checked as show_checked


def read_entries(runtime) -> list[AuditEntry]:
    with read_only(runtime.read_sessions) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "data.read")))


def test_concurrent_status_reads_get_one_entry_each_in_fewer_transactions(client, runtime, pki, bank_auth,
                                                                            monkeypatch):
    number = submit_new(client, pki, bank_auth)
    before = len(read_entries(runtime))
    batches: list[int] = []
    write = reads.write_reads

    def slow_first_write(runtime, entries):
        batches.append(len(entries))
        if len(batches) == 1:
            time.sleep(0.5)  # the reads finishing meanwhile queue behind this one
        write(runtime, entries)

    monkeypatch.setattr("gateway.audit.reads.write_reads", slow_first_write)
    count = 12
    with ThreadPoolExecutor(max_workers=count) as pool:
        codes = list(pool.map(lambda _: client.get(f"/v1/applications/{number}", auth=bank_auth).status_code,
                              range(count)))
    show_checked(f"[reads] {count} concurrent status reads written in {len(batches)} transactions: {batches}")
    assert codes == [200] * count
    assert len(read_entries(runtime)) - before == count == sum(batches)
    assert len(batches) < count and max(batches) > 1
    with read_only(runtime.read_sessions) as session:
        assert verify(session, trusted=tuple(load_trust_store(runtime.settings).anchors),
                      current=runtime.signer.certificate).ok


# --- the batching itself, on a bare app ---------------------------------------------------------


class GateOnly:
    """What the two middlewares use of the runtime: the embedded mode's write gate."""

    def __init__(self):
        self.gate = asyncio.Lock()

    def write_gate(self):
        return self.gate


async def noting_read(request):
    note_read(request, Pending(actor="bank", actor_role="institution", action="data.read", subject_kind="application",
                               subject=request.path_params["number"], at=now()))
    return PlainTextResponse("the data")


def bare_app(runtime: GateOnly) -> Starlette:
    app = Starlette(routes=[Route("/read/{number}", noting_read, methods=["GET", "POST"])])
    app.add_middleware(RecordReads, runtime=lambda: runtime)
    app.add_middleware(WriteGate, runtime=lambda: runtime)
    return app


class Writes:
    """Stands in for ``write_reads``: notes each transaction's subjects; the first waits for ``release``."""

    def __init__(self, *, fail: bool = False):
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.fail = fail

    def __call__(self, runtime, entries):
        self.batches.append([entry.subject for entry in entries])
        if len(self.batches) == 1:
            self.release.wait(10)
        if self.fail:
            raise OSError("disk full")


async def start_behind_a_first_read(client: httpx.AsyncClient, writes: Writes, count: int) -> list[asyncio.Task]:
    """``count`` reads: the first one's transaction is under way (and held) while the others finish."""
    requests = [asyncio.create_task(client.get("/read/0"))]
    while not writes.batches:
        await asyncio.sleep(0.01)
    requests += [asyncio.create_task(client.get(f"/read/{n}")) for n in range(1, count)]
    await asyncio.sleep(0.1)  # the other reads finish and wait behind the first transaction
    return requests


async def read_together(app: Starlette, writes: Writes, count: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        requests = await start_behind_a_first_read(client, writes, count)
        writes.release.set()
        return await asyncio.wait_for(asyncio.gather(*requests), timeout=10)


def test_reads_waiting_together_are_written_in_one_transaction(monkeypatch):
    writes = Writes()
    monkeypatch.setattr("gateway.audit.reads.write_reads", writes)
    responses = asyncio.run(read_together(bare_app(GateOnly()), writes, 10))
    assert [r.status_code for r in responses] == [200] * 10
    assert [r.text for r in responses] == ["the data"] * 10
    assert len(writes.batches) == 2 and len(writes.batches[1]) == 9  # the first read, then everyone else
    assert sorted(s for batch in writes.batches for s in batch) == sorted(str(n) for n in range(10))


def test_a_failed_transaction_refuses_every_read_in_it(monkeypatch):
    writes = Writes(fail=True)
    monkeypatch.setattr("gateway.audit.reads.write_reads", writes)
    responses = asyncio.run(read_together(bare_app(GateOnly()), writes, 6))
    assert len(writes.batches[1]) == 5
    assert [r.status_code for r in responses] == [503] * 6
    assert all(r.json()["code"] == "audit.unavailable" and "the data" not in r.text for r in responses)


def test_a_transaction_holds_at_most_max_batch_entries(monkeypatch):
    writes = Writes()
    monkeypatch.setattr("gateway.audit.reads.write_reads", writes)
    monkeypatch.setattr("gateway.audit.reads.MAX_BATCH", 4)
    responses = asyncio.run(read_together(bare_app(GateOnly()), writes, 11))
    assert [r.status_code for r in responses] == [200] * 11
    assert [len(batch) for batch in writes.batches] == [1, 4, 4, 2]


def test_a_request_holding_the_gate_records_its_reads_itself_while_readers_wait_for_the_gate(monkeypatch):
    """A POST (it holds the write gate) that shows data records it without waiting for the readers'
    writer, which waits for the gate that POST holds: no deadlock, each read has its entry, and the
    readers that queued meanwhile are written together once the gate is free."""
    runtime = GateOnly()
    batches: list[list[str]] = []
    monkeypatch.setattr("gateway.audit.reads.write_reads",
                        lambda _runtime, entries: batches.append([entry.subject for entry in entries]))

    async def scenario() -> list[int]:
        readers_waiting = asyncio.Event()

        async def posting(request):
            await readers_waiting.wait()  # answers while the readers' writer waits for this request's gate
            return await noting_read(request)

        app = Starlette(routes=[Route("/read/{number}", noting_read), Route("/post/{number}", posting,
                                                                             methods=["POST"])])
        app.add_middleware(RecordReads, runtime=lambda: runtime)
        app.add_middleware(WriteGate, runtime=lambda: runtime)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            poster = asyncio.create_task(client.post("/post/posted"))
            while not runtime.gate.locked():
                await asyncio.sleep(0.01)
            readers = [asyncio.create_task(client.get(f"/read/{n}")) for n in range(3)]
            await asyncio.sleep(0.1)
            assert batches == []  # the readers' writer waits for the gate
            readers_waiting.set()
            answers = await asyncio.wait_for(asyncio.gather(poster, *readers), timeout=10)
            return [answer.status_code for answer in answers]

    assert asyncio.run(scenario()) == [200] * 4
    assert batches == [["posted"], ["0", "1", "2"]]


@pytest.mark.parametrize("fail", [False, True])
def test_a_read_whose_client_went_away_leaves_the_others_answered(monkeypatch, fail):
    """A cancelled request's entry stays in its batch; the reads beside it are answered as usual."""
    writes = Writes(fail=fail)
    monkeypatch.setattr("gateway.audit.reads.write_reads", writes)
    app = bare_app(GateOnly())

    async def scenario() -> list[int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            requests = await start_behind_a_first_read(client, writes, 4)
            requests[2].cancel()
            writes.release.set()
            answers = await asyncio.wait_for(asyncio.gather(*requests, return_exceptions=True), timeout=10)
            return [a.status_code for a in answers if isinstance(a, httpx.Response)]

    assert asyncio.run(scenario()) == [503 if fail else 200] * 3
    assert sorted(s for batch in writes.batches for s in batch) == ["0", "1", "2", "3"]
