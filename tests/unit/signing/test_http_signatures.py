"""RFC 9421 HTTP message signatures between institutions and the gateway."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
import requests
from http_message_signatures import ContentDigest, HTTPMessageSigner, MappingKeyResolver
from http_message_signatures.algorithms import RSA_V1_5_SHA256

from signing.errors import HttpSignatureInvalid, HttpSignatureMissing, UnknownKey
from signing.httpsig import HttpSignatureAuth, sign_headers, sign_prepared_request, verify_request
from signing.pki import generate_private_key
from signing.trust import certificate_fingerprint

URL = "https://gateway.pingluo.example/api/v1/applications"
BODY = b'{"unit_code": "640221001001GB00001F00010001"}'


@pytest.fixture
def key_id(rsa_signer) -> str:
    return certificate_fingerprint(rsa_signer.certificate)


@pytest.fixture
def resolve_key(rsa_signer, ec_signer):
    """The registered keys, by certificate fingerprint; anything else is unknown."""
    registered = {
        certificate_fingerprint(signer.certificate): signer.certificate.public_key()
        for signer in (rsa_signer, ec_signer)
    }

    def resolve(key_id: str):
        if key_id not in registered:
            raise UnknownKey("no registered certificate has this key id")
        return registered[key_id]

    return resolve


def _signed(request: httpx.Request, signer) -> httpx.Request:
    auth = HttpSignatureAuth(key_id=certificate_fingerprint(signer.certificate), private_key=signer.key)
    return next(auth.sync_auth_flow(request))


def _verify(request: httpx.Request, resolve_key, **overrides):
    arguments = dict(
        method=request.method,
        url=str(request.url),
        headers=request.headers.multi_items(),
        body=request.content,
        resolve_key=resolve_key,
    )
    arguments.update(overrides)
    return verify_request(**arguments)


def test_a_post_signed_with_httpx_auth_and_an_rsa_key_verifies(rsa_signer, resolve_key, key_id):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)

    verified = _verify(request, resolve_key)

    assert verified.key_id == key_id
    assert verified.covered_components == ("@method", "@path", "content-digest")
    assert verified.algorithm == "rsa-pss-sha512"


def test_a_post_signed_with_an_ec_key_verifies(ec_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), ec_signer)

    assert _verify(request, resolve_key).algorithm == "ecdsa-p256-sha256"


def test_a_signed_post_carries_an_rfc9530_content_digest(rsa_signer):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)

    assert request.headers["content-digest"].startswith("sha-256=:")


def test_a_get_without_a_body_has_no_content_digest_and_verifies(rsa_signer, resolve_key):
    request = _signed(httpx.Request("GET", URL + "/A-1/status"), rsa_signer)

    verified = _verify(request, resolve_key)

    assert "content-digest" not in request.headers
    assert verified.covered_components == ("@method", "@path")


def test_a_url_with_a_query_has_the_query_covered(rsa_signer, resolve_key):
    request = _signed(httpx.Request("GET", URL + "?status=pending&page=2"), rsa_signer)

    assert "@query" in _verify(request, resolve_key).covered_components


def test_the_signature_records_its_creation_time(rsa_signer, resolve_key):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)

    created = _verify(request, resolve_key).created

    assert before <= created <= datetime.now(timezone.utc)


def test_a_request_seen_under_another_host_still_verifies(rsa_signer, resolve_key):
    # A TLS-terminating proxy rewrites scheme and authority; neither is covered.
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)

    verified = _verify(request, resolve_key, url="http://10.0.0.7:8000/api/v1/applications")

    assert verified.covered_components[0] == "@method"


def test_header_names_are_matched_case_insensitively(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)
    shouted = {name.upper(): value for name, value in request.headers.items()}

    assert _verify(request, resolve_key, headers=shouted).covered_components[-1] == "content-digest"


def test_a_tampered_body_is_invalid(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)

    with pytest.raises(HttpSignatureInvalid):
        _verify(request, resolve_key, body=BODY.replace(b"0001F", b"0002F"))


def test_a_body_added_to_a_request_signed_without_one_is_invalid(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL), rsa_signer)

    with pytest.raises(HttpSignatureInvalid, match="content-digest|Content-Digest"):
        _verify(request, resolve_key, body=BODY)


def test_a_signature_not_covering_the_content_digest_is_invalid(rsa_signer, resolve_key, key_id):
    headers = _hand_signed(RSA_V1_5_SHA256, rsa_signer.key, key_id, components=("@method", "@path"), body=None)

    with pytest.raises(HttpSignatureInvalid, match="content-digest"):
        verify_request(method="POST", url=URL, headers=headers, body=BODY, resolve_key=resolve_key)


def test_a_content_digest_that_does_not_match_the_body_is_invalid(rsa_signer, resolve_key, key_id):
    with pytest.raises(ValueError):
        sign_headers(
            method="POST", url=URL, headers={"Content-Digest": "sha-256=:" + "A" * 43 + "=:"},
            body=BODY, key_id=key_id, private_key=rsa_signer.key,
        )


def test_a_query_added_after_signing_is_invalid(rsa_signer, resolve_key):
    request = _signed(httpx.Request("GET", URL), rsa_signer)

    with pytest.raises(HttpSignatureInvalid, match="@query"):
        _verify(request, resolve_key, url=URL + "?status=registered")


def test_a_changed_query_is_invalid(rsa_signer, resolve_key):
    request = _signed(httpx.Request("GET", URL + "?page=1"), rsa_signer)

    with pytest.raises(HttpSignatureInvalid):
        _verify(request, resolve_key, url=URL + "?page=2")


def test_a_changed_path_is_invalid(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)

    with pytest.raises(HttpSignatureInvalid):
        _verify(request, resolve_key, url=URL + "/A-1/withdraw")


def test_a_changed_method_is_invalid(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)

    with pytest.raises(HttpSignatureInvalid):
        _verify(request, resolve_key, method="PUT")


def test_a_stale_signature_is_invalid(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)
    later = datetime.now(timezone.utc) + timedelta(seconds=301)

    with pytest.raises(HttpSignatureInvalid, match="older"):
        _verify(request, resolve_key, now=later)


def test_a_signature_within_the_age_limit_verifies(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)
    later = datetime.now(timezone.utc) + timedelta(seconds=290)

    assert _verify(request, resolve_key, now=later).key_id


def test_a_signature_created_more_than_a_minute_in_the_future_is_invalid(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)
    earlier = datetime.now(timezone.utc) - timedelta(seconds=90)

    with pytest.raises(HttpSignatureInvalid, match="future"):
        _verify(request, resolve_key, now=earlier)


def test_a_signature_from_a_slightly_fast_clock_verifies(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)
    earlier = datetime.now(timezone.utc) - timedelta(seconds=30)

    assert _verify(request, resolve_key, now=earlier).key_id


def test_an_unknown_key_id_raises_unknown_key(issue, root_ca, resolve_key):
    unregistered = issue(root_ca, kind="ec")
    request = _signed(httpx.Request("POST", URL, content=BODY), unregistered)

    with pytest.raises(UnknownKey):
        _verify(request, resolve_key)


def test_a_signature_by_a_different_key_than_the_key_id_names_is_invalid(ec_signer, resolve_key):
    impostor_key = generate_private_key("ec")
    impostor = HttpSignatureAuth(key_id=certificate_fingerprint(ec_signer.certificate), private_key=impostor_key)
    request = next(impostor.sync_auth_flow(httpx.Request("POST", URL, content=BODY)))

    with pytest.raises(HttpSignatureInvalid):
        _verify(request, resolve_key)


def test_a_request_without_signature_fields_is_missing_its_signature(resolve_key):
    with pytest.raises(HttpSignatureMissing):
        verify_request(method="POST", url=URL, headers={}, body=BODY, resolve_key=resolve_key)


def test_a_request_with_signature_input_but_no_signature_is_missing_its_signature(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)
    del request.headers["signature"]

    with pytest.raises(HttpSignatureMissing):
        _verify(request, resolve_key)


def test_two_signatures_are_refused(rsa_signer, ec_signer, resolve_key):
    first = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)
    second = _signed(httpx.Request("POST", URL, content=BODY), ec_signer)
    headers = dict(first.headers)
    headers["signature-input"] += ", " + second.headers["signature-input"].replace("sig1=", "sig2=")
    headers["signature"] += ", " + second.headers["signature"].replace("sig1=", "sig2=")

    with pytest.raises(HttpSignatureInvalid, match="exactly one"):
        verify_request(method="POST", url=URL, headers=headers, body=BODY, resolve_key=resolve_key)


def test_a_malformed_signature_input_is_invalid(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)

    with pytest.raises(HttpSignatureInvalid, match="structured field"):
        _verify(request, resolve_key, headers={**dict(request.headers), "signature-input": 'sig1=("@method"'})


def test_a_signature_without_a_key_id_is_invalid(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)
    without_key_id = ";".join(
        part for part in request.headers["signature-input"].split(";") if not part.startswith("keyid=")
    )

    with pytest.raises(HttpSignatureInvalid, match="keyid"):
        _verify(request, resolve_key, headers={**dict(request.headers), "signature-input": without_key_id})


def test_a_signature_without_created_is_invalid(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)
    signature_input = request.headers["signature-input"]
    without_created = ";".join(part for part in signature_input.split(";") if not part.startswith("created="))

    with pytest.raises(HttpSignatureInvalid, match="created"):
        _verify(request, resolve_key, headers={**dict(request.headers), "signature-input": without_created})


def test_an_algorithm_outside_the_allow_list_is_invalid(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)
    forged = request.headers["signature-input"].replace('alg="rsa-pss-sha512"', 'alg="hmac-sha256"')

    with pytest.raises(HttpSignatureInvalid, match="not allowed"):
        _verify(request, resolve_key, headers={**dict(request.headers), "signature-input": forged})


def test_an_algorithm_for_another_key_type_is_invalid(ec_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), ec_signer)
    forged = request.headers["signature-input"].replace('alg="ecdsa-p256-sha256"', 'alg="rsa-pss-sha512"')

    with pytest.raises(HttpSignatureInvalid, match="key type"):
        _verify(request, resolve_key, headers={**dict(request.headers), "signature-input": forged})


def test_rsa_pkcs1_v1_5_signatures_are_accepted(rsa_signer, resolve_key, key_id):
    headers = _hand_signed(RSA_V1_5_SHA256, rsa_signer.key, key_id, components=("@method", "@path"), body=BODY)

    verified = verify_request(method="POST", url=URL, headers=headers, body=BODY, resolve_key=resolve_key)

    assert verified.algorithm == "rsa-v1_5-sha256"


def test_sign_headers_returns_only_the_fields_to_add(rsa_signer, resolve_key, key_id):
    original = {"Content-Type": "application/xml", "Idempotency-Key": "cb-42"}

    added = sign_headers(method="POST", url=URL, headers=original, body=BODY, key_id=key_id, private_key=rsa_signer.key)

    assert set(added) == {"Content-Digest", "Signature-Input", "Signature"}
    verified = verify_request(method="POST", url=URL, headers={**original, **added}, body=BODY, resolve_key=resolve_key)
    assert verified.key_id == key_id


def test_a_requests_prepared_request_can_be_signed(rsa_signer, resolve_key, key_id):
    prepared = requests.Request("POST", URL, data={"unit_code": "640221001001GB00001F00010001"}).prepare()

    sign_prepared_request(prepared, key_id=key_id, private_key=rsa_signer.key)

    verified = verify_request(
        method=prepared.method, url=prepared.url, headers=prepared.headers, body=prepared.body, resolve_key=resolve_key
    )
    assert verified.covered_components[-1] == "content-digest"


def test_signing_refuses_a_weak_rsa_key(root_ca, issue):
    weak = issue(root_ca, kind="rsa", rsa_bits=1024)

    with pytest.raises(ValueError, match="2048"):
        HttpSignatureAuth(key_id="weak", private_key=weak.key)


def test_a_naive_verification_time_is_refused(rsa_signer, resolve_key):
    request = _signed(httpx.Request("POST", URL, content=BODY), rsa_signer)

    with pytest.raises(ValueError, match="timezone-aware"):
        _verify(request, resolve_key, now=datetime.now())


class _Message:
    """The minimal request shape http_message_signatures signs (for hand-made signatures)."""

    def __init__(self, method: str, url: str, headers: dict[str, str]) -> None:
        self.method, self.url, self.headers = method, url, headers


def _hand_signed(algorithm, key, key_id: str, *, components: tuple[str, ...], body: bytes | None) -> dict[str, str]:
    """Sign a POST to URL with the library directly; the digest (of BODY) is covered only if body is given."""
    message = _Message("POST", URL, {"Content-Digest": ContentDigest.create(BODY)})
    signer = HTTPMessageSigner(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: key}),
    )
    signer.sign(
        message, key_id=key_id, label="sig1", covered_component_ids=components, body=body, use_existing_digest=True
    )
    return message.headers
