"""Under concurrent writers the inbox cursor never skips and never repeats: threads publish (some
transactions rolled back) while a reader pages through, on SQLite and on PostgreSQL."""
from __future__ import annotations

import random
import threading
import time

import pytest
from sqlalchemy import select

from gateway.inbox import pulling
from gateway.inbox.cursors import cursor_keys
from gateway.inbox.service import publish
from gateway.persistence.db import read_only, transaction
from gateway.persistence.models import Institution
from gateway.persistence.types import utcnow
from tests.conftest import make_settings, seed, start_runtime
from tests.support import factories

WRITERS, TRANSACTIONS_EACH = 6, 25


class Rollback(Exception):
    pass


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def runtime_on(request, tmp_path, pki):
    overrides = {"database_url": request.getfixturevalue("postgres_url")} if request.param == "postgresql" else {}
    runtime = start_runtime(make_settings(tmp_path / "var", pki, **overrides))
    seed(runtime, pki)
    yield runtime
    runtime.close()


def institution_ids(runtime) -> tuple[int, int]:
    with transaction(runtime.sessions) as session:
        ids = dict(session.execute(select(Institution.code, Institution.id)).all())
    return ids[factories.BANK_CODE], ids[factories.OTHER_BANK_CODE]


def writer(runtime, number: int, bank: int, other: int, committed: list[bytes], errors: list) -> None:
    draws = random.Random(number)
    try:
        for i in range(TRANSACTIONS_EACH):
            payloads = [f"writer {number} transaction {i} entry {j}".encode() for j in range(draws.randint(1, 3))]
            try:
                with transaction(runtime.sessions) as session:
                    for payload in payloads:
                        publish(session, institution_id=bank, kind="watch_notice", content=payload,
                                media_type="application/xml", deliver=False, at=utcnow())
                    # another institution's entries in the same transaction (institutions in any order)
                    publish(session, institution_id=other, kind="statement", content=b"other " + payloads[0],
                            media_type="application/xml", deliver=False, at=utcnow())
                    time.sleep(draws.random() * 0.005)  # the transaction stays open a little while
                    if draws.random() < 0.2:
                        raise Rollback()
            except Rollback:
                continue
            committed.extend(payloads)
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)


def read_everything(runtime, bank: int, writers_done: threading.Event) -> list[pulling.PulledEntry]:
    """Page through the bank's inbox (a small page size) while the writers write, until they are done
    and a page comes back empty."""
    keys = cursor_keys(runtime.settings)
    seen: list[pulling.PulledEntry] = []
    after = None
    while True:
        finished = writers_done.is_set()  # read before the page: an empty page after this is the end
        with read_only(runtime.read_sessions) as session:
            page = pulling.read_page(session, keys, institution_id=bank, after=after, limit=7)
        seen += page.entries
        after = page.next_cursor
        if not page.entries:
            if finished:
                return seen
            time.sleep(0.002)


def test_concurrent_writers_never_make_a_reader_skip_or_repeat_an_entry(runtime_on):
    runtime = runtime_on
    bank, other = institution_ids(runtime)
    committed: list[bytes] = []
    errors: list = []
    done = threading.Event()
    threads = [threading.Thread(target=writer, args=(runtime, n, bank, other, committed, errors))
               for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    reader_result: list = []
    reader = threading.Thread(target=lambda: reader_result.append(read_everything(runtime, bank, done)))
    reader.start()
    for thread in threads:
        thread.join(120)
    done.set()
    reader.join(120)
    assert errors == []
    [seen] = reader_result
    assert len(committed) > WRITERS * TRANSACTIONS_EACH * 0.5  # most transactions committed
    sequences = [entry.sequence for entry in seen]
    assert sequences == list(range(1, len(committed) + 1))  # every sequence exactly once, in order
    assert sorted(entry.document for entry in seen) == sorted(committed)  # and nothing rolled back shows
    # the other institution's inbox is numbered on its own, just as gapless
    with read_only(runtime.read_sessions) as session:
        theirs = pulling.read_page(session, cursor_keys(runtime.settings), institution_id=other, after=None,
                                   limit=500)
    assert [e.sequence for e in theirs.entries] == list(range(1, len(theirs.entries) + 1))
    assert len(theirs.entries) == len({p.split(b" entry ")[0] for p in committed})


def test_concurrent_acknowledgements_keep_the_furthest_position(runtime_on):
    runtime = runtime_on
    bank, _ = institution_ids(runtime)
    keys = cursor_keys(runtime.settings)
    with transaction(runtime.sessions) as session:
        for n in range(40):
            publish(session, institution_id=bank, kind="watch_notice", content=f"notice {n}".encode(),
                    media_type="application/xml", deliver=False, at=utcnow())
    order = list(range(1, 41))
    random.Random(3).shuffle(order)
    errors: list = []

    def acknowledge(sequences: list[int]) -> None:
        try:
            for sequence in sequences:
                with transaction(runtime.sessions) as session:
                    pulling.acknowledge(session, keys, institution_id=bank, cursor=keys.make(bank, sequence),
                                        at=utcnow())
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=acknowledge, args=(order[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with read_only(runtime.read_sessions) as session:
        assert pulling.acknowledged_sequence(session, bank) == 40
        assert pulling.read_page(session, keys, institution_id=bank, after=None).entries == []
