"""A real HTTP callback receiver on loopback, standing in for a bank's callback server."""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class CallbackReceiver:
    """Records every POST; answers 500 to the first ``fail_first`` of them.

    For fault tests: ``failure_rate`` answers 500 to that share of the POSTs (at random, seeded),
    ``delay_seconds`` answers each only after that long (a slow bank), and :meth:`go_down` /
    :meth:`come_back` close and reopen the port (a bank's server that is down). A POST answered
    500 is not recorded in ``received``.
    """

    fail_first: int = 0
    failure_rate: float = 0.0
    delay_seconds: float = 0.0
    seed: int = 10
    received: list[Received] = field(default_factory=list)
    attempts: int = 0
    in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, port: int = 0) -> CallbackReceiver:
        receiver = self
        random_draws = random.Random(self.seed)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    receiver.in_flight += 1
                    delay = receiver.delay_seconds
                try:
                    time.sleep(delay)
                    with receiver._lock:
                        receiver.attempts += 1
                        failing = (receiver.attempts <= receiver.fail_first
                                   or random_draws.random() < receiver.failure_rate)
                        if not failing:
                            receiver.received.append(Received(self.path, dict(self.headers), body))
                    self.send_response(500 if failing else 204)
                    self.end_headers()
                finally:
                    with receiver._lock:
                        receiver.in_flight -= 1

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self._port = self._server.server_address[1]
        return self

    def go_down(self) -> None:
        """Close the port: POSTs are refused until :meth:`come_back`."""
        self.stop()

    def come_back(self) -> None:
        self.start(self._port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/callbacks/gateway"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} callbacks, got {len(self.received)} in {timeout} s")

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
