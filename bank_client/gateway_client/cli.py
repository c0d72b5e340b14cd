"""``gateway-client``: the reference bank client's command line (docs/interface/client.md).

Every command prints JSON on stdout; errors go to stderr with the exit status: 1 the gateway
refused, 2 configuration or input, 3 a signature from the gateway did not verify."""
from __future__ import annotations

import argparse
import hashlib
import json
import mimetypes
import os
import sys
import time
from pathlib import Path

import httpx
from cryptography import x509

from . import __version__, applications
from .api import GatewayApi, expect
from .config import Config, load_config
from .documents import DocumentVerifier, VerifiedDocument
from .errors import ClientError, ConfigError, GatewayRefused, VerificationFailed
from .keys import fingerprint, load_certificates, load_identity, pinned_gateway_certificates
from .materials import locate
from .store import Store


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return run("gateway-client", lambda: args.command(
        load_config(args.config, overrides={"gateway_url": args.url, "store": args.store}), args))


def run(prog: str, command, *, refusal_status: bool = False) -> int:
    """Run one command the way both clients do: JSON on stdout, errors on stderr, the documented exit status."""
    try:
        return command() or 0
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's own recipe (signal docs)
        return 0
    except GatewayRefused as exc:
        if exc.problem:  # every finding the gateway listed, for the operator to fix
            output({"refused": exc.problem, "http_status": exc.status} if refusal_status else {"refused": exc.problem})
        print(f"{prog}: {exc}", file=sys.stderr)
        return exc.exit_status
    except ClientError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return exc.exit_status
    except httpx.HTTPError as exc:
        print(f"{prog}: cannot reach the gateway: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="gateway-client",
                                  description="The reference bank client of the mortgage registration gateway.")
    top.add_argument("--version", action="version", version=f"gateway-client {__version__}")
    top.add_argument("--config", help="configuration file (default $BANK_CLIENT_CONFIG or ./gateway-client.toml)")
    top.add_argument("--url", help="the gateway's base URL (overrides the configuration)")
    top.add_argument("--store", help="the local store directory (overrides the configuration)")
    commands = top.add_subparsers(required=True, metavar="COMMAND")

    submit = commands.add_parser("submit", help="sign an application, upload its materials, submit, verify the receipt")
    submit.add_argument("file", type=Path,
                        help="the application: .xml (signed with XMLDSig) or .json (signed with JWS)")
    submit.add_argument("--materials", type=Path, action="append", default=[],
                        help="a directory holding material files (repeatable)")
    submit.add_argument("--refresh", action="store_true", help="a new request id and created-at = now before signing")
    submit.add_argument("--detached", action="store_true",
                        help="JSON: send application/json with a JWS-Signature header")
    submit.add_argument("--dry-run", action="store_true", help="only ask what intake would decide; nothing is stored")
    submit.add_argument("--save-request", type=Path, help="also write the signed request here (to resend it as is)")
    submit.set_defaults(command=cmd_submit)

    batch = commands.add_parser("batch", help="sign every application of a directory and send them as one bundle")
    batch.add_argument("directory", type=Path, help="the applications (and materials/), or a bundle .zip to resend")
    batch.add_argument("--batch-id", help="your id of the batch (default: generated)")
    batch.add_argument("--refresh", action="store_true", help="new request ids and created-at = now before signing")
    batch.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                       help="poll the batch's progress until every item is done, at most this long")
    batch.add_argument("--save-bundle", type=Path, help="also write the ZIP here (to resend it as is)")
    batch.set_defaults(command=cmd_batch)

    batch_status = commands.add_parser("batch-status", help="a batch's progress")
    batch_status.add_argument("batch_id")
    batch_status.set_defaults(command=cmd_batch_status)

    status = commands.add_parser("status", help="an application's status and history")
    status.add_argument("application_no")
    status.set_defaults(command=cmd_status)

    result = commands.add_parser("result", help="fetch, verify and store an application's signed result")
    result.add_argument("application_no")
    result.add_argument("--wait", type=float, default=0, metavar="SECONDS", help="poll while it is not ready")
    result.set_defaults(command=cmd_result)

    document = commands.add_parser("document", help="fetch, verify and store a signed document of an application")
    document.add_argument("application_no")
    document.add_argument("kind", choices=("receipt", "supplement_request", "result"))
    document.set_defaults(command=cmd_document)

    verify = commands.add_parser("verify", help="verify a signed document file from the gateway")
    verify.add_argument("file", type=Path)
    verify.set_defaults(command=cmd_verify)

    inbox = commands.add_parser("inbox", help="pull the inbox: verify, store and acknowledge every new entry")
    inbox.add_argument("--limit", type=int, default=100, help="entries per page (1-500)")
    inbox.add_argument("--no-ack", action="store_true", help="store but do not acknowledge")
    inbox.set_defaults(command=cmd_inbox)

    listen = commands.add_parser("listen", help="receive callbacks: verify, de-duplicate, store")
    listen.add_argument("--host")
    listen.add_argument("--port", type=int)
    listen.add_argument("--path")
    listen.set_defaults(command=cmd_listen)

    supplement = commands.add_parser("supplement", help="answer a supplementation request: upload and send materials")
    supplement.add_argument("application_no")
    supplement.add_argument("--material", action="append", required=True, metavar="TYPE_CODE=FILE",
                            help="a material asked for, e.g. MARRIAGE_CERTIFICATE=marriage.pdf (repeatable)")
    supplement.add_argument("--note", help="a note to the reviewer")
    supplement.set_defaults(command=cmd_supplement)

    watch = commands.add_parser("watch", help="title watch subscriptions (watch.md)")
    watch_commands = watch.add_subparsers(required=True, metavar="ACTION")
    subscribe = watch_commands.add_parser("subscribe", help="watch a unit while your application on it is open")
    subscribe.add_argument("unit_code")
    subscribe.add_argument("application_no")
    subscribe.set_defaults(command=cmd_watch_subscribe)
    watch_commands.add_parser("list", help="your subscriptions").set_defaults(command=cmd_watch_list)
    end = watch_commands.add_parser("end", help="end a subscription")
    end.add_argument("subscription_id")
    end.set_defaults(command=cmd_watch_end)

    quality = commands.add_parser("quality", help="your monthly quality figures (quality.md)")
    quality.add_argument("month", help="YYYY-MM")
    quality.add_argument("--statement", action="store_true", help="the signed statement: verify, store, print")
    quality.set_defaults(command=cmd_quality)

    certificate = commands.add_parser("gateway-certificate",
                                      help="download the gateway's certificate and print its fingerprint")
    certificate.add_argument("--save", action="store_true", help="write it to the configured gateway_certificate")
    certificate.set_defaults(command=cmd_gateway_certificate)
    return top


