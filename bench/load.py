"""The load generator: ``python -m bench.load``, run in its own process on loopback.

Requests come prepared from a file (see ``bench.applications``): signed application bodies,
pre-signed status reads, or discharges. Three ways to send them:

* closed loop (``--clients N``): N clients, each sending its next request when the last is answered;
* open loop (``--rate R``): requests started at a fixed rate whatever the answers, latency
  counted from the scheduled start (a slow server cannot hide its queue);
* ``--probe PATH``: an open loop of GETs (``/healthz`` every 50 ms while another process loads);
* ``--result-path``: after each accepted submission, poll its signed result until it is there
  (the automatic-result path); latency is submission start to result available.

Throughput and latency count what completes between the end of the warm-up and the end of the
measured window (open loops: what was scheduled to start in it, however late it completes); errors (answers other than ``--expect``, timeouts, refused connections) are
counted over the whole run. The result is one JSON object written to ``--out``.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import pickle
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.stats import latency_summary

LOCATION_SAMPLE = 2000


@dataclass
class Recorder:
    """Outcomes of one run, split into the measured window and the rest."""

    window_start: float
    window_end: float
    expect: frozenset[int]
    latencies_ms: list[float] = field(default_factory=list)
    ok_in_window: int = 0
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    locations: list[str] = field(default_factory=list)
    sent: int = 0

    def record(self, started: float, finished: float, outcome: int | str, *, counted_from: float | None = None,
               location: str | None = None) -> None:
        """``counted_from`` is the scheduled start in open loops (latency includes any queueing)."""
        origin = started if counted_from is None else counted_from
        if isinstance(outcome, int):
            self.statuses[str(outcome)] += 1
        if outcome not in self.expect:
            self.errors[str(outcome)] += 1
            return
        if location and len(self.locations) < LOCATION_SAMPLE:
            self.locations.append(location)
        # Closed loops count what completes in the window; open loops what was due to start in it.
        moment = finished if counted_from is None else counted_from
        if self.window_start <= moment < self.window_end:
            self.ok_in_window += 1
            self.latencies_ms.append((finished - origin) * 1000)

    def result(self, *, window_s: float, exhausted: bool, late_start_s: float, **extra) -> dict:
        return {
            "ok": self.ok_in_window,
            "ok_per_s": self.ok_in_window / window_s,
            "latency_ms": latency_summary(self.latencies_ms),
            "statuses": dict(self.statuses),
            "errors": dict(self.errors),
            "sent": self.sent,
            "exhausted": exhausted,
            "late_start_s": late_start_s,
            "locations": self.locations,
            **extra,
        }


class Source:
    """The prepared requests, taken in order; with ``cycle`` they are reused once all are sent."""

    def __init__(self, requests: list[tuple], *, cycle: bool):
        self._requests, self._cycle, self._next = requests, cycle, 0
        self.exhausted = False

    def take(self) -> tuple | None:
        if self._next >= len(self._requests):
            if not self._cycle or not self._requests:
                self.exhausted = True
                return None
            self._next = 0
        request = self._requests[self._next]
        self._next += 1
        return request


async def _send(session: aiohttp.ClientSession, base_url: str, request: tuple,
                path: str | None = None) -> tuple[int | str, str | None]:
    method, own_path, headers, body = request
    path = path or own_path
    try:
        async with session.request(method, base_url + path, data=body or None, headers=headers) as response:
            await response.read()
            return response.status, response.headers.get("Location")
    except asyncio.TimeoutError:
        return "timeout", None
    except aiohttp.ClientError as exc:
        return type(exc).__name__, None


async def _closed_loop(session, args, source: Source, recorder: Recorder, stop_at: float) -> None:
    async def client() -> None:
        while time.monotonic() < stop_at:
            request = source.take()
            if request is None:
                return
            recorder.sent += 1
            started = time.monotonic()
            outcome, location = await _send(session, args.base_url, request, args.path)
            recorder.record(started, time.monotonic(), outcome, location=location)

    await asyncio.gather(*(client() for _ in range(args.clients)))


async def _open_loop(session, args, source: Source, recorder: Recorder, start: float, stop_at: float, one) -> None:
    """Start ``one(request, scheduled)`` every 1/rate seconds until ``stop_at``."""
    tasks: set[asyncio.Task] = set()
    index = 0
    while True:
        scheduled = start + index / args.rate
        if scheduled >= stop_at:
            break
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        request = source.take()
        if request is None:
            break
        recorder.sent += 1
        task = asyncio.create_task(one(session, request, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        index += 1
    if tasks:
        await asyncio.gather(*tasks)


def _plain(args, recorder: Recorder):
    async def one(session, request, scheduled: float) -> None:
        outcome, location = await _send(session, args.base_url, request, args.path)
        recorder.record(scheduled, time.monotonic(), outcome, counted_from=scheduled, location=location)

    return one


def _with_result(args, recorder: Recorder, submissions: Recorder):
    """Submit, then poll the signed result of the accepted application until it is available."""
    from signing.httpsig import sign_headers
    from signing.pki import load_private_key_pem

    key = load_private_key_pem(Path(args.key).read_bytes())

    async def one(session, request, scheduled: float) -> None:
        outcome, location = await _send(session, args.base_url, request)
        submissions.record(scheduled, time.monotonic(), outcome, counted_from=scheduled, location=location)
        if outcome != 202 or not location:
            return
        path = location + args.result_path
        deadline = scheduled + args.timeout
        while time.monotonic() < deadline:
            headers = sign_headers(method="GET", url=args.base_url + path, headers={}, body=b"",
                                   key_id=args.key_id, private_key=key)
            status, _ = await _send(session, args.base_url, ("GET", path, headers, b""))
            if status == 200:
                recorder.record(scheduled, time.monotonic(), 200, counted_from=scheduled)
                return
            if status != 409:  # 409: not ready yet
                recorder.record(scheduled, time.monotonic(), status, counted_from=scheduled)
                return
            await asyncio.sleep(args.poll_interval)
        recorder.record(scheduled, time.monotonic(), "no_result", counted_from=scheduled)

    return one


async def run(args) -> dict:
    requests = pickle.loads(Path(args.requests).read_bytes()) if args.requests else []
    if args.probe:
        requests = [("GET", args.probe, {}, b"")]
    source = Source(requests, cycle=args.cycle or bool(args.probe))
    late_start = max(0.0, time.time() - args.start_at) if args.start_at else 0.0
    if args.start_at and late_start == 0:
        await asyncio.sleep(args.start_at - time.time())
    start = time.monotonic()
    window_start, stop_at = start + args.warmup, start + args.warmup + args.duration
    recorder = Recorder(window_start, stop_at, frozenset(args.expect))
    submissions = Recorder(window_start, stop_at, frozenset({202}))
    connector = aiohttp.TCPConnector(limit=0 if args.rate else args.clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=False) as session:
        if args.rate:
            one = _with_result(args, recorder, submissions) if args.result_path else _plain(args, recorder)
            await _open_loop(session, args, source, recorder, start, stop_at, one)
        else:
            await _closed_loop(session, args, source, recorder, stop_at)
    extra = {"clients": args.clients, "rate": args.rate, "warmup": args.warmup, "duration": args.duration,
             "drained_s": round(time.monotonic() - stop_at, 3)}
    if args.result_path:
        submissions.sent = recorder.sent
        extra["submissions"] = submissions.result(window_s=args.duration, exhausted=False, late_start_s=late_start)
        extra["submissions"].pop("locations")
    return recorder.result(window_s=args.duration, exhausted=source.exhausted, late_start_s=late_start, **extra)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--requests", type=Path, help="pickled [(method, path, headers, body), ...]")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--clients", type=int, default=1, help="closed loop: concurrent clients")
    parser.add_argument("--rate", type=float, help="open loop: requests started per second")
    parser.add_argument("--path", help="send every request to this path instead of its own (ceilings)")
    parser.add_argument("--probe", help="open loop of GETs to this path (use with --rate)")
    parser.add_argument("--result-path", help="after a 202, poll Location + this path until 200")
    parser.add_argument("--key", help="PEM private key signing the result polls")
    parser.add_argument("--key-id", help="key id of --key")
    parser.add_argument("--poll-interval", type=float, default=0.01)
    parser.add_argument("--expect", type=int, nargs="+", default=[200])
    parser.add_argument("--cycle", action="store_true", help="reuse the requests once all are sent")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--start-at", type=float, help="wall-clock time.time() to start at (aligns processes)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(args))
    else:
        result = uvloop.run(run(args))
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
