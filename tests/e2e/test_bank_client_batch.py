"""The reference bank client's batch channel against a real `gateway serve`: a directory of
applications signed one by one, bundled with their materials, sent once, followed to the end."""
from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from bank_adapters.json_v1 import to_document
from tests.e2e.test_bank_client import (  # noqa: F401 - gateway is the fixture
    approve, client, gateway, listen_events, start_listener, wait_for_event, write_config)
from tests.support import factories


def write_batch_directory(directory: Path) -> list[str]:
    """Two XML applications and one JSON application, with their materials (shared) beside them."""
    (directory / "materials").mkdir(parents=True)
    for ref, data in zip(factories.material_refs(), factories.MATERIALS.values(), strict=True):
        (directory / "materials" / ref.file_name).write_bytes(data)
    request_ids = []
    for index in range(3):
        application = factories.application()
        request_ids.append(application.request_id)
        if index < 2:
            (directory / f"{index:02d}.xml").write_bytes(etree.tostring(factories.unsigned_xml(application),
                                                                        xml_declaration=True, encoding="UTF-8"))
        else:
            (directory / f"{index:02d}.json").write_text(json.dumps(to_document(application), ensure_ascii=False),
                                                         encoding="utf-8")
    return request_ids


def test_a_bank_sends_a_directory_as_one_batch_and_follows_it_to_the_end(tmp_path, pki, gateway):
    config = write_config(tmp_path, pki, gateway["url"], gateway["listen_port"])
    client(config, "gateway-certificate", "--save")
    request_ids = write_batch_directory(tmp_path / "batch")
    listener = start_listener(config, tmp_path)
    try:
        follow_a_batch(tmp_path, config, request_ids, listener, gateway["url"])
    finally:
        listener.stop()


def follow_a_batch(tmp_path, config, request_ids, listener, base_url):
    sent = client(config, "batch", str(tmp_path / "batch"), "--batch-id", "NIGHTLY-1", "--wait", "120",
                  "--save-bundle", str(tmp_path / "bundle.zip"))
    assert sent["http_status"] == 202 and sent["batch_id"] == "NIGHTLY-1" and sent["items"] == 3
    assert Path(sent["bundle"]).read_bytes() == (tmp_path / "bundle.zip").read_bytes()  # kept in the store
    progress = sent["progress"]
    assert progress["status"] == "completed" and progress["pending"] == 0, progress
    assert [item["request_id"] for item in progress["items"]] == request_ids
    assert progress["accepted"] >= 1
    for item in progress["items"]:
        if item["state"] == "accepted":
            assert client(config, "status", item["application_no"])["request_id"] == item["request_id"]
            # Each item's signed receipt comes by callback (and waits in the inbox).
            event = wait_for_event(listener, lambda e, no=item["application_no"]: e.get("event") == "received"
                                   and e.get("kind") == "receipt" and e.get("application_no") == no)
            assert event["document"] == "Receipt"
        else:
            wait_for_event(listener, lambda e: e.get("event") == "received" and e.get("kind") == "refusal")
    assert not [e for e in listen_events(listener) if e.get("event") == "refused"]
    pulled = client(config, "--store", str(tmp_path / "inbox-store"), "inbox")
    assert sorted(e["kind"] for e in pulled["received"]) == sorted(
        "receipt" if item["state"] == "accepted" else "refusal" for item in progress["items"])

    # A batch item approved: its signed result reaches the bank by callback, verified by the client.
    first = next(item for item in progress["items"] if item["state"] == "accepted")
    approve(base_url, first["application_no"])
    result = wait_for_event(listener, lambda e: e.get("event") == "received" and e.get("kind") == "result"
                            and e.get("application_no") == first["application_no"], timeout=90)
    assert result["document"] == "Result"

    # The same bundle again, byte for byte: the same batch, nothing new.
    resent = client(config, "batch", str(tmp_path / "bundle.zip"))
    assert resent["http_status"] == 200 and resent["resent"] and resent["batch_id"] == "NIGHTLY-1"
    assert client(config, "batch-status", "NIGHTLY-1")["items_total"] == 3
    # Signing the directory again makes other bytes under the same batch id: refused, as documented.
    reused = client(config, "batch", str(tmp_path / "batch"), "--batch-id", "NIGHTLY-1", expect=1)
    assert "batch.id_reused" in reused["stderr"]
