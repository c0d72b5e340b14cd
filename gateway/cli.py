"""The operator CLI: ``gateway serve | worker | db | institution | user | deliveries | keys | audit | evidence | demo``."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from contextlib import nullcontext
from pathlib import Path

from gateway.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    _quiet_library_warnings()  # before the commands import pyhanko and friends
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    from gateway.admin.actions import cli_actor
    from gateway.errors import GatewayError
    from gateway.logs import acting_as, configure

    configure(get_settings())
    # A server's lines name each request's actor; a command's lines name who ran it.
    actor = nullcontext() if args.handler in (_serve, _worker) else acting_as(cli_actor())
    try:
        with actor:
            return args.handler(args) or 0
    except GatewayError as exc:
        print(f"error [{exc.code}]: {exc.detail}", file=sys.stderr)
        return 1


def _quiet_library_warnings() -> None:
    """Libraries' deprecation notices (pyhanko's use of DSA, for one) are for their maintainers, not
    for an operator reading a command's output. Tests keep them: pytest resets warning filters."""
    from cryptography.utils import CryptographyDeprecationWarning

    for category in (DeprecationWarning, PendingDeprecationWarning, CryptographyDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)


def _parser() -> argparse.ArgumentParser:
    from gateway.admin import certificates_cli, deliveries_cli, institutions_cli, staff_cli

    parser = argparse.ArgumentParser(prog="gateway", description="Mortgage registration gateway")
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1,
                       help="API processes (PostgreSQL mode only; the embedded mode runs one)")
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser("worker", help="run a Celery worker (celery task mode)")
    worker.add_argument("--concurrency", type=int, default=2)
    worker.add_argument("--no-beat", action="store_true", help="do not also run the periodic sweeps")
    worker.set_defaults(handler=_worker)

    db = commands.add_parser("db", help="database schema").add_subparsers(title="db commands")
    db.add_parser("upgrade", help="apply migrations").set_defaults(handler=_db_upgrade)

    institution = commands.add_parser("institution", help="institutions").add_subparsers(title="institution commands")
    add = institution.add_parser("add", help="register a bank, housing-fund centre or department")
    add.add_argument("--code", required=True, help="unified social credit code")
    add.add_argument("--name", required=True)
    add.add_argument("--kind", required=True, choices=["bank", "housing_fund", "department"])
    add.add_argument("--role", choices=["tax_bureau", "housing_bureau", "fund_centre"],
                     help="a department's role (required for --kind department; fund_centre for a housing_fund)")
    add.add_argument("--cert", required=True, type=Path, help="PEM signing certificate")
    add.add_argument("--callback-url", help="https (plain http only to a loopback host)")
    add.add_argument("--parent", help="code of the head institution, to register a branch")
    add.set_defaults(handler=_institution_add)
    add_cert = institution.add_parser("add-cert", help="register another certificate (key rotation)")
    add_cert.add_argument("--code", required=True)
    add_cert.add_argument("--cert", required=True, type=Path)
    add_cert.set_defaults(handler=_institution_add_cert)
    institutions_cli.add_commands(institution)
    certificates_cli.add_commands(institution)

    user = commands.add_parser("user", help="staff accounts").add_subparsers(title="user commands")
    user_add = user.add_parser("add", help="create a staff account")
    user_add.add_argument("--username", required=True)
    user_add.add_argument("--role", required=True, choices=["reviewer", "admin", "clerk", "supervisor"])
    user_add.add_argument("--institution", help="institution code (clerks)")
    user_add.add_argument("--password-stdin", action="store_true", required=True, help="read the password from stdin")
    user_add.set_defaults(handler=_user_add)
    staff_cli.add_commands(user)

    deliveries = commands.add_parser("deliveries", help="callback deliveries").add_subparsers(title="delivery commands")
    deliveries_cli.add_commands(deliveries)  # list, show, redrive

    from gateway.protection import cli as keys_cli

    keys = commands.add_parser("keys", help="keys of the encrypted personal data").add_subparsers(title="keys commands")
    keys_cli.add_commands(keys)  # status, rotate

    from gateway.audit import cli as audit_cli

    audit = commands.add_parser("audit", help="the tamper-evident audit trail").add_subparsers(title="audit commands")
    audit_cli.add_commands(audit)  # verify, checkpoint, accesses

    evidence = commands.add_parser("evidence", help="evidence").add_subparsers(title="evidence commands")
    export = evidence.add_parser("export", help="export an application's signed evidence as a ZIP")
    export.add_argument("application_no")
    export.add_argument("--out", type=Path, required=True)
    export.set_defaults(handler=_evidence_export)

    register = commands.add_parser("register", help="the register").add_subparsers(title="register commands")
    load = register.add_parser("import", help="import units, owners, mortgages and encumbrances from CSV")
    load.add_argument("file", type=Path)
    load.add_argument("--skip-bad-rows", action="store_true", help="import the good rows of a file with errors")
    load.set_defaults(handler=_register_import)

    calendar = commands.add_parser("calendar", help="working-day calendar").add_subparsers(title="calendar commands")
    year = calendar.add_parser("load", help="load an official year schedule (JSON) and recompute deadlines")
    year.add_argument("file", type=Path)
    year.set_defaults(handler=_calendar_load)

    demo = commands.add_parser("demo", help="demo data").add_subparsers(title="demo commands")
    demo.add_parser("init", help="create demo keys, institutions and users (first run only)").set_defaults(handler=_demo_init)
    submit = demo.add_parser("submit", help="sign an example request with a demo key and submit it")
    submit.add_argument("example", type=Path, help="e.g. docs/interface/examples/mortgage-first-request.xml")
    submit.set_defaults(handler=_demo_submit)
    return parser


