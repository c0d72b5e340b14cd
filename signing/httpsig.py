"""HTTP Message Signatures (RFC 9421) with Content-Digest (RFC 9530), for requests between the
gateway and institutions, in both directions.

Profile
* Key id (``keyid``) is :func:`signing.trust.certificate_fingerprint` of the institution's
  registered certificate: lower-case hex SHA-256 of its DER.
* Algorithms: RSA keys (>= 2048 bits) sign ``rsa-pss-sha512``; ``rsa-v1_5-sha256`` is also
  accepted. EC P-256 keys use ``ecdsa-p256-sha256``. When ``alg`` is absent the verifier uses
  the default for the key type (``rsa-pss-sha512`` / ``ecdsa-p256-sha256``).
* Covered components: ``@method``, ``@path``, ``@query`` when the URL has a query, and
  ``content-digest`` when there is a body. ``@authority`` and ``@scheme`` are deliberately not
  covered (and not required): TLS-terminating proxies rewrite them. Signatures may cover more.
* ``created`` is required; a signature older than ``max_age_seconds`` or more than 60 seconds
  in the future is refused. Exactly one signature per request.

Replay protection beyond the age window is the gateway's job; :func:`signature_replay_key` names a
signature for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import http_sf
import httpx
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, MappingKeyResolver
from http_message_signatures.algorithms import ECDSA_P256_SHA256, RSA_PSS_SHA512, RSA_V1_5_SHA256
from http_message_signatures.exceptions import HTTPMessageSignaturesException, InvalidSignature

from .errors import HttpSignatureInvalid, HttpSignatureMissing

ALGORITHMS = {
    RSA_PSS_SHA512.algorithm_id: RSA_PSS_SHA512,
    RSA_V1_5_SHA256.algorithm_id: RSA_V1_5_SHA256,
    ECDSA_P256_SHA256.algorithm_id: ECDSA_P256_SHA256,
}
DEFAULT_LABEL = "sig1"
MAX_FUTURE_SKEW = timedelta(seconds=60)
MIN_RSA_BITS = 2048
P256_COORDINATE_BYTES = 32
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@dataclass(frozen=True)
class VerifiedHttpRequest:
    """What a verified request signature vouches for.

    ``covered_components`` are the signed component identifiers in signature order, e.g.
    ``("@method", "@path", "content-digest")``; parameterised ones keep their serialized form.
    """

    key_id: str
    covered_components: tuple[str, ...]
    created: datetime
    algorithm: str


def sign_headers(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    key_id: str,
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    label: str = DEFAULT_LABEL,
    created: datetime | None = None,
    cover: Iterable[str] = (),
) -> dict[str, str]:
    """Sign a request; return the header fields to add (Content-Digest, Signature-Input, Signature).

    ``cover`` names further header fields of ``headers`` the signature covers (the gateway's callbacks
    cover their ``X-Gateway-*`` fields and ``Content-Type``, so none can be altered on the way).

    ``url`` is the absolute, percent-encoded URL. ``headers`` are the request's other
    fields; an existing Content-Digest is reused after checking it matches ``body``.

    :raises ValueError: unsupported key, malformed URL, or a Content-Digest not matching ``body``.
    """
    algorithm = _algorithm_for_key(private_key.public_key())
    fields = _FieldLines(_pairs(headers))
    has_digest = "content-digest" in fields
    signer = HTTPMessageSigner(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: private_key}),
    )
    try:
        signer.sign(
            _Message(method=method.upper(), url=url, headers=fields),
            key_id=key_id,
            created=created or datetime.now(timezone.utc),
            label=label,
            covered_component_ids=[*_components_to_sign(url), *(name.lower() for name in cover)],
            body=bytes(body) if (body or has_digest) else None,
            use_existing_digest=has_digest,
        )
    except HTTPMessageSignaturesException as exc:
        raise ValueError(f"cannot sign request: {exc}") from None
    added = ("content-digest", "signature-input", "signature")
    return {name: value for name, value in fields.items() if name.lower() in added}


class HttpSignatureAuth(httpx.Auth):
    """httpx authentication that signs every outgoing request (see :func:`sign_headers`)."""

    requires_request_body = True

    def __init__(
        self,
        *,
        key_id: str,
        private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        label: str = DEFAULT_LABEL,
    ) -> None:
        _algorithm_for_key(private_key.public_key())
        self._key_id = key_id
        self._private_key = private_key
        self._label = label

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add Content-Digest (when there is a body) and the signature fields, then send."""
        request.headers.update(
            sign_headers(
                method=request.method,
                url=str(request.url),
                headers=request.headers.multi_items(),
                body=request.content,
                key_id=self._key_id,
                private_key=self._private_key,
                label=self._label,
            )
        )
        yield request