def output(value) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def verifier_for(config: Config, store: Store | None = None) -> DocumentVerifier:
    seal = load_certificates(config.seal_certificate) if config.seal_certificate else []
    return DocumentVerifier(pinned_gateway_certificates(config), seal, store.announced if store else None)


def session(config: Config) -> tuple[GatewayApi, DocumentVerifier, Store]:
    identity = load_identity(config)
    store = Store(config.store)
    return GatewayApi(config, identity), verifier_for(config, store), store


def cmd_submit(config: Config, args) -> int:
    identity = load_identity(config)
    submission = applications.prepare(args.file, identity, refresh=args.refresh, detached=args.detached,
                                      jws_algorithm=config.jws_algorithm)
    if args.save_request:
        args.save_request.write_bytes(submission.body)
    store = Store(config.store)
    api, verifier = GatewayApi(config, identity), verifier_for(config, store)
    kept = None if args.dry_run else store.keep_request(
        submission.body, request_id=submission.request_id,
        extension={"application/xml": "xml", "application/jose": "jws"}.get(submission.content_type, "json"))
    directories = [*args.materials, *config.materials, args.file.parent, args.file.parent / "materials"]
    try:
        uploads = upload_materials(api, submission.materials, directories)
        response = api.submit(submission.body, content_type=submission.content_type, headers=submission.headers,
                              dry_run=args.dry_run)
    except httpx.HTTPError as exc:
        if kept is None:
            raise
        again = f"gateway-client submit {'--detached ' if submission.headers else ''}{kept}"
        raise ClientError(f"no answer from the gateway ({type(exc).__name__}); the signed request is kept in "
                          f"{kept}: resend it as it is with `{again}`") from None
    if args.dry_run:
        output({"dry_run": response.json(), "materials": uploads, "request_id": submission.request_id})
        return 0
    receipt = verifier.verify(response.content, response.headers.get("content-type"))
    check_receipt(receipt, submission)
    path = store.save(receipt, kind="receipt", source="submit")
    output({"http_status": response.status_code, "retry": response.status_code == 200,
            "application_no": receipt.application_no, "request_id": submission.request_id,
            "format": submission.format, "request": str(kept), "receipt": str(path), "materials": uploads,
            **receipt.summary()})
    return 0


def upload_materials(api: GatewayApi, refs, directories) -> list[dict]:
    found, missing = locate(refs, [d for d in directories if d])
    uploads = []
    for material in found:
        answer = api.upload_material(material.ref.sha256, material.read(), material.content_type)
        uploads.append({"sha256": material.ref.sha256, "file": str(material.path),
                        "uploaded": answer.status_code == 201})
    for ref in missing:
        print(f"gateway-client: material {ref.file_name} ({ref.sha256}) not found locally; "
              "the gateway must already hold it", file=sys.stderr)
    return uploads


def check_receipt(receipt: VerifiedDocument, submission: applications.Submission) -> None:
    """The receipt must be a Receipt for exactly what was sent, by this institution."""
    fields = receipt.fields
    if receipt.name != "Receipt":
        raise VerificationFailed(f"expected a Receipt, got {receipt.name}")
    if fields.get("request_sha256") != submission.request_sha256:
        raise VerificationFailed("the receipt's request_sha256 is not the SHA-256 of the request sent")
    if fields.get("request_id") != submission.request_id or fields.get("mortgagee_code") != submission.mortgagee_code:
        raise VerificationFailed("the receipt names another request or institution")


