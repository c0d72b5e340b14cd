"""JSON applications signed with JWS, as a bank would send them (docs/interface/json-channel.md)."""
from __future__ import annotations

import base64
import json

from bank_adapters import CanonicalApplication
from bank_adapters.json_v1 import JsonApplicationAdapter
from signing.jws import sign_compact, sign_detached

JOSE = "application/jose"
JSON = "application/json"


def json_body(app: CanonicalApplication) -> bytes:
    return JsonApplicationAdapter().from_canonical(app)


def compact_request(app: CanonicalApplication, identity, *, with_x5c: bool = False, alg: str | None = None) -> bytes:
    """A compact JWS of the application JSON (kid, or x5c too)."""
    return sign_compact(json_body(app), key=identity.key, certificate=identity.certificate, with_x5c=with_x5c,
                        alg=alg, typ="mortgage-application+jws")


def detached_request(app: CanonicalApplication, identity) -> tuple[bytes, str]:
    """The application JSON body and its JWS-Signature header value (RFC 7797)."""
    body = json_body(app)
    return body, sign_detached(body, key=identity.key, certificate=identity.certificate)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes) -> bytes:
    text = text if isinstance(text, bytes) else text.encode("ascii")
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def parts(compact: bytes) -> tuple[dict, bytes, bytes]:
    """(header, payload, signature) of a compact JWS, undecoded trust: for assertions only."""
    header, payload, signature = compact.split(b".")
    return json.loads(b64url_decode(header)), b64url_decode(payload), b64url_decode(signature)
