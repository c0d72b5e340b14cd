"""Log context: the request id and who is acting, for every log line of a request or task.

The logging set-up itself (format, level, JSON lines) lives here too; see :func:`configure`.

A request's id and actor live in one small mutable object held by a context variable. FastAPI
runs plain ``def`` dependencies and endpoints on AnyIO's thread pool, each in a *copy* of the
request's context: a ``ContextVar.set`` made there would be lost when the thread returns, but a
change to the shared object (:func:`bind_actor` in the signed-institution dependency) is seen by
the endpoint, the refusal handler and the access line alike.
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from gateway.settings import Settings

# Our loggers and the servers' follow GATEWAY_LOG_LEVEL; every other library logs warnings and
# errors only, whatever the level: their debug output can echo headers or document contents.
LEVELLED_LOGGERS = ("gateway", "uvicorn", "celery")
HANDLER_NAME = "gateway"


@dataclass
class _Scope:
    request_id: str | None = None
    actor: str | None = None


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("gateway_log_scope", default=None)


def current_request_id() -> str | None:
    """The id of the request being served (also sent back as the ``X-Request-ID`` header), if any."""
    scope = _scope.get()
    return scope.request_id if scope else None


def current_actor() -> str | None:
    """The institution code or staff username acting in this request, where known."""
    scope = _scope.get()
    return scope.actor if scope else None


def bind_actor(actor: str | None) -> None:
    """Name who is acting (an institution code or ``staff:<username>``) for the rest of this request."""
    scope = _scope.get()
    if scope is None:
        _scope.set(_Scope(actor=actor))
    else:
        scope.actor = actor


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Name the actor of a unit of work outside any request (a CLI command), for its duration."""
    token = _scope.set(_Scope(actor=actor))
    try:
        yield
    finally:
        _scope.reset(token)


def begin_request(request_id: str) -> contextvars.Token:
    """Start a request's log context (the request-id middleware does); pass the token to :func:`end_request`."""
    return _scope.set(_Scope(request_id=request_id))


def end_request(token: contextvars.Token) -> None:
    _scope.reset(token)


class _ContextFilter(logging.Filter):
    """Stamps each record with the request id and actor of the context it was logged in."""

    def filter(self, record: logging.LogRecord) -> bool:
        scope = _scope.get()
        record.request_id = scope.request_id if scope else None
        record.actor = scope.actor if scope else None
        return True


# PostgreSQL's DETAIL line of a constraint violation quotes the row ("Failing row contains (…)"),
# which statement parameters hidden by the engine (hide_parameters) do not cover.
_ROW_DETAIL = re.compile(r"^(\s*)DETAIL:.*$", re.MULTILINE)


def _withhold_row_values(text: str) -> str:
    return _ROW_DETAIL.sub(r"\1DETAIL: (withheld from the log: it may quote row values)", text)


def _one_line(message: str) -> str:
    """A message on one line: a client's path with an encoded newline cannot forge a log line."""
    return message.rstrip("\n").replace("\r", "\\r").replace("\n", "\\n")


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """``2026-12-06T08:30:01.123Z INFO gateway.api.problems request_id=… actor=… message``; a
    traceback follows on the next lines."""

    def format(self, record: logging.LogRecord) -> str:
        line = (f"{_timestamp(record)} {record.levelname} {record.name} "
                f"request_id={getattr(record, 'request_id', None) or '-'} "
                f"actor={getattr(record, 'actor', None) or '-'} {_one_line(record.getMessage())}")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return _withhold_row_values(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the same fields as the text format (``null`` when unknown)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "actor": getattr(record, "actor", None),
            "message": _withhold_row_values(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = _withhold_row_values(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(settings: Settings, *, stream: TextIO | None = None) -> logging.Handler:
    """One logging set-up for ``gateway serve``, ``gateway worker`` and the CLI: lines on stderr
    (or ``stream``) in ``settings.log_format`` at ``settings.log_level``. Calling it again replaces
    its handler; handlers others put on the root logger (a test's log capture) are left alone."""
    level = logging.getLevelName(str(settings.log_level).upper())
    if not isinstance(level, int):
        raise ValueError(f"unknown log level {settings.log_level!r}")
    # The process's own stderr, not ``sys.stderr``, which a CLI command run inside a test may find
    # swapped for a capture buffer that is closed later (and Celery may redirect into logging).
    handler = logging.StreamHandler(stream or sys.__stderr__)
    handler.set_name(HANDLER_NAME)
    handler.addFilter(_ContextFilter())
    handler.setFormatter(JsonFormatter() if str(settings.log_format) == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(max(level, logging.WARNING))
    for name in LEVELLED_LOGGERS:
        logging.getLogger(name).setLevel(level)
    logging.captureWarnings(True)
    return handler
