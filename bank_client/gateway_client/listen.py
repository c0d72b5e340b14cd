"""The callback receiver (docs/interface/callbacks.md §3): verify the gateway's HTTP signature,
verify the document, store it, answer 2xx; a delivery id seen before is answered 2xx and skipped."""
from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .documents import DocumentVerifier
from .errors import VerificationFailed
from .httpsig import verify_gateway_request
from .keys import fingerprint
from .store import Store

MAX_BODY = 25 * 1024 * 1024


class CallbackReceiver:
    def __init__(self, *, host: str, port: int, path: str, verifier: DocumentVerifier, store: Store, out=None):
        self.path = path
        self.verifier = verifier
        self.store = store
        self.out = out or sys.stdout
        self._print_lock = threading.Lock()
        self._keys = {fingerprint(c): c.public_key() for c in verifier.gateway}
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{self.path}"

    def emit(self, **event) -> None:
        with self._print_lock:
            self.out.write(json.dumps(event, ensure_ascii=False) + "\n")
            self.out.flush()

    def serve_forever(self) -> None:
        self.emit(event="listening", url=self.url)
        try:
            self.server.serve_forever()
        finally:
            self.server.server_close()

    def shutdown(self) -> None:
        self.server.shutdown()

    def receive(self, *, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, dict]:
        """Handle one POST; return the status to answer and the event recorded."""
        if urlsplit(target).path != self.path:
            return 404, {"event": "refused", "reason": "unknown path"}
        try:
            verify_gateway_request(method=method, url=f"http://receiver{target}", headers=headers, body=body,
                                   gateway_certificates=self._keys)
        except VerificationFailed as exc:
            return 401, {"event": "refused", "reason": str(exc)}
        named = {name.lower(): value for name, value in headers}
        delivery_id = named.get("x-gateway-delivery-id", "").strip()
        if not delivery_id:
            return 400, {"event": "refused", "reason": "no X-Gateway-Delivery-Id"}
        try:
            document = self.verifier.verify(body, named.get("content-type"))
        except VerificationFailed as exc:
            return 422, {"event": "refused", "delivery_id": delivery_id, "reason": str(exc)}
        kind = named.get("x-gateway-document-kind") or document.name
        # The header (not signed) only files a document that names no application itself (a certificate twin).
        filed_under = document.application_no or named.get("x-gateway-application-no")
        path = self.store.save(document, kind=kind, source="callback", application_no=filed_under)
        first = self.store.first_delivery(delivery_id, document.sha256)
        return 204, {"event": "received" if first else "duplicate", "delivery_id": delivery_id, "kind": kind,
                     "document": document.name, "application_no": filed_under,
                     "inbox_sequence": named.get("x-gateway-inbox-sequence"),
                     "sha256": document.sha256, "path": str(path)}

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = -1
                if not 0 <= length <= MAX_BODY:
                    self._answer(413 if length > MAX_BODY else 400)
                    return
                body = self.rfile.read(length)
                status, event = receiver.receive(method="POST", target=self.path, headers=list(self.headers.items()),
                                                 body=body)
                receiver.emit(**event)
                self._answer(status)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler
