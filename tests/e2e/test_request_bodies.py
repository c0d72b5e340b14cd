"""Bodies that arrive slowly, stop half-way, announce too much, or are cancelled: each gets a
clear answer (408 or 4xx), holds no lock while it dawdles, and leaves nothing half-stored.
Against a real `gateway serve` on the embedded default, whose write lock is the one to hold."""
from __future__ import annotations

import re
import socket
import time
import uuid

import httpx
import pytest
from sqlalchemy import create_engine, text

from signing.httpsig import sign_headers
from tests.e2e.test_concurrent_clients import PASSWORD, upload_materials
from tests.support import factories
from tests.support.onboarding import onboard
from tests.support.processes import gateway_env, start_server

IDLE_S = 1.5
TOTAL_S = 4.0


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, pki):
    tmp_path = tmp_path_factory.mktemp("bodies")
    env = gateway_env(tmp_path / "var", pki, GATEWAY_BODY_IDLE_TIMEOUT_SECONDS=str(IDLE_S),
                      GATEWAY_BODY_TIMEOUT_SECONDS=str(TOTAL_S))
    onboard(env, pki, tmp_path, password=PASSWORD)
    server, base_url = start_server(env, tmp_path)
    upload_materials(base_url, pki)
    yield base_url, tmp_path / "var" / "gateway.db"
    server.stop()


def port_of(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[-1])


def send_head(base_url: str, head: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port_of(base_url)), timeout=15)
    sock.sendall(head.encode("latin-1"))
    return sock


def read_answer(sock: socket.socket) -> tuple[int, bytes]:
    """The status and the whole answer (head and the body its Content-Length announces)."""
    answer = b""
    while True:
        head, _, body = answer.partition(b"\r\n\r\n")
        length = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
        if _ and length and len(body) >= int(length.group(1)):
            break
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


def a_submission(pki) -> bytes:
    return factories.signed_request(factories.application(request_id=f"BODY-{uuid.uuid4().hex[:16]}"), pki.bank)


def submit(base_url: str, body: bytes) -> httpx.Response:
    return httpx.post(f"{base_url}/v1/applications", content=body, headers={"Content-Type": "application/xml"},
                      timeout=30)


def test_a_body_that_stops_half_way_is_answered_408_after_the_idle_timeout(gateway):
    base_url, _ = gateway
    sock = send_head(base_url, "PUT /v1/materials/" + "a" * 64 + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
    sock.sendall(b"x" * 500)
    started = time.monotonic()
    status, answer = read_answer(sock)
    sock.close()
    assert status == 408
    assert b"request.body_timeout" in answer and b"application/problem+json" in answer
    assert IDLE_S - 0.2 < time.monotonic() - started < IDLE_S + 3


def test_a_body_that_trickles_in_is_answered_408_at_the_total_deadline(gateway):
    base_url, _ = gateway
    sock = send_head(base_url, "POST /v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
                               "Content-Length: 100000\r\n\r\n")
    started, status = time.monotonic(), None
    sock.settimeout(0.5)
    answer = b""
    while status is None and time.monotonic() - started < TOTAL_S + 5:
        try:
            sock.sendall(b"<")
            answer += sock.recv(65536)
            status = int(answer.split(b" ", 2)[1])
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
    sock.close()
    assert status == 408, answer
    assert TOTAL_S - 0.5 < time.monotonic() - started < TOTAL_S + 3


def test_a_declared_length_over_the_limit_is_refused_before_any_byte_is_read(gateway):
    base_url, _ = gateway
    sock = send_head(base_url, "POST /v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
                               f"Content-Length: {10 * 1_048_576}\r\n\r\n")
    status, answer = read_answer(sock)
    sock.close()
    assert status == 413 and b"xml.too_large" in answer


def test_a_large_signed_body_with_an_unknown_key_is_refused_before_it_is_read(gateway, pki):
    base_url, _ = gateway
    url = f"{base_url}/v1/materials/{'b' * 64}"
    body = b"%PDF" + b"0" * 200_000
    headers = sign_headers(method="PUT", url=url, headers={"Content-Type": "application/pdf"}, body=body,
                           key_id=pki.untrusted.fingerprint + "0", private_key=pki.untrusted.key)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock = send_head(base_url, f"PUT /v1/materials/{'b' * 64} HTTP/1.1\r\nHost: x\r\nContent-Type: application/pdf\r\n"
                               f"Content-Length: {len(body)}\r\n{head}\r\n")
    status, answer = read_answer(sock)  # answered without a byte of the body sent
    sock.close()
    assert status == 401 and b"http_signature.unknown_key" in answer


def test_a_large_signed_body_with_a_stale_signature_is_refused_before_it_is_read(gateway, pki):
    from datetime import datetime, timedelta, timezone

    base_url, _ = gateway
    url = f"{base_url}/v1/materials/{'c' * 64}"
    body = b"%PDF" + b"0" * 200_000
    headers = sign_headers(method="PUT", url=url, headers={}, body=body, key_id=pki.bank.fingerprint,
                           private_key=pki.bank.key, created=datetime.now(timezone.utc) - timedelta(hours=1))
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock = send_head(base_url, f"PUT /v1/materials/{'c' * 64} HTTP/1.1\r\nHost: x\r\n"
                               f"Content-Length: {len(body)}\r\n{head}\r\n")
    status, answer = read_answer(sock)
    sock.close()
    assert status == 401 and b"http_signature.invalid" in answer


def test_a_client_dawdling_over_its_body_holds_no_lock(gateway, pki):
    base_url, _ = gateway
    slow = send_head(base_url, "POST /v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
                               "Content-Length: 5000\r\n\r\n<MortgageApplication")
    try:
        started = time.monotonic()
        response = submit(base_url, a_submission(pki))
        assert response.status_code == 202, response.text
        assert time.monotonic() - started < IDLE_S  # answered while the slow client still dawdles
        signed_in = httpx.post(f"{base_url}/v1/staff/sessions", json={"username": "reviewer", "password": PASSWORD},
                               timeout=30)
        assert signed_in.status_code == 200
    finally:
        slow.close()


def test_a_submission_whose_client_hangs_up_half_way_leaves_nothing(gateway, pki):
    base_url, database = gateway
    body = a_submission(pki)
    sock = send_head(base_url, "POST /v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
                               f"Content-Length: {len(body)}\r\n\r\n")
    sock.sendall(body[: len(body) // 2])
    sock.close()
    time.sleep(0.5)
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        found = connection.execute(text("SELECT count(*) FROM applications WHERE request_sha256 = :sha"),
                                   {"sha": factories.sha256(body)}).scalar()
    engine.dispose()
    assert found == 0
    assert submit(base_url, body).status_code == 202  # the same request, sent whole, is accepted


def test_a_submission_cancelled_after_sending_is_stored_whole_or_not_at_all(gateway, pki):
    base_url, database = gateway
    bodies = [a_submission(pki) for _ in range(5)]
    for body in bodies:
        sock = send_head(base_url, "POST /v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
                                   f"Content-Length: {len(body)}\r\n\r\n")
        sock.sendall(body)
        sock.close()  # gone before the answer
    time.sleep(2)
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        for body in bodies:
            row = connection.execute(text(
                "SELECT (SELECT count(*) FROM signed_documents d WHERE d.application_id = a.id), "
                "(SELECT count(*) FROM application_events e WHERE e.application_id = a.id) "
                "FROM applications a WHERE request_sha256 = :sha"), {"sha": factories.sha256(body)}).first()
            assert row is None or tuple(row) == (2, 1), row  # request and receipt, the submit event
    engine.dispose()
