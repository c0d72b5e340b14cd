"""Log context: the request id and who is acting, for every log line of a request or task.

The logging set-up itself (format, level, JSON lines) lives here too; see :func:`configure`.
"""
from __future__ import annotations

import contextvars

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_actor: contextvars.ContextVar[str | None] = contextvars.ContextVar("actor", default=None)


def current_request_id() -> str | None:
    """The id of the request being served (also sent back as the ``X-Request-ID`` header), if any."""
    return _request_id.get()


def current_actor() -> str | None:
    """The institution code or staff username acting in this request, where known."""
    return _actor.get()


def bind_actor(actor: str | None) -> None:
    """Name who is acting (an institution code or ``staff:<username>``) for the rest of this request."""
    _actor.set(actor)
