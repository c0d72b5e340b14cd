"""Field encryption: ciphertexts open only where and under the key they were sealed, and refuse anything else.

Each bad ciphertext (a flipped bit, an unknown key id, a value copied to another column, a key replaced
under the same id, a plaintext where a ciphertext belongs) is refused with its documented code and never
comes back as data; each bad key setting is refused with ``keys.invalid``.
"""
from __future__ import annotations

import base64
import os
import secrets
import time

import pytest

import gateway.persistence.all_models  # noqa: F401  (every model registered on Base.metadata)
from gateway.persistence.models import Base
from gateway.protection import cipher
from gateway.protection.columns import ENCRYPTED_TYPES, EncryptedBytes, EncryptedJSON, EncryptedText
from gateway.protection.errors import InvalidKeyMaterial, UndecryptableData, UnknownDataKey
from gateway.protection.keyring import (
    FileKeyProvider,
    Keyring,
    StaticKeyProvider,
    encode_key,
    load_keyring,
)
from gateway.settings import Settings

from tests.support.report import checked

CONTEXT = "unit_owners.name"


def key_text() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def keyring(*entries: str) -> Keyring:
    return Keyring(StaticKeyProvider.from_setting(list(entries) or [f"k1:{key_text()}"], None), secrets.token_bytes(32))


def flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]


# --- the formats and the round trip ------------------------------------------------------------

def test_text_bytes_and_json_come_back_exactly_and_name_their_key():
    ring = keyring("k2:" + key_text(), "k1:" + key_text())
    name, document = "王建国 640221198503150018", b"<?xml version='1.0'?>\r\n<a>\x00\xff</a>"
    sealed_text = cipher.seal_text(ring, name, CONTEXT)
    sealed_bytes = cipher.seal_bytes(ring, document, "signed_documents.content")
    assert sealed_text.startswith("enc1:k2:") and "王建国" not in sealed_text
    assert sealed_bytes.startswith(cipher.MAGIC) and document not in sealed_bytes
    assert cipher.key_id_of(sealed_text) == cipher.key_id_of(sealed_bytes) == "k2"
    assert cipher.key_id_of(sealed_bytes[:cipher.HEAD_LENGTH]) == "k2"  # the head alone says the key
    assert cipher.open_text(ring, sealed_text, CONTEXT) == name
    assert cipher.open_bytes(ring, sealed_bytes, "signed_documents.content") == document
    assert cipher.seal_text(ring, name, CONTEXT) != sealed_text  # a fresh nonce each time


def test_the_column_types_seal_on_the_way_in_and_open_on_the_way_out(monkeypatch):
    from gateway.protection import registry

    ring = keyring()
    monkeypatch.setattr(registry.INSTALLED, "keyring", ring)
    for column_type, value in ((EncryptedText("t.c"), "李秀梅"), (EncryptedBytes("t.c"), b"%PDF-1.7\n"),
                               (EncryptedJSON("t.c"), {"mortgagors": [{"name": "李秀梅"}], "n": 1.5})):
        stored = column_type.process_bind_param(value, None)
        assert cipher.key_id_of(stored) == "k1"
        assert column_type.process_result_value(stored, None) == value
        assert column_type.process_bind_param(None, None) is None


def test_every_encrypted_column_seals_under_its_own_table_and_column_name():
    columns = [(table.name, column) for table in Base.metadata.sorted_tables for column in table.columns
               if isinstance(column.type, ENCRYPTED_TYPES)]
    wrong = [f"{table}.{column.name} says {column.type.context}" for table, column in columns
             if column.type.context != f"{table}.{column.name}"]
    assert len(columns) >= 19 and not wrong, wrong
    named = {f"{table}.{column.name}" for table, column in columns}
    assert {"applications.canonical", "signed_documents.content", "materials.content", "unit_owners.name",
            "unit_owners.id_number", "registered_mortgages.mortgagor_id_numbers", "certificates.xml",
            "certificates.pdf", "encumbrances.holder_id_number", "postal_requests.phone"} <= named
    checked(f"{len(columns)} encrypted columns, each bound to its own name")


