"""CLI commands: staff accounts — ``gateway user list | disable | enable | reset-password | set-role |
reset-totp`` (``user add`` is in :mod:`gateway.cli`).

Each change goes through :mod:`gateway.staff.accounts`, like the API and the admin pages, and is
recorded with the operating-system account that ran the command. ``reset-totp`` is also how an
operator lets the last administrator back in after losing the phone with the authenticator.
"""
from __future__ import annotations

import argparse
import sys


def add_commands(subparsers) -> None:
    """Add this area's commands to the CLI's ``subparsers``."""
    subparsers.add_parser("list", help="list staff accounts: role, institution, status, second factor"
                          ).set_defaults(handler=_list)

    for name, handler, text in (("disable", _disable, "disable an account: ends its web sessions, refuses its tokens"),
                                ("enable", _enable, "enable a disabled account again"),
                                ("reset-totp", _reset_totp, "remove an account's second factor (lost phone)")):
        command = subparsers.add_parser(name, help=text)
        command.add_argument("--username", required=True)
        command.set_defaults(handler=handler)

    reset = subparsers.add_parser("reset-password", help="set a password to be replaced at the next sign-in")
    reset.add_argument("--username", required=True)
    reset.add_argument("--password-stdin", action="store_true", required=True, help="read the password from stdin")
    reset.set_defaults(handler=_reset_password)

    role = subparsers.add_parser("set-role", help="give an account another role")
    role.add_argument("--username", required=True)
    role.add_argument("--role", required=True, help="clerk, reviewer, supervisor or admin")
    role.add_argument("--institution", help="institution code (clerks)")
    role.set_defaults(handler=_set_role)


def _sessions(*, writing: bool):
    from gateway.persistence.db import make_engine, make_read_session_factory, make_session_factory
    from gateway.settings import get_settings

    engine = make_engine(get_settings().effective_database_url)
    return make_session_factory(engine) if writing else make_read_session_factory(engine)


def _list(args: argparse.Namespace) -> None:
    from gateway.persistence.db import read_only
    from gateway.staff import accounts
    from gateway.staff.sign_in import has_second_factor

    with read_only(_sessions(writing=False)) as session:
        codes = accounts.institution_codes(session)
        print("username\trole\tinstitution\tstatus\ttotp\tpassword_reset_required")
        for user in accounts.list_users(session):
            print("\t".join((user.username, user.role, codes.get(user.institution_id) or "-",
                             "active" if user.active else "disabled", "yes" if has_second_factor(user) else "no",
                             "yes" if user.password_reset_required else "no")))


def _change(operation: str, args: argparse.Namespace, **values) -> None:
    from gateway.admin.actions import cli_actor
    from gateway.persistence.db import transaction
    from gateway.persistence.types import utcnow
    from gateway.staff import accounts

    with transaction(_sessions(writing=True)) as session:
        getattr(accounts, operation)(session, username=args.username, actor=cli_actor(), now=utcnow(), **values)


def _disable(args: argparse.Namespace) -> None:
    _change("disable", args)
    print(f"user {args.username} disabled: signed out of the web, tokens refused")


def _enable(args: argparse.Namespace) -> None:
    _change("enable", args)
    print(f"user {args.username} enabled")


def _reset_totp(args: argparse.Namespace) -> None:
    _change("reset_totp", args)
    print(f"user {args.username}: second factor removed; they may enrol again at /account/security")


def _reset_password(args: argparse.Namespace) -> None:
    _change("reset_password", args, password=sys.stdin.readline().rstrip("\n"))
    print(f"user {args.username}: password reset; a new one must be chosen at the next sign-in (web)")


def _set_role(args: argparse.Namespace) -> None:
    _change("set_role", args, role=args.role, institution_code=args.institution)
    print(f"user {args.username} is now {args.role}")
