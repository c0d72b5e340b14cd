"""The client's signatures are the gateway's profile (checked with the gateway's own verifiers), and
the client refuses whatever the gateway did not sign with its pinned key."""
from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from gateway_client import jose, xmlsig
from gateway_client.documents import DocumentVerifier, json_form
from gateway_client.errors import VerificationFailed
from gateway_client.httpsig import signature_headers, verify_gateway_request
from gateway_client.keys import BankIdentity
from signing import jws as gateway_jws
from signing.httpsig import sign_headers, verify_request
from signing.trust import TrustStore
from signing.xmldsig import sign_enveloped, verify_enveloped
from tests.support import factories

NOW = datetime.now(timezone.utc)
URL = "http://bank.example/callbacks/gateway"


def unsigned(**overrides) -> bytes:
    return etree.tostring(factories.unsigned_xml(factories.application(**overrides)), xml_declaration=True,
                          encoding="UTF-8")


def gateway_result(pki, decision: str = "APPROVED") -> bytes:
    document = (f"<Result xmlns='urn:pingluo-bdc:mortgage-gateway:v1' version='1'><ApplicationNo>64022120261207000001"
                f"</ApplicationNo><Decision>{decision}</Decision></Result>").encode()
    return sign_enveloped(document, key=pki.gateway.key, certificate=pki.gateway.certificate)


@pytest.fixture
def verifier(pki):
    return DocumentVerifier([pki.gateway.certificate])


# HTTP Message Signatures -------------------------------------------------------------------------

def test_a_signed_upload_verifies_with_the_gateways_own_verifier_and_covers_the_digest(pki):
    body = b"%PDF-1.4 material"
    url = f"http://gw.example/v1/materials/{hashlib.sha256(body).hexdigest()}"
    headers = signature_headers(method="PUT", url=url, body=body, key_id=pki.bank.fingerprint, private_key=pki.bank.key)
    verified = verify_request(method="PUT", url=url, headers=headers, body=body,
                              resolve_key=lambda key_id: pki.bank.certificate.public_key())
    assert verified.key_id == pki.bank.fingerprint
    assert verified.covered_components == ("@method", "@path", "content-digest")
    assert verified.algorithm == "rsa-pss-sha512"


def test_a_signed_read_with_a_query_covers_the_query_and_an_ec_key_signs_ecdsa(pki):
    url = "http://gw.example/v1/inbox?limit=10"
    headers = signature_headers(method="GET", url=url, body=b"", key_id=pki.bank_ec.fingerprint,
                                private_key=pki.bank_ec.key)
    verified = verify_request(method="GET", url=url, headers=headers, body=b"",
                              resolve_key=lambda key_id: pki.bank_ec.certificate.public_key())
    assert verified.covered_components == ("@method", "@path", "@query")
    assert verified.algorithm == "ecdsa-p256-sha256"


def gateway_callback(pki, body: bytes, *, key=None, fingerprint=None, created=None) -> dict[str, str]:
    headers = {"Content-Type": "application/xml", "X-Gateway-Delivery-Id": "7"}
    headers.update(sign_headers(method="POST", url=URL, headers=headers, body=body, created=created,
                                key_id=fingerprint or pki.gateway.fingerprint, private_key=key or pki.gateway.key))
    return headers


def test_a_callback_signed_by_the_pinned_gateway_key_is_accepted(pki):
    body = b"<Result/>"
    keys = {pki.gateway.fingerprint: pki.gateway.certificate.public_key()}
    assert verify_gateway_request(method="POST", url=URL, headers=gateway_callback(pki, body).items(), body=body,
                                  gateway_certificates=keys) == pki.gateway.fingerprint


@pytest.mark.parametrize("case", ["other key", "stale", "body changed", "unsigned"])
def test_a_callback_not_signed_by_the_pinned_gateway_key_now_over_this_body_is_refused(pki, case):
    body = b"<Result/>"
    keys = {pki.gateway.fingerprint: pki.gateway.certificate.public_key()}
    headers = {
        "other key": lambda: gateway_callback(pki, body, key=pki.other_bank.key,
                                              fingerprint=pki.other_bank.fingerprint),
        "stale": lambda: gateway_callback(pki, body, created=NOW - timedelta(seconds=400)),
        "body changed": lambda: gateway_callback(pki, b"<Result>changed</Result>"),
        "unsigned": lambda: {"Content-Type": "application/xml"},
    }[case]()
    with pytest.raises(VerificationFailed):
        verify_gateway_request(method="POST", url=URL, headers=headers.items(), body=body, gateway_certificates=keys)


