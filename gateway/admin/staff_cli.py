"""CLI commands: staff (to be filled in)."""
from __future__ import annotations


def add_commands(subparsers) -> None:
    """Add this area's commands to the CLI's ``subparsers``."""
