"""CLI commands: institutions' certificates — ``gateway institution certificates | revoke-cert |
trust-anchors | import-crl`` (``add-cert`` is declared with ``add`` in :mod:`gateway.cli`)."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from gateway.institutions.certificate_checks import STATUSES


def add_commands(subparsers) -> None:
    """Add this area's commands to the CLI's ``subparsers`` (those of ``gateway institution``)."""
    listing = subparsers.add_parser("certificates", help="list registered certificates, soonest to expire first")
    listing.add_argument("--code", help="only this institution's certificates")
    listing.add_argument("--expiring", metavar="Nd", help="only unrevoked ones expiring within N days, e.g. 30d")
    listing.add_argument("--status", choices=STATUSES)
    listing.set_defaults(handler=list_certificates)

    revoke = subparsers.add_parser("revoke-cert", help="revoke a certificate (refused from the next request)")
    revoke.add_argument("--fingerprint", required=True, help="SHA-256 of the certificate (as listed)")
    revoke.add_argument("--reason", required=True)
    revoke.set_defaults(handler=revoke_certificate)

    subparsers.add_parser("trust-anchors", help="list the configured trust anchors").set_defaults(handler=trust_anchors)

    crl = subparsers.add_parser("import-crl", help="revoke the registered certificates a trust anchor's CRL lists")
    crl.add_argument("file", type=Path, help="the CRL, DER or PEM")
    crl.set_defaults(handler=import_crl)


def add_certificate(args: argparse.Namespace) -> None:
    """``gateway institution add-cert --code C --cert FILE``."""
    from gateway.admin.actions import cli_actor
    from gateway.institutions.certificates import register_certificate
    from gateway.persistence.db import transaction

    runtime = _runtime()
    with transaction(runtime.sessions) as session:
        added = register_certificate(session, code=args.code, cert_pem=_read(args.cert), trust=runtime.trust,
                                     actor=cli_actor(), request_id=None)
        print(f"certificate {added.fingerprint} registered to {args.code} (valid until {_utc(added.not_after)})")


def list_certificates(args: argparse.Namespace) -> None:
    from gateway.institutions.certificate_checks import parse_period
    from gateway.institutions.certificates import list_certificates as rows_of
    from gateway.persistence.db import read_only
    from gateway.persistence.types import utcnow

    days = parse_period(args.expiring) if args.expiring is not None else None
    runtime = _runtime()
    with read_only(runtime.read_sessions) as session:
        rows = rows_of(session, now=utcnow(), institution_code=args.code, status=args.status,
                       expiring_within_days=days)
    warning_days = runtime.settings.certificate_expiry_warning_days
    print("not_after\tdays_left\tstatus\tinstitution\tfingerprint\tsubject")
    for row in rows:
        flag = " !" if row.expires_within(warning_days) else ""
        print(f"{_utc(row.not_after)}\t{row.expires_in_days:.1f}{flag}\t{row.status}\t{row.institution_code}\t"
              f"{row.fingerprint}\t{row.subject}")
    if days is not None:
        print(f"{len(rows)} certificate(s) expiring within {days} days", file=sys.stderr)


def revoke_certificate(args: argparse.Namespace) -> None:
    from gateway.admin.actions import cli_actor
    from gateway.institutions.certificates import revoke
    from gateway.persistence.db import transaction

    runtime = _runtime()
    with transaction(runtime.sessions) as session:
        revoked = revoke(session, fingerprint=args.fingerprint, reason=args.reason, actor=cli_actor(),
                         request_id=None)
        print(f"certificate {revoked.fingerprint} of {revoked.institution.code} revoked at {_utc(revoked.revoked_at)}")


def trust_anchors(args: argparse.Namespace) -> None:
    from gateway.institutions.certificates import trust_anchors as anchors_of
    from gateway.persistence.types import utcnow

    print("fingerprint\tnot_before\tnot_after\tstatus\tsubject")
    for row in anchors_of(_runtime().trust, now=utcnow()):
        print(f"{row.fingerprint}\t{_utc(row.not_before)}\t{_utc(row.not_after)}\t{row.status}\t{row.subject}")


def import_crl(args: argparse.Namespace) -> None:
    from gateway.admin.actions import cli_actor
    from gateway.institutions.crl import import_crl as run_import
    from gateway.persistence.db import transaction

    runtime = _runtime()
    with transaction(runtime.sessions) as session:
        report = run_import(session, data=_read(args.file), trust=runtime.trust, actor=cli_actor(), request_id=None)
    for fingerprint in report.revoked:
        print(f"revoked {fingerprint}")
    print(f"CRL of trust anchor {report.issuer_fingerprint}: {report.listed} serial(s) listed, "
          f"{len(report.revoked)} registered certificate(s) revoked, {len(report.already_revoked)} already revoked")
    if report.stale:
        print(f"warning: the CRL's nextUpdate ({_utc(report.next_update)}) has passed; import the CA's newer CRL too",
              file=sys.stderr)


def _read(path: Path) -> bytes:
    from gateway.errors import InvalidRequest

    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidRequest(f"cannot read {path}: {exc.strerror}", code="file.unreadable") from None


def _utc(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else "-"


def _runtime():
    from gateway.cli import _runtime as runtime

    return runtime()