def test_a_callback_signed_by_the_gateway_key_under_a_forged_keyid_is_refused(pki):
    body = b"<Result/>"
    keys = {pki.gateway.fingerprint: pki.gateway.certificate.public_key()}
    headers = gateway_callback(pki, body, key=pki.other_bank.key)  # keyid says gateway, the key is another
    with pytest.raises(VerificationFailed):
        verify_gateway_request(method="POST", url=URL, headers=headers.items(), body=body, gateway_certificates=keys)


# XMLDSig -----------------------------------------------------------------------------------------

def test_a_signed_application_passes_the_gateways_xml_signature_checks(pki):
    signed = xmlsig.sign_application(unsigned(), key=pki.bank.key, certificate=pki.bank.certificate)
    verified = verify_enveloped(signed, trust=TrustStore.from_pem(anchors=pki.ca_path.read_bytes()), at=NOW,
                                max_bytes=1 << 20)
    assert verified.certificate == pki.bank.certificate


def test_signing_replaces_an_empty_template_and_can_stamp_a_new_request_id_and_time(pki):
    template = open("docs/interface/examples/mortgage-first-template.xml", "rb").read()
    signed = xmlsig.sign_application(template, key=pki.bank_ec.key, certificate=pki.bank_ec.certificate,
                                     request_id="REQ-NEW-1", created_at=NOW)
    root = etree.fromstring(signed)
    assert len(root.findall("{http://www.w3.org/2000/09/xmldsig#}Signature")) == 1
    assert root.findtext("{urn:pingluo-bdc:mortgage-gateway:v1}RequestId") == "REQ-NEW-1"
    assert root.findtext("{urn:pingluo-bdc:mortgage-gateway:v1}CreatedAt") == NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    verify_enveloped(signed, trust=TrustStore.from_pem(anchors=pki.ca_path.read_bytes()), at=NOW, max_bytes=1 << 20)


def test_an_already_signed_application_is_not_signed_again(pki):
    signed = xmlsig.sign_application(unsigned(), key=pki.bank.key, certificate=pki.bank.certificate)
    with pytest.raises(xmlsig.ApplicationXmlError):
        xmlsig.sign_application(signed, key=pki.bank.key, certificate=pki.bank.certificate)


def test_a_gateway_result_verifies_and_reads_in_its_json_form(pki, verifier):
    document = verifier.verify(gateway_result(pki), "application/xml")
    assert document.name == "Result" and document.application_no == "64022120261207000001"
    assert document.fields == {"document": "Result", "version": "1", "application_no": "64022120261207000001",
                               "decision": "APPROVED"}
    assert document.signer == pki.gateway.fingerprint


@pytest.mark.parametrize("case", ["changed", "other signer", "wrapped", "doctype", "unsigned"])
def test_an_xml_document_not_exactly_as_the_gateway_signed_it_is_refused(pki, verifier, case):
    genuine = gateway_result(pki)
    data = {
        "changed": lambda: genuine.replace(b"APPROVED", b"REJECTED"),
        "other signer": lambda: sign_enveloped(genuine.split(b"<ds:Signature")[0] + b"</Result>",
                                               key=pki.other_bank.key, certificate=pki.other_bank.certificate),
        "wrapped": lambda: (b"<Result xmlns='urn:pingluo-bdc:mortgage-gateway:v1'><Decision>APPROVED</Decision>"
                            + genuine.split(b"?>", 1)[1] + b"</Result>"),
        "doctype": lambda: b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>' + genuine.split(b"?>", 1)[1],
        "unsigned": lambda: (b"<Result xmlns='urn:pingluo-bdc:mortgage-gateway:v1'><Decision>APPROVED</Decision>"
                             b"</Result>"),
    }[case]()
    with pytest.raises(VerificationFailed):
        verifier.verify(data, "application/xml")


def test_the_json_form_of_xml_follows_the_gateways_mapping():
    root = etree.fromstring(
        b"<Receipt xmlns='urn:pingluo-bdc:mortgage-gateway:v1' version='1'><RequestSha256>ab</RequestSha256>"
        b"<DueDate provisional='false'>2027-01-05</DueDate><Findings><Finding><Code>x.y</Code></Finding></Findings>"
        b"</Receipt>")
    assert json_form(root) == {"document": "Receipt", "version": "1", "request_sha256": "ab",
                               "due_date": {"value": "2027-01-05", "provisional": "false"},
                               "findings": {"finding": [{"code": "x.y"}]}}


# JWS ---------------------------------------------------------------------------------------------

def find(pki):
    return lambda kid: pki.bank.certificate if kid == pki.bank.fingerprint else None


