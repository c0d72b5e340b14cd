"""The example generator of docs/interface/examples (make-batch.py) makes bundles the gateway accepts.

As a bank trying the gateway would: the demo (`gateway demo init`), two of the bank's example
requests signed with its demo key, the bundle built by the script from the examples' materials
folder, uploaded HTTP-signed, every item receipted.
"""
from __future__ import annotations

import io
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient
from lxml import etree

from gateway.api.app import create_app
from gateway.demo import initialise_demo
from gateway.runtime import Runtime
from gateway.settings import Settings
from gateway.timezone import LOCAL_TZ
from signing.httpsig import HttpSignatureAuth
from signing.trust import certificate_fingerprint
from signing.xml_parser import hardened_parser
from signing.xmldsig import sign_enveloped
from tests.integration.test_examples_dry_run import demo_identity

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "interface" / "examples"
NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}
BANK_EXAMPLES = ("mortgage-first-request.xml", "pre-notice-mortgage-request.xml")


def test_a_bundle_made_by_the_example_script_is_accepted_and_receipted(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", staff_token_secrets=["demo-test-secret"],
                        sweep_interval_seconds=3600)
    initialise_demo(settings, out=io.StringIO())
    signed = tmp_path / "signed"
    signed.mkdir()
    for name in BANK_EXAMPLES:
        root = etree.parse(str(EXAMPLES / name), hardened_parser()).getroot()
        root.find("g:RequestId", NS).text = f"BATCH-EX-{uuid.uuid4().hex[:12]}"
        root.find("g:CreatedAt", NS).text = datetime.now(LOCAL_TZ).replace(microsecond=0).isoformat()
        code = root.findtext("g:Mortgagee/g:Code", namespaces=NS)
        key, certificate = demo_identity(settings, code)
        (signed / name).write_bytes(sign_enveloped(root, key=key, certificate=certificate))
    bundle = tmp_path / "batch.zip"
    subprocess.run([sys.executable, str(EXAMPLES / "make-batch.py"), "--institution", code, "--batch-id",
                    "EXAMPLE-1", "--materials", str(EXAMPLES / "materials"), "--out", str(bundle),
                    *[str(signed / name) for name in BANK_EXAMPLES]], check=True, capture_output=True)

    runtime = Runtime.from_settings(settings)
    try:
        with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
            auth = HttpSignatureAuth(key_id=certificate_fingerprint(certificate), private_key=key)
            response = client.post("/v1/batches", content=bundle.read_bytes(),
                                   headers={"Content-Type": "application/zip"}, auth=auth)
            assert response.status_code == 202, response.text
            assert runtime.wait_idle(60)
            progress = client.get("/v1/batches/EXAMPLE-1", auth=auth).json()
    finally:
        runtime.close()
    assert [(item["state"], item["code"]) for item in progress["items"]] == [("accepted", None)] * 2
