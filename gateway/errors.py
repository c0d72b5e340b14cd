"""The one error tree of the gateway.

Every refusal the gateway gives is a ``GatewayError`` with a stable ``code``; the HTTP layer
(``gateway.api.problems``) maps the kind to a status and renders RFC 9457 problem+json.
No HTTP status and no personal data live here.
"""
from __future__ import annotations

from typing import Any, ClassVar


class GatewayError(Exception):
    """Base of every expected refusal. ``code`` is stable and documented in docs/interface/errors.md."""

    code: ClassVar[str] = "gateway.error"
    title: ClassVar[str] = "Request refused"
    kind: ClassVar[str] = "invalid"  # invalid | unauthenticated | forbidden | not_found | conflict | too_large

    def __init__(self, detail: str = "", *, code: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.extra = extra or {}


class InvalidRequest(GatewayError):
    code = "request.invalid"
    title = "The request is not acceptable"


class BodyTimeout(GatewayError):
    code = "request.body_timeout"
    title = "The request body did not arrive in time"
    kind = "timeout"


class RequestTooLarge(GatewayError):
    code = "xml.too_large"
    title = "The request body is over the size limit"
    kind = "too_large"


class SignatureRefused(GatewayError):
    """The signed document failed a signature, certificate or parsing check; ``code`` says which."""

    code = "signature.invalid"
    title = "The signed document was refused"


class CertificateNotRegistered(GatewayError):
    code = "certificate.not_registered"
    title = "The signing certificate is not registered to the institution named in the request"
    kind = "forbidden"


class UnknownInstitution(GatewayError):
    code = "institution.unknown"
    title = "The institution named in the request is not registered"
    kind = "forbidden"


class InstitutionDisabled(GatewayError):
    """The institution (or the parent of a branch) was disabled by the centre; its open applications stay reviewable."""

    code = "institution.disabled"
    title = "The institution is disabled"
    kind = "forbidden"


class StaleRequest(GatewayError):
    code = "request.stale"
    title = "CreatedAt is outside the accepted window"


class RequestIdReused(GatewayError):
    code = "request.id_reused"
    title = "This request id was already used with other content"
    kind = "conflict"


class MaterialMissing(GatewayError):
    code = "material.missing"
    title = "A referenced material was never uploaded"


class MaterialHashMismatch(GatewayError):
    code = "material.hash_mismatch"
    title = "The material's bytes do not hash to the SHA-256 it is referenced by"


class NotAuthenticated(GatewayError):
    code = "auth.required"
    title = "Authentication is required"
    kind = "unauthenticated"


class SignInLocked(GatewayError):
    """Too many failed sign-ins for this username from this address (or from it at all); ``extra``
    carries ``retry_after`` in seconds, sent as the Retry-After header too."""

    code = "auth.locked"
    title = "Too many failed sign-ins; try again later"
    kind = "rate_limited"


class Forbidden(GatewayError):
    code = "auth.forbidden"
    title = "You may not do this"
    kind = "forbidden"


class NotFound(GatewayError):
    code = "not_found"
    title = "No such resource"
    kind = "not_found"


class IllegalTransition(GatewayError):
    code = "application.illegal_transition"
    title = "The application is not in a state that allows this action"
    kind = "conflict"


class NotClaimed(GatewayError):
    code = "review.not_claimed"
    title = "The application must be claimed by you before you decide it"
    kind = "conflict"


class ResultNotReady(GatewayError):
    code = "application.result_not_ready"
    title = "The application has not been decided yet"
    kind = "conflict"


class ConfigurationError(GatewayError):
    code = "gateway.misconfigured"
    title = "The gateway is not configured for this"
    kind = "unavailable"