def _runtime():
    from gateway.runtime import Runtime

    return Runtime.from_settings(get_settings())


def _serve(args) -> int | None:
    import uvicorn

    from gateway.api.app import create_app

    from gateway.persistence.db import make_engine
    from gateway.persistence.migrate import upgrade
    from gateway.settings import TaskMode

    settings = get_settings()
    # The address actually served; a public URL not configured follows it (certificates' VerifyUrl).
    settings = settings.serving(host=args.host or settings.host, port=args.port or settings.port)
    host, port = settings.host, settings.port
    if args.workers > 1:
        if settings.is_sqlite or settings.task_mode != TaskMode.CELERY:
            print("error [serve.workers_need_postgresql]: --workers needs PostgreSQL and celery mode; the "
                  "embedded mode keeps its task runner, sweeper and SQLite writer lock in one process",
                  file=sys.stderr)
            return 1
        # Each process builds its own runtime (engine, pool, signer) in the app's lifespan, from the
        # environment it inherits: give it the address served, for the URL it derives from it.
        os.environ.update(GATEWAY_HOST=host, GATEWAY_PORT=str(port))
        _banner(settings)
        uvicorn.run("gateway.cli:api_process_app", factory=True, host=host, port=port, workers=args.workers,
                    log_config=None, access_log=False, proxy_headers=False)
        return
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.effective_database_url)
        upgrade(engine)
        with engine.connect() as connection:
            # Planner statistics (bounded work), so the queue's partial index is chosen.
            connection.exec_driver_sql("PRAGMA analysis_limit=1000")
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
        engine.dispose()
    _banner(settings)
    # Uvicorn's loggers go through our handler (log_config=None); the request-id middleware
    # writes the access lines (with duration, without query strings).
    # proxy_headers=False: only GATEWAY_TRUSTED_PROXIES decide whom X-Forwarded-For is believed from
    # (gateway.api.client_address); uvicorn's own handling would believe any local peer.
    uvicorn.run(create_app(settings=settings), host=host, port=port, log_config=None, access_log=False,
                proxy_headers=False)


def _banner(settings) -> None:
    """Where the gateway can be reached, as printed for the operator (and linked in certificates)."""
    url = settings.public_base_url.rstrip("/")
    print(f"Mortgage registration gateway at {url}  (API docs: {url}/docs, staff web: {url}/login)", flush=True)
    if settings.public_url_derived and settings.host in ("0.0.0.0", "::", "[::]", ""):
        print("note: listening on every interface; set GATEWAY_PUBLIC_BASE_URL to the URL institutions and "
              "certificate holders use (certificates carry it in VerifyUrl)", flush=True)
    elif settings.public_url_derived and settings.task_mode == "celery":
        print("note: celery mode: the workers make the certificates and derive their VerifyUrl from "
              "GATEWAY_HOST/GATEWAY_PORT, not from --port; set GATEWAY_PUBLIC_BASE_URL for every process", flush=True)


def api_process_app():
    """The app of one process of ``gateway serve --workers N``: a fresh interpreter, so warnings
    and logging are set up first, as :func:`main` does."""
    _quiet_library_warnings()
    from gateway.api.app import create_app
    from gateway.logs import configure

    configure(get_settings())
    return create_app()


