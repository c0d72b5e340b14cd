"""The gateway's HTTP API as the bank calls it (docs/interface/api.md): every call HTTP-signed
except the submissions, which carry their own signature."""
from __future__ import annotations

import httpx

from .config import Config
from .errors import GatewayRefused
from .httpsig import SignedRequests
from .keys import BankIdentity


class GatewayApi:
    def __init__(self, config: Config, identity: BankIdentity, *, transport: httpx.BaseTransport | None = None):
        self.signed = httpx.Client(base_url=config.gateway_url, timeout=config.timeout_seconds, transport=transport,
                                   auth=SignedRequests(key_id=identity.key_id, private_key=identity.key))
        self.plain = httpx.Client(base_url=config.gateway_url, timeout=config.timeout_seconds, transport=transport)

    def close(self) -> None:
        self.signed.close()
        self.plain.close()

    # Materials and submissions.
    def upload_material(self, sha256: str, data: bytes, content_type: str) -> httpx.Response:
        return expect(self.signed.put(f"/v1/materials/{sha256}", content=data,
                                      headers={"Content-Type": content_type}), 200, 201)

    def submit(self, body: bytes, *, content_type: str, headers: dict[str, str] | None = None,
               dry_run: bool = False) -> httpx.Response:
        path = "/v1/applications/dry-run" if dry_run else "/v1/applications"
        return expect(self.plain.post(path, content=body, headers={"Content-Type": content_type, **(headers or {})}),
                      200, 202)

    def submit_batch(self, bundle: bytes) -> httpx.Response:
        return expect(self.signed.post("/v1/batches", content=bundle, headers={"Content-Type": "application/zip"}),
                      200, 202)

    def batch(self, batch_id: str) -> httpx.Response:
        return expect(self.signed.get(f"/v1/batches/{batch_id}"), 200)

    # Reading.
    def status(self, application_no: str) -> httpx.Response:
        return expect(self.signed.get(f"/v1/applications/{application_no}"), 200)

    def result(self, application_no: str) -> httpx.Response:
        """200 with the signed result, or 409 ``application.result_not_ready`` (returned, not raised)."""
        return expect(self.signed.get(f"/v1/applications/{application_no}/result"), 200, 409)

    def document(self, application_no: str, kind: str) -> httpx.Response:
        return expect(self.signed.get(f"/v1/applications/{application_no}/documents/{kind}"), 200)

    def inbox(self, *, after: str | None, limit: int) -> httpx.Response:
        params = {"limit": str(limit)}
        if after:
            params["after"] = after
        return expect(self.signed.get("/v1/inbox", params=params), 200)

    def acknowledge(self, cursor: str) -> httpx.Response:
        return expect(self.signed.post("/v1/inbox/ack", json={"cursor": cursor}), 200)

    def supplement(self, application_no: str, materials: list[dict], note: str | None) -> httpx.Response:
        body = {"materials": materials, **({"note": note} if note else {})}
        return expect(self.signed.post(f"/v1/applications/{application_no}/supplement", json=body), 200)

    def subscribe(self, unit_code: str, application_no: str) -> httpx.Response:
        return expect(self.signed.post("/v1/watch/subscriptions",
                                       json={"unit_code": unit_code, "application_no": application_no}), 200, 201)

    def subscriptions(self) -> httpx.Response:
        return expect(self.signed.get("/v1/watch/subscriptions"), 200)

    def end_subscription(self, subscription_id: str) -> httpx.Response:
        return expect(self.signed.delete(f"/v1/watch/subscriptions/{subscription_id}"), 200)

    def quality(self, month: str, *, statement: bool = False) -> httpx.Response:
        return expect(self.signed.get(f"/v1/quality/{month}" + ("/statement" if statement else "")), 200)

    def gateway_certificate(self) -> bytes:
        return expect(self.plain.get("/v1/gateway/certificate"), 200).content


def expect(response: httpx.Response, *statuses: int) -> httpx.Response:
    if response.status_code in statuses:
        return response
    problem = None
    if response.headers.get("content-type", "").split(";")[0] in ("application/problem+json", "application/json"):
        try:
            problem = response.json()
        except ValueError:
            problem = None
    raise GatewayRefused(response.status_code, problem if isinstance(problem, dict) else None, response.text)
