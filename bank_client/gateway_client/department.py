"""``department-client``: the reference department client's command line (docs/interface/departments.md
§9, docs/interface/client.md §8) — for the tax bureau, the housing bureau and the housing-fund centre.

It is the bank client's machinery with a department's commands: every request HTTP-signed with the
department's key (:mod:`.httpsig`), every signed answer, receipt and event verified against the pinned
gateway certificate (:mod:`.documents`) and kept byte for byte in the store (:mod:`.store`).

Every command prints JSON on stdout; errors go to stderr with the exit status: 1 the gateway
refused, 2 configuration or input, 3 a signature from the gateway did not verify."""
from __future__ import annotations

import argparse
from pathlib import Path

from . import __version__
from .cli import cmd_gateway_certificate, cmd_verify, output, run, verifier_for
from .config import Config, load_config
from .department_api import DepartmentApi, member
from .errors import ConfigError, VerificationFailed
from .keys import load_identity
from .listen import CallbackReceiver
from .store import Store

DEFAULT_FILE = "department-client.toml"
ENV_FILE = "DEPARTMENT_CLIENT_CONFIG"
ENV_KEYS = {
    "DEPARTMENT_CLIENT_URL": "gateway_url",
    "DEPARTMENT_CLIENT_CODE": "institution",
    "DEPARTMENT_CLIENT_KEY": "key",
    "DEPARTMENT_CLIENT_CERTIFICATE": "certificate",
    "DEPARTMENT_CLIENT_GATEWAY_CERTIFICATE": "gateway_certificate",
    "DEPARTMENT_CLIENT_STORE": "store",
    "DEPARTMENT_CLIENT_KEY_PASSWORD": "key_password",
}
EVENT_KIND = "registration_event"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return run("department-client", lambda: args.command(
        load_config(args.config, overrides={"gateway_url": args.url, "store": args.store},
                    default_file=DEFAULT_FILE, env_file=ENV_FILE, env_keys=ENV_KEYS), args), refusal_status=True)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="department-client",
                                  description="The reference department client of the mortgage registration "
                                              "gateway: queries, registration events, records.")
    top.add_argument("--version", action="version", version=f"department-client {__version__}")
    top.add_argument("--config", help=f"configuration file (default ${ENV_FILE} or ./{DEFAULT_FILE})")
    top.add_argument("--url", help="the gateway's base URL (overrides the configuration)")
    top.add_argument("--store", help="the local store directory (overrides the configuration)")
    commands = top.add_subparsers(required=True, metavar="COMMAND")

    query = commands.add_parser("query", help="ask a query port; verify, store and print the signed answer")
    ports = query.add_subparsers(required=True, metavar="PORT")
    family = ports.add_parser("family-housing", help="家庭住房登记信息: the residential units of a family")
    family.add_argument("--member", action="append", default=[], metavar="ROLE:ID_TYPE:ID_NUMBER",
                        help="a family member, ROLE one of APPLICANT, SPOUSE, CHILD (repeatable)")
    family.set_defaults(command=cmd_family_housing)
    extract = ports.add_parser("unit-extract", help="a unit's register extract")
    extract.add_argument("--unit", required=True, metavar="UNIT_CODE", help="the 28-character unit code")
    extract.set_defaults(command=cmd_unit_extract)
    for port in (family, extract):
        port.add_argument("--purpose", help="the purpose code (e.g. DEED_TAX_RELIEF)")
        port.add_argument("--case", help="your own file number for this case")
        port.add_argument("--save", type=Path, help="also write the signed answer (compact JWS) here")
        port.add_argument("--as", dest="on_behalf_of", metavar="CODE", help=argparse.SUPPRESS)

    commands.add_parser("subscribe", help="subscribe to registration events").set_defaults(command=cmd_subscribe)
    commands.add_parser("unsubscribe", help="end the subscription to registration events") \
        .set_defaults(command=cmd_unsubscribe)
    commands.add_parser("subscriptions", help="your subscriptions").set_defaults(command=cmd_subscriptions)

    for kind, text in (("tax-record", "push a deed-tax record (契税 完税/免税/不征税)"),
                       ("contract", "push a filed sale contract (网签备案)")):
        push = commands.add_parser(kind, help=f"{text}; verify the signed receipt")
        push.add_argument("file", type=Path, help="the record as JSON (sent byte for byte)")
        push.add_argument("--as", dest="on_behalf_of", metavar="CODE", help=argparse.SUPPRESS)
        push.set_defaults(command=cmd_push, kind=kind)

    events = commands.add_parser("events", help="pull registration events: verify, store, acknowledge")
    events.add_argument("--limit", type=int, default=100, help="entries per page (1-500)")
    events.add_argument("--no-ack", action="store_true", help="store but do not acknowledge")
    events.set_defaults(command=cmd_events)

    listen = commands.add_parser("listen", help="receive pushed events: verify, de-duplicate, store")
    listen.add_argument("--host")
    listen.add_argument("--port", type=int)
    listen.add_argument("--path")
    listen.set_defaults(command=cmd_listen)

    verify = commands.add_parser("verify", help="verify a signed document file from the gateway")
    verify.add_argument("file", type=Path)
    verify.set_defaults(command=cmd_verify)

    certificate = commands.add_parser("gateway-certificate",
                                      help="download the gateway's certificate and print its fingerprint")
    certificate.add_argument("--save", action="store_true", help="write it to the configured gateway_certificate")
    certificate.set_defaults(command=cmd_gateway_certificate)
    return top