# --- bad ciphertexts ---------------------------------------------------------------------------

def test_a_flipped_bit_anywhere_in_a_binary_ciphertext_is_refused():
    ring = keyring()
    sealed = cipher.seal_bytes(ring, b"signed request bytes", "signed_documents.content")
    header = len(cipher.MAGIC) + 1 + 2
    for position in range(header, len(sealed)):  # nonce, ciphertext and tag
        with pytest.raises(UndecryptableData) as refused:
            cipher.open_bytes(ring, flip(sealed, position), "signed_documents.content")
        assert refused.value.code == "data.undecryptable"


def test_a_flipped_bit_in_a_text_ciphertext_is_refused():
    ring = keyring()
    sealed = cipher.seal_text(ring, "640221198503150018", CONTEXT)
    body = base64.b64decode(sealed.split(":", 2)[2])
    tampered = sealed.rsplit(":", 1)[0] + ":" + base64.b64encode(flip(body, len(body) // 2)).decode()
    with pytest.raises(UndecryptableData, match="failed authentication"):
        cipher.open_text(ring, tampered, CONTEXT)


def test_a_ciphertext_under_an_unknown_key_id_is_refused():
    sealed = cipher.seal_text(keyring("k9:" + key_text()), "王建国", CONTEXT)
    with pytest.raises(UnknownDataKey) as refused:
        cipher.open_text(keyring("k1:" + key_text()), sealed, CONTEXT)
    assert refused.value.code == "data.unknown_key" and "k9" in refused.value.detail
    assert "王建国" not in refused.value.detail


def test_a_key_id_changed_in_the_ciphertext_is_refused():
    ring = keyring("k1:" + key_text(), "k2:" + key_text())
    sealed = cipher.seal_text(ring, "王建国", CONTEXT)
    with pytest.raises(UndecryptableData):
        cipher.open_text(ring, sealed.replace("enc1:k1:", "enc1:k2:"), CONTEXT)


def test_a_key_replaced_under_the_same_id_is_refused():
    sealed = cipher.seal_text(keyring("k1:" + key_text()), "王建国", CONTEXT)
    with pytest.raises(UndecryptableData):
        cipher.open_text(keyring("k1:" + key_text()), sealed, CONTEXT)


def test_a_ciphertext_copied_into_another_column_is_refused():
    ring = keyring()
    sealed = cipher.seal_text(ring, "640221198503150018", "unit_owners.id_number")
    with pytest.raises(UndecryptableData):
        cipher.open_text(ring, sealed, "encumbrances.holder_id_number")


@pytest.mark.parametrize("stored", ["王建国", "enc1:k1:not base64!", "enc1:k1:" + base64.b64encode(b"short").decode(),
                                    "enc1::", "enc1:" + "x" * 41 + ":AAAA"])
def test_a_plaintext_or_malformed_value_where_a_ciphertext_belongs_is_refused(stored):
    with pytest.raises(UndecryptableData):
        cipher.open_text(keyring(), stored, CONTEXT)
    with pytest.raises(UndecryptableData):
        cipher.open_bytes(keyring(), stored.encode(), CONTEXT)


# --- keys ----------------------------------------------------------------------------------------

def test_data_keys_from_settings_are_newest_first():
    settings = Settings(data_dir="/nonexistent", data_keys=f"new:{key_text()}, old:{key_text()}",
                        blind_index_key=key_text())
    ring = load_keyring(settings)
    assert ring.current_key_id() == "new" and ring.provider.key_ids() == ["new", "old"]


@pytest.mark.parametrize("entry", ["no-separator", "bad id!:" + "A" * 44, "k1:not-base64!!", "k1:" + base64.b64encode(
    b"16 bytes is few.").decode(), "k1:{k},k1:{k}"])
def test_a_bad_data_key_setting_is_refused(entry):
    entries = entry.format(k=key_text()).split(",")
    with pytest.raises(InvalidKeyMaterial) as refused:
        StaticKeyProvider.from_setting(entries, None)
    assert refused.value.code == "keys.invalid"
    assert all(part.partition(":")[2] not in refused.value.detail for part in entries if ":" in part)  # no key echoed


def test_a_bad_blind_index_key_setting_is_refused(tmp_path):
    with pytest.raises(InvalidKeyMaterial):
        load_keyring(Settings(data_dir=tmp_path, blind_index_key="c2hvcnQ="))


def test_the_first_start_generates_private_key_files_and_a_rotation_adds_a_current_one(tmp_path):
    settings = Settings(data_dir=tmp_path)
    ring = load_keyring(settings)
    first = ring.current_key_id()
    key_file = tmp_path / "keys" / "data-keys" / f"{first}.key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "keys" / "blind-index.key").stat().st_mode & 0o777) == "0o600"
    assert load_keyring(settings).current_key_id() == first  # a second start keeps it
    sealed_before = cipher.seal_text(ring, "王建国", CONTEXT)

    elsewhere = load_keyring(settings)  # another process of the same gateway
    second = ring.provider.add_key()
    assert second != first and ring.current_key_id() == second
    sealed_after = cipher.seal_text(ring, "王建国", CONTEXT)
    assert cipher.open_text(elsewhere, sealed_after, CONTEXT) == "王建国"  # it reads the new key file on demand
    assert cipher.open_text(elsewhere, sealed_before, CONTEXT) == "王建国"


def test_a_key_file_wrapped_with_the_master_key_needs_that_master_key(tmp_path):
    master = tmp_path / "master.key"
    master.write_bytes(encode_key(secrets.token_bytes(32), None))
    wrapped = load_keyring(Settings(data_dir=tmp_path, master_key_path=master))
    key_file = next((tmp_path / "keys" / "data-keys").glob("*.key"))
    assert len(base64.b64decode(key_file.read_text())) == 40  # wrapped (RFC 3394), not the bare key
    sealed = cipher.seal_text(wrapped, "王建国", CONTEXT)
    assert cipher.open_text(load_keyring(Settings(data_dir=tmp_path, master_key_path=master)), sealed, CONTEXT) == "王建国"
    with pytest.raises(InvalidKeyMaterial, match="wrapped"):
        FileKeyProvider(tmp_path / "keys" / "data-keys", None)
    other = tmp_path / "other-master.key"
    other.write_bytes(encode_key(secrets.token_bytes(32), None))
    with pytest.raises(InvalidKeyMaterial, match="does not unwrap"):
        load_keyring(Settings(data_dir=tmp_path, master_key_path=other))
    with pytest.raises(InvalidKeyMaterial, match="missing"):
        load_keyring(Settings(data_dir=tmp_path, master_key_path=tmp_path / "absent.key"))


def test_a_current_file_naming_a_missing_key_is_refused(tmp_path):
    directory = tmp_path / "data-keys"
    directory.mkdir()
    (directory / "k1.key").write_bytes(encode_key(os.urandom(32), None))
    (directory / "current").write_text("k2")
    with pytest.raises(InvalidKeyMaterial, match="no file"):
        FileKeyProvider(directory)


# --- the blind index -------------------------------------------------------------------------------

def test_the_blind_index_is_keyed_and_ignores_case_and_spaces():
    ring, other = keyring(), keyring()
    index = ring.blind_index("64022119850315001x")
    assert index == ring.blind_index(" 64022119850315001X ") and len(index) == 64
    assert index != other.blind_index("64022119850315001X")  # another key, another index
    assert "64022119850315001" not in index


# --- cost --------------------------------------------------------------------------------------------

def test_sealing_and_opening_a_field_costs_microseconds():
    ring, fields = keyring(), 5000
    started = time.perf_counter()
    for n in range(fields):
        cipher.open_text(ring, cipher.seal_text(ring, f"王建国{n}", CONTEXT), CONTEXT)
    per_field = (time.perf_counter() - started) / fields * 1e6
    checked(f"seal + open of a short field: {per_field:.1f} µs")
    assert per_field < 500  # a few µs on an idle machine; generous for a loaded one
