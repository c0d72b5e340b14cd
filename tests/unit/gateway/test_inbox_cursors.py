"""Inbox cursors: bound to one institution, authenticated, rotatable; the generated secret is made
once and shared by every process using the data directory."""
from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from gateway.inbox.cursors import CursorKeys, InboxCursorInvalid, _secret_file, cursor_keys
from gateway.settings import Settings


def test_a_cursor_reads_back_as_its_sequence_for_its_institution():
    keys = CursorKeys((b"secret",))
    assert [keys.read(7, keys.make(7, n)) for n in (0, 1, 2**40)] == [0, 1, 2**40]


def test_a_cursor_is_opaque_and_short():
    cursor = CursorKeys((b"secret",)).make(7, 12)
    assert len(cursor) == 32 and "12" not in cursor and "=" not in cursor


def test_another_institutions_cursor_is_refused():
    keys = CursorKeys((b"secret",))
    with pytest.raises(InboxCursorInvalid) as refused:
        keys.read(8, keys.make(7, 3))
    assert refused.value.code == "inbox.cursor_invalid"


def test_a_cursor_made_with_another_secret_is_refused():
    with pytest.raises(InboxCursorInvalid):
        CursorKeys((b"ours",)).read(7, CursorKeys((b"theirs",)).make(7, 3))


def test_after_rotation_old_cursors_are_accepted_and_new_ones_made_with_the_new_secret():
    old, rotated = CursorKeys((b"old",)), CursorKeys((b"new", b"old"))
    assert rotated.read(7, old.make(7, 5)) == 5
    assert rotated.make(7, 5) != old.make(7, 5)
    with pytest.raises(InboxCursorInvalid):
        old.read(7, rotated.make(7, 5))


@pytest.mark.parametrize("cursor", ["", "x" * 65, "ünïcode", "AAAA", "!!!!", "A" * 31])
def test_malformed_cursors_are_refused(cursor):
    with pytest.raises(InboxCursorInvalid):
        CursorKeys((b"secret",)).read(7, cursor)


def test_configured_secrets_are_used_and_no_file_is_written(tmp_path):
    settings = Settings(data_dir=tmp_path, inbox_cursor_secrets=["configured"])
    assert cursor_keys(settings).read(1, CursorKeys((b"configured",)).make(1, 9)) == 9
    assert not (tmp_path / "keys").exists()


def test_without_configured_secrets_one_is_generated_once_into_the_data_dir(tmp_path):
    settings = Settings(data_dir=tmp_path)
    cursor = cursor_keys(settings).make(1, 4)
    path = tmp_path / "keys" / "inbox-cursor-secret"
    assert path.stat().st_mode & 0o777 == 0o600
    assert CursorKeys((path.read_text().encode(),)).read(1, cursor) == 4


def _read_secret(path: str, start, results) -> None:
    start.wait()
    results.put(_secret_file(Path(path)))


def test_processes_starting_at_once_all_read_the_same_generated_secret(tmp_path):
    path = tmp_path / "keys" / "inbox-cursor-secret"
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    processes = [context.Process(target=_read_secret, args=(str(path), start, results)) for _ in range(4)]
    for process in processes:
        process.start()
    start.set()
    secrets = {results.get(timeout=60) for _ in processes}
    for process in processes:
        process.join(60)
    assert secrets == {path.read_text().encode()}
    assert [p.name for p in path.parent.iterdir()] == ["inbox-cursor-secret"]  # no temporary file left
