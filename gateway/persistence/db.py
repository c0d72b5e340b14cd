"""Engine and session handling. Services never commit; the request or task boundary does."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and write-locking transactions."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )
        _make_sqlite_transactions_serialisable(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _make_sqlite_transactions_serialisable(engine: Engine) -> None:
    # pysqlite's own BEGIN handling defers locking until the first write, which lets two
    # transactions read the same counter and then collide. BEGIN IMMEDIATE takes the write
    # lock up front, so allocation of numbers and state changes serialise; WAL keeps
    # readers outside transactions unblocked.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def lock_for_update(stmt, session: Session):
    """``SELECT ... FOR UPDATE`` where the database knows it (SQLite locks the whole file anyway)."""
    if session.get_bind().dialect.name == "sqlite":
        return stmt
    return stmt.with_for_update()
