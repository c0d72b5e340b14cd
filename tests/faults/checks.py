"""The one check every fault test ends with: the whole database, and what the bank received.

After the faults and the recovery, nothing may be lost or done twice: every accepted application
has exactly one receipt, one result, one registration and one certificate; application and
certificate numbers are unique and gapless; every result was delivered to the bank's callback at
least once, every copy under the same delivery id (``X-Gateway-Delivery-Id``) with the same bytes.

Plain SQL on ids, numbers, kinds and hashes only: none of it holds personal data, so the check
reads the same whatever is encrypted at rest.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass

from sqlalchemy import create_engine, text

from tests.support.callbacks import CallbackReceiver

CERTIFICATE_NO = re.compile(r"\((\d{4})\).*第(\d+)号$")
HISTORY = ["submit", "claim", "approve", "register"]


@dataclass(frozen=True)
class Counts:
    """What the check counted; printed by each fault test."""

    applications: int
    receipts: int
    results: int
    registrations: int
    certificates: int
    application_numbers: str  # "first..last" of each day's series
    certificate_numbers: str  # "first..last" of each year's series
    deliveries: int
    delivered: int
    delivery_attempts: int
    callbacks_received: int
    callbacks_received_twice_or_more: int

    def line(self) -> str:
        return ", ".join(f"{name}={value}" for name, value in asdict(self).items())


def progress(database_url: str) -> dict[str, int]:
    """How far the background work has got: registered applications, certificates, delivered results."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            def count(sql: str) -> int:
                return int(connection.execute(text(sql)).scalar_one())

            return {
                "applications": count("SELECT count(*) FROM applications"),
                "registered": count("SELECT count(*) FROM applications WHERE status = 'REGISTERED'"),
                "certificates": count("SELECT count(*) FROM certificates"),
                "results": count("SELECT count(*) FROM signed_documents WHERE kind = 'result'"),
                "delivered": count("SELECT count(*) FROM deliveries d JOIN signed_documents s ON s.id = d.document_id "
                                   "WHERE d.status = 'delivered' AND s.kind = 'result'"),
                # every callback (results, and the certificates' XML twins) sent
                "undelivered": count("SELECT count(*) FROM deliveries WHERE status <> 'delivered'"),
            }
    finally:
        engine.dispose()


def check_everything(database_url: str, receiver: CallbackReceiver, *, accepted: dict[str, bytes]) -> Counts:
    """Check the whole database and the callbacks received; fails naming every problem found.

    ``accepted``: request id -> the receipt the bank holds for it (each application the bank was
    told was accepted). Every application in the database must be one of them, and all approved.
    """
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = _read(connection)
    finally:
        engine.dispose()
    problems: list[str] = []
    problems += _check_applications(rows, accepted)
    problems += _check_numbers([a["application_no"] for a in rows["applications"]], _application_serial,
                               "application")
    problems += _check_numbers([e["certificate_no"] for e in rows["entries"]], _certificate_serial, "certificate")
    callbacks, twice = _check_callbacks(rows, receiver, problems)
    assert not problems, f"{len(problems)} problem(s) after recovery:\n" + "\n".join(problems[:20])
    kinds = Counter(d["kind"] for d in rows["documents"])
    return Counts(
        applications=len(rows["applications"]), receipts=kinds["receipt"], results=kinds["result"],
        registrations=len(rows["entries"]), certificates=len(rows["certificates"]),
        application_numbers=_ranges([a["application_no"] for a in rows["applications"]], _application_serial),
        certificate_numbers=_ranges([e["certificate_no"] for e in rows["entries"]], _certificate_serial),
        deliveries=len(rows["deliveries"]), delivered=sum(d["status"] == "delivered" for d in rows["deliveries"]),
        delivery_attempts=rows["attempts"], callbacks_received=callbacks, callbacks_received_twice_or_more=twice,
    )


def _read(connection) -> dict:
    def all_rows(sql: str) -> list[dict]:
        return [dict(row._mapping) for row in connection.execute(text(sql))]

    return {
        "applications": all_rows("SELECT id, application_no, request_id, status FROM applications"),
        "documents": all_rows("SELECT id, application_id, kind, sha256 FROM signed_documents"),
        "entries": all_rows("SELECT id, application_id, certificate_no FROM registration_entries"),
        "certificates": all_rows("SELECT id, application_id, registration_entry_id, certificate_no FROM certificates"),
        "deliveries": all_rows("SELECT d.id, d.application_id, d.document_id, d.status, e.sha256 AS entry_sha256 "
                               "FROM deliveries d LEFT JOIN inbox_entries e ON e.id = d.inbox_entry_id"),
        "events": all_rows("SELECT application_id, action FROM application_events ORDER BY id"),
        "attempts": connection.execute(text("SELECT count(*) FROM delivery_attempts")).scalar_one(),
    }


