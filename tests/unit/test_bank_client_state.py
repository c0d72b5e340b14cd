"""The client's own pieces without a gateway: configuration, the store, inbox pulling (against a
stand-in HTTP transport), batch bundles, and materials lookup."""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import httpx
import pytest
from lxml import etree

from gateway.batches.bundle import BundleLimits, read_bundle
from gateway.outputs import to_json_form
from gateway_client.api import GatewayApi
from gateway_client.batch import build_bundle
from gateway_client.config import load_config
from gateway_client.documents import DocumentVerifier, json_form
from gateway_client.errors import ConfigError, VerificationFailed
from gateway_client.inbox import CURSOR, pull
from gateway_client.keys import load_identity
from gateway_client.materials import MaterialRef, locate
from gateway_client.store import Store
from signing.xmldsig import sign_enveloped
from tests.support import factories


def write_config(tmp_path: Path, pki, **extra: str) -> Path:
    lines = [f'gateway_url = "http://gw.test/"', f'institution = "{factories.BANK_CODE}"',
             f'key = "{pki.bank.key_path}"', f'certificate = "{pki.bank.cert_path}"',
             f'gateway_certificate = "{pki.gateway.cert_path}"', 'store = "store"',
             *(f'{k} = "{v}"' for k, v in extra.items())]
    path = tmp_path / "client.toml"
    path.write_text("\n".join(lines) + "\n[listen]\nport = 9000\n", encoding="utf-8")
    return path


def test_the_configuration_resolves_relative_paths_and_lets_the_environment_override(tmp_path, pki):
    config = load_config(write_config(tmp_path, pki), environ={"BANK_CLIENT_URL": "https://gw.example"})
    assert config.gateway_url == "https://gw.example"
    assert config.store == tmp_path / "store"
    assert config.listen.port == 9000 and config.listen.path == "/callbacks/gateway"
    assert load_identity(config).key_id == pki.bank.fingerprint


