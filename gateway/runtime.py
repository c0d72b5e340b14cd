"""The running gateway: settings, database, keys, trust store and task runner, built once."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.keys import GatewaySigner, load_gateway_signer, load_trust_store
from gateway.persistence.db import make_engine, make_read_session_factory, make_session_factory
from gateway.protection import install_for
from gateway.settings import Settings, TaskMode
from gateway.tasks import registry
from gateway.tasks.dispatch import CeleryRunner, InProcessRunner, OutboxDispatcher

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    signer: GatewaySigner
    dispatcher: OutboxDispatcher = field(init=False)
    read_sessions: sessionmaker[Session] = field(init=False)
    _sweeper: threading.Thread | None = field(default=None, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _tokens: object = field(default=None, init=False)
    _gate: tuple | None = field(default=None, init=False)
    _intake_gate: tuple | None = field(default=None, init=False)
    _check_slots: tuple | None = field(default=None, init=False)

    @classmethod
    def from_settings(cls, settings: Settings, *, worker: bool = False) -> Runtime:
        """Build the runtime; ``worker`` marks a Celery worker process (no sweeper thread)."""
        registry.load_all()
        install_for(settings)  # the keys the encrypted columns seal and open with (gateway.protection)
        engine = make_engine(settings.effective_database_url)
        runtime = cls(settings, engine, make_session_factory(engine), load_gateway_signer(settings))
        runtime.read_sessions = make_read_session_factory(engine)
        if settings.task_mode == TaskMode.CELERY:
            runner = CeleryRunner(runtime)
        else:
            runner = InProcessRunner(runtime)
        runtime.dispatcher = OutboxDispatcher(runtime.sessions, runner)
        return runtime

    @property
    def trust(self):
        """The trust anchors, re-read on each use so that an operator's update takes effect."""
        return load_trust_store(self.settings)

    @property
    def tokens(self):
        """Issues and checks staff bearer tokens."""
        if self._tokens is None:
            self._tokens = load_token_service(self.settings)
        return self._tokens

    def write_gate(self):
        """Embedded mode: an asyncio lock a request holds while it writes (a no-op on PostgreSQL).

        On SQLite one transaction writes at a time, and a request's transaction may begin on one
        thread-pool thread and commit on another. Were writing requests to wait for the writer
        on pool threads, they could fill the pool while the writer waits for a thread to commit
        on: a freeze. Waiting here, on the event loop, costs no thread.
        """
        if self.engine.dialect.name != "sqlite":  # the engine's, not settings.is_sqlite: no path resolved per request
            return contextlib.nullcontext()
        return self._per_loop("_gate", asyncio.Lock)

    def intake_gate(self):
        """Intake's writing step, one at a time per API process, in both modes (embedded: the write gate).

        PostgreSQL: every intake takes the day's gapless number, so intakes serialise on that
        counter row from allocation to commit whatever is done here. Waiting on the database, a
        queued intake holds a connection and a transaction, and the one holding the row shares the
        interpreter with every other thread: its steps after the allocation (receipt, inbox, audit
        chain) wait for their turn behind the others' pre-reviews, and so does everyone queued
        behind it — a long tail. Waiting here, on the event loop, costs nothing and keeps the
        turn short. Several API processes still write side by side.
        """
        if self.engine.dialect.name == "sqlite":
            return self.write_gate()
        return self._per_loop("_intake_gate", asyncio.Lock)

    def check_slots(self):
        """At most ``intake_check_threads`` submissions' checks (signature, schema, read-only lookups) at once."""
        return self._per_loop("_check_slots", lambda: asyncio.Semaphore(self.settings.intake_check_threads))

    def _per_loop(self, name: str, make):
        """An asyncio primitive of this runtime, made for the running event loop (tests run several loops)."""
        loop = asyncio.get_running_loop()
        held = getattr(self, name)
        if held is None or held[0] is not loop:
            held = (loop, make())
            setattr(self, name, held)
        return held[1]

    def start_sweeper(self) -> None:
        """Embedded mode: run the periodic re-drives on a thread (Celery beat does it otherwise)."""
        if self.settings.task_mode != TaskMode.INPROCESS or self._sweeper:
            return
        self._sweeper = threading.Thread(target=self._sweep_forever, name="gateway-sweeper", daemon=True)
        self._sweeper.start()

    def _sweep_forever(self) -> None:
        while not self._stop.wait(self.settings.sweep_interval_seconds):
            for name in registry.PERIODIC:
                try:
                    self.dispatcher.runner.submit(name, [])
                except Exception:
                    log.exception("periodic task %s could not be started", name)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """In embedded mode, wait until background work is done; True at once for Celery."""
        runner = self.dispatcher.runner
        return runner.wait_idle(timeout) if isinstance(runner, InProcessRunner) else True

    def close(self) -> None:
        self._stop.set()
        self.dispatcher.close()
        self.engine.dispose()


def load_token_service(settings: Settings):
    """Staff token secrets from settings, or a generated secret kept in data_dir/keys."""
    import secrets as _secrets

    from gateway.staff.service import TokenService

    configured = tuple(settings.staff_token_secrets)
    if not configured:
        path = settings.data_dir / "keys" / "staff-token-secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_secrets.token_urlsafe(48))
            path.chmod(0o600)
        configured = (path.read_text().strip(),)
    return TokenService(configured, settings.staff_token_ttl_seconds)