def _check_applications(rows: dict, accepted: dict[str, bytes]) -> list[str]:
    problems = []
    by_request = Counter(a["request_id"] for a in rows["applications"])
    problems += [f"request id {r} stored {n} times" for r, n in by_request.items() if n > 1]
    problems += [f"accepted request {r} is not in the database" for r in accepted if r not in by_request]
    problems += [f"request {r} is in the database but the bank was never told it was accepted"
                 for r in by_request if r not in accepted]
    per_application: dict[int, Counter] = defaultdict(Counter)
    for document in rows["documents"]:
        per_application[document["application_id"]][document["kind"]] += 1
    for entry in rows["entries"]:
        per_application[entry["application_id"]]["registration"] += 1
    for certificate in rows["certificates"]:
        per_application[certificate["application_id"]]["certificate"] += 1
    receipts: dict[int, set[str]] = defaultdict(set)  # by hash: the stored bytes may be encrypted
    for document in rows["documents"]:
        if document["kind"] == "receipt":
            receipts[document["application_id"]].add(document["sha256"])
    history: dict[int, list[str]] = defaultdict(list)
    for event in rows["events"]:
        history[event["application_id"]].append(event["action"])
    for application in rows["applications"]:
        number, found = application["application_no"], per_application[application["id"]]
        if application["status"] != "REGISTERED":
            problems.append(f"{number} is {application['status']}, not REGISTERED")
        for kind in ("request", "receipt", "result", "registration", "certificate"):
            if found[kind] != 1:
                problems.append(f"{number} has {found[kind]} {kind}(s), not exactly one")
        if history[application["id"]] != HISTORY:
            problems.append(f"{number}'s history is {history[application['id']]}, not {HISTORY}")
        held = accepted.get(application["request_id"])
        if held is not None and hashlib.sha256(held).hexdigest() not in receipts[application["id"]]:
            problems.append(f"{number}: the receipt the bank holds is not the stored one")
    entry_numbers = {e["id"]: e["certificate_no"] for e in rows["entries"]}
    problems += [f"certificate {c['certificate_no']} does not carry its registration's number"
                 for c in rows["certificates"] if entry_numbers.get(c["registration_entry_id"]) != c["certificate_no"]]
    return problems


def _application_serial(number: str) -> tuple[str, int]:
    return number[:-6], int(number[-6:])  # area code and day, then the day's serial


def _certificate_serial(number: str) -> tuple[str, int]:
    match = CERTIFICATE_NO.search(number)
    assert match, f"unexpected certificate number {number}"
    return match.group(1), int(match.group(2))


def _series(numbers: list[str], split) -> dict[str, list[int]]:
    series: dict[str, list[int]] = defaultdict(list)
    for number in numbers:
        prefix, serial = split(number)
        series[prefix].append(serial)
    return series


def _check_numbers(numbers: list[str], split, what: str) -> list[str]:
    problems = [f"{what} number {n} given {c} times" for n, c in Counter(numbers).items() if c > 1]
    for prefix, serials in _series(numbers, split).items():
        if sorted(serials) != list(range(1, len(serials) + 1)):
            missing = sorted(set(range(1, max(serials) + 1)) - set(serials))
            problems.append(f"{what} numbers of {prefix} are not gapless from 1: missing {missing[:10]}")
    return problems


def _ranges(numbers: list[str], split) -> str:
    return "; ".join(f"{prefix}: {min(s)}..{max(s)}" for prefix, s in sorted(_series(numbers, split).items()))


def _check_callbacks(rows: dict, receiver: CallbackReceiver, problems: list[str]) -> tuple[int, int]:
    """Every delivery delivered, and received at least once, always under its own id with its own bytes."""
    documents = {d["id"]: d for d in rows["documents"]}
    numbers = {a["id"]: a["application_no"] for a in rows["applications"]}
    deliveries = {str(d["id"]): d for d in rows["deliveries"]}
    results = {d["id"] for d in rows["documents"] if d["kind"] == "result"}
    undelivered_results = results - {d["document_id"] for d in rows["deliveries"]}
    problems += [f"result document {r} has no delivery" for r in sorted(undelivered_results)]
    received: dict[str, list] = defaultdict(list)
    for callback in list(receiver.received):
        headers = {name.lower(): value for name, value in callback.headers.items()}
        received[headers.get("x-gateway-delivery-id", "(none)")].append((headers, callback.body))
    for delivery_id, copies in received.items():
        delivery = deliveries.get(delivery_id)
        if delivery is None:
            problems.append(f"a callback came with delivery id {delivery_id}, which is no delivery")
            continue
        # an inbox entry's bytes (a result, a certificate's XML twin), or a pre-inbox delivery's document
        expected = delivery["entry_sha256"] or documents[delivery["document_id"]]["sha256"]
        for headers, body in copies:
            if hashlib.sha256(body).hexdigest() != expected:
                problems.append(f"delivery {delivery_id} came with bytes other than its document's")
            if headers.get("x-gateway-application-no") != numbers.get(delivery["application_id"]):
                problems.append(f"delivery {delivery_id} came with another application's number")
    for delivery_id, delivery in deliveries.items():
        if delivery["status"] != "delivered":
            problems.append(f"delivery {delivery_id} is {delivery['status']}")
        if not received.get(delivery_id):
            problems.append(f"delivery {delivery_id} never reached the bank")
    return sum(len(c) for c in received.values()), sum(len(c) > 1 for c in received.values())
