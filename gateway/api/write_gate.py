"""Embedded mode: writing requests enter the app one at a time (see ``Runtime.write_gate``).

Reads (GET, HEAD) never wait here; nor do the requests that manage the gate themselves —
submissions, which verify signatures before they take it, and the checks that only read.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.runtime import Runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNGATED = (
    ("POST", re.compile(r"^/v1/applications(/dry-run)?$")),  # gated inside, around the writing step only
    ("POST", re.compile(r"^/v1/batches$")),  # a bundle is read and checked first; gated around storing it
    ("POST", re.compile(r"^(/v1)?/verify/[^/]+(/pdf)?$")),  # read-only checks of a PDF
    ("POST", re.compile(r"^/v1/staff/sessions$")),  # password check in a read-only unit of work
    ("POST", re.compile(r"^/v1/supervision/accesses(\.csv|\.pdf)?$")),  # read-only; its audit entry takes the gate
)


class WriteGate:
    def __init__(self, app: ASGIApp, runtime: Callable[[], Runtime]):
        self.app = app
        self._runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_gated(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        async with self._runtime().write_gate():
            await self.app(scope, receive, send)


def is_gated(method: str, path: str) -> bool:
    if method in SAFE_METHODS:
        return False
    return not any(method == m and pattern.match(path) for m, pattern in UNGATED)
