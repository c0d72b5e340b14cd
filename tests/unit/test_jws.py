"""signing.jws: the JWS profile (allow-list, crit, keys) on joserfc, and the gateway's JWS outputs
checked by a second implementation (the signature computed with `cryptography` directly)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from gateway.keys import GatewaySigner
from gateway.outputs import JWS_MEDIA_TYPE, sign_output, to_json_form
from signing import jws
from signing.errors import CertificateExpired, CertificateUntrusted
from signing.trust import TrustStore, load_pem_certificates

PAYLOAD = '{"request_id":"REQ-1","amount":"1200000.00","name":"王建国"}'.encode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: bytes) -> bytes:
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


@pytest.fixture(scope="module")
def trust(pki) -> TrustStore:
    return TrustStore(anchors=tuple(load_pem_certificates(pki.ca_path.read_bytes())))


@pytest.fixture(scope="module")
def registered(pki):
    return {i.fingerprint: i.certificate for i in (pki.bank, pki.bank_ec, pki.expired)}


def now() -> datetime:
    return datetime.now(timezone.utc)


def verify(value, trust, registered, **kwargs):
    return jws.verify_jws(value, trust=trust, at=now(), find_certificate=registered.get, **kwargs)


def forged(header: dict, payload: bytes, key=None, signature: bytes = b"") -> bytes:
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(payload)}".encode()
    if key is not None:
        signature = key.sign(signing_input, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                             hashes.SHA256())
    return signing_input + b"." + b64url(signature).encode()


@pytest.mark.parametrize(("identity", "alg"), [("bank", "PS256"), ("bank", "RS256"), ("bank_ec", "ES256")])
def test_compact_and_detached_round_trips(pki, trust, registered, identity, alg):
    signer = getattr(pki, identity)
    compact = jws.sign_compact(PAYLOAD, key=signer.key, certificate=signer.certificate, alg=alg, with_x5c=False)
    verified = verify(compact, trust, registered)
    assert (verified.payload, verified.algorithm, verified.detached) == (PAYLOAD, alg, False)
    assert verified.certificate == signer.certificate
    detached = jws.sign_detached(PAYLOAD, key=signer.key, certificate=signer.certificate, alg=alg)
    assert ".." in detached
    verified = verify(detached.encode(), trust, registered, detached_payload=PAYLOAD)
    assert (verified.payload, verified.detached) == (PAYLOAD, True)


@pytest.mark.parametrize("alg", ["none", "HS256", "HS384", "HS512", "RS512", "PS512", "ES384", "EdDSA", "", None, 7])
def test_only_rs256_ps256_es256_are_accepted(pki, trust, registered, alg):
    with pytest.raises(jws.JwsAlgorithmRefused):
        verify(forged({"alg": alg, "kid": pki.bank.fingerprint}, PAYLOAD, signature=b"x"), trust, registered)


def test_hs256_keyed_with_the_certificate_is_refused_before_any_key_is_used(pki, trust):
    header = {"alg": "HS256", "kid": pki.bank.fingerprint}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(PAYLOAD)}".encode()
    mac = hmac.new(pki.bank.cert_pem, signing_input, hashlib.sha256).digest()
    looked_up = []
    with pytest.raises(jws.JwsAlgorithmRefused):
        jws.verify_jws(signing_input + b"." + b64url(mac).encode(), trust=trust, at=now(),
                       find_certificate=lambda kid: looked_up.append(kid))
    assert looked_up == []


def test_alg_none_with_an_empty_signature_is_refused_as_an_algorithm(pki, trust, registered):
    with pytest.raises(jws.JwsAlgorithmRefused):
        verify(forged({"alg": "none", "kid": pki.bank.fingerprint}, PAYLOAD), trust, registered)


def test_an_alg_that_does_not_fit_the_key_is_refused(pki, trust, registered):
    with pytest.raises(jws.JwsAlgorithmRefused):  # ES256 claimed, RSA certificate
        verify(forged({"alg": "ES256", "kid": pki.bank.fingerprint}, PAYLOAD, signature=b"x" * 64), trust, registered)
    with pytest.raises(jws.JwsAlgorithmRefused):  # PS256 claimed, EC certificate
        verify(forged({"alg": "PS256", "kid": pki.bank_ec.fingerprint}, PAYLOAD, signature=b"x" * 64), trust, registered)


@pytest.mark.parametrize("header", [
    {"crit": ["exp"], "exp": 1},
    {"crit": ["b64"], "b64": False},  # only with a detached payload
    {"b64": True},
])
def test_crit_and_b64_are_refused_in_a_compact_jws(pki, trust, registered, header):
    with pytest.raises(jws.JwsCritUnsupported):
        verify(forged({"alg": "PS256", "kid": pki.bank.fingerprint, **header}, PAYLOAD, key=pki.bank.key),
               trust, registered)


@pytest.mark.parametrize("header", [
    {"b64": False, "crit": ["b64", "exp"], "exp": 1},
    {"b64": False, "crit": []},
    {"b64": False},
    {"b64": True, "crit": ["b64"]},
])
def test_a_detached_jws_accepts_exactly_b64_false_with_crit_b64(pki, trust, registered, header):
    value = f"{b64url(json.dumps({'alg': 'PS256', 'kid': pki.bank.fingerprint, **header}).encode())}..c2ln".encode()
    with pytest.raises(jws.JwsCritUnsupported):
        verify(value, trust, registered, detached_payload=PAYLOAD)


def test_a_detached_jws_without_b64_false_is_malformed(pki, trust, registered):
    value = f"{b64url(json.dumps({'alg': 'PS256', 'kid': pki.bank.fingerprint}).encode())}..c2ln".encode()
    with pytest.raises(jws.JwsMalformed):
        verify(value, trust, registered, detached_payload=PAYLOAD)


def test_an_unknown_kid_is_refused(pki, trust, registered):
    for kid in ("0" * 64, "not-a-fingerprint", pki.other_bank.fingerprint):
        with pytest.raises(jws.JwsUnknownKey):
            verify(forged({"alg": "PS256", "kid": kid}, PAYLOAD, key=pki.bank.key), trust, registered)


def test_a_changed_payload_fails_and_a_changed_detached_body_is_a_mismatch(pki, trust, registered):
    compact = jws.sign_compact(PAYLOAD, key=pki.bank.key, certificate=pki.bank.certificate, with_x5c=False)
    header, _, signature = compact.split(b".")
    with pytest.raises(jws.JwsSignatureInvalid):
        verify(header + b"." + b64url(PAYLOAD.replace(b"1200000", b"9900000")).encode() + b"." + signature,
               trust, registered)
    detached = jws.sign_detached(PAYLOAD, key=pki.bank.key, certificate=pki.bank.certificate)
    with pytest.raises(jws.JwsDetachedMismatch):
        verify(detached.encode(), trust, registered, detached_payload=PAYLOAD + b"\n")


def test_a_header_changed_after_signing_fails(pki, trust, registered):
    compact = jws.sign_compact(PAYLOAD, key=pki.bank.key, certificate=pki.bank.certificate, with_x5c=False)
    _, payload, signature = compact.split(b".")
    header = b64url(json.dumps({"alg": "PS256", "kid": pki.bank.fingerprint, "typ": "other"}).encode()).encode()
    with pytest.raises(jws.JwsSignatureInvalid):
        verify(header + b"." + payload + b"." + signature, trust, registered)


@pytest.mark.parametrize("extra", [{"jku": "https://x.example/k"}, {"jwk": {"kty": "RSA"}}, {"x5u": "https://x"},
                                   {"x5t#S256": "abc"}, {"zip": "DEF"}, {"kid": 5}])
def test_header_members_outside_the_profile_are_refused(pki, trust, registered, extra):
    header = {"alg": "PS256", "kid": pki.bank.fingerprint, **extra}
    with pytest.raises(jws.JwsMalformed):
        verify(forged(header, PAYLOAD, key=pki.bank.key), trust, registered)


@pytest.mark.parametrize("value", [b"", b"abc", b"a.b", b"a.b.c.d", b"!!.e30.c2ln", b64url(b'{"alg":"PS256","kid":"x"}').encode() + b"..c2ln",
                                   b64url(b'{"alg":"PS256","alg":"RS256"}').encode() + b".e30.c2ln",
                                   b64url(b"[1]").encode() + b".e30.c2ln"])
def test_garbage_is_malformed(trust, registered, value):
    with pytest.raises(jws.JwsMalformed):
        verify(value, trust, registered)


def test_x5c_must_chain_to_the_trust_store_and_be_valid(pki, trust, registered):
    untrusted = jws.sign_compact(PAYLOAD, key=pki.untrusted.key, certificate=pki.untrusted.certificate)
    with pytest.raises(CertificateUntrusted):
        verify(untrusted, trust, {})
    expired = jws.sign_compact(PAYLOAD, key=pki.expired.key, certificate=pki.expired.certificate, with_x5c=False)
    with pytest.raises(CertificateExpired):
        verify(expired, trust, registered)


def test_kid_must_name_the_x5c_certificate(pki, trust, registered):
    compact = jws.sign_compact(PAYLOAD, key=pki.bank.key, certificate=pki.bank.certificate)
    header = json.loads(unb64url(compact.split(b".")[0]))
    header["kid"] = pki.bank_ec.fingerprint
    with pytest.raises(jws.JwsMalformed):
        verify(forged(header, PAYLOAD, key=pki.bank.key), trust, registered)


def test_the_kid_lookup_must_return_the_certificate_with_that_fingerprint(pki, trust):
    compact = jws.sign_compact(PAYLOAD, key=pki.bank.key, certificate=pki.bank.certificate, with_x5c=False)
    with pytest.raises(jws.JwsUnknownKey):
        jws.verify_jws(compact, trust=trust, at=now(), find_certificate=lambda kid: pki.bank_ec.certificate)


# ---------------------------------------------------------------- the gateway's outputs, independently verified


def receipt_element():
    from datetime import date

    from gateway.applications import documents

    facts = documents.ReceiptFacts(application_no="64022120261207000001", request_id="REQ-1",
                                   mortgagee_code="91640221MA76B3KX0N", request_sha256="0" * 64,
                                   received_at=now(), status="QUEUED", due_date=date(2026, 12, 14))
    return documents.build_receipt(facts, issued_at=now())


@pytest.mark.parametrize(("identity", "alg"), [("gateway", "PS256"), ("bank_ec", "ES256")])
def test_the_gateways_jws_verifies_with_cryptography_alone(pki, identity, alg):
    signer = getattr(pki, identity)
    runtime = SimpleNamespace(signer=GatewaySigner(signer.key, signer.certificate))
    element = receipt_element()
    signed, media_type = sign_output(runtime, element, fmt="json")
    assert media_type == JWS_MEDIA_TYPE
    header_b64, payload_b64, signature_b64 = signed.split(b".")
    header = json.loads(unb64url(header_b64))
    assert header["alg"] == alg and header["typ"] == "receipt+jws"
    assert header["kid"] == hashlib.sha256(base64.b64decode(header["x5c"][0])).hexdigest() == signer.fingerprint
    signature, signing_input = unb64url(signature_b64), header_b64 + b"." + payload_b64
    public_key = signer.certificate.public_key()
    if alg == "PS256":
        public_key.verify(signature, signing_input, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                          hashes.SHA256())
    else:  # JWS ES256 is r || s, 32 bytes each (RFC 7518 §3.4)
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        public_key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
    assert json.loads(unb64url(payload_b64)) == to_json_form(element)


def test_an_rs256_jws_verifies_with_cryptography_alone(pki):
    compact = jws.sign_compact(PAYLOAD, key=pki.bank.key, certificate=pki.bank.certificate, alg="RS256")
    header_b64, payload_b64, signature_b64 = compact.split(b".")
    pki.bank.certificate.public_key().verify(unb64url(signature_b64), header_b64 + b"." + payload_b64,
                                             padding.PKCS1v15(), hashes.SHA256())


def test_a_jws_made_by_hand_with_cryptography_verifies(pki, trust, registered):
    """And the other way round: the gateway accepts what a bank computes without joserfc."""
    value = forged({"alg": "PS256", "kid": pki.bank.fingerprint}, PAYLOAD, key=pki.bank.key)
    assert verify(value, trust, registered).payload == PAYLOAD
    header = {"alg": "RS256", "kid": pki.bank.fingerprint, "b64": False, "crit": ["b64"]}
    header_b64 = b64url(json.dumps(header).encode())
    signature = pki.bank.key.sign(header_b64.encode() + b"." + PAYLOAD, padding.PKCS1v15(), hashes.SHA256())
    detached = f"{header_b64}..{b64url(signature)}".encode()
    assert verify(detached, trust, registered, detached_payload=PAYLOAD).payload == PAYLOAD


def test_times_are_checked_at_the_given_moment(pki, trust, registered):
    compact = jws.sign_compact(PAYLOAD, key=pki.bank.key, certificate=pki.bank.certificate, with_x5c=False)
    with pytest.raises(CertificateExpired):
        jws.verify_jws(compact, trust=trust, at=now() + timedelta(days=3650), find_certificate=registered.get)


def test_the_quick_start_recipe_of_json_channel_md_signs_what_the_gateway_accepts(pki, trust, registered):
    """The joserfc lines of docs/interface/json-channel.md §2, as a bank would run them."""
    from joserfc import jws as joserfc_jws
    from joserfc.jwk import RSAKey

    kid = hashlib.sha256(pki.bank.certificate.public_bytes(__import__(
        "cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.DER)).hexdigest()
    token = joserfc_jws.serialize_compact({"alg": "PS256", "kid": kid}, PAYLOAD, RSAKey.import_key(pki.bank.key),
                                          algorithms=["PS256"])
    assert verify(token.encode(), trust, registered).payload == PAYLOAD
    header = {"alg": "PS256", "kid": kid, "b64": False, "crit": ["b64"]}
    signed = joserfc_jws.serialize_compact(header, PAYLOAD, RSAKey.import_key(pki.bank.key), algorithms=["PS256"])
    parts = signed.split(".")
    detached = f"{parts[0]}..{parts[-1]}".encode()
    assert verify(detached, trust, registered, detached_payload=PAYLOAD).payload == PAYLOAD
