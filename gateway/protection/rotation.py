"""Moving every ciphertext onto the current key, a batch at a time, while the gateway keeps serving.

A pass walks each encrypted column by primary key, reads only the head of each value (where the key
id is, see gateway.protection.cipher), and re-seals the rows whose key is not the current one, in one
short transaction per batch. The update only lands where the row still holds the ciphertext that was
read, so a value the gateway rewrote meanwhile is never overwritten with an older one. Interrupted,
the command is simply run again: rows already on the current key cost one read of their head.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import Engine

from gateway.persistence.models import Base
from gateway.protection import cipher
from gateway.protection.columns import encrypted_columns
from gateway.protection.keyring import Keyring

import gateway.persistence.all_models  # noqa: F401  (every model registered on Base.metadata)

HEAD = 64  # characters or bytes: enough for any prefix and key id
NOT_ENCRYPTED = "(not encrypted)"


@dataclass
class Rotation:
    """What a run did: rows re-sealed, rows that changed under it, plaintext values left as found."""

    key_id: str
    resealed: int = 0
    raced: int = 0
    batches: int = 0
    finished: bool = False
    not_encrypted: Counter = field(default_factory=Counter)


def _table(name: str, column: str, key: str, binary: bool) -> tuple[sa.TableClause, sa.ColumnClause, sa.ColumnClause]:
    """The raw column (no decrypting type): ciphertexts are read and written as stored."""
    table = sa.table(name, sa.column(key), sa.column(column, sa.LargeBinary() if binary else sa.Text()))
    return table, table.c[key], table.c[column]


def status(engine: Engine) -> dict[tuple[str, str], Counter]:
    """For each encrypted column, how many values are under each key id (or not encrypted at all)."""
    counts: dict[tuple[str, str], Counter] = {}
    with engine.connect() as connection:
        for name, column, key, binary in encrypted_columns(Base.metadata):
            _, _, value = _table(name, column, key, binary)
            per_key: Counter = Counter()
            for (head,) in connection.execute(sa.select(sa.func.substr(value, 1, HEAD)).where(value.is_not(None))):
                per_key[cipher.key_id_of(head) or NOT_ENCRYPTED] += 1
            counts[(name, column)] = per_key
    return counts


def total_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return sum(connection.execute(sa.select(sa.func.count()).where(_table(*c)[2].is_not(None))).scalar_one()
                   for c in encrypted_columns(Base.metadata))


def rotate(engine: Engine, keyring: Keyring, *, batch_size: int = 500, max_batches: int | None = None,
           progress: Callable[[int], None] = lambda rows: None) -> Rotation:
    """Re-seal every value not under ``keyring``'s current key; ``progress`` gets the rows each batch looked at.

    ``max_batches`` stops early (a test's interruption); the result says whether the run finished.
    """
    run = Rotation(keyring.current_key_id())
    for name, column, key, binary in encrypted_columns(Base.metadata):
        table, key_column, value = _table(name, column, key, binary)
        last = None
        while True:
            if max_batches is not None and run.batches >= max_batches:
                return run
            looked_at, last = _batch(engine, keyring, run, f"{name}.{column}", table, key_column, value, binary,
                                     last, batch_size)
            progress(looked_at)
            if last is None:
                break
    run.finished = True
    return run


def _batch(engine, keyring: Keyring, run: Rotation, context: str, table, key_column, value, binary: bool,
           after, batch_size: int):
    """One transaction: the next ``batch_size`` rows after ``after``; returns (rows looked at, last key or None)."""
    statement = (sa.select(key_column, sa.func.substr(value, 1, HEAD)).where(value.is_not(None))
                 .order_by(key_column).limit(batch_size))
    if after is not None:
        statement = statement.where(key_column > after)
    with engine.begin() as connection:
        rows = connection.execute(statement).all()
        if not rows:
            return 0, None
        run.batches += 1
        stale = []
        for row_key, head in rows:
            key_id = cipher.key_id_of(head)
            if key_id is None:
                run.not_encrypted[context] += 1
            elif key_id != run.key_id:
                stale.append(row_key)
        if stale:
            for row_key, stored in connection.execute(sa.select(key_column, value).where(key_column.in_(stale))):
                resealed = _reseal(keyring, stored, context, binary)
                updated = connection.execute(
                    table.update().where(key_column == row_key, value == stored).values({value.name: resealed}))
                if updated.rowcount == 1:
                    run.resealed += 1
                else:
                    run.raced += 1  # rewritten by the gateway meanwhile (under the current key, or the next pass's)
        return len(rows), rows[-1][0]


def _reseal(keyring: Keyring, stored, context: str, binary: bool):
    if binary:
        return cipher.seal_bytes(keyring, cipher.open_bytes(keyring, bytes(stored), context), context)
    return cipher.seal_text(keyring, cipher.open_text(keyring, stored, context), context)
