"""CLI commands: ``gateway keys status | rotate`` (docs/operations.md, "Keys of personal data")."""
from __future__ import annotations

import argparse
import sys
from collections import Counter

from gateway.errors import GatewayError
from gateway.settings import get_settings


def add_commands(subparsers) -> None:
    """Add the ``keys`` commands to the CLI's ``subparsers``."""
    status = subparsers.add_parser("status", help="list the data keys and how many stored values use each")
    status.set_defaults(handler=_status)
    rotate = subparsers.add_parser(
        "rotate", help="make a new current data key and re-encrypt every stored value under it, in batches")
    rotate.add_argument("--resume", action="store_true",
                        help="make no new key: finish moving values onto the current key (after an interruption)")
    rotate.add_argument("--batch-size", type=_positive, default=500, help="rows per transaction (default 500)")
    rotate.set_defaults(handler=_rotate)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _engine_and_keyring():
    from gateway.persistence.db import make_engine
    from gateway.protection.registry import install_for

    settings = get_settings()
    return make_engine(settings.effective_database_url), install_for(settings)


def _status(args) -> None:
    from gateway.protection.rotation import status

    engine, keyring = _engine_and_keyring()
    counts = status(engine)
    totals: Counter = Counter()
    for per_key in counts.values():
        totals.update(per_key)
    current = keyring.current_key_id()
    for key_id in dict.fromkeys([*keyring.provider.key_ids(), *totals]):
        marker = "current" if key_id == current else ("held" if key_id in keyring.provider.key_ids() else "MISSING")
        print(f"{key_id}\t{marker}\t{totals.get(key_id, 0)} values")
    for (table, column), per_key in counts.items():
        print(f"  {table}.{column}\t" + ", ".join(f"{k}: {n}" for k, n in sorted(per_key.items())) if per_key
              else f"  {table}.{column}\t(empty)")
    engine.dispose()


def _rotate(args) -> None:
    from tqdm import tqdm

    from gateway.admin.actions import cli_actor, record
    from gateway.persistence.db import make_session_factory, transaction
    from gateway.protection.keyring import FileKeyProvider
    from gateway.protection.rotation import rotate, total_rows

    engine, keyring = _engine_and_keyring()
    provider = keyring.provider
    if not args.resume:
        if isinstance(provider, FileKeyProvider):
            print(f"new current data key {provider.add_key()} in {provider.directory}", file=sys.stderr)
        else:
            print(f"data keys come from GATEWAY_DATA_KEYS: re-encrypting under its first key, "
                  f"{keyring.current_key_id()}", file=sys.stderr)
    with tqdm(total=total_rows(engine), desc="re-encrypting", unit="value", file=sys.stderr) as bar:
        run = rotate(engine, keyring, batch_size=args.batch_size, progress=bar.update)
    with transaction(make_session_factory(engine)) as session:
        record(session, actor=cli_actor(), action="keys.rotate", subject_kind="data_key", subject=run.key_id,
               details={"resealed": run.resealed, "resumed": args.resume})
    engine.dispose()
    print(f"{run.resealed} values re-encrypted under {run.key_id}"
          + (f"; {run.raced} changed meanwhile: run `gateway keys rotate --resume` again" if run.raced else ""))
    left = sum(run.not_encrypted.values())
    if left:
        raise GatewayError(f"{left} stored values are not encrypted ({', '.join(sorted(run.not_encrypted))}); "
                           "they were left as found: run `gateway db upgrade`", code="keys.plaintext_found")
