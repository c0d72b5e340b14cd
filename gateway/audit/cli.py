"""CLI commands: ``gateway audit verify | checkpoint | accesses``."""
from __future__ import annotations

import sys
from pathlib import Path

from gateway.settings import get_settings


def add_commands(subparsers) -> None:
    """Add this area's commands to the CLI's ``subparsers``."""
    verify = subparsers.add_parser("verify", help="re-walk the audit chain and check every checkpoint signature "
                                   "(exit code 1 if anything is wrong)")
    verify.set_defaults(handler=_verify)
    checkpoint = subparsers.add_parser("checkpoint", help="sign a checkpoint of the audit chain now")
    checkpoint.set_defaults(handler=_checkpoint)
    report = subparsers.add_parser("accesses", help="who looked at a unit's or a person's data")
    which = report.add_mutually_exclusive_group(required=True)
    which.add_argument("--unit-code", help="the 28-character unit code")
    which.add_argument("--id-number-stdin", action="store_true",
                       help="read the person's ID number from stdin (never on the command line)")
    report.add_argument("--format", choices=["table", "csv", "pdf"], default="table")
    report.add_argument("--out", type=Path, help="file for csv or pdf (required for pdf)")
    report.set_defaults(handler=_accesses)


def _runtime():
    from gateway.runtime import Runtime

    return Runtime.from_settings(get_settings())


def _verify(args) -> int:
    from gateway.audit.verify import verify
    from gateway.keys import load_trust_store
    from gateway.persistence.db import read_only

    runtime = _runtime()
    anchors = tuple(load_trust_store(runtime.settings).anchors)
    with read_only(runtime.read_sessions) as session:
        report = verify(session, trusted=anchors, current=runtime.signer.certificate)
    print(f"entries {report.entries}, last {report.last_seq}; checkpoints {report.checkpoints}, "
          f"valid {report.checkpoints_valid}; problems {report.problem_count}")
    if report.ok:
        print("audit trail intact")
        return 0
    print(f"FIRST PROBLEM: {report.first}")
    for problem in report.problems[1:]:
        print(f"  also: {problem}")
    return 1


def _checkpoint(args) -> None:
    from gateway.audit.checkpoints import make_checkpoint

    checkpoint = make_checkpoint(_runtime())
    if checkpoint is None:
        print("nothing new to sign: the last checkpoint covers the whole chain")
    else:
        print(f"checkpoint signed up to entry {checkpoint.seq} ({checkpoint.entry_hash})"
              + (", time-stamped" if checkpoint.timestamp_token else ""))


def _accesses(args) -> None:
    from gateway.admin.actions import cli_actor
    from gateway.audit import service
    from gateway.audit.accesses import Query
    from gateway.audit.reads import write_reads
    from gateway.errors import InvalidRequest

    id_number = sys.stdin.readline().strip() if args.id_number_stdin else None
    query = Query.of(unit_code=args.unit_code, id_number=id_number)
    if args.format == "pdf" and args.out is None:
        raise InvalidRequest("--format pdf needs --out FILE", code="audit.out_required")
    runtime = _runtime()
    report = service.run_report(runtime, query, actor=cli_actor(), actor_role="cli", form=args.format)
    write_reads(runtime, [report.entry])  # recorded before anything is shown
    if args.format == "table":
        print(f"{query.shown_as}: {len(report.rows)} entries")
        for r in report.rows:
            print(f"{r.seq}\t{r.local_time}\t{r.actor}\t{r.actor_role}\t{r.action}\t{r.what}\t{r.purpose or ''}")
        return
    content = service.csv_of(report) if args.format == "csv" else service.pdf_of(runtime, report)
    if args.out is None:
        sys.stdout.buffer.write(content)
    else:
        args.out.write_bytes(content)
        print(f"{len(report.rows)} entries written to {args.out}")
