"""Where a signed status read's time goes: ``python -m bench.profile_reads``.

Sets up a gateway the way ``make bench`` does (embedded, or with ``--postgresql`` in a fresh
PostgreSQL database; in-process tasks either way), starts ``gateway serve`` and the
signature-only ceiling (``bench.ceiling_app``), files ``--applications`` first mortgages, then
runs ``--reps`` closed loops of HTTP-signed ``GET /v1/applications/{no}`` at ``--clients``,
interleaved with the ceiling's, and prints reads/s, p50/p99 and the server's CPU milliseconds
per read (from /proc, user + system). With ``--spy FILE`` the last gateway run is recorded by
py-spy (raw stacks; ``--gil``: only the thread holding the GIL, i.e. where the one core of
Python goes). A tool for the developer, not
a measurement: the figures of record are ``make bench``'s.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench import services
from bench.applications import RequestFactory, write_requests
from bench.config import BenchConfig
from bench.loadrun import LoadRunner, LoadSpec
from bench.modes import _ceiling_env, upload_materials
from bench.seed import build_pki, gateway_env, onboard


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _row(result: dict, *, cpu_ms: float) -> tuple:
    """reads/s, p50 ms, p99 ms, errors, server CPU ms per request."""
    latency = result["latency_ms"]
    return result["ok_per_s"], latency["p50"] or 0.0, latency["p99"] or 0.0, sum(result["errors"].values()), cpu_ms


async def in_process(reads: list[tuple], *, clients: int) -> tuple[float, float]:
    """Send ``reads`` through the gateway's ASGI app (no sockets), ``clients`` at a time; wall and
    CPU seconds (the second run of each batch: the first warms the process)."""
    import httpx

    from gateway.api.app import create_app
    from gateway.runtime import Runtime
    from gateway.settings import Settings

    from sqlalchemy import event

    runtime = Runtime.from_settings(Settings())
    app = create_app(runtime)
    statements: list[str] = []
    event.listen(runtime.engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, *_: statements.append(" ".join(statement.split())[:110]))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
            async def run_all() -> None:
                queue = list(reversed(reads))

                async def one_client() -> None:
                    while queue:
                        method, path, headers, body = queue.pop()
                        response = await client.request(method, path, headers=headers, content=body)
                        if response.status_code != 200:
                            raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:200]}")

                await asyncio.gather(*(one_client() for _ in range(clients)))

            await run_all()
            statements.clear()
            wall, cpu = time.perf_counter(), time.process_time()
            await run_all()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(f"SQL statements per read: {len(statements) / len(reads):.1f}; the first read's:")
            print("\n".join(f"    {s}" for s in statements[:14]))
            return wall, cpu
    finally:
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", action="store_true",
                        help="a PostgreSQL database of its own, made on BENCH_POSTGRES_ADMIN_URL's server "
                             "and dropped after")
    parser.add_argument("--applications", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--reads", type=int, default=3000, help="signed reads made per run (cycled)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--spy", help="record the last gateway run with py-spy (raw format) into this file")
    parser.add_argument("--gil", action="store_true", help="py-spy samples only the thread holding the GIL")
    parser.add_argument("--in-process", action="store_true",
                        help="instead of the HTTP runs: the same reads through the ASGI app in this process, "
                             "--clients at a time, timed by the process's CPU clock (steadier figures)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="profile-reads-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        database_url = None
        if args.postgresql:
            database = services.PostgresDatabase(BenchConfig.from_env().postgres_admin_url)
            stack.callback(database.drop)
            database_url = database.url
        pki = build_pki(work / "pki")
        data_dir = work / "var"
        data_dir.mkdir()
        env = gateway_env(data_dir, pki, **({"GATEWAY_DATABASE_URL": database_url} if database_url else {}))
        database_url = database_url or f"sqlite:///{(data_dir / 'gateway.db').resolve()}"
        onboard(env, pki, database_url=database_url, intake_units=args.applications + 50, discharge_units=10,
                work_dir=work)
        factory = RequestFactory(pki, processes=2)
        loads = LoadRunner(warmup=1.0, duration=args.duration, timeout=30.0, work_dir=work, log_dir=work)
        gateway, gateway_url = services.start_gateway(env, work)
        ceiling, ceiling_url = services.start_ceiling(_ceiling_env(pki), work)
        try:
            upload_materials(gateway_url, pki)
            filed = write_requests(work / "first.pickle",
                                   factory.first_mortgages(0, args.applications, run="R", units=args.applications + 50))
            intake = LoadRunner(warmup=0, duration=120, timeout=30.0, work_dir=work, log_dir=work)
            paths = intake.run(LoadSpec("file", gateway_url, filed, clients=4, expect=(202,)))[0]["locations"]
            print(f"applications filed: {len(paths)} ({database_url.split(':')[0]})", flush=True)
            if args.in_process:
                gateway.stop()
                made = factory.status_reads(paths, args.reads)
                os.environ.update({k: v for k, v in env.items() if k.startswith("GATEWAY_")})
                for rep in range(args.reps):
                    wall, cpu = asyncio.run(in_process(made, clients=args.clients))
                    print(f"rep {rep + 1}: {len(made) / wall:.0f} reads/s in process, "
                          f"{1000 * cpu / len(made):.2f} CPU ms per read", flush=True)
                return
            reads = write_requests(work / "reads.pickle", factory.status_reads(paths, args.reads))
            loads.run(LoadSpec("prime", gateway_url, reads, clients=4, cycle=True))
            rows = {"gateway": [], "ceiling": []}
            for rep in range(args.reps):
                spy = None
                if args.spy and rep == args.reps - 1:
                    spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw",
                                            "-o", args.spy, "--pid", str(gateway.pid), "--rate", "200",
                                            "--nonblocking", *(["--gil"] if args.gil else [])],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(1.0)
                before = cpu_seconds(gateway.pid)
                result = loads.run(LoadSpec("reads", gateway_url, reads, clients=args.clients, cycle=True))[0]
                spent = cpu_seconds(gateway.pid) - before
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(timeout=60)
                rows["gateway"].append(_row(result, cpu_ms=1000 * spent / max(result["sent"], 1)))
                ceiling_result = loads.run(LoadSpec("ceiling", ceiling_url, reads, clients=args.clients, cycle=True))[0]
                rows["ceiling"].append(_row(ceiling_result, cpu_ms=0.0))
                print(f"rep {rep + 1}: gateway {rows['gateway'][-1][0]:.0f}/s "
                      f"(p50 {rows['gateway'][-1][1]:.1f} ms, p99 {rows['gateway'][-1][2]:.1f} ms, "
                      f"errors {rows['gateway'][-1][3]}, ~{rows['gateway'][-1][4]:.2f} CPU ms/read), "
                      f"ceiling {rows['ceiling'][-1][0]:.0f}/s", flush=True)
            gateway_rate = statistics.median(r[0] for r in rows["gateway"])
            ceiling_rate = statistics.median(r[0] for r in rows["ceiling"])
            print(f"median: gateway {gateway_rate:.0f}/s ({1000 / gateway_rate:.2f} ms per read at {args.clients} "
                  f"clients, {statistics.median(r[4] for r in rows['gateway']):.2f} CPU ms), ceiling "
                  f"{ceiling_rate:.0f}/s ({1000 / ceiling_rate:.2f} ms): {100 * gateway_rate / ceiling_rate:.0f}%")
        finally:
            factory.close()
            gateway.stop()
            ceiling.stop()


if __name__ == "__main__":
    main()