def sign_prepared_request(
    prepared: Any,
    *,
    key_id: str,
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    label: str = DEFAULT_LABEL,
) -> Any:
    """Sign a ``requests.PreparedRequest`` in place and return it.

    A ``str`` body (form data) is replaced by the Latin-1 bytes ``http.client`` would send,
    so the digest covers exactly what goes on the wire. Streaming bodies are refused.
    """
    body = prepared.body
    if isinstance(body, str):
        body = body.encode("latin-1")
        prepared.body = body
    if body is None:
        body = b""
    if not isinstance(body, (bytes, bytearray)):
        raise TypeError("streaming request bodies cannot be signed; pass bytes")
    prepared.headers.update(
        sign_headers(
            method=prepared.method,
            url=prepared.url,
            headers=prepared.headers.items(),
            body=bytes(body),
            key_id=key_id,
            private_key=private_key,
            label=label,
        )
    )
    return prepared


def verify_request(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    resolve_key: Callable[[str], rsa.RSAPublicKey | ec.EllipticCurvePublicKey],
    max_age_seconds: int = 300,
    now: datetime | None = None,
) -> VerifiedHttpRequest:
    """Verify the request's single signature and its Content-Digest.

    ``url`` is the absolute, percent-encoded URL as received (only its path and query are
    compared); ``headers`` may repeat names (pass ``.items()`` or ``.multi_items()``) and are
    matched case-insensitively; ``body`` is the raw body before any content decoding.
    ``resolve_key`` maps a key id to a public key and raises :class:`UnknownKey` otherwise;
    that exception propagates unchanged.

    :raises HttpSignatureMissing: no Signature or Signature-Input field.
    :raises HttpSignatureInvalid: anything else wrong with the signature.
    """
    fields = _FieldLines(_pairs(headers))
    components, params, key_id = _signature_parameters(fields)
    moment = _as_utc(now) if now is not None else datetime.now(timezone.utc)
    public_key = resolve_key(key_id)
    algorithm = _algorithm_for_verification(params.get("alg"), public_key)
    verifier = _PolicyVerifier(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(public_keys={key_id: public_key}, private_keys={}),
        now=moment,
        max_age=timedelta(seconds=max_age_seconds),
    )
    verifier.check(_Message(method=method.upper(), url=url, headers=fields), body=bytes(body))
    return VerifiedHttpRequest(
        key_id=key_id,
        covered_components=tuple(components),
        created=datetime.fromtimestamp(params["created"], tz=timezone.utc),
        algorithm=algorithm.algorithm_id,
    )


@dataclass(frozen=True)
class AnnouncedSignature:
    """What a request's signature fields announce, before its body is read or anything verified."""

    key_id: str
    created: datetime


def announced_signature(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    *,
    max_age_seconds: int = 300,
    now: datetime | None = None,
) -> AnnouncedSignature:
    """Check the header-only conditions of a signature: present, one, a key id, ``created`` fresh.

    For refusing a request before reading a large body; it proves nothing by itself —
    :func:`verify_request` must still run on the whole request.

    :raises HttpSignatureMissing: no Signature or Signature-Input field.
    :raises HttpSignatureInvalid: malformed, no key id, or ``created`` outside the window.
    """
    _, params, key_id = _signature_parameters(_FieldLines(_pairs(headers)))
    moment = _as_utc(now) if now is not None else datetime.now(timezone.utc)
    created = datetime.fromtimestamp(params["created"], tz=timezone.utc)
    if created > moment + MAX_FUTURE_SKEW:
        raise HttpSignatureInvalid('HTTP signature does not verify: signature "created" is in the future')
    if created < moment - timedelta(seconds=max_age_seconds):
        raise HttpSignatureInvalid(f"HTTP signature does not verify: signature is older than {max_age_seconds} seconds")
    return AnnouncedSignature(key_id, created)