def test_an_incomplete_or_unknown_configuration_is_refused_by_name(tmp_path, pki):
    path = tmp_path / "partial.toml"
    path.write_text('gateway_url = "http://gw.test"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="institution"):
        load_config(path, environ={})
    with pytest.raises(ConfigError, match="colour"):
        load_config(write_config(tmp_path, pki, colour="blue"), environ={})


def test_a_key_that_is_not_the_certificates_is_refused(tmp_path, pki):
    config = load_config(write_config(tmp_path, pki), environ={"BANK_CLIENT_KEY": str(pki.other_bank.key_path)})
    with pytest.raises(ConfigError, match="is not the key"):
        load_identity(config)


def gateway_result(pki, number: str = "64022120261207000001") -> bytes:
    return sign_enveloped(f"<Result xmlns='urn:pingluo-bdc:mortgage-gateway:v1' version='1'><ApplicationNo>{number}"
                          "</ApplicationNo><Decision>APPROVED</Decision></Result>".encode(),
                          key=pki.gateway.key, certificate=pki.gateway.certificate)


def test_the_store_keeps_a_document_once_and_knows_each_delivery_id_once(tmp_path, pki):
    store = Store(tmp_path / "store")
    document = DocumentVerifier([pki.gateway.certificate]).verify(gateway_result(pki), "application/xml")
    first = store.save(document, kind="result", source="callback")
    assert store.save(document, kind="result", source="inbox") == first
    assert first.read_bytes() == document.data and len(store.documents()) == 1
    assert store.first_delivery("41", document.sha256) is True
    assert store.first_delivery("41", document.sha256) is False
    assert store.first_delivery("42", document.sha256) is True


def inbox_entry(sequence: int, data: bytes, *, sha256: str | None = None) -> dict:
    return {"cursor": f"c{sequence}", "sequence": sequence, "kind": "result", "application_no": None,
            "created_at": "2026-12-07T00:00:00.000000Z", "media_type": "application/xml",
            "sha256": sha256 or hashlib.sha256(data).hexdigest(), "document": base64.b64encode(data).decode()}


class StandInInbox:
    """Two pages of entries; records acknowledgements and the signed `after` of each pull."""

    def __init__(self, pages: list[list[dict]]):
        self.pages, self.acknowledged, self.afters = pages, [], []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert "signature-input" in request.headers  # every call HTTP-signed
        if request.url.path == "/v1/inbox/ack":
            self.acknowledged.append(json.loads(request.content)["cursor"])
            return httpx.Response(200, json={"acknowledged": self.acknowledged[-1]})
        after = request.url.params.get("after")
        self.afters.append(after)
        index = 0 if after is None else next(i + 1 for i, page in enumerate(self.pages) if page[-1]["cursor"] == after)
        page = self.pages[index] if index < len(self.pages) else []
        more = index + 1 < len(self.pages)
        return httpx.Response(200, json={"entries": page, "next_cursor": page[-1]["cursor"] if page else after,
                                         "more": more, "acknowledged": None})


def client_parts(tmp_path, pki, handler):
    config = load_config(write_config(tmp_path, pki), environ={})
    api = GatewayApi(config, load_identity(config), transport=httpx.MockTransport(handler))
    return api, DocumentVerifier([pki.gateway.certificate]), Store(config.store)


def test_an_inbox_pull_verifies_stores_and_acknowledges_every_page_then_resumes_after_them(tmp_path, pki):
    inbox = StandInInbox([[inbox_entry(1, gateway_result(pki, "1")), inbox_entry(2, gateway_result(pki, "2"))],
                          [inbox_entry(3, gateway_result(pki, "3"))]])
    api, verifier, store = client_parts(tmp_path, pki, inbox)
    pulled = pull(api, verifier, store, limit=2)
    assert [e["application_no"] for e in pulled["received"]] == ["1", "2", "3"]
    assert inbox.acknowledged == ["c3"] and store.get(CURSOR) == "c3"
    assert pull(api, verifier, store)["received"] == [] and inbox.afters[-1] == "c3"


@pytest.mark.parametrize("case", ["tampered", "sha256 mismatch"])
def test_an_inbox_entry_that_does_not_verify_stops_the_pull_after_acknowledging_what_came_before(tmp_path, pki, case):
    good = gateway_result(pki, "1")
    bad = gateway_result(pki, "2").replace(b"APPROVED", b"REJECTED")
    entry = inbox_entry(2, bad) if case == "tampered" else inbox_entry(2, good, sha256="0" * 64)
    inbox = StandInInbox([[inbox_entry(1, good), entry, inbox_entry(3, gateway_result(pki, "3"))]])
    api, verifier, store = client_parts(tmp_path, pki, inbox)
    with pytest.raises(VerificationFailed):
        pull(api, verifier, store)
    assert inbox.acknowledged == ["c1"] and store.get(CURSOR) == "c1"
    assert [d["application_no"] for d in store.documents()] == ["1"]


def test_materials_are_found_by_name_or_else_by_their_hash(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "renamed.pdf").write_bytes(b"contract")
    (tmp_path / "a" / "loan.pdf").write_bytes(b"not the contract")
    wanted = MaterialRef("LOAN_CONTRACT", "loan.pdf", hashlib.sha256(b"contract").hexdigest())
    absent = MaterialRef("ID_DOCUMENT", "id.pdf", "0" * 64)
    found, missing = locate([wanted, absent], [tmp_path / "a", tmp_path / "nowhere"])
    assert [f.path.name for f in found] == ["renamed.pdf"] and missing == [absent]


def test_a_batch_bundle_is_read_by_the_gateways_bundle_reader(tmp_path, pki):
    directory = tmp_path / "batch"
    (directory / "materials").mkdir(parents=True)
    for ref, data in zip(factories.material_refs(), factories.MATERIALS.values(), strict=True):
        (directory / "materials" / ref.file_name).write_bytes(data)
    for index in range(2):
        application = factories.application()
        (directory / f"{index}.xml").write_bytes(etree.tostring(factories.unsigned_xml(application)))
    config = load_config(write_config(tmp_path, pki), environ={})
    bundle, manifest = build_bundle(load_identity(config), config, directory, batch_id="B-1")
    read = read_bundle(bundle, BundleLimits(max_items=100, max_expanded_bytes=1 << 24, max_compression_ratio=100,
                                            max_item_bytes=1 << 20, max_material_bytes=1 << 20))
    assert read.batch_id == "B-1" and read.institution == factories.BANK_CODE
    assert [item.request_id for item in read.items] == [item["request_id"] for item in manifest["items"]]
    assert len(read.materials) == 3  # shared by both items, carried once


def test_the_clients_json_form_of_a_result_is_the_gateways():
    result = etree.fromstring(
        "<Result xmlns='urn:pingluo-bdc:mortgage-gateway:v1' version='1'><ApplicationNo>1</ApplicationNo>"
        "<Decision>SUPPLEMENT_REQUESTED</Decision><Supplement><Item><TypeCode>MARRIAGE_CERTIFICATE</TypeCode>"
        "<Reason>缺少</Reason></Item></Supplement></Result>".encode())
    assert json_form(result) == to_json_form(result)


def test_only_a_receipt_for_the_very_bytes_sent_is_accepted(pki):
    from gateway_client.applications import Submission
    from gateway_client.cli import check_receipt

    sent = Submission("xml", b"<signed request/>", "application/xml", "R-1", factories.BANK_CODE, [])

    def receipt(request_sha256: str):
        signed = sign_enveloped(
            f"<Receipt xmlns='urn:pingluo-bdc:mortgage-gateway:v1'><ApplicationNo>1</ApplicationNo><RequestId>R-1"
            f"</RequestId><MortgageeCode>{factories.BANK_CODE}</MortgageeCode><RequestSha256>{request_sha256}"
            "</RequestSha256></Receipt>".encode(), key=pki.gateway.key, certificate=pki.gateway.certificate)
        return DocumentVerifier([pki.gateway.certificate]).verify(signed, "application/xml")

    check_receipt(receipt(hashlib.sha256(b"<signed request/>").hexdigest()), sent)
    with pytest.raises(VerificationFailed, match="request_sha256"):
        check_receipt(receipt("0" * 64), sent)


def test_an_inbox_that_skips_an_entry_is_reported_and_the_position_kept(tmp_path, pki):
    inbox = StandInInbox([[inbox_entry(1, gateway_result(pki, "1")), inbox_entry(3, gateway_result(pki, "3"))]])
    api, verifier, store = client_parts(tmp_path, pki, inbox)
    with pytest.raises(VerificationFailed, match="skipped or repeated"):
        pull(api, verifier, store)
    assert store.get(CURSOR) == "c1" and inbox.acknowledged == ["c1"]


def test_a_certificate_twin_announced_by_a_verified_result_needs_no_seal_pin(tmp_path, pki):
    twin = sign_enveloped("<RegistrationCertificate xmlns='urn:pingluo-bdc:mortgage-gateway:v1'><CertificateNo>"
                          "宁(2026)平罗县不动产证明第0000001号</CertificateNo></RegistrationCertificate>".encode(),
                          key=pki.other_bank.key, certificate=pki.other_bank.certificate)  # a seal not pinned
    store = Store(tmp_path / "store")
    verifier = DocumentVerifier([pki.gateway.certificate], announced=store.announced)
    with pytest.raises(VerificationFailed, match="seal_certificate"):
        verifier.verify(twin, "application/xml")  # nothing vouches for it yet

    result = sign_enveloped(
        "<Result xmlns='urn:pingluo-bdc:mortgage-gateway:v1'><ApplicationNo>7</ApplicationNo><Decision>APPROVED"
        f"</Decision><Certificate><XmlSha256>{hashlib.sha256(twin).hexdigest()}</XmlSha256></Certificate>"
        "</Result>".encode(), key=pki.gateway.key, certificate=pki.gateway.certificate)
    store.save(verifier.verify(result, "application/xml"), kind="result", source="inbox")
    vouched = verifier.verify(twin, "application/xml")
    assert vouched.application_no == "7" and vouched.signer == "announced-by-result:7"
    with pytest.raises(VerificationFailed):
        verifier.verify(twin.replace("0000001".encode(), "0000002".encode()), "application/xml")


def test_the_callback_receiver_answers_each_kind_of_request_as_documented(tmp_path, pki):
    from gateway_client.listen import CallbackReceiver
    from signing.httpsig import sign_headers

    store = Store(tmp_path / "store")
    receiver = CallbackReceiver(host="127.0.0.1", port=0, path="/callbacks/gateway", store=store,
                                verifier=DocumentVerifier([pki.gateway.certificate], announced=store.announced))
    receiver.server.server_close()
    body = gateway_result(pki, "5")

    def post(target: str, delivery_id: str | None = "9", data: bytes = body) -> tuple[int, dict]:
        headers = {"Content-Type": "application/xml", **({"X-Gateway-Delivery-Id": delivery_id} if delivery_id else {})}
        headers.update(sign_headers(method="POST", url=f"http://bank.example{target}", headers=headers, body=data,
                                    key_id=pki.gateway.fingerprint, private_key=pki.gateway.key))
        return receiver.receive(method="POST", target=target, headers=list(headers.items()), body=data)

    assert post("/elsewhere")[0] == 404
    assert post("/callbacks/gateway", delivery_id=None)[0] == 400
    assert post("/callbacks/gateway", data=body.replace(b"APPROVED", b"REJECTED"))[0] == 422
    status, event = post("/callbacks/gateway")
    assert status == 204 and event["event"] == "received" and event["application_no"] == "5"
    assert post("/callbacks/gateway?attempt=2")[1]["event"] == "duplicate"  # query covered by @query
    assert len(store.documents()) == 1
