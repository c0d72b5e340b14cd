"""The reference bank client pulling its inbox from a real `gateway serve`, as a pull-only bank
(no callback URL): every signed document verified, stored once, acknowledged, never fetched twice."""
from __future__ import annotations

import pytest

from tests.e2e.test_bank_client import approve, client, gateway, write_application, write_config  # noqa: F401
from tests.e2e.test_bank_client_json import write_json_application


@pytest.mark.parametrize("gateway", [{"callback": False}], indirect=True)
def test_a_pull_only_bank_gets_receipts_certificate_and_result_through_the_inbox(tmp_path, pki, gateway):
    pull_everything_through_the_inbox(tmp_path, pki, gateway)


@pytest.mark.services
@pytest.mark.parametrize("gateway", [{"callback": False, "postgresql": True}], indirect=True)
def test_a_pull_only_bank_gets_everything_through_the_inbox_on_postgresql(tmp_path, pki, gateway):
    pull_everything_through_the_inbox(tmp_path, pki, gateway)


def pull_everything_through_the_inbox(tmp_path, pki, gateway):
    config = write_config(tmp_path, pki, gateway["url"], gateway["listen_port"])
    client(config, "gateway-certificate", "--save")
    xml = client(config, "submit", str(write_application(tmp_path / "xml")))["application_no"]
    json_no = client(config, "submit", str(write_json_application(tmp_path / "json")))["application_no"]
    approve(gateway["url"], xml)
    client(config, "result", xml, "--wait", "90")
    # Pages of two: both receipts, the result, the certificate's twin. The twin is sealed by the registration
    # authority, not signed by the gateway; the verified result before it announced its SHA-256, which
    # vouches for it without the seal's certificate pinned.
    pulled = client(config, "inbox", "--limit", "2", "--no-ack")
    received = {(e["application_no"], e["kind"]): e for e in pulled["received"]}
    assert list(received) == [(xml, "receipt"), (json_no, "receipt"), (xml, "result"), (xml, "certificate")]
    assert [e["sequence"] for e in pulled["received"]] == [1, 2, 3, 4]
    assert received[(json_no, "receipt")]["path"].endswith(".jws")
    assert received[(xml, "receipt")]["path"].endswith(".xml")
    assert pulled["acknowledged"] is None

    # Another installation, with the seal's CA pinned, pulls the same four from the (unmoved)
    # acknowledged position, checks the seal on the twin, and acknowledges.
    write_config(tmp_path, pki, gateway["url"], gateway["listen_port"], seal=pki.ca_path)
    other_store = str(tmp_path / "other-store")
    again = client(config, "--store", other_store, "inbox")
    assert [e["sha256"] for e in again["received"]] == [e["sha256"] for e in pulled["received"]]
    sealed = client(config, "--store", other_store, "verify", again["received"][-1]["path"])
    assert sealed["document"] == "RegistrationCertificate" and sealed["signed_by"] != pki.gateway.fingerprint
    assert again["acknowledged"]["acknowledged"] == again["cursor"]

    assert client(config, "--store", other_store, "inbox")["received"] == []  # nothing twice
    assert client(config, "inbox")["received"] == []  # the first store goes on after its own position
    # A fresh store starts from the acknowledged position.
    assert client(config, "--store", str(tmp_path / "fresh-store"), "inbox")["received"] == []
