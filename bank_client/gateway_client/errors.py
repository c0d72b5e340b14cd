"""The client's errors; each maps to an exit status of the command line."""
from __future__ import annotations


class ClientError(Exception):
    """Base class. ``exit_status`` is what the command returns."""

    exit_status = 1


class ConfigError(ClientError):
    """The configuration or the command line is incomplete or wrong."""

    exit_status = 2


class GatewayRefused(ClientError):
    """The gateway answered with a problem (RFC 9457); ``problem`` is its JSON body when it had one."""

    exit_status = 1

    def __init__(self, status: int, problem: dict | None, text: str = "") -> None:
        self.status = status
        self.problem = problem or {}
        code = self.problem.get("code", "")
        detail = self.problem.get("detail") or self.problem.get("title") or text[:300]
        super().__init__(f"gateway answered {status}{f' {code}' if code else ''}: {detail}")

    @property
    def code(self) -> str | None:
        return self.problem.get("code")


class VerificationFailed(ClientError):
    """A document or request claiming to come from the gateway does not verify: never trust it."""

    exit_status = 3
