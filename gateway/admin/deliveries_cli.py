"""CLI commands: ``gateway deliveries list | show | redrive``."""
from __future__ import annotations

from gateway.settings import get_settings


def add_commands(subparsers) -> None:
    """Add this area's commands to the CLI's ``subparsers``."""
    listing = subparsers.add_parser("list", help="list deliveries")
    listing.add_argument("--status", choices=["pending", "delivered", "dead"])
    listing.set_defaults(handler=_list)
    show = subparsers.add_parser("show", help="show a delivery and every attempt made")
    show.add_argument("delivery_id", type=int)
    show.set_defaults(handler=_show)
    redrive = subparsers.add_parser("redrive", help="re-drive a dead-lettered delivery to the current callback URL")
    redrive.add_argument("delivery_id", type=int)
    redrive.set_defaults(handler=_redrive)


def _runtime():
    from gateway.runtime import Runtime

    return Runtime.from_settings(get_settings())


def _list(args) -> None:
    from gateway.delivery.service import describe, list_deliveries
    from gateway.persistence.db import read_only

    runtime = _runtime()
    with read_only(runtime.read_sessions) as session:
        for d in list_deliveries(session, status=args.status):
            kind = describe(session, d).document_kind
            print(f"{d.id}\t{d.status}\t{d.attempts}\t{kind}\t{d.url}\t{d.last_error or ''}")


def _show(args) -> None:
    from gateway.delivery.service import attempts_of, describe, get_delivery, institution_codes, redrives_of
    from gateway.persistence.db import read_only

    runtime = _runtime()
    with read_only(runtime.read_sessions) as session:
        d = get_delivery(session, args.delivery_id)
        code = institution_codes(session, [d])[d.institution_id]
        described = describe(session, d)
        inbox = "" if described.inbox_sequence is None else f", inbox entry {described.inbox_sequence}"
        print(f"delivery {d.id}: {d.status}, application {described.application_no or '-'}, "
              f"document {described.document_kind}{inbox}, institution {code}")
        print(f"url {d.url}")
        print(f"attempts since the last re-drive {d.attempts}; next attempt due {_time(d.next_attempt_at)}")
        for action in redrives_of(session, d.id):
            print(f"re-driven {_time(action.at)} by {action.actor}")
        print("at\toutcome\tstatus\tms\turl\terror")
        for a in attempts_of(session, d.id):
            print(f"{_time(a.at)}\t{a.outcome}\t{a.status_code or ''}\t{'' if a.duration_ms is None else a.duration_ms}"
                  f"\t{a.url}\t{a.error or ''}")


def _time(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def _redrive(args) -> None:
    from gateway.admin.actions import cli_actor
    from gateway.delivery.service import redrive
    from gateway.persistence.db import transaction
    from gateway.persistence.types import utcnow

    runtime = _runtime()
    with transaction(runtime.sessions) as session:
        url = redrive(session, args.delivery_id, actor=cli_actor(), at=utcnow()).url
    runtime.wait_idle()
    print(f"delivery {args.delivery_id} re-driven to {url}")
