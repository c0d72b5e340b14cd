"""Where an intake's time goes, in one process, without HTTP: ``python -m bench.profile_intake``.

Sets up an embedded gateway (or, with ``--database-url``, a fresh PostgreSQL database named
there) the way ``make bench`` does, signs ``--count`` distinct first mortgages, then runs the
intake's two steps (:func:`check_submission`, :func:`accept_submission`) for each, one after
another, and prints per-step milliseconds, SQL statements per intake and, with ``--profile``,
the functions that cost most (cProfile, by cumulative time). A tool for the developer, not a
measurement: the figures of record are ``make bench``'s.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.applications import first_mortgage, materials
from bench.seed import build_pki, gateway_env, onboard
from tests.support import factories


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--database-url", help="a PostgreSQL database to create the gateway in (must be empty)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions of the writing step")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--show-sql", action="store_true", help="print the statements of the first intakes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="profile-intake-") as tmp:
        work = Path(tmp)
        pki = build_pki(work / "pki")
        data_dir = work / "var"
        data_dir.mkdir()
        extra = {"GATEWAY_DATABASE_URL": args.database_url} if args.database_url else {}
        env = gateway_env(data_dir, pki, **extra)
        database_url = args.database_url or f"sqlite:///{(data_dir / 'gateway.db').resolve()}"
        onboard(env, pki, database_url=database_url, intake_units=args.count + 10, discharge_units=10, work_dir=work)
        os.environ.update({k: v for k, v in env.items() if k.startswith("GATEWAY_")})

        from sqlalchemy import event

        from gateway.applications.intake import accept_submission, check_submission
        from gateway.materials.service import store_material
        from gateway.persistence.db import transaction
        from gateway.runtime import Runtime
        from gateway.settings import Settings
        from sqlalchemy import select
        from gateway.persistence.models import Institution as InstitutionRow

        runtime = Runtime.from_settings(Settings())
        with transaction(runtime.sessions) as session:
            bank_id = session.scalar(select(InstitutionRow.id).where(InstitutionRow.code == factories.BANK_CODE))
            for data in materials().values():
                store_material(session, institution_id=bank_id, sha256=factories.sha256(data), content=data,
                               media_type="application/pdf", max_bytes=10_000_000)

        class Signer:
            key, certificate = pki.bank.key, pki.bank.certificate

        now = datetime.now(timezone.utc).replace(microsecond=0)
        bodies = [factories.signed_request(first_mortgage(i, run="P", units=args.count, now=now), Signer())
                  for i in range(args.count)]

        statements = [0]

        shown = []

        def count(_conn, _cursor, statement, *_a, **_k):
            statements[0] += 1
            if args.show_sql and len(shown) < 1:
                print("   ", " ".join(statement.split())[:160])
        event.listen(runtime.engine, "before_cursor_execute", count)

        warm = 10
        check_ms, accept_ms, sql_counts, accept_cpu_ms = [], [], [], []
        profiler = cProfile.Profile()
        for index, body in enumerate(bodies):
            started = time.perf_counter()
            checked = check_submission(runtime, body, now=datetime.now(timezone.utc))
            middle = time.perf_counter()
            statements[0] = 0
            cpu = time.thread_time()
            if args.profile and index >= warm:
                profiler.enable()
            outcome = accept_submission(runtime, checked)
            if args.profile and index >= warm:
                profiler.disable()
            done = time.perf_counter()
            cpu = time.thread_time() - cpu
            assert outcome.created, outcome
            if args.show_sql and index == warm and not shown:
                shown.append(True)
            if index >= warm:
                check_ms.append((middle - started) * 1000)
                accept_ms.append((done - middle) * 1000)
                sql_counts.append(statements[0])
                accept_cpu_ms.append(cpu * 1000)
        runtime.close()

        print(f"intakes measured: {len(check_ms)} ({database_url.split(':')[0]})")
        print(f"check  step: median {statistics.median(check_ms):.2f} ms, mean {statistics.mean(check_ms):.2f}")
        print(f"accept step: median {statistics.median(accept_ms):.2f} ms, mean {statistics.mean(accept_ms):.2f}")
        print(f"accept step CPU time of its thread: median {statistics.median(accept_cpu_ms):.2f} ms")
        print(f"SQL statements in the accept step: median {statistics.median(sql_counts)}")
        if args.profile:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