def signature_replay_key(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """Lower-case hex SHA-256 naming the request's one signature, for refusing its replay.

    It is taken over the signature's bytes, not the header's text, so a copy under another label
    or another base64 spelling has the same key; and since an ECDSA signature (r, s) and its twin
    (r, n − s) both verify, and anyone holding one can compute the other, ``s`` is first put in
    its lower half. Call it only on a request :func:`verify_request` accepted.

    :raises HttpSignatureMissing: no Signature or Signature-Input field.
    :raises HttpSignatureInvalid: the fields are malformed or do not carry the announced label.
    """
    fields = _FieldLines(_pairs(headers))
    _signature_parameters(fields)
    label = next(iter(http_sf.parse(fields.combined("signature-input").encode("ascii"), tltype="dictionary")))
    try:
        signatures = http_sf.parse(fields.combined("signature").encode("ascii"), tltype="dictionary")
    except (ValueError, TypeError, UnicodeEncodeError):
        raise HttpSignatureInvalid("Signature is not a valid structured field") from None
    value = signatures.get(label, (None,))[0]
    if not isinstance(value, bytes):
        raise HttpSignatureInvalid(f"Signature has no byte sequence labelled {label!r}")
    if len(value) == 2 * P256_COORDINATE_BYTES:  # ECDSA P-256 (RSA signatures are 256 bytes or more)
        s = int.from_bytes(value[P256_COORDINATE_BYTES:], "big")
        value = value[:P256_COORDINATE_BYTES] + min(s, P256_ORDER - s).to_bytes(P256_COORDINATE_BYTES, "big")
    return hashlib.sha256(value).hexdigest()


class _PolicyVerifier(HTTPMessageVerifier):
    """The library's verifier, with our clock (``now``) and our freshness window."""

    require_created = True

    def __init__(self, *, now: datetime, max_age: timedelta, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._now = now
        self._max_age = max_age

    def check(self, message: _Message, *, body: bytes) -> None:
        """Verify signature, required coverage and Content-Digest; raise HttpSignatureInvalid."""
        try:
            self.verify(
                message,
                max_age=self._max_age,
                require_components=_components_required(message.url, body),
                body=body,
            )
        except HTTPMessageSignaturesException as exc:
            raise HttpSignatureInvalid(f"HTTP signature does not verify: {exc}") from None

    def validate_created_and_expires(self, sig_input: Any, max_age: timedelta | None = None) -> None:
        if "created" not in sig_input.params:
            raise InvalidSignature('signature has no "created" parameter')
        created = self._parse_integer_timestamp(sig_input.params["created"], field_name="created")
        if created > self._now + MAX_FUTURE_SKEW:
            raise InvalidSignature('signature "created" is in the future')
        if created < self._now - self._max_age:
            raise InvalidSignature(f"signature is older than {int(self._max_age.total_seconds())} seconds")
        if "expires" in sig_input.params:
            expires = self._parse_integer_timestamp(sig_input.params["expires"], field_name="expires")
            if expires < self._now:
                raise InvalidSignature("signature has expired")


def _signature_parameters(fields: _FieldLines) -> tuple[list[str], dict[str, Any], str]:
    """The one signature's covered components, parameters and key id; refused if absent or malformed."""
    if "signature" not in fields or "signature-input" not in fields:
        raise HttpSignatureMissing("request has no Signature and Signature-Input fields")
    components, params = _single_signature_input(fields)
    key_id = params.get("keyid")
    if not isinstance(key_id, str):
        raise HttpSignatureInvalid('signature has no "keyid" parameter')
    return components, params, key_id


def _single_signature_input(fields: _FieldLines) -> tuple[list[str], dict[str, Any]]:
    try:
        parsed = http_sf.parse(fields.combined("signature-input").encode("ascii"), tltype="dictionary")
    except (ValueError, TypeError, UnicodeEncodeError):
        raise HttpSignatureInvalid("Signature-Input is not a valid structured field") from None
    if len(parsed) != 1:
        raise HttpSignatureInvalid(f"request carries {len(parsed)} signatures; exactly one is accepted")
    members, params = next(iter(parsed.values()))
    if not isinstance(members, list):
        raise HttpSignatureInvalid("Signature-Input member is not an inner list")
    components = [value if not item_params else http_sf.ser((value, item_params)) for value, item_params in members]
    if not isinstance(params.get("created"), int) or isinstance(params.get("created"), bool):
        raise HttpSignatureInvalid('signature has no integer "created" parameter')
    return components, params


def _components_to_sign(url: str) -> list[str]:
    components = ["@method", "@path"]
    if _has_query(url):
        components.append("@query")
    return components


def _components_required(url: str, body: bytes) -> list[str]:
    required = _components_to_sign(url)
    if body:
        required.append("content-digest")
    return required


def _has_query(url: str) -> bool:
    return bool(urlsplit(url).query)


def _algorithm_for_key(public_key: object) -> type:
    """The algorithm this library signs with for ``public_key``; ValueError if unsupported."""
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size >= MIN_RSA_BITS:
        return RSA_PSS_SHA512
    if isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(public_key.curve, ec.SECP256R1):
        return ECDSA_P256_SHA256
    raise ValueError("HTTP signature keys must be RSA (>= 2048 bits) or EC P-256")


def _algorithm_for_verification(alg: object, public_key: object) -> type:
    try:
        default = _algorithm_for_key(public_key)
    except ValueError as exc:
        raise HttpSignatureInvalid(str(exc)) from None
    if alg is None:
        return default
    algorithm = ALGORITHMS.get(alg) if isinstance(alg, str) else None
    if algorithm is None:
        raise HttpSignatureInvalid(f"signature algorithm {alg!r} is not allowed")
    if (algorithm is ECDSA_P256_SHA256) != (default is ECDSA_P256_SHA256):
        raise HttpSignatureInvalid(f"signature algorithm {alg!r} does not match the registered key type")
    return algorithm


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(timezone.utc)


def _pairs(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    items = headers.items() if hasattr(headers, "items") else headers
    return [(str(name), str(value)) for name, value in items]


@dataclass
class _Message:
    """The request view http_message_signatures resolves components from."""

    method: str
    url: str
    headers: _FieldLines


class _FieldLines:
    """Header field lines in order, names compared case-insensitively; repeated names kept."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def combined(self, name: str) -> str:
        return ", ".join(value for field, value in self._pairs if field.lower() == name)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _ in self._pairs))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(field.lower() == name.lower() for field, _ in self._pairs)

    def __setitem__(self, name: str, value: str) -> None:
        del self[name]
        self._pairs.append((name, value))

    def __delitem__(self, name: str) -> None:
        self._pairs = [(field, value) for field, value in self._pairs if field.lower() != name.lower()]
