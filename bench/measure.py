"""The measurements of one gateway mode, each next to its ceiling served the same way.

Every figure is repeated ``reps`` times and the repetitions of a gateway figure and of its
ceilings are interleaved (gateway, ceiling, ceiling, gateway, ...), so that drift on the shared
machine touches both alike. Requests are made just before each run (see ``bench.applications``);
the ceilings are sent the very same signed documents.
"""
from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.applications import RequestFactory, write_requests
from bench.config import BenchConfig
from bench.loadrun import LoadRunner, LoadSpec
from bench.seed import BenchPki
from bench.stats import median_of, ratio, summarise_runs

PROBE_RATE = 20  # /healthz every 50 ms
PRIME_SECONDS = 3.0
MAX_ATTEMPTS = 3
MAX_READS = 6_000


def _strip(run: dict) -> dict:
    return {k: v for k, v in run.items() if k != "locations"}


@dataclass
class Servers:
    gateway: str
    ceiling: str


@dataclass
class ModeBench:
    config: BenchConfig
    pki: BenchPki
    factory: RequestFactory
    loads: LoadRunner
    work_dir: Path
    label: str
    observed_rates: dict[int, float] = field(default_factory=dict)  # clients -> best accepted/s seen
    read_estimate: float = 300.0
    next_index: int = 0
    next_discharge: int = 0
    application_paths: list[str] = field(default_factory=list)
    token: str = field(default_factory=lambda: secrets.token_hex(3))

    def say(self, what: str) -> None:
        print(f"[bench] {time.strftime('%H:%M:%S')} {self.label}: {what}", flush=True)

    # --- intake -----------------------------------------------------------------------------

    def intake(self, servers: Servers) -> dict:
        """Intake at each client count: the gateway, the verify ceiling, the verify-and-sign ceiling."""
        return {str(clients): self.intake_level(servers, clients) for clients in self.config.client_levels}

    def intake_level(self, servers: Servers, clients: int) -> dict:
        probe = clients == max(self.config.client_levels)
        runs: dict[str, list[dict]] = {"gateway": [], "verify": [], "verify_sign": [], "healthz": []}
        for rep in range(self.config.reps):
            self.say(f"intake at {clients} client(s), repetition {rep + 1} of {self.config.reps}")
            gateway, health, requests = self.gateway_intake(servers.gateway, clients, probe=probe)
            runs["gateway"].append(gateway)
            if health:
                runs["healthz"].append(health)
            for name, path in (("verify", "/verify"), ("verify_sign", "/verify-and-sign")):
                runs[name].append(self.loads.run(LoadSpec(name, servers.ceiling, requests, clients=clients,
                                                          expect=(202,), path=path, cycle=True))[0])
        summary = {name: summarise_runs(found) for name, found in runs.items() if found}
        accepted = median_of(summary["gateway"], "ok_per_s")
        summary["ratio_verify"] = ratio(accepted, median_of(summary["verify"], "ok_per_s"))
        summary["ratio_verify_sign"] = ratio(accepted, median_of(summary["verify_sign"], "ok_per_s"))
        summary["raw"] = {name: [_strip(r) for r in found] for name, found in runs.items() if found}
        return summary

    def gateway_intake(self, gateway_url: str, clients: int, *, probe: bool) -> tuple[dict, dict | None, Path]:
        """One closed-loop intake run on fresh applications (more are made if the run used them all)."""
        estimate = self.expected_rate(clients)
        for _ in range(MAX_ATTEMPTS):
            requests = self.first_mortgages(math.ceil(estimate * self.config.run_seconds) + 4 * clients,
                                            f"intake-{clients}")
            specs = [LoadSpec("intake", gateway_url, requests, clients=clients, expect=(202,))]
            if probe:
                specs.append(LoadSpec("healthz", gateway_url, rate=PROBE_RATE, probe="/healthz"))
            results = self.loads.run(*specs)
            main = results[0]
            self.observed_rates[clients] = max(self.observed_rates.get(clients, 0.0), main["ok_per_s"])
            if not main["exhausted"]:
                break
            estimate *= 2.5  # every request was used before the run ended: run it again with more
        self.application_paths += main.pop("locations")
        return main, (results[1] if probe else None), requests

    def expected_rate(self, clients: int) -> float:
        """Accepted/s to prepare for: this client count's best so far, else twice the best of any (else 100)."""
        if clients in self.observed_rates:
            return 1.5 * max(self.observed_rates[clients], 1.0)
        return 2.0 * max(self.observed_rates.values(), default=50.0)

    def prime(self, servers: Servers, clients: int = 4) -> None:
        """Unmeasured load on fresh servers (first requests in a process load code, keys and schemas)."""
        warm = LoadRunner(warmup=0, duration=PRIME_SECONDS, timeout=self.loads.timeout, work_dir=self.loads.work_dir,
                          log_dir=self.loads.log_dir)
        self.say(f"priming the servers with {clients} clients")
        requests = self.first_mortgages(math.ceil(self.expected_rate(clients) * PRIME_SECONDS) + 4 * clients, "prime")
        gateway = warm.run(LoadSpec("prime", servers.gateway, requests, clients=clients, expect=(202,)))[0]
        self.application_paths += gateway.pop("locations")
        warm.run(LoadSpec("prime-ceiling", servers.ceiling, requests, clients=clients, expect=(202,),
                          path="/verify-and-sign", cycle=True))

    def first_mortgages(self, count: int, name: str) -> Path:
        made = self.factory.first_mortgages(self.next_index, count, run=self.token, units=self.config.intake_units())
        self.next_index += count
        return write_requests(self.work_dir / f"{name}.pickle", made)

    # --- signed status reads -----------------------------------------------------------------------

    def reads(self, servers: Servers) -> dict:
        """HTTP-signed status reads at ``read_clients`` against the signature-only ceiling."""
        clients = self.config.read_clients
        if not self.application_paths:
            raise RuntimeError("no application was accepted in the intake runs, so there is nothing to read "
                               "(see the intake errors and the gateway's log)")
        runs: dict[str, list[dict]] = {"gateway": [], "ceiling": []}
        for rep in range(self.config.reps):
            self.say(f"signed status reads at {clients} clients, repetition {rep + 1} of {self.config.reps}")
            count = min(MAX_READS, math.ceil(self.read_estimate * self.config.run_seconds * 1.3))
            reads = write_requests(self.work_dir / "reads.pickle",
                                   self.factory.status_reads(self.application_paths[-2000:], count))
            gateway = self.loads.run(LoadSpec("reads", servers.gateway, reads, clients=clients, cycle=True))[0]
            self.read_estimate = max(self.read_estimate, gateway["ok_per_s"])
            runs["gateway"].append(gateway)
            runs["ceiling"].append(self.loads.run(LoadSpec("reads-ceiling", servers.ceiling, reads,
                                                           clients=clients, cycle=True))[0])
        summary = {name: summarise_runs(found) for name, found in runs.items()}
        summary["ratio"] = ratio(median_of(summary["gateway"], "ok_per_s"), median_of(summary["ceiling"], "ok_per_s"))
        summary["clients"] = clients
        summary["raw"] = {name: [_strip(r) for r in found] for name, found in runs.items()}
        return summary

    # --- the automatic result path ----------------------------------------------------------------

    def automatic_results(self, gateway_url: str, intake_summary: dict) -> dict:
        """Discharges by the mortgagee, submission to signed result, while intake runs at half its maximum."""
        best = max((median_of(level.get("gateway"), "ok_per_s") or 0) for level in intake_summary.values())
        half = max(1.0, best / 2)
        runs, background = [], []
        for rep in range(self.config.reps):
            self.say(f"automatic results under {half:.1f}/s of intake, repetition {rep + 1} of {self.config.reps}")
            intake = self.first_mortgages(math.ceil(half * self.config.run_seconds * 1.2) + 10, "half-load")
            discharges = self.discharges(math.ceil(self.config.auto_rate * self.config.run_seconds * 1.2) + 5)
            auto, load = self.loads.run(
                LoadSpec("auto", gateway_url, discharges, rate=self.config.auto_rate, expect=(200,),
                         result_path="/result", key=self.pki.bank.key_path, key_id=self.pki.bank.fingerprint),
                LoadSpec("half-load", gateway_url, intake, rate=half, expect=(202,)),
            )
            runs.append(_strip(auto))
            background.append(_strip(load))
        summary = summarise_runs(runs)
        summary.update(intake_rate_target=half, intake=summarise_runs(background), discharge_rate=self.config.auto_rate,
                       raw={"auto": runs, "half_load": background})
        return summary

    def discharges(self, count: int) -> Path:
        made = self.factory.discharges(self.next_discharge, count, run=self.token)
        self.next_discharge += count
        if self.next_discharge > self.config.discharge_units():
            raise RuntimeError("the register has no more mortgages to discharge; raise discharge_units")
        return write_requests(self.work_dir / "discharges.pickle", made)

    # --- several API processes ------------------------------------------------------------------------

    def scaling(self, servers: Servers, one_process: dict, clients: int) -> dict:
        """Intake at ``clients`` on N API processes, next to the ceiling on N processes, and the ratio to one."""
        runs: dict[str, list[dict]] = {"gateway": [], "verify_sign": []}
        for rep in range(self.config.reps):
            self.say(f"intake at {clients} clients on 2 API processes, repetition {rep + 1} of {self.config.reps}")
            gateway, _, requests = self.gateway_intake(servers.gateway, clients, probe=False)
            runs["gateway"].append(_strip(gateway))
            runs["verify_sign"].append(_strip(self.loads.run(LoadSpec(
                "verify_sign", servers.ceiling, requests, clients=clients, expect=(202,), path="/verify-and-sign",
                cycle=True))[0]))
        summary = {name: summarise_runs(found) for name, found in runs.items()}
        accepted = median_of(summary["gateway"], "ok_per_s")
        summary.update(
            clients=clients,
            ratio=ratio(accepted, median_of(one_process.get("gateway"), "ok_per_s")),
            ceiling_ratio=ratio(median_of(summary["verify_sign"], "ok_per_s"),
                                median_of(one_process.get("verify_sign"), "ok_per_s")),
            ratio_verify_sign=ratio(accepted, median_of(summary["verify_sign"], "ok_per_s")),
            raw=runs,
        )
        return summary
