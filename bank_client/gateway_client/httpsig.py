"""HTTP Message Signatures (RFC 9421) with Content-Digest (RFC 9530), per the gateway's profile
(docs/interface/signature-profile.md §7): ``keyid`` = SHA-256 of the certificate's DER, ``created``
always, components ``@method`` ``@path`` (+ ``@query`` when there is a query, + ``content-digest``
when there is a body); ``rsa-pss-sha512`` for RSA keys, ``ecdsa-p256-sha256`` for P-256 keys."""
from __future__ import annotations

import re
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, InvalidSignature, MappingKeyResolver
from http_message_signatures.algorithms import ECDSA_P256_SHA256, RSA_PSS_SHA512, RSA_V1_5_SHA256
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from .errors import VerificationFailed

MAX_AGE = timedelta(seconds=300)
MAX_FUTURE = timedelta(seconds=60)
LABEL = "sig1"
KEYID = re.compile(r';keyid="([^"]*)"')
ALG = re.compile(r';alg="([^"]*)"')


def algorithm_for(public_key) -> type:
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size >= 2048:
        return RSA_PSS_SHA512
    if isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(public_key.curve, ec.SECP256R1):
        return ECDSA_P256_SHA256
    raise ValueError("HTTP signature keys must be RSA (>= 2048 bits) or EC P-256")


def components_for(url: str, body: bytes) -> list[str]:
    components = ["@method", "@path"]
    if urlsplit(url).query:
        components.append("@query")
    if body:
        components.append("content-digest")
    return components


class _Headers:
    """Field lines in order, names compared case-insensitively (the library's header interface)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        self.pairs = [(str(n), str(v)) for n, v in pairs]

    def items(self):
        return list(self.pairs)

    def __iter__(self):
        return iter(dict.fromkeys(n for n, _ in self.pairs))

    def __contains__(self, name):
        return any(n.lower() == str(name).lower() for n, _ in self.pairs)

    def __setitem__(self, name, value):
        del self[name]
        self.pairs.append((name, value))

    def __delitem__(self, name):
        self.pairs = [(n, v) for n, v in self.pairs if n.lower() != name.lower()]


@dataclass
class _Message:
    method: str
    url: str
    headers: _Headers


def signature_headers(*, method: str, url: str, body: bytes, key_id: str, private_key,
                      created: datetime | None = None) -> dict[str, str]:
    """The Content-Digest (with a body), Signature-Input and Signature fields for one request."""
    message = _Message(method.upper(), url, _Headers([]))
    signer = HTTPMessageSigner(signature_algorithm=algorithm_for(private_key.public_key()),
                               key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: private_key}))
    components = components_for(url, body)
    signer.sign(message, key_id=key_id, created=created or datetime.now(timezone.utc), label=LABEL,
                covered_component_ids=[c for c in components if c != "content-digest"],
                body=body if body else None)
    return dict(message.headers.items())


class SignedRequests(httpx.Auth):
    """Signs every request afresh (a signature is good for one POST)."""

    requires_request_body = True

    def __init__(self, *, key_id: str, private_key):
        algorithm_for(private_key.public_key())
        self.key_id, self.private_key = key_id, private_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(signature_headers(method=request.method, url=str(request.url),
                                                 body=request.content, key_id=self.key_id,
                                                 private_key=self.private_key))
        yield request


class _WindowedVerifier(HTTPMessageVerifier):
    """The library's verifier with the gateway's freshness rule: 300 s old, 60 s ahead."""

    def __init__(self, *, now: datetime, **kwargs):
        super().__init__(**kwargs)
        self._now = now

    def validate_created_and_expires(self, sig_input, max_age=None):
        if "created" not in sig_input.params:
            raise InvalidSignature('signature has no "created" parameter')
        created = self._parse_integer_timestamp(sig_input.params["created"], field_name="created")
        if created > self._now + MAX_FUTURE:
            raise InvalidSignature('signature "created" is in the future')
        if created < self._now - MAX_AGE:
            raise InvalidSignature("signature is older than 300 seconds")
        if "expires" in sig_input.params and \
                self._parse_integer_timestamp(sig_input.params["expires"], field_name="expires") < self._now:
            raise InvalidSignature("signature has expired")


def verify_gateway_request(*, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes,
                           gateway_certificates: dict[str, object], now: datetime | None = None) -> str:
    """Verify a request the gateway signed (a callback); return the key id.

    ``gateway_certificates`` maps the pinned certificates' fingerprints to their public keys.

    :raises VerificationFailed: no signature, several, an unknown key, a bad signature or digest,
        a required component not covered, or ``created`` out of the window.
    """
    fields = _Headers(headers)
    message = _Message(method.upper(), url, fields)
    signature_input = ", ".join(v for n, v in fields.pairs if n.lower() == "signature-input")
    key_ids = KEYID.findall(signature_input)
    if len(key_ids) != 1:
        raise VerificationFailed("callback must carry exactly one signature with a keyid")
    key_id = key_ids[0]
    if key_id not in gateway_certificates:
        raise VerificationFailed("callback is not signed with the pinned gateway certificate")
    alg = ALG.search(signature_input)
    params = {"alg": alg.group(1)} if alg else {}
    public_key = gateway_certificates[key_id]
    algorithm = algorithm_for(public_key)
    if params.get("alg") not in (None, algorithm.algorithm_id) and not (
            algorithm is RSA_PSS_SHA512 and params.get("alg") == RSA_V1_5_SHA256.algorithm_id):
        raise VerificationFailed(f"callback signature algorithm {params.get('alg')!r} is not allowed")
    if params.get("alg") == RSA_V1_5_SHA256.algorithm_id:
        algorithm = RSA_V1_5_SHA256
    keys = MappingKeyResolver(public_keys={key_id: public_key}, private_keys={})
    verifier = _WindowedVerifier(signature_algorithm=algorithm, key_resolver=keys,
                                 now=now or datetime.now(timezone.utc))
    try:
        verifier.verify(message, max_age=MAX_AGE, require_components=components_for(url, body), body=body)
    except HTTPMessageSignaturesException as exc:
        raise VerificationFailed(f"callback HTTP signature does not verify: {exc}") from None
    return key_id
