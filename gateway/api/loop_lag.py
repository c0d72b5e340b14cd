"""A probe of the event loop's responsiveness: how late it wakes from a short sleep.

The loop only reads bodies and answers ``/healthz``; everything that blocks runs on threads. A
wake-up later than ``loop_lag_warn_ms`` means something blocked the loop (or the machine is
starved), and is logged as a warning so that it shows in the operator's log and fails the
concurrency tests.
"""
from __future__ import annotations

import asyncio
import logging
import time

log = logging.getLogger(__name__)


class LoopLagProbe:
    def __init__(self, *, warn_after_ms: float, interval_s: float = 0.05):
        self.warn_after = warn_after_ms / 1000
        self.interval = interval_s
        self.worst_ms = 0.0
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch(), name="loop-lag-probe")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _watch(self) -> None:
        while True:
            started = time.monotonic()
            await asyncio.sleep(self.interval)
            lag = time.monotonic() - started - self.interval
            self.worst_ms = max(self.worst_ms, lag * 1000)
            if lag > self.warn_after:
                log.warning("event loop blocked for %.0f ms (bound %.0f ms)", lag * 1000, self.warn_after * 1000)
