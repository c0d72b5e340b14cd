"""The batch channel's figure: a 10,000-item batch accepted and fully receipted, next to single-request intake.

On the embedded default (one `gateway serve`, SQLite, in-process tasks), in one run:

1. **single-request intake**: `POST /v1/applications` closed-loop at 16 clients (``bench.load``), accepted/s,
   ``reps`` repetitions — the same measurement as the modes' intake, on this very server;
2. **the batch**: ``BENCH_BATCH_ITEMS`` (default 10,000; 1,000 with ``BENCH_QUICK``) distinct first mortgages, each
   signed on its own just before, in one ZIP bundle with their materials (docs/interface/batches.md), uploaded
   HTTP-signed; timed from the upload's first byte to the answer (``upload_s``) and to the last item's receipt
   (``total_s``: ``GET /v1/batches/{id}`` polled every second until ``completed``). Then the inbox is read to its end
   and the receipts added since the upload counted: every item must have one.

``items_per_s`` = items / ``total_s``; ``ratio`` = that / the single-request median. Standalone:
``python -m bench.batch`` (embedded mode only; needs no PostgreSQL or Redis).
"""
from __future__ import annotations

import io
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import httpx

from bench import services
from bench.applications import RequestFactory
from bench.config import BenchConfig
from bench.loadrun import LoadRunner
from bench.measure import ModeBench
from bench.modes import upload_materials
from bench.seed import BenchPki, gateway_env, onboard
from bench.stats import median_of, ratio, summarise_runs
from signing.httpsig import HttpSignatureAuth
from tests.support import factories

CLIENTS = 16
POLL_SECONDS = 1.0


def batch_items(config: BenchConfig, env=os.environ) -> int:
    return int(env.get("BENCH_BATCH_ITEMS") or (1_000 if config.quick else 10_000))


def run(config: BenchConfig, pki: BenchPki, factory: RequestFactory, work_dir: Path, log_dir: Path) -> dict:
    """Both measurements on one embedded gateway; everything started is stopped, also on failure."""
    work_dir, log_dir = work_dir / "batch", log_dir / "batch"
    work_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    items = batch_items(config)
    units = max(config.intake_units(), items)
    with ExitStack() as stack:
        data_dir = work_dir / "var"
        env = gateway_env(data_dir, pki)
        onboard(env, pki, database_url=f"sqlite:///{(data_dir / 'gateway.db').resolve()}", intake_units=units,
                discharge_units=1, work_dir=work_dir)
        gateway, base_url = services.start_gateway(env, log_dir, name="gateway-batch")
        stack.callback(gateway.stop)
        upload_materials(base_url, pki)
        loads = LoadRunner(warmup=config.warmup, duration=config.duration, timeout=config.request_timeout,
                           work_dir=work_dir, log_dir=log_dir)
        bench = ModeBench(config, pki, factory, loads, work_dir, "batch")
        bench.say(f"single-request intake at {CLIENTS} clients, {config.reps} repetition(s)")
        single = summarise_runs([bench.gateway_intake(base_url, CLIENTS, probe=False)[0] for _ in range(config.reps)])
        bench.say(f"signing {items:,} applications for the batch")
        made = factory.first_mortgages(bench.next_index, items, run=f"{bench.token}B", units=units)
        bundle = build_bundle([request[3] for request in made], batch_id=f"BENCH-{bench.token}")
        bench.say(f"sending a batch of {items:,} items ({len(bundle) / 1_048_576:.1f} MiB)")
        figures = send_and_follow(base_url, pki, bundle, f"BENCH-{bench.token}", items, timeout=max(600.0, items))
        figures["memory_mb"] = gateway.peak_memory()
    figures.update(items=items, bundle_bytes=len(bundle), single=single, single_clients=CLIENTS)
    figures["items_per_s"] = items / figures["total_s"] if figures.get("total_s") else None
    figures["ratio"] = ratio(figures["items_per_s"], median_of(single, "ok_per_s"))
    return figures


def build_bundle(documents: list[bytes], *, batch_id: str) -> bytes:
    """The bundle of docs/interface/batches.md: every item references the same three materials."""
    from lxml import etree

    ns = {"m": "urn:pingluo-bdc:mortgage-gateway:v1"}
    materials = {f"materials/{factories.sha256(data)}.pdf": data for data in factories.MATERIALS.values()}
    manifest = {"format": "mortgage-batch/1", "batch_id": batch_id, "institution": factories.BANK_CODE,
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "items": []}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for number, document in enumerate(documents, start=1):
            request_id = etree.fromstring(document).findtext("m:RequestId", namespaces=ns)
            name = f"applications/{number:05d}.xml"
            archive.writestr(name, document)
            manifest["items"].append({"request_id": request_id, "file": name, "materials": sorted(materials)})
        for name, data in materials.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(manifest))
    return buffer.getvalue()


def send_and_follow(base_url: str, pki: BenchPki, bundle: bytes, batch_id: str, items: int, *,
                    timeout: float) -> dict:
    auth = HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key)
    with httpx.Client(base_url=base_url, auth=auth, timeout=600) as bank:
        before = count_receipts(bank)  # the single-request intake's receipts are in the inbox too
        started = time.monotonic()
        answer = bank.post("/v1/batches", content=bundle, headers={"Content-Type": "application/zip"})
        upload_s = time.monotonic() - started
        if answer.status_code != 202:
            raise RuntimeError(f"the batch was answered {answer.status_code}: {answer.text[:500]}")
        while True:
            progress = bank.get(f"/v1/batches/{batch_id}", params={"limit": 1}).json()
            if progress["status"] == "completed":
                break
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"the batch was not completed within {timeout:.0f} s: {progress['pending']} "
                                   f"of {items} items pending")
            time.sleep(POLL_SECONDS)
        total_s = time.monotonic() - started
        receipts = count_receipts(bank) - before
    return {"upload_s": upload_s, "total_s": total_s, "accepted": progress["accepted"],
            "refused": progress["refused"], "receipts_in_inbox": receipts}


def count_receipts(bank: httpx.Client) -> int:
    """Every receipt in the bank's inbox, page by page (the inbox's own cursor)."""
    receipts, cursor = 0, None
    while True:
        page = bank.get("/v1/inbox", params={"limit": 500, **({"after": cursor} if cursor else {})}).json()
        receipts += sum(1 for entry in page["entries"] if entry["kind"] == "receipt")
        cursor = page.get("next_cursor")
        if not page.get("more"):
            return receipts


def main() -> int:
    """``python -m bench.batch``: this figure alone, printed as JSON."""
    from bench.seed import build_pki

    config = BenchConfig.from_env()
    work_dir = Path(tempfile.mkdtemp(prefix="gateway-bench-batch-"))
    factory = RequestFactory(pki := build_pki(work_dir / "pki"), processes=os.cpu_count() or 1)
    try:
        figures = run(config, pki, factory, work_dir, work_dir / "logs")
    finally:
        factory.close()
        shutil.rmtree(work_dir / "batch", ignore_errors=True)  # the database and requests; the logs stay
    json.dump(figures, sys.stdout, indent=2, default=str)
    print(f"\nlogs: {work_dir / 'logs'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