def cmd_status(config: Config, args) -> int:
    api, _, _ = session(config)
    output(api.status(args.application_no).json())
    return 0


def cmd_result(config: Config, args) -> int:
    api, verifier, store = session(config)
    deadline = time.monotonic() + args.wait
    response = api.result(args.application_no)
    while response.status_code == 409 and time.monotonic() < deadline:
        time.sleep(1)
        response = api.result(args.application_no)
    if response.status_code == 409:
        output({"application_no": args.application_no, "ready": False, "problem": response.json()})
        return 4
    return show_document(response, args.application_no, "result", verifier, store)


def cmd_document(config: Config, args) -> int:
    api, verifier, store = session(config)
    return show_document(api.document(args.application_no, args.kind), args.application_no, args.kind,
                         verifier, store)


def show_document(response, application_no: str, kind: str, verifier: DocumentVerifier, store: Store) -> int:
    document = verifier.verify(response.content, response.headers.get("content-type"))
    if document.application_no != application_no:
        raise VerificationFailed("the signed document is about another application")
    path = store.save(document, kind=kind, source="fetch")
    output({"application_no": application_no, "ready": True, "path": str(path), **document.summary()})
    return 0


def cmd_verify(config: Config, args) -> int:
    data = args.file.read_bytes()
    media = "application/jose" if args.file.suffix.lower() in (".jws", ".jose") else None
    output(verifier_for(config, Store(config.store)).verify(data, media).summary())
    return 0


def cmd_inbox(config: Config, args) -> int:
    from .inbox import pull

    api, verifier, store = session(config)
    try:
        output(pull(api, verifier, store, limit=args.limit, acknowledge=not args.no_ack))
    except VerificationFailed as exc:
        output(exc.partial)  # what was stored before the entry that failed
        raise
    return 0


def cmd_listen(config: Config, args) -> int:
    from .listen import CallbackReceiver

    store = Store(config.store)
    receiver = CallbackReceiver(host=args.host or config.listen.host,
                                port=config.listen.port if args.port is None else args.port,
                                path=args.path or config.listen.path, verifier=verifier_for(config, store),
                                store=store)
    receiver.serve_forever()
    return 0


def cmd_batch(config: Config, args) -> int:
    from .batch import send_batch

    api, verifier, store = session(config)
    output(send_batch(api, load_identity(config), config, args.directory, batch_id=args.batch_id,
                      refresh=args.refresh, wait=args.wait, save_bundle=args.save_bundle, store=store))
    return 0


def cmd_batch_status(config: Config, args) -> int:
    api, _, _ = session(config)
    output(api.batch(args.batch_id).json())
    return 0


def cmd_supplement(config: Config, args) -> int:
    api, _, _ = session(config)
    materials = []
    for value in args.material:
        type_code, separator, file = value.partition("=")
        path = Path(file)
        if not separator or not type_code or not path.is_file():
            raise ConfigError(f"--material {value!r}: expected TYPE_CODE=FILE with an existing file")
        data = path.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        api.upload_material(sha256, data, mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        materials.append({"type_code": type_code, "file_name": path.name, "sha256": sha256})
    output(api.supplement(args.application_no, materials, args.note).json())
    return 0


def cmd_watch_subscribe(config: Config, args) -> int:
    api, _, _ = session(config)
    output(api.subscribe(args.unit_code, args.application_no).json())
    return 0


def cmd_watch_list(config: Config, args) -> int:
    api, _, _ = session(config)
    output(api.subscriptions().json())
    return 0


def cmd_watch_end(config: Config, args) -> int:
    api, _, _ = session(config)
    output(api.end_subscription(args.subscription_id).json())
    return 0


def cmd_quality(config: Config, args) -> int:
    api, verifier, store = session(config)
    response = api.quality(args.month, statement=args.statement)
    if not args.statement:
        output(response.json())
        return 0
    statement = verifier.verify(response.content, response.headers.get("content-type"))
    if statement.name != "Statement" or statement.fields.get("month") != args.month:
        raise VerificationFailed("the signed document is not the statement of that month")
    path = store.save(statement, kind=f"statement-{args.month}", source="fetch")
    output({"path": str(path), **statement.summary()})
    return 0


def cmd_gateway_certificate(config: Config, args) -> int:
    response = httpx.get(f"{config.gateway_url}/v1/gateway/certificate", timeout=config.timeout_seconds)
    pem = expect(response, 200).content
    certificates = x509.load_pem_x509_certificates(pem)
    if args.save:
        config.gateway_certificate.parent.mkdir(parents=True, exist_ok=True)
        config.gateway_certificate.write_bytes(pem)
    output({"certificates": [{"subject": c.subject.rfc4514_string(), "sha256": fingerprint(c),
                              "not_after": c.not_valid_after_utc.isoformat()} for c in certificates],
            "saved_to": str(config.gateway_certificate) if args.save else None,
            "note": "compare the fingerprint with the one the registration centre gave you before trusting it"})
    return 0
