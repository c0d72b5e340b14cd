"""The local store: every verified document as received, byte for byte, and the client's state
(the inbox position, the callback deliveries already handled), in one directory.

::

    <store>/documents/<application_no or "institution">/<kind>-<sha256>.<xml|jws>
    <store>/requests/<request_id>-<sha256 prefix>.<xml|jws|json>   (signed submissions, as sent)
    <store>/state.sqlite3
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

from .documents import VerifiedDocument

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (sha256 TEXT PRIMARY KEY, kind TEXT NOT NULL, application_no TEXT,
    media_type TEXT NOT NULL, path TEXT NOT NULL, source TEXT NOT NULL, stored_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (delivery_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Store:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        (self.directory / "documents").mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.directory / "state.sqlite3", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 10000")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def save(self, document: VerifiedDocument, *, kind: str | None = None, source: str,
             application_no: str | None = None) -> Path:
        """Keep a verified document (once per SHA-256); return its path. ``application_no`` files a
        document that names none itself (a certificate twin) with its application."""
        kind = _safe(kind or document.name)
        application_no = document.application_no or application_no
        folder = self.directory / "documents" / _safe(application_no or "institution")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{kind}-{document.sha256}.{document.extension}"
        if not path.exists():
            temporary = path.with_suffix(".part")
            temporary.write_bytes(document.data)
            os.replace(temporary, path)
        announced = _announced_twin(document)
        if announced:
            self.put(f"announced:{announced}", application_no or "")
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (document.sha256, kind, application_no, document.media_type,
                              str(path.relative_to(self.directory)), source, _now()))
        return path

    def keep_request(self, body: bytes, *, request_id: str, extension: str) -> Path:
        """Keep the signed bytes of a submission before sending them: after a lost answer, resend them."""
        folder = self.directory / "requests"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{_safe(request_id)}-{hashlib.sha256(body).hexdigest()[:16]}.{extension}"
        if not path.exists():
            temporary = path.with_suffix(".part")
            temporary.write_bytes(body)
            os.replace(temporary, path)
        return path

    def announced(self, sha256: str) -> str | None:
        """The application whose stored (verified) result announced a certificate twin of this SHA-256."""
        return self.get(f"announced:{sha256}")

    def documents(self) -> list[dict]:
        with self._lock:
            rows = self._db.execute("SELECT sha256, kind, application_no, media_type, path, source, stored_at "
                                    "FROM documents ORDER BY stored_at, rowid").fetchall()
        keys = ("sha256", "kind", "application_no", "media_type", "path", "source", "stored_at")
        return [dict(zip(keys, row)) for row in rows]

    def first_delivery(self, delivery_id: str, sha256: str) -> bool:
        """Record a callback delivery id; False when it was already handled."""
        with self._lock:
            cursor = self._db.execute("INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?)",
                                      (delivery_id, sha256, _now()))
        return cursor.rowcount == 1

    def get(self, name: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def put(self, name: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT INTO state VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                             (name, value))


def _announced_twin(document: VerifiedDocument) -> str | None:
    """The SHA-256 of the certificate twin an approval result announces (``certificate.xml_sha256``)."""
    certificate = document.fields.get("certificate") if document.name == "Result" else None
    value = certificate.get("xml_sha256") if isinstance(certificate, dict) else None
    return value.lower() if isinstance(value, str) else None


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:80] or "document"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")
