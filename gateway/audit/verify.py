"""Re-walking the audit chain: the first entry altered, deleted or inserted, and every checkpoint.

Reported, never repaired: the verification only reads.

What each check catches:

- an entry whose content no longer gives its ``entry_hash`` was **altered**;
- a number missing from the gapless sequence means an entry was **deleted**;
- an entry whose ``prev_hash`` skips its predecessor (it links to the entry before that one) means
  the predecessor was **inserted**; any other broken link means an entry was altered and re-hashed,
  or removed with the later entries renumbered;
- a checkpoint whose signature does not hold, whose certificate is not the gateway's (or issued by a
  trust anchor), or whose signed hash is not the hash of its entry now: the chain up to it was
  rewritten (even consistently, hashes recomputed), or the checkpoint itself was forged or altered.

Entries after the last checkpoint are protected by the chain alone: whoever can write the database
and recompute SHA-256 could rewrite that tail consistently. Checkpoints every N entries or M minutes
bound that window (docs/security.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.audit.chain import GENESIS_HASH, HEAD_ID, entry_hash
from gateway.audit.checkpoints import checkpoint_text, signature_holds, timestamp_matches
from gateway.audit.models import AuditChainHead, AuditCheckpoint, AuditEntry

BATCH = 2000
LISTED = 20


@dataclass(frozen=True)
class Problem:
    seq: int | None  # the entry concerned (None: a checkpoint's own problem)
    kind: str  # altered | deleted | inserted | broken_link | head | checkpoint
    detail: str

    def __str__(self) -> str:
        where = f"entry {self.seq}" if self.seq is not None else "checkpoint"
        return f"{where}: {self.kind}: {self.detail}"


@dataclass
class Report:
    entries: int = 0
    checkpoints: int = 0
    checkpoints_valid: int = 0
    last_seq: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < LISTED:
            self.problems.append(problem)


def verify(session: Session, *, trusted: tuple[x509.Certificate, ...] = (), current: x509.Certificate | None = None) -> Report:
    """Walk the whole chain, then every checkpoint. ``current``: the gateway's certificate now;
    ``trusted``: anchors a checkpoint signer's certificate may be issued by instead."""
    report = Report()
    checkpoints = list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq, AuditCheckpoint.id)))
    wanted = {c.seq for c in checkpoints}
    hashes_at: dict[int, str] = {}
    first_bad = _walk(session, report, wanted, hashes_at)
    _check_head(session, report)
    for checkpoint in checkpoints:
        report.checkpoints += 1
        problem = _checkpoint_problem(checkpoint, hashes_at.get(checkpoint.seq), first_bad, trusted, current)
        if problem is None:
            report.checkpoints_valid += 1
        else:
            report.add(Problem(None, "checkpoint", f"checkpoint {checkpoint.id} (up to entry {checkpoint.seq}): {problem}"))
    return report


def _walk(session: Session, report: Report, wanted: set[int], hashes_at: dict[int, str]) -> int | None:
    """Check every entry in order; returns the number of the first entry found wrong (or None)."""
    previous_seq, previous_hash, previous_link = 0, GENESIS_HASH, None
    first_bad: int | None = None
    statement = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=BATCH)
    for entry in session.scalars(statement):
        report.entries += 1
        problem = _entry_problem(entry, previous_seq, previous_hash, previous_link)
        if problem is not None:
            report.add(problem)
            first_bad = problem.seq if first_bad is None else first_bad
        if entry.seq in wanted:
            hashes_at[entry.seq] = entry.entry_hash
        previous_seq, previous_hash, previous_link = entry.seq, entry.entry_hash, entry.prev_hash
        session.expunge(entry)  # a long chain is not kept in memory
    report.last_seq = previous_seq
    return first_bad


def _entry_problem(entry: AuditEntry, previous_seq: int, previous_hash: str, previous_link: str | None) -> Problem | None:
    if entry.seq != previous_seq + 1:
        missing = (f"entry {previous_seq + 1} is missing" if entry.seq == previous_seq + 2
                   else f"entries {previous_seq + 1} to {entry.seq - 1} are missing")
        return Problem(previous_seq + 1, "deleted", f"{missing}: the chain jumps from {previous_seq} to {entry.seq}")
    if entry.prev_hash != previous_hash and previous_link is not None and entry.prev_hash == previous_link:
        return Problem(previous_seq, "inserted",
                       f"entry {entry.seq} links to entry {previous_seq - 1}, not to entry {previous_seq}: "
                       f"entry {previous_seq} was slipped in")
    if entry_hash(entry) != entry.entry_hash:
        return Problem(entry.seq, "altered", "its content does not give its recorded hash")
    if entry.prev_hash != previous_hash:
        return Problem(entry.seq, "broken_link",
                       f"its prev_hash is not the hash of entry {previous_seq}: an entry before it was altered and "
                       "re-hashed, or removed with the later entries renumbered")
    return None


def _check_head(session: Session, report: Report) -> None:
    head = session.get(AuditChainHead, HEAD_ID)
    if head is None or head.seq == report.last_seq:
        return
    if head.seq < report.last_seq:
        report.add(Problem(head.seq + 1, "inserted",
                           f"entries after {head.seq} are beyond the chain head (last entry {report.last_seq})"))
    else:
        report.add(Problem(report.last_seq + 1, "deleted",
                           f"the chain head names entry {head.seq}, the last entry is {report.last_seq}"))


def _checkpoint_problem(checkpoint: AuditCheckpoint, hash_now: str | None, first_bad: int | None,
                        trusted: tuple[x509.Certificate, ...], current: x509.Certificate | None) -> str | None:
    try:
        certificate = x509.load_pem_x509_certificate(checkpoint.certificate_pem.encode())
    except ValueError:
        return "its certificate is unreadable"
    if not _acceptable(certificate, trusted, current):
        return "its certificate is neither the gateway's nor issued by a trust anchor"
    if not signature_holds(certificate, checkpoint.signature, checkpoint_text(checkpoint.seq, checkpoint.entry_hash, checkpoint.at)):
        return "the signature does not hold"
    if checkpoint.timestamp_token is not None and not timestamp_matches(checkpoint.timestamp_token, checkpoint.signature):
        return "the time-stamp token is not over this checkpoint's signature"
    if hash_now is None:
        return f"entry {checkpoint.seq} is gone"
    if hash_now != checkpoint.entry_hash:
        return f"entry {checkpoint.seq}'s hash is not the one signed: the chain up to it was rewritten"
    if first_bad is not None and first_bad <= checkpoint.seq:
        return f"the chain it covers is broken at entry {first_bad}"
    return None


def _acceptable(certificate: x509.Certificate, trusted: tuple[x509.Certificate, ...],
                current: x509.Certificate | None) -> bool:
    if current is not None and certificate == current:
        return True
    for anchor in trusted:
        try:
            certificate.verify_directly_issued_by(anchor)
            return True
        except Exception:  # not issued by it (InvalidSignature, ValueError, TypeError)
            continue
    return False
