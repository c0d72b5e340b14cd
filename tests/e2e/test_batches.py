"""A batch against a real `gateway serve`: one HTTP-signed upload, the background intake to the end,
and a signed receipt or refusal per item in the bank's inbox."""
from __future__ import annotations

import base64
import time

import httpx
import pytest
from lxml import etree

from tests.support import batches
from tests.support.onboarding import bank_http, celery_env, drop_queue, onboard
from tests.support.processes import gateway_env, start_server, start_worker

NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}


def test_a_batch_is_received_in_the_background_and_answered_item_by_item_in_the_inbox(tmp_path, pki):
    env = gateway_env(tmp_path / "var", pki)
    onboard(env, pki, tmp_path, staff=())
    server, base_url = start_server(env, tmp_path)
    try:
        send_a_batch_and_follow_it(base_url, pki)
    finally:
        server.stop()


@pytest.mark.services
def test_a_batch_is_received_by_a_celery_worker_on_postgresql(tmp_path, pki, postgres_url, redis_server):
    env, queue = celery_env(tmp_path, pki, postgres_url, redis_server)
    onboard(env, pki, tmp_path, staff=())
    worker = start_worker(env, tmp_path)
    server, base_url = start_server(env, tmp_path)
    try:
        send_a_batch_and_follow_it(base_url, pki)
        assert "batches.process" in worker.log()  # the Celery worker, not the API, received the items
    finally:
        server.stop()
        worker.stop()
        drop_queue(redis_server, queue)


def send_a_batch_and_follow_it(base_url: str, pki) -> None:
    bank = bank_http(base_url, pki, timeout=60)
    items = batches.signed_items(pki.bank, 4)
    items[2] = batches.signed_items(pki.bank, 1, unit_code="640221001001GB00099F00990099")[0]
    body = batches.build_bundle(items, batch_id="NIGHTLY-20261207")

    answer = bank.post("/v1/batches", content=body, headers={"Content-Type": "application/zip"})
    assert answer.status_code == 202, answer.text
    progress = wait_for_completion(bank, answer.json()["status_url"])
    assert [(i["state"], i["code"]) for i in progress["items"]] == [
        ("accepted", None), ("accepted", None), ("refused", "prereview.refused"), ("accepted", None)]

    entries = bank.get("/v1/inbox", params={"limit": 100}).json()["entries"]
    documents = {entry["kind"]: [] for entry in entries}
    for entry in entries:
        documents[entry["kind"]].append(etree.fromstring(base64.b64decode(entry["document"])))
    receipts = sorted(d.findtext("g:ApplicationNo", namespaces=NS) for d in documents["receipt"])
    assert receipts == sorted(i["application_no"] for i in progress["items"] if i["state"] == "accepted")
    refusal, = documents["refusal"]
    assert (refusal.findtext("g:BatchId", namespaces=NS), refusal.findtext("g:Position", namespaces=NS),
            refusal.findtext("g:Code", namespaces=NS)) == ("NIGHTLY-20261207", "3", "prereview.refused")

    again = bank.post("/v1/batches", content=body, headers={"Content-Type": "application/zip"})
    assert again.status_code == 200 and again.json() == answer.json()
    assert len(bank.get("/v1/inbox", params={"limit": 100}).json()["entries"]) == len(entries)


def wait_for_completion(bank: httpx.Client, status_url: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        progress = bank.get(status_url).json()
        if progress["status"] == "completed":
            return progress
        assert time.monotonic() < deadline, f"not completed within {timeout} s: {progress}"
        time.sleep(0.3)