def _worker(args) -> None:
    from gateway.tasks.celery_app import make_celery

    settings = get_settings()
    if settings.public_url_derived:
        # This worker makes certificates; it cannot know the port `gateway serve` was given.
        logging.getLogger("gateway.cli").warning(
            "GATEWAY_PUBLIC_BASE_URL is not set: certificates made here link to %s (from GATEWAY_HOST and "
            "GATEWAY_PORT); set it to the gateway's public URL", settings.public_base_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = make_celery(settings)
    argv = ["worker", f"--loglevel={settings.log_level}", f"--concurrency={args.concurrency}",
            f"--queues={settings.task_queue}", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    if not args.no_beat:
        argv.append("--beat")
    app.worker_main(argv)


def _db_upgrade(args) -> None:
    from gateway.persistence.db import make_engine
    from gateway.persistence.migrate import upgrade

    settings = get_settings()
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(make_engine(settings.effective_database_url))
    print("database is at the latest revision")


def _institution_add(args) -> None:
    from gateway.admin.actions import cli_actor
    from gateway.institutions.administration import create_institution
    from gateway.persistence.db import transaction

    runtime = _runtime()
    with transaction(runtime.sessions) as session:
        create_institution(session, actor=cli_actor(), request_id=None, code=args.code, name=args.name,
                           kind=args.kind, cert_pem=args.cert.read_bytes(), trust=runtime.trust,
                           callback_url=args.callback_url, parent_code=args.parent, department_role=args.role)
    print(f"institution {args.code} registered")


def _institution_add_cert(args) -> None:
    from gateway.admin.certificates_cli import add_certificate

    add_certificate(args)  # checked like the admin API's, and recorded


def _user_add(args) -> None:
    from gateway.admin.actions import cli_actor, record
    from gateway.persistence.db import transaction
    from gateway.staff.service import add_user

    password = sys.stdin.readline().rstrip("\n")
    runtime = _runtime()
    with transaction(runtime.sessions) as session:
        add_user(session, username=args.username, role=args.role, password=password,
                 institution_code=args.institution)
        record(session, actor=cli_actor(), action="staff.create", subject_kind="staff", subject=args.username,
               details={"role": args.role, "institution": args.institution})
    print(f"user {args.username} ({args.role}) created")


def _evidence_export(args) -> None:
    from gateway import audit
    from gateway.admin.actions import cli_actor
    from gateway.evidence.export import evidence_read, export_evidence
    from gateway.persistence.db import transaction

    runtime = _runtime()
    with transaction(runtime.sessions) as session:
        args.out.write_bytes(export_evidence(session, args.application_no))
        # The export is recorded in the audit trail in the same transaction (a CLI read).
        audit.append(session, evidence_read(session, args.application_no, actor=cli_actor(), actor_role="cli"))
    print(f"evidence written to {args.out}")


def _register_import(args) -> int:
    from tqdm import tqdm

    from gateway.persistence.db import transaction
    from gateway.register.importer import import_register

    runtime = _runtime()
    with transaction(runtime.sessions) as session:
        report = import_register(
            session, args.file, skip_bad_rows=args.skip_bad_rows,
            progress=lambda rows: tqdm(rows, desc="checking rows", unit="row", disable=len(rows) < 1000,
                                       file=sys.stderr),
        )
    for line, reason in report.errors:
        print(f"{args.file}:{line}: {reason}", file=sys.stderr)
    if report.errors and not args.skip_bad_rows:
        print(f"{len(report.errors)} bad row(s); nothing imported (use --skip-bad-rows to import the rest)",
              file=sys.stderr)
        return 1
    summary = ", ".join(f"{count} {kind.lower()}" for kind, count in sorted(report.imported.items())) or "nothing"
    print(f"imported {summary}" + (f"; skipped {report.skipped} bad row(s)" if report.skipped else ""))
    if report.notices:
        print(f"{report.notices} watch notice(s) for the institutions watching these units", file=sys.stderr)
    # The notices are signed and published by background tasks this process started: let them finish.
    runtime.wait_idle(60)
    runtime.close()
    return 0


def _calendar_load(args) -> int:
    from gateway.applications.deadline import load_year_schedule
    from gateway.persistence.db import transaction
    from gateway.persistence.types import utcnow

    runtime = _runtime()
    try:
        with transaction(runtime.sessions) as session:
            year, firmed = load_year_schedule(session, runtime.settings, args.file.read_text(encoding="utf-8"),
                                              at=utcnow())
    except ValueError as exc:  # ScheduleInvalid says what is wrong with the file
        print(f"error [calendar.invalid_schedule]: {exc}", file=sys.stderr)
        return 1
    print(f"calendar {year} loaded; {firmed} provisional deadline(s) are now firm")
    return 0


def _demo_submit(args) -> int:
    from gateway.demo_client import submit_example

    return submit_example(get_settings(), args.example, out=sys.stdout)


def _demo_init(args) -> None:
    from gateway.demo import initialise_demo

    initialise_demo(get_settings(), out=sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
