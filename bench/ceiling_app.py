"""The ceilings the gateway is measured against: bare endpoints doing only the unavoidable signature work.

Served exactly like the gateway (uvicorn, same host, same number of processes, default uvicorn
options as ``gateway serve``, a thread pool of the gateway's ``api_threads``), so that the ratio gateway / ceiling shows what everything
except the signatures costs:

* ``POST /verify`` — verify the signed application with the gateway's own XMLDSig verifier
  (signxml, hardened parser, certificate chain against the trust anchors), nothing else;
* ``POST /verify-and-sign`` — the same, then sign a receipt-sized document with the gateway's
  key (``GatewaySigner``): the signature work intake cannot avoid;
* ``GET /v1/applications/{number}`` — verify the HTTP message signature of a status read with
  the bank's public key held in memory (no key lookup), answer a small JSON document;
* ``GET /healthz``.

Configured by environment (uvicorn's worker processes import the app by name):
``BENCH_CEILING_TRUST_ANCHORS``, ``BENCH_CEILING_KEY``, ``BENCH_CEILING_CERT``,
``BENCH_CEILING_BANK_CERT``. Run with ``python -m bench.ceiling_app --port P --workers N``.
"""
from __future__ import annotations

import argparse
import os
from contextlib import asynccontextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from bank_adapters.xml_v1 import XmlApplicationAdapter
from gateway.applications.documents import NoticeFinding, ReceiptFacts, build_receipt
from gateway.keys import GatewaySigner
from signing.httpsig import verify_request
from signing.pki import load_private_key_pem
from signing.trust import TrustStore, certificate_fingerprint, load_pem_certificates
from signing.xmldsig import verify_enveloped

MAX_BYTES = 1_048_576
ROOT_TAG = XmlApplicationAdapter().root_tag


def sample_receipt():
    """A receipt like the ones intake signs (one finding, a fee), unsigned."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    facts = ReceiptFacts(
        application_no="640221202612060000001", request_id="REQ-0123456789abcdef",
        mortgagee_code="91640221MA76B3KX0N", request_sha256="0" * 64, received_at=now, status="QUEUED",
        due_date=date(2026, 12, 14), triage="SIMPLE", fee=(Decimal("80.00"), "住宅登记费，每件80元"),
        findings=(NoticeFinding("unit.existing_mortgages", "INFO", "单元已有现势抵押权，新抵押权顺位在后", "无需操作"),),
    )
    return build_receipt(facts, issued_at=now)


def gateway_thread_pool_size() -> int | None:
    """The gateway's API thread-pool size (``GATEWAY_API_THREADS``), so the ceilings run with the same."""
    from gateway.settings import Settings

    return Settings().api_threads if "api_threads" in Settings.model_fields else None


@asynccontextmanager
async def same_thread_pool(app: FastAPI):
    import anyio.to_thread

    size = gateway_thread_pool_size()
    if size:
        anyio.to_thread.current_default_thread_limiter().total_tokens = size
    yield


def create_app() -> FastAPI:
    trust = TrustStore(anchors=tuple(load_pem_certificates(Path(os.environ["BENCH_CEILING_TRUST_ANCHORS"]).read_bytes())))
    certificates = load_pem_certificates(Path(os.environ["BENCH_CEILING_CERT"]).read_bytes())
    signer = GatewaySigner(load_private_key_pem(Path(os.environ["BENCH_CEILING_KEY"]).read_bytes()), certificates[0])
    bank_certificate = load_pem_certificates(Path(os.environ["BENCH_CEILING_BANK_CERT"]).read_bytes())[0]
    bank_keys = {certificate_fingerprint(bank_certificate): bank_certificate.public_key()}
    receipt = sample_receipt()
    app = FastAPI(title="benchmark ceilings", lifespan=same_thread_pool)

    def verify(body: bytes) -> None:
        verify_enveloped(body, trust=trust, at=datetime.now(timezone.utc), max_bytes=MAX_BYTES, expected_root=ROOT_TAG)

    def verify_and_sign(body: bytes) -> bytes:
        verify(body)
        return signer.sign(receipt)

    @app.post("/verify", status_code=202)
    async def verify_only(request: Request) -> Response:
        await run_in_threadpool(verify, await request.body())
        return Response(b"verified", status_code=202, media_type="text/plain")

    @app.post("/verify-and-sign")
    async def verify_then_sign(request: Request) -> Response:
        signed = await run_in_threadpool(verify_and_sign, await request.body())
        return Response(signed, status_code=202, media_type="application/xml")

    @app.get("/v1/applications/{application_no}")
    def signed_read(application_no: str, request: Request) -> dict:
        verified = verify_request(method=request.method, url=str(request.url), headers=request.headers.items(),
                                  body=b"", resolve_key=bank_keys.__getitem__)
        return {"application_no": application_no, "key_id": verified.key_id}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.ceiling_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if args.workers > 1:
        uvicorn.run("bench.ceiling_app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers)
    else:
        uvicorn.run(create_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
