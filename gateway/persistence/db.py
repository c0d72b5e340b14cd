"""Engine and session handling. Services never commit; the request or task boundary does.

Two kinds of unit of work share one engine:

- **writing** (``transaction(runtime.sessions)``): on SQLite it takes the database's write lock
  at its first statement (``BEGIN IMMEDIATE``), so that number allocation and state changes
  serialise; in embedded mode writers of one process queue on a fair in-process lock first,
  so a waiting writer is handed the lock at once instead of polling SQLite's busy handler;
- **reading** (``read_only(runtime.read_sessions)``): a deferred ``BEGIN`` on SQLite (with WAL,
  readers neither wait for nor block the writer), always rolled back, and refused if anything
  would be flushed, so a read can never take a write lock by accident.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

READ_ONLY_OPTION = "gateway_read_only"
WRITER_WAIT_SECONDS = 30


class WriterLockTimeout(TimeoutError):
    """Another unit of work held the embedded database's write lock too long."""


class ReadOnlyViolation(RuntimeError):
    """A read-only unit of work tried to write: a programming error, never a client's."""


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and write-locking transactions.

    Its errors never quote a statement's parameters (``hide_parameters``): they hold names and
    ID numbers, and an error's text ends up in logs and tracebacks."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 30},
            # Connections are cheap; enough of them that no request waits for one.
            pool_size=16, max_overflow=64, pool_timeout=60,
        )
        _make_sqlite_transactions_serialisable(engine)
        return engine
    return create_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True, pool_size=10, max_overflow=20,
                         pool_timeout=30)


def _make_sqlite_transactions_serialisable(engine: Engine) -> None:
    # pysqlite's own BEGIN handling defers locking until the first write, which lets two
    # transactions read the same counter and then collide. BEGIN IMMEDIATE takes the write
    # lock up front, so allocation of numbers and state changes serialise; WAL keeps
    # readers unblocked. Read-only units of work use a plain (deferred) BEGIN.
    # Not an RLock: FastAPI may begin a request's transaction on one thread and commit it on
    # another. Waiting is bounded like SQLite's own busy timeout.
    writers = threading.Lock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode across process crashes
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
            return
        if not writers.acquire(timeout=WRITER_WAIT_SECONDS):
            raise WriterLockTimeout(f"no write lock within {WRITER_WAIT_SECONDS} s")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writers.release()
            raise
        connection.info["holds_writer_lock"] = True

    def _release(connection):
        if connection.info.pop("holds_writer_lock", False):
            writers.release()

    # Fired just before COMMIT/ROLLBACK is sent; SQLite's own lock covers the instant between.
    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reads: deferred transactions, and a flush with changes is refused."""
    factory = sessionmaker(engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False,
                           autoflush=False)

    @event.listens_for(factory, "before_flush")
    def _refuse_writes(session, _context, _instances):
        if session.new or session.dirty or session.deleted:
            raise ReadOnlyViolation("a read-only unit of work tried to write")

    return factory


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


@contextmanager
def read_only(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that only reads: always rolled back, never holds a write lock."""
    session = factory()
    try:
        yield session
        if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
            raise ReadOnlyViolation("a read-only unit of work changed objects")
    finally:
        # Closing ends the transaction (the connection is rolled back on its way back to the
        # pool) without expiring what was loaded: callers may keep reading those objects.
        session.close()


def lock_for_update(stmt, session: Session):
    """``SELECT ... FOR UPDATE`` where the database knows it (SQLite locks the whole file anyway)."""
    if session.get_bind().dialect.name == "sqlite":
        return stmt
    return stmt.with_for_update()
