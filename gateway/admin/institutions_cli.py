"""CLI commands: institutions — ``gateway institution list | show | update | disable | enable | purposes``.

Each change goes through :mod:`gateway.institutions.administration`, like the API and the admin
pages, and is recorded with the operating-system account that ran the command.
"""
from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parser is built on every command: import the database layer only when used
    from gateway.institutions.administration import InstitutionView


def add_commands(subparsers) -> None:
    """Add this area's commands to the CLI's ``subparsers``."""
    listing = subparsers.add_parser("list", help="list institutions: kind, status, head institution, "
                                                 "certificates, callback URL")
    listing.set_defaults(handler=_list)

    show = subparsers.add_parser("show", help="one institution: certificates, branches and recorded changes")
    show.add_argument("--code", required=True)
    show.set_defaults(handler=_show)

    update = subparsers.add_parser("update", help="change an institution's name, callback URL or output format")
    update.add_argument("--code", required=True)
    update.add_argument("--name")
    url = update.add_mutually_exclusive_group()
    url.add_argument("--callback-url", help="https (plain http only to a loopback host)")
    url.add_argument("--no-callback-url", action="store_true", help="remove the callback URL (results by pull only)")
    update.add_argument("--output-format", choices=("xml", "json"),
                        help="how its documents not tied to one submission are signed: xml (XMLDSig) or json (JWS)")
    update.set_defaults(handler=_update)

    disable = subparsers.add_parser("disable", help="refuse an institution's (and its branches') requests")
    disable.add_argument("--code", required=True)
    disable.add_argument("--reason", required=True)
    disable.set_defaults(handler=_disable)

    enable = subparsers.add_parser("enable", help="accept a disabled institution's requests again")
    enable.add_argument("--code", required=True)
    enable.set_defaults(handler=_enable)

    purposes = subparsers.add_parser("purposes", help="a department's allowed query purposes: list, grant, revoke")
    purposes.add_argument("--code", required=True)
    purposes.add_argument("--grant", nargs="+", default=[], metavar="PURPOSE", help="purpose codes to allow")
    purposes.add_argument("--revoke", nargs="+", default=[], metavar="PURPOSE", help="purpose codes to withdraw")
    purposes.set_defaults(handler=_purposes)


def _runtime():
    from gateway.runtime import Runtime
    from gateway.settings import get_settings

    return Runtime.from_settings(get_settings())


def _list(args: argparse.Namespace) -> None:
    from gateway.institutions.administration import overview
    from gateway.persistence.db import read_only

    with read_only(_runtime().read_sessions) as session:
        print("code\tkind\tstatus\thead\tcertificates\tnext_expiry\tcallback_url\tname")
        for view in overview(session):
            print("\t".join(_row(view)))


def _row(view: InstitutionView) -> list[str]:
    institution = view.institution
    current = [c for c in view.certificates if c.revoked_at is None]
    expiry = min((c.not_after for c in current), default=None)
    return [institution.code, institution.kind, _status(view), view.parent.code if view.parent else "-",
            f"{len(current)}/{len(view.certificates)}", expiry.strftime("%Y-%m-%dT%H:%MZ") if expiry else "-",
            institution.callback_url or "-", institution.name]


def _status(view: InstitutionView) -> str:
    if view.institution.status == "active" and not view.accepts_requests:
        return "active (head institution disabled)"
    return view.institution.status


def _show(args: argparse.Namespace) -> None:
    from gateway.institutions.administration import history, view_of
    from gateway.persistence.db import read_only

    with read_only(_runtime().read_sessions) as session:
        view = view_of(session, args.code)
        institution = view.institution
        print(f"code: {institution.code}\nname: {institution.name}\nkind: {institution.kind}")
        print(f"status: {_status(view)}")
        if institution.disabled_at:
            print(f"disabled: {_time(institution.disabled_at)} ({institution.disabled_reason})")
        print(f"head institution: {view.parent.code if view.parent else '-'}")
        print(f"branches: {', '.join(b.code for b in view.branches) or '-'}")
        print(f"callback URL: {institution.callback_url or '- (results by pull only)'}")
        print(f"output format: {institution.output_format or 'xml'}")
        if institution.department_role:
            from gateway.departments.grants import purposes_of

            print(f"department role: {institution.department_role}")
            print(f"purposes: {', '.join(purposes_of(session, institution)) or '-'}")
        print("certificates:")
        for c in view.certificates:
            state = f"revoked {_time(c.revoked_at)}" if c.revoked_at else "current"
            print(f"  {c.fingerprint}\t{_time(c.not_before)} .. {_time(c.not_after)}\t{state}\t{c.subject}")
        print("recorded changes:")
        for action in history(session, args.code):
            details = json.dumps(action.details, ensure_ascii=False, sort_keys=True) if action.details else ""
            print(f"  {_time(action.at)}\t{action.actor}\t{action.action}\t{details}")


def _time(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _update(args: argparse.Namespace) -> None:
    from gateway.admin.actions import cli_actor
    from gateway.institutions.administration import UNCHANGED, update_institution
    from gateway.persistence.db import transaction

    callback_url = None if args.no_callback_url else (args.callback_url if args.callback_url is not None else UNCHANGED)
    with transaction(_runtime().sessions) as session:
        update_institution(session, args.code, actor=cli_actor(), request_id=None,
                           name=args.name if args.name is not None else UNCHANGED, callback_url=callback_url,
                           output_format=args.output_format or UNCHANGED)
    print(f"institution {args.code} updated")


def _disable(args: argparse.Namespace) -> None:
    from gateway.admin.actions import cli_actor
    from gateway.institutions.administration import disable_institution
    from gateway.persistence.db import transaction

    with transaction(_runtime().sessions) as session:
        disable_institution(session, args.code, actor=cli_actor(), request_id=None, reason=args.reason)
    print(f"institution {args.code} disabled: its requests are refused (institution.disabled)")


def _enable(args: argparse.Namespace) -> None:
    from gateway.admin.actions import cli_actor
    from gateway.institutions.administration import enable_institution
    from gateway.persistence.db import transaction

    with transaction(_runtime().sessions) as session:
        enable_institution(session, args.code, actor=cli_actor(), request_id=None)
    print(f"institution {args.code} enabled")


def _purposes(args: argparse.Namespace) -> None:
    """Change (when --grant or --revoke is given), then print the allowed purposes, one a line."""
    from gateway.admin.actions import cli_actor
    from gateway.departments.grants import change_purposes, purposes_of
    from gateway.departments.purposes import PURPOSES
    from gateway.departments.roles import require_department
    from gateway.institutions.administration import institution_by_code
    from gateway.persistence.db import transaction

    with transaction(_runtime().sessions) as session:
        institution = institution_by_code(session, args.code, for_update=True)
        require_department(institution)
        if args.grant or args.revoke:
            change_purposes(session, institution, grant=args.grant, revoke=args.revoke, actor=cli_actor(),
                            request_id=None)
        allowed = purposes_of(session, institution)
    for code in allowed:
        purpose = PURPOSES.get(code)
        print(f"{code}\t{purpose.zh if purpose else '-'}\t{purpose.query if purpose else '-'}")
