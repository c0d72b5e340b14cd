"""Transient failures: which errors are worth trying again soon, and how soon.

A task that fails because the database or the broker blinked (a dropped connection, a lock wait
that timed out, a failover) is run again after a short, growing, jittered delay instead of
waiting for the next sweep. Any other error is a bug or bad data; retrying would not help, and
the periodic sweeps re-drive the work later anyway. Periodic sweeps themselves are never retried:
the next one is their retry.
"""
from __future__ import annotations

import random

MAX_RETRIES = 6
BASE_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 30.0


class TransientTaskError(Exception):
    """A task failed on a transient error; carries only the error's type name (never its values)."""


def is_transient(exc: BaseException) -> bool:
    """True for errors of the database or the broker that usually pass by themselves."""
    import kombu.exceptions
    import redis.exceptions
    from sqlalchemy import exc as db

    if isinstance(exc, db.OperationalError | db.InterfaceError | db.TimeoutError):
        return True  # connection lost or refused, lock or statement timeout, deadlock, failover
    if isinstance(exc, db.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, ConnectionError | TimeoutError | redis.exceptions.ConnectionError
                      | redis.exceptions.TimeoutError | kombu.exceptions.OperationalError)


def retry_delay(retries: int) -> float:
    """Seconds before retry number ``retries + 1``: 0.5 s doubling to 30 s, each 50–100 % of that."""
    ceiling = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**retries)
    return ceiling * random.uniform(0.5, 1.0)
