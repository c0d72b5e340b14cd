"""Prepared requests: distinct valid signed applications and pre-signed status reads, made before timing.

Applications are built with ``tests.support.factories`` (the same canonical application and
signxml signature the tests use), each with its own request id, unit, amount and contract
numbers, and ``CreatedAt`` = the moment it is made: the benchmark makes each run's requests just
before that run, so they stay well inside the default ±600 s window. Signing is spread over a
process pool (one process per CPU); the servers are idle meanwhile.

A prepared request is ``(method, path, headers, body)``; a run's requests are pickled to a file
that the load generator (``bench.load``) reads.
"""
from __future__ import annotations

import hashlib
import pickle
import signal
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal
from functools import partial
from pathlib import Path

from bank_adapters import DischargeReason, MaterialRef, RegistrationType
from bench.seed import BenchPki, discharge_certificate_no, discharge_unit_code, intake_unit_code
from tests.support import factories

XML_HEADERS = {"Content-Type": "application/xml"}
DISCHARGE_EVIDENCE = b"%PDF-1.4 discharge_evidence (bench)\n"
CHUNK = 50

_worker_identity: dict = {}


def materials() -> dict[str, bytes]:
    """Every material the prepared applications reference; uploaded once per gateway by the bank."""
    return {**factories.MATERIALS, "DISCHARGE_EVIDENCE": DISCHARGE_EVIDENCE}


def _load_identity(key_path: str, cert_path: str) -> None:
    from signing.pki import load_private_key_pem
    from signing.trust import load_pem_certificates

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the benchmark's to handle; it shuts the pool down
    _worker_identity["key"] = load_private_key_pem(Path(key_path).read_bytes())
    _worker_identity["certificate"] = load_pem_certificates(Path(cert_path).read_bytes())[0]


class _Signer:
    """What ``factories.signed_request`` needs of an identity."""

    @property
    def key(self):
        return _worker_identity["key"]

    @property
    def certificate(self):
        return _worker_identity["certificate"]


def first_mortgage(index: int, *, run: str, units: int, now: datetime):
    """A first mortgage of intake unit ``index % units``, distinct in every field a bank varies."""
    return factories.application(
        request_id=f"BENCH-{run}-{index:07d}", created_at=now, unit_code=intake_unit_code(index % units),
        secured_amount=Decimal(200_000 + (index * 37) % 800_000) + Decimal("0.50"),
        loan_contract_no=f"BENCH-LOAN-{run}-{index:07d}", mortgage_contract_no=f"BENCH-MTG-{run}-{index:07d}",
    )


def discharge(index: int, *, run: str, now: datetime):
    """抵押权注销 of the bench bank's mortgage on discharge unit ``index``, filed by the bank (auto-approved)."""
    evidence = MaterialRef("DISCHARGE_EVIDENCE", "discharge_evidence.pdf", hashlib.sha256(DISCHARGE_EVIDENCE).hexdigest())
    return replace(
        factories.application(request_id=f"BENCH-{run}-D{index:06d}", created_at=now),
        registration_type=RegistrationType.MORTGAGE_DISCHARGE, unit_code=discharge_unit_code(index),
        referenced_certificate_no=discharge_certificate_no(index), discharge_reason=DischargeReason.DEBT_REPAID,
        materials=(evidence,), secured_amount=None, debt_start=None, debt_end=None, loan_contract_no=None,
        mortgage_contract_no=None, debtor=None,
    )


def _signed_chunk(indices: list[int], *, kind: str, run: str, units: int) -> list[tuple]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    made = []
    for index in indices:
        application = (first_mortgage(index, run=run, units=units, now=now) if kind == "first"
                       else discharge(index, run=run, now=now))
        made.append(("POST", "/v1/applications", XML_HEADERS, factories.signed_request(application, _Signer())))
    return made


def _signed_reads_chunk(paths: list[str], *, key_id: str) -> list[tuple]:
    from signing.httpsig import sign_headers

    return [("GET", path, sign_headers(method="GET", url=f"http://127.0.0.1{path}", headers={}, body=b"",
                                       key_id=key_id, private_key=_worker_identity["key"]), b"")
            for path in paths]


class RequestFactory:
    """A process pool signing as the bench bank; ``close`` when done."""

    def __init__(self, pki: BenchPki, *, processes: int):
        self._pool = ProcessPoolExecutor(max_workers=processes, initializer=_load_identity,
                                         initargs=(str(pki.bank.key_path), str(pki.bank.cert_path)))
        self._key_id = pki.bank.fingerprint

    def first_mortgages(self, start: int, count: int, *, run: str, units: int) -> list[tuple]:
        return self._map(partial(_signed_chunk, kind="first", run=run, units=units), list(range(start, start + count)))

    def discharges(self, start: int, count: int, *, run: str) -> list[tuple]:
        return self._map(partial(_signed_chunk, kind="discharge", run=run, units=0), list(range(start, start + count)))

    def status_reads(self, application_paths: list[str], count: int) -> list[tuple]:
        """``count`` status reads cycling over the applications, each freshly HTTP-signed."""
        paths = [application_paths[i % len(application_paths)] for i in range(count)]
        return self._map(partial(_signed_reads_chunk, key_id=self._key_id), paths)

    def _map(self, function, items: list) -> list[tuple]:
        chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
        return [request for made in self._pool.map(function, chunks) for request in made]

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


def write_requests(path: Path, requests: list[tuple]) -> Path:
    path.write_bytes(pickle.dumps(requests, protocol=pickle.HIGHEST_PROTOCOL))
    return path