def session(config: Config, args=None) -> tuple[DepartmentApi, Store]:
    store = Store(config.store)
    api = DepartmentApi(config, load_identity(config), verifier_for(config, store),
                        on_behalf_of=getattr(args, "on_behalf_of", None))
    return api, store


def cmd_family_housing(config: Config, args) -> int:
    api, store = session(config, args)
    members = [member(value) for value in args.member]
    return show_answer(api.family_housing(purpose=args.purpose, case_reference=args.case, members=members),
                       store, args.save)


def cmd_unit_extract(config: Config, args) -> int:
    api, store = session(config, args)
    return show_answer(api.unit_extract(purpose=args.purpose, case_reference=args.case, unit_code=args.unit),
                       store, args.save)


def show_answer(answer, store: Store, save: Path | None) -> int:
    document = answer.document
    path = store.save(document, kind="query", source="query")
    if save:
        save.write_bytes(document.data)
    output({"http_status": answer.http_status, "query_id": answer.payload.get("query_id"),
            "signed_by": document.signer, "sha256": document.sha256, "path": str(path),
            "saved_to": str(save) if save else None, "payload": answer.payload})
    return 0


def cmd_subscribe(config: Config, args) -> int:
    api, _ = session(config)
    response = api.subscribe()
    output({"http_status": response.status_code, **response.json()})
    return 0


def cmd_unsubscribe(config: Config, args) -> int:
    api, _ = session(config)
    response = api.unsubscribe()
    output({"http_status": response.status_code, **(response.json() if response.content else {})})
    return 0


def cmd_subscriptions(config: Config, args) -> int:
    api, _ = session(config)
    output(api.department_subscriptions().json())
    return 0


def cmd_push(config: Config, args) -> int:
    try:
        body = args.file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {args.file}: {exc.strerror}") from None
    api, store = session(config, args)
    answer = api.push_record(args.kind, body)
    path = store.save(answer.document, kind=f"{args.kind}-receipt", source="push")
    output({"http_status": answer.http_status, "signed_by": answer.document.signer, "sha256": answer.document.sha256,
            "path": str(path), "receipt": answer.payload})
    return 0


def cmd_events(config: Config, args) -> int:
    from .inbox import pull

    api, store = session(config)
    try:
        outcome = pull(api, api.verifier, store, limit=args.limit, acknowledge=not args.no_ack)
    except VerificationFailed as exc:
        output(exc.partial)
        raise
    output({**outcome, "events": [event_of(entry, api.verifier) for entry in outcome["received"]
                                  if entry.get("kind") == EVENT_KIND]})
    return 0


def event_of(entry: dict, verifier) -> dict:
    """A pulled event as the command prints it: the stored file verified again, its signed payload."""
    document = verifier.verify(Path(entry["path"]).read_bytes(), "application/jose")
    return {"event_id": document.fields.get("event_id"), "sequence": entry.get("sequence"),
            "sha256": document.sha256, "path": entry["path"], "payload": document.fields}


class EventReceiver(CallbackReceiver):
    """The bank client's receiver (gateway's HTTP signature, the document's signature, de-duplication on
    the delivery id), printing the registration event's id as well."""

    def receive(self, *, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, dict]:
        status, event = super().receive(method=method, target=target, headers=headers, body=body)
        if status == 204:
            named = {name.lower(): value for name, value in headers}
            fields = self.verifier.verify(body, named.get("content-type")).fields
            event["event_id"] = fields.get("event_id")
        return status, event


def cmd_listen(config: Config, args) -> int:
    store = Store(config.store)
    receiver = EventReceiver(host=args.host or config.listen.host,
                             port=config.listen.port if args.port is None else args.port,
                             path=args.path or config.listen.path, verifier=verifier_for(config, store), store=store)
    receiver.serve_forever()
    return 0
