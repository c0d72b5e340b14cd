"""One gateway mode, from an empty database to stopped processes: embedded, or PostgreSQL + Celery.

Everything started here is stopped or dropped when the ``ExitStack`` closes, in reverse order,
whether the measurements finished, failed or were interrupted.
"""
from __future__ import annotations

import secrets
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench import services
from bench.applications import RequestFactory, materials
from bench.config import BenchConfig
from bench.loadrun import LoadRunner
from bench.measure import ModeBench, Servers
from bench.seed import BenchPki, gateway_env, onboard
from gateway.settings import Settings
from signing.httpsig import HttpSignatureAuth
from tests.support import factories


def _ceiling_env(pki: BenchPki) -> dict[str, str]:
    import os

    inherited = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}  # as gateway_env does
    return {**inherited, "BENCH_CEILING_TRUST_ANCHORS": str(pki.ca_path), "BENCH_CEILING_KEY": str(pki.gateway.key_path),
            "BENCH_CEILING_CERT": str(pki.gateway.cert_path), "BENCH_CEILING_BANK_CERT": str(pki.bank.cert_path)}


def upload_materials(base_url: str, pki: BenchPki) -> None:
    """The bank uploads, HTTP-signed, every material the prepared applications reference."""
    auth = HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key)
    with httpx.Client(base_url=base_url, auth=auth, timeout=30) as bank:
        for data in materials().values():
            response = bank.put(f"/v1/materials/{factories.sha256(data)}", content=data,
                                headers={"Content-Type": "application/pdf"})
            if response.status_code not in (200, 201):
                raise RuntimeError(f"material upload answered {response.status_code}: {response.text[:300]}")


class ModeRun:
    """Sets up one mode's database, broker, gateway, worker and ceiling, and measures it."""

    def __init__(self, mode: str, config: BenchConfig, pki: BenchPki, factory: RequestFactory, work_dir: Path,
                 log_dir: Path):
        self.mode, self.config, self.pki, self.factory = mode, config, pki, factory
        self.work_dir, self.log_dir = work_dir / mode, log_dir / mode
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.loads = LoadRunner(warmup=config.warmup, duration=config.duration, timeout=config.request_timeout,
                                work_dir=self.work_dir, log_dir=self.log_dir)
        self.results: dict = {"mode": mode}

    def run(self) -> dict:
        with ExitStack() as stack:
            env, database_url = self._environment(stack)
            print(f"[bench] {self.mode}: loading the register and onboarding the bank", flush=True)
            onboard(env, self.pki, database_url=database_url, intake_units=self.config.intake_units(),
                    discharge_units=self.config.discharge_units(), work_dir=self.work_dir)
            worker = None
            if self.mode == "postgresql":
                worker = services.start_worker(env, self.log_dir, concurrency=self.config.worker_concurrency)
                stack.callback(worker.stop)
            bench = ModeBench(self.config, self.pki, self.factory, self.loads, self.work_dir, self.mode)
            self._one_process(env, bench, worker)
            if self.mode == "postgresql":
                self._two_processes(env, bench)
        return self.results

    def _environment(self, stack: ExitStack) -> tuple[dict[str, str], str]:
        data_dir = self.work_dir / "var"
        data_dir.mkdir(parents=True, exist_ok=True)
        if self.mode == "embedded":
            env = gateway_env(data_dir, self.pki)
            return env, f"sqlite:///{(data_dir / 'gateway.db').resolve()}"
        database = services.PostgresDatabase(self.config.postgres_admin_url)
        stack.callback(database.drop)
        broker = services.RedisDatabase(self.config.redis_url)
        stack.callback(broker.release)
        extra = {"GATEWAY_DATABASE_URL": database.url, "GATEWAY_TASK_MODE": "celery", "GATEWAY_BROKER_URL": broker.url}
        if "task_queue" in Settings.model_fields:
            extra["GATEWAY_TASK_QUEUE"] = f"bench-{secrets.token_hex(4)}"
        self.results["broker"] = {"redis_db": broker.url.rsplit("/", 1)[1], "queue": extra.get("GATEWAY_TASK_QUEUE")}
        return gateway_env(data_dir, self.pki, **extra), database.url

    def _one_process(self, env: dict, bench: ModeBench, worker) -> None:
        with ExitStack() as servers_stack:
            gateway, gateway_url = services.start_gateway(env, self.log_dir)
            servers_stack.callback(gateway.stop)
            ceiling, ceiling_url = services.start_ceiling(_ceiling_env(self.pki), self.log_dir)
            servers_stack.callback(ceiling.stop)
            upload_materials(gateway_url, self.pki)
            servers = Servers(gateway_url, ceiling_url)
            bench.prime(servers)
            self.results["intake"] = bench.intake(servers)
            self.results["reads"] = bench.reads(servers)
            self.results["auto"] = bench.automatic_results(gateway_url, self.results["intake"])
            self.results["memory_mb"] = {"api": gateway.peak_memory(), "ceiling": ceiling.peak_memory()}
            if worker is not None:
                self.results["memory_mb"]["worker"] = {**worker.peak_memory(),
                                                       "concurrency": self.config.worker_concurrency}

    def _two_processes(self, env: dict, bench: ModeBench) -> None:
        if not services.serve_supports_workers():
            self.results["two_processes"] = {"error": "`gateway serve` has no --workers option in this version"}
            return
        clients = max(self.config.client_levels)
        with ExitStack() as servers_stack:
            gateway, gateway_url = services.start_gateway(env, self.log_dir, workers=2, name="gateway-2")
            servers_stack.callback(gateway.stop)
            ceiling, ceiling_url = services.start_ceiling(_ceiling_env(self.pki), self.log_dir, workers=2,
                                                          name="ceiling-2")
            servers_stack.callback(ceiling.stop)
            servers = Servers(gateway_url, ceiling_url)
            bench.prime(servers, clients=8)
            summary = bench.scaling(servers, self.results["intake"][str(clients)], clients)
            summary["memory_mb"] = {"api": gateway.peak_memory(), "ceiling": ceiling.peak_memory()}
            self.results["two_processes"] = summary
