"""The batch figure of `make bench` (bench/batch.py): its target and its place in the report."""
from __future__ import annotations

import io
import json
import zipfile

from bench.batch import build_bundle
from bench.report import render_markdown
from bench.targets import evaluate
from tests.support import factories

BATCH = {"items": 10_000, "bundle_bytes": 23_913_388, "upload_s": 3.3, "total_s": 302.5, "items_per_s": 33.1,
         "accepted": 10_000, "refused": 0, "receipts_in_inbox": 10_000, "ratio": 0.83, "single_clients": 16,
         "single": {"ok_per_s": {"median": 39.9, "low": 37.8, "high": 42.1, "reps": [42.1, 37.8, 39.9]},
                    "errors_total": 0, "error_kinds": {}},
         "memory_mb": {"sum_of_peaks_mb": 321.4}}


def batch_target(results: dict):
    return next(t for t in evaluate(results) if t.name.startswith("a batch of"))


def test_the_batch_target_is_met_when_every_item_has_a_receipt():
    assert batch_target({"batch": BATCH}).verdict == "met"
    assert batch_target({"batch": {**BATCH, "receipts_in_inbox": 9_998}}).gap == "2 error(s)"


def test_the_batch_target_is_not_measured_without_a_batch_figure():
    assert batch_target({}).verdict == "not measured"
    assert batch_target({"batch": {"error": "RuntimeError: …"}}).verdict == "not measured"


def test_the_report_shows_the_batch_next_to_single_request_intake():
    markdown = render_markdown({"batch": BATCH})
    assert "**33.1 items/s**" in markdown and "batch / single = **83%**" in markdown


def test_the_bench_bundle_lists_every_item_in_order_with_its_materials(pki):
    documents = [factories.signed_request(factories.application(request_id=f"R-{n}"), pki.bank) for n in range(2)]
    with zipfile.ZipFile(io.BytesIO(build_bundle(documents, batch_id="B-1"))) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist())
    assert [item["request_id"] for item in manifest["items"]] == ["R-0", "R-1"]
    assert {name for item in manifest["items"] for name in item["materials"]} <= names