def test_a_compact_jws_application_passes_the_gateways_jws_checks(pki):
    payload = json.dumps({"request_id": "R-1"}).encode()
    token = jose.sign_compact(payload, key=pki.bank.key, certificate=pki.bank.certificate)
    verified = gateway_jws.verify_jws(token, trust=TrustStore.from_pem(anchors=pki.ca_path.read_bytes()), at=NOW,
                                      find_certificate=find(pki))
    assert verified.payload == payload and verified.algorithm == "PS256"


def test_a_detached_jws_signs_the_exact_body_and_passes_the_gateways_checks(pki):
    body = json.dumps({"request_id": "R-2", "name": "王建国"}, ensure_ascii=False).encode()
    header = jose.sign_detached(body, key=pki.bank.key, certificate=pki.bank.certificate)
    assert ".." in header
    trust = TrustStore.from_pem(anchors=pki.ca_path.read_bytes())
    verified = gateway_jws.verify_jws(header.encode(), trust=trust, at=NOW, find_certificate=find(pki),
                                      detached_payload=body)
    assert verified.detached and verified.payload == body
    with pytest.raises(gateway_jws.JwsDetachedMismatch):
        gateway_jws.verify_jws(header.encode(), trust=trust, at=NOW, find_certificate=find(pki),
                               detached_payload=body + b" ")


def gateway_token(pki, payload: dict, **header) -> bytes:
    return gateway_jws.sign_compact(json.dumps(payload).encode(), key=pki.gateway.key,
                                    certificate=pki.gateway.certificate, typ="result+jws", **header)


def test_a_gateway_jws_with_its_certificate_chain_verifies(pki, verifier):
    document = verifier.verify(gateway_token(pki, {"document": "Result", "application_no": "1"}), "application/jose")
    assert document.name == "Result" and document.application_no == "1" and document.extension == "jws"


def b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("case", ["none", "hs256", "unknown kid", "payload changed", "crit"])
def test_a_jws_the_gateway_did_not_sign_with_its_pinned_key_is_refused(pki, verifier, case):
    genuine = gateway_token(pki, {"document": "Result", "decision": "APPROVED"}).decode()
    protected, payload, signature = genuine.split(".")
    forged = {
        "none": lambda: f"{b64({'alg': 'none', 'kid': pki.gateway.fingerprint})}.{payload}.",
        "hs256": lambda: f"{b64({'alg': 'HS256', 'kid': pki.gateway.fingerprint})}.{payload}.{signature}",
        "unknown kid": lambda: jose.sign_compact(b'{"document": "Result"}', key=pki.other_bank.key,
                                                 certificate=pki.other_bank.certificate).decode(),
        "payload changed": lambda: f"{protected}.{b64({'document': 'Result', 'decision': 'REJECTED'})}.{signature}",
        "crit": lambda: (f"{b64({'alg': 'PS256', 'kid': pki.gateway.fingerprint, 'crit': ['exp']})}"
                         f".{payload}.{signature}"),
    }[case]()
    with pytest.raises(VerificationFailed):
        verifier.verify(forged.encode(), "application/jose")


def test_the_bank_identity_key_id_is_the_certificates_sha256(pki):
    assert BankIdentity(pki.bank.key, pki.bank.certificate).key_id == pki.bank.fingerprint


# The seal ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seal(pki):
    from signing.pki import generate_private_key, issue_certificate

    key = generate_private_key("rsa")
    certificate = issue_certificate(ca_key=pki.ca_key, ca_cert=pki.ca_certificate, common_name="Seal",
                                    organization="Seal", public_key=key.public_key(),
                                    not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=30))
    return key, certificate


def sealed(seal, root: str) -> bytes:
    return sign_enveloped(f"<{root} xmlns='urn:pingluo-bdc:mortgage-gateway:v1'><CertificateNo>宁(2026)1号"
                          f"</CertificateNo></{root}>".encode(), key=seal[0], certificate=seal[1])


def test_a_certificate_twin_verifies_against_the_seals_ca_and_only_then(pki, seal):
    with_seal = DocumentVerifier([pki.gateway.certificate], [pki.ca_certificate])
    assert with_seal.verify(sealed(seal, "RegistrationCertificate"), "application/xml").name == \
        "RegistrationCertificate"
    with pytest.raises(VerificationFailed, match="seal_certificate"):
        DocumentVerifier([pki.gateway.certificate]).verify(sealed(seal, "RegistrationCertificate"), "application/xml")


def test_the_seal_cannot_stand_in_for_the_gateway(pki, seal):
    with pytest.raises(VerificationFailed, match="seal signs registration certificates only"):
        DocumentVerifier([pki.gateway.certificate], [pki.ca_certificate]).verify(sealed(seal, "Result"),
                                                                                 "application/xml")
