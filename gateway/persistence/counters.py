"""Gapless counters: the next value is taken inside the caller's transaction.

An ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` is atomic on PostgreSQL and SQLite, and
the row stays locked until the transaction ends, so concurrent allocations serialise and a
rolled-back transaction gives its number back: no gaps, no duplicates.
"""
from __future__ import annotations

import functools

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gateway.persistence.models import Counter


def next_value(session: Session, series: str) -> int:
    """Allocate the next number of ``series`` (1 for a new series)."""
    statement = _next_value_statement(session.get_bind().dialect.name)
    return int(session.execute(statement, {"series": series}).scalar_one())


@functools.cache
def _next_value_statement(dialect: str):
    """Built once per dialect, with the series as a bound parameter (taken on every intake)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(Counter.__table__)
        .values(name=bindparam("series"), value=1)
        .on_conflict_do_update(index_elements=[Counter.name], set_={"value": Counter.value + 1})
        .returning(Counter.value)
    )
