"""Pulling the inbox (docs/interface/inbox.md): every entry verified and stored before it is
acknowledged; the position is kept in the store so nothing is skipped or fetched twice."""
from __future__ import annotations

import base64
import binascii
import hashlib

from .api import GatewayApi
from .documents import DocumentVerifier
from .errors import VerificationFailed
from .store import Store

CURSOR = "inbox.cursor"
SEQUENCE = "inbox.sequence"


def pull(api: GatewayApi, verifier: DocumentVerifier, store: Store, *, limit: int = 100,
         acknowledge: bool = True) -> dict:
    """Fetch every page after the stored position; return what was received.

    An entry that does not verify stops the pull: what came before it is stored and acknowledged,
    it and what follows are not, and VerificationFailed is raised."""
    after = store.get(CURSOR)
    received: list[dict] = []
    outcome = {"received": received, "cursor": after, "acknowledged": None}
    try:
        while True:
            page = api.inbox(after=after, limit=limit).json()
            entries = page.get("entries") or []
            for entry in entries:
                _check_sequence(store, entry)
                received.append(_take(entry, verifier, store))
                after = entry["cursor"]
                store.put(CURSOR, after)
                store.put(SEQUENCE, str(entry["sequence"]))
            if not entries or not page.get("more"):
                break
            after = page.get("next_cursor") or after
    except VerificationFailed as exc:
        exc.partial = outcome  # what was stored (and is acknowledged below) before the failure
        raise
    finally:
        outcome["cursor"] = after
        if acknowledge and received and after:
            outcome["acknowledged"] = api.acknowledge(after).json()
    return outcome


def _check_sequence(store: Store, entry: dict) -> None:
    """Entries are numbered 1, 2, 3, … with no gap and no repeat (inbox.md §3): anything else is
    reported, and the position kept."""
    last = store.get(SEQUENCE)
    if last is not None and entry.get("sequence") != int(last) + 1:
        raise VerificationFailed(f"inbox entry {entry.get('sequence')} follows entry {last}: the inbox skipped or "
                                 "repeated an entry; the position is kept — report it to the centre")


def _take(entry: dict, verifier: DocumentVerifier, store: Store) -> dict:
    try:
        data = base64.b64decode(entry["document"], validate=True)
    except (KeyError, binascii.Error, TypeError):
        raise VerificationFailed(f"inbox entry {entry.get('sequence')}: no readable document") from None
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        raise VerificationFailed(f"inbox entry {entry.get('sequence')}: the document does not match its sha256")
    try:
        document = verifier.verify(data, entry.get("media_type"))
    except VerificationFailed as exc:
        raise VerificationFailed(f"inbox entry {entry.get('sequence')} ({entry.get('kind')}): {exc}; the entries "
                                 "before it are stored and acknowledged, it and those after it are not") from None
    if entry.get("application_no") and document.application_no not in (None, entry["application_no"]):
        raise VerificationFailed(f"inbox entry {entry.get('sequence')}: the signed document names another application")
    path = store.save(document, kind=entry.get("kind"), source="inbox", application_no=entry.get("application_no"))
    return {"sequence": entry.get("sequence"), "kind": entry.get("kind"), "document": document.name,
            "application_no": document.application_no or entry.get("application_no"), "sha256": document.sha256,
            "path": str(path)}
