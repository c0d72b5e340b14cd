"""The FastAPI application."""
from __future__ import annotations

import gc
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway import logs
from gateway.api import problems
from gateway.api.bodies import BufferedBodies
from gateway.api.deps import Public
from gateway.api.loop_lag import LoopLagProbe
from gateway.api.request_id import RequestIds
from gateway.api.write_gate import WriteGate
from gateway.audit.reads import RecordReads
from gateway.runtime import Runtime
from gateway.settings import Settings, get_settings


def create_app(runtime: Runtime | None = None, *, settings: Settings | None = None) -> FastAPI:
    """The gateway's HTTP app. Pass a runtime (tests) or let it be built from settings."""
    from gateway.admin.endpoints import router as admin
    from gateway.applications.endpoints import router as institutions
    from gateway.audit.endpoints import router as audit
    from gateway.delivery.endpoints import router as operations
    from gateway.review.endpoints import router as review
    from gateway.catalogue.endpoints import router as catalogue
    from gateway.certificates.endpoints import router as certificates
    from gateway.staff.endpoints import router as staff
    from gateway.supervision.endpoints import router as supervision
    from gateway.web.routes import router as web
    from gateway.inbox.endpoints import router as inbox
    from gateway.watch.endpoints import router as watch
    from gateway.batches.endpoints import router as batches
    from gateway.quality.endpoints import router as quality
    from gateway.departments.endpoints import router as departments
    from gateway.registration_events.endpoints import router as registration_events
    from gateway.department_records.endpoints import router as department_records

    owned = runtime is None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if owned:  # gateway serve; also each process of `--workers N`, which starts with bare logging
            logs.configure(settings or get_settings())
        if app.state.runtime is None:
            app.state.runtime = Runtime.from_settings(settings or get_settings())
        _size_thread_pool(app.state.runtime)
        app.state.runtime.start_sweeper()
        if owned:
            # What was loaded at start (modules, schemas, keys) lives as long as the process: keep
            # it out of the collector's full passes, which otherwise hold the GIL longer under load.
            # (Not for an app handed a runtime, as in tests: freezing there would keep garbage.)
            gc.freeze()
        probe = LoopLagProbe(warn_after_ms=app.state.runtime.settings.loop_lag_warn_ms)
        probe.start()
        yield
        await probe.stop()
        if owned:
            app.state.runtime.close()

    app = FastAPI(
        title="Mortgage registration gateway",
        version="1",
        description="Banks and housing-fund centres submit signed mortgage registration applications "
        "to the Pingluo county real-estate registration centre. See docs/interface/.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    # Inside the write gate: a read's audit entry is written before its answer starts (gateway/audit/reads.py).
    app.add_middleware(RecordReads, runtime=lambda: app.state.runtime)
    # Outermost first in effect: bodies are read whole, then (embedded mode) writers queue.
    app.add_middleware(WriteGate, runtime=lambda: app.state.runtime)
    app.add_middleware(BufferedBodies, runtime=lambda: app.state.runtime)
    # Outermost of ours: even a body refused before the app runs (408, 413) carries the request id.
    app.add_middleware(RequestIds)
    problems.install(app)
    for router in (institutions, batches, inbox, watch, quality, departments, registration_events, department_records,
                   certificates, catalogue, review, supervision, staff,
                   operations, admin, audit, web):
        app.include_router(router)

    # Answered on the event loop itself, never queued behind the thread pool: it shows whether
    # the loop is responsive, which is what a load balancer needs to know.
    @app.get("/healthz", tags=["public"], dependencies=[Public("public.read")])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _size_thread_pool(runtime: Runtime) -> None:
    """Blocking work (database, signatures) runs on AnyIO's thread pool; size it from settings."""
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = runtime.settings.api_threads
