"""Logs an operator can read: one line per event with time, level, logger, request id and actor;
refusals at INFO with their code; the request id returned as ``X-Request-ID`` on every response."""
from __future__ import annotations

import io
import json
import logging
import re
import warnings
from types import SimpleNamespace
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from gateway import logs
from gateway.api import problems
from gateway.api.bodies import BufferedBodies
from gateway.api.request_id import RequestIds
from gateway.errors import NotFound
from gateway.settings import Settings
from gateway.web.routing import LoginRequired, WebError, web_router

BANK = "91640221MA76B3KX56"
TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


@pytest.fixture
def logged(tmp_path):
    """Configure logging as `gateway serve` does, into a buffer; undo it afterwards."""
    streams: list[io.StringIO] = []
    root = logging.getLogger()
    root_level = root.level

    def start(**settings) -> io.StringIO:
        stream = io.StringIO()
        streams.append(stream)
        logs.configure(Settings(data_dir=tmp_path, **settings), stream=stream)
        return stream

    yield start
    for handler in [h for h in root.handlers if h.get_name() == logs.HANDLER_NAME]:
        root.removeHandler(handler)
    root.setLevel(root_level)
    for name in logs.LEVELLED_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.captureWarnings(False)


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_a_text_line_has_a_utc_timestamp_level_logger_request_id_actor_and_message(logged):
    stream = logged()
    token = logs.begin_request("req-1")
    try:
        logs.bind_actor(BANK)
        logging.getLogger("gateway.example").info("refused %s: %s", "POST /v1/x", "signature.invalid")
    finally:
        logs.end_request(token)
    [line] = lines(stream)
    assert re.fullmatch(TIMESTAMP + rf" INFO gateway\.example request_id=req-1 actor={BANK} "
                        r"refused POST /v1/x: signature\.invalid", line), line


def test_a_line_outside_any_request_shows_dashes_for_the_unknown_fields(logged):
    stream = logged()
    logging.getLogger("gateway.example").warning("event loop blocked")
    assert lines(stream)[0].endswith(" WARNING gateway.example request_id=- actor=- event loop blocked")


def test_a_json_line_has_the_same_fields(logged):
    stream = logged(log_format="json")
    token = logs.begin_request("req-2")
    try:
        logging.getLogger("gateway.example").info("refused %s", "x")
    finally:
        logs.end_request(token)
    entry = json.loads(lines(stream)[0])
    assert set(entry) == {"time", "level", "logger", "request_id", "actor", "message"}
    assert re.fullmatch(TIMESTAMP, entry["time"])
    assert (entry["level"], entry["logger"], entry["request_id"], entry["actor"], entry["message"]) == (
        "INFO", "gateway.example", "req-2", None, "refused x")


def test_a_json_line_carries_a_traceback_as_one_field(logged):
    stream = logged(log_format="json")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("gateway.example").exception("task failed")
    [line] = lines(stream)
    assert "Traceback" in json.loads(line)["exception"]


def test_a_message_with_a_newline_cannot_forge_a_second_line(logged):
    stream = logged()
    logging.getLogger("gateway.example").info("refused GET %s", "/x\n2026-01-01T00:00:00.000Z INFO forged")
    assert len(lines(stream)) == 1
    assert lines(stream)[0].endswith(r"refused GET /x\n2026-01-01T00:00:00.000Z INFO forged")


def test_a_database_errors_detail_line_that_quotes_the_row_is_withheld(logged):
    stream = logged()
    detail = "DETAIL:  Failing row contains (1, 王建国, 640221198503150018)."  # as psycopg words it
    try:  # (the traceback quotes this line, so the values stay on the line above)
        raise RuntimeError(f'new row violates check constraint "ck"\n{detail}')
    except RuntimeError:
        logging.getLogger("gateway.example").exception("task failed")
    text = stream.getvalue()
    assert "640221198503150018" not in text and "王建国" not in text
    assert "DETAIL: (withheld from the log" in text


def test_configuring_again_replaces_its_own_handler_and_leaves_others_alone(logged):
    other = logging.NullHandler()
    logging.getLogger().addHandler(other)
    try:
        logged()
        second = logged()
        ours = [h for h in logging.getLogger().handlers if h.get_name() == logs.HANDLER_NAME]
        assert len(ours) == 1 and ours[0].stream is second
        assert other in logging.getLogger().handlers
    finally:
        logging.getLogger().removeHandler(other)


def test_the_level_applies_to_the_gateway_uvicorn_and_celery_and_other_libraries_log_warnings_only(logged):
    stream = logged(log_level="DEBUG")
    logging.getLogger("gateway.tasks").debug("gateway debug")
    logging.getLogger("uvicorn.error").debug("uvicorn debug")
    logging.getLogger("celery.worker").debug("celery debug")
    logging.getLogger("httpcore.http11").debug("library debug: headers")
    logging.getLogger("multipart").info("library info: field data")
    logging.getLogger("httpx").warning("library warning")
    messages = [line.split(" ", 5)[5] for line in lines(stream)]
    assert messages == ["gateway debug", "uvicorn debug", "celery debug", "library warning"]


def test_the_level_setting_leaves_out_less_severe_lines(logged):
    stream = logged(log_level="WARNING")
    logging.getLogger("gateway.api.problems").info("refused GET /x: not_found")
    logging.getLogger("gateway.tasks").warning("could not send")
    assert [line.split(" ", 5)[5] for line in lines(stream)] == ["could not send"]


def test_python_warnings_become_log_lines(logged):
    stream = logged()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a library warning", UserWarning, stacklevel=1)
    assert " WARNING py.warnings " in stream.getvalue()


# --- the request id middleware -----------------------------------------------------------------

def signed_institution() -> str:
    """A plain def dependency, run on the thread pool like the real one."""
    logs.bind_actor(BANK)
    return BANK


Signed = Annotated[str, Depends(signed_institution)]


def an_app(tmp_path) -> FastAPI:
    """A small app wired like the gateway's: request ids outermost, then the body reader."""
    runtime = SimpleNamespace(settings=Settings(data_dir=tmp_path, max_request_bytes=100))
    app = FastAPI()
    app.add_middleware(BufferedBodies, runtime=lambda: runtime)
    app.add_middleware(RequestIds)
    problems.install(app)

    @app.get("/v1/seen")
    def seen(_: Signed) -> dict:  # another thread-pool hop
        return {"request_id": logs.current_request_id(), "actor": logs.current_actor()}

    @app.get("/v1/refused")
    def refused(_: Signed) -> None:
        raise NotFound("no such application")

    @app.get("/v1/typed/{number}")
    def typed(number: int) -> dict:
        return {"number": number}

    @app.post("/v1/applications")
    def submit() -> dict:
        return {}

    @app.get("/v1/broken")
    def broken() -> None:
        raise RuntimeError("a bug")

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    web = web_router()

    @web.get("/review/queue")
    def queue() -> None:
        raise LoginRequired()

    @web.get("/admin/page")
    def admin_page() -> None:
        raise WebError(403, "无权访问", "此页面仅供管理员使用。")

    app.include_router(web)
    return app


@pytest.fixture
def client(tmp_path):
    with TestClient(an_app(tmp_path), base_url="http://gateway.test", raise_server_exceptions=False) as client:
        yield client


def test_every_response_carries_a_request_id_made_for_it(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_well_formed_request_id_the_client_sends_is_kept(client):
    response = client.get("/v1/seen", headers={"X-Request-ID": "bank-REQ.2026_0001"})
    assert response.headers["X-Request-ID"] == "bank-REQ.2026_0001"


@pytest.mark.parametrize("sent", [b"has space", b"x" * 65, b"semi;colon", "中文".encode(), b"a\tb", b""])
def test_a_malformed_request_id_is_replaced_not_refused(client, sent):
    response = client.get("/healthz", headers={"X-Request-ID": sent})
    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_the_request_id_and_the_actor_bound_in_a_dependency_reach_a_thread_pool_endpoint(client):
    response = client.get("/v1/seen")
    assert response.json() == {"request_id": response.headers["X-Request-ID"], "actor": BANK}


def test_a_refusal_is_logged_at_info_with_its_code_the_request_id_and_the_actor(client, logged):
    stream = logged()
    response = client.get("/v1/refused")
    assert response.status_code == 404
    rid = response.headers["X-Request-ID"]
    assert f" INFO gateway.api.problems request_id={rid} actor={BANK} refused GET /v1/refused: not_found" \
        in stream.getvalue()


def test_a_request_validation_refusal_is_logged_with_its_code(client, logged):
    stream = logged()
    response = client.get("/v1/typed/not-a-number")
    assert response.status_code == 422
    assert (f"request_id={response.headers['X-Request-ID']} actor=- refused GET /v1/typed/not-a-number: "
            "request.invalid") in stream.getvalue()


def test_a_body_refused_before_the_app_ran_carries_the_request_id_and_is_logged(client, logged):
    stream = logged()
    response = client.post("/v1/applications", content=b"<x/>" * 100)
    assert response.status_code == 413
    rid = response.headers["X-Request-ID"]
    assert f"request_id={rid} actor=- refused POST /v1/applications: xml.too_large" in stream.getvalue()


def test_a_web_refusal_is_logged_with_its_code_and_its_page_carries_the_request_id(client, logged):
    stream = logged()
    page = client.get("/admin/page")
    redirect = client.get("/review/queue", follow_redirects=False)
    assert (page.status_code, redirect.status_code) == (403, 303)
    assert page.headers["X-Request-ID"] and redirect.headers["X-Request-ID"]
    text = stream.getvalue()
    assert f"request_id={page.headers['X-Request-ID']} actor=- refused GET /admin/page: web.403" in text
    assert f"request_id={redirect.headers['X-Request-ID']} actor=- refused GET /review/queue: web.login_required" in text


def test_an_unhandled_error_is_answered_500_with_the_request_id(client, logged):
    stream = logged()
    response = client.get("/v1/broken")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert f"request_id={response.headers['X-Request-ID']} actor=- GET /v1/broken 500 " in stream.getvalue()


def test_one_access_line_per_request_with_method_path_status_and_duration_but_no_query_string(client, logged):
    stream = logged()
    response = client.get("/v1/seen?after=640221198503150018")
    rid = response.headers["X-Request-ID"]
    [line] = [line for line in lines(stream) if "gateway.access" in line]
    assert re.search(rf" INFO gateway\.access request_id={rid} actor={BANK} GET /v1/seen 200 \d+ ms$", line), line
    assert "640221198503150018" not in stream.getvalue()


def test_health_checks_are_logged_at_debug_only(client, logged):
    stream = logged()
    client.get("/healthz")
    assert "gateway.access" not in stream.getvalue()
    stream = logged(log_level="DEBUG")
    client.get("/healthz")
    assert " DEBUG gateway.access " in stream.getvalue()


def test_the_request_context_ends_with_the_request(client):
    client.get("/v1/seen")
    assert logs.current_request_id() is None and logs.current_actor() is None


def test_acting_as_names_the_actor_of_a_command_for_its_duration_only():
    with logs.acting_as("cli:operator"):
        assert logs.current_actor() == "cli:operator"
    assert logs.current_actor() is None


def test_a_celery_worker_takes_the_gateways_logging_set_up_instead_of_its_own(logged):
    from celery import signals

    import gateway.tasks.celery_app  # noqa: F401 (connects the receiver)

    logged()  # (so the fixture undoes what the receiver installs)
    answered = signals.setup_logging.send(sender=None, loglevel=logging.INFO, logfile=None, format="", colorize=False)
    assert answered, "nobody answered setup_logging: Celery would install its own handlers and format"
    ours = [h for h in logging.getLogger().handlers if h.get_name() == logs.HANDLER_NAME]
    assert len(ours) == 1 and isinstance(ours[0].formatter, logs.TextFormatter)


def test_database_errors_do_not_quote_the_statements_parameters(tmp_path):
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from gateway.persistence.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as connection, pytest.raises(OperationalError) as raised:
            connection.execute(text("SELECT * FROM no_such_table WHERE id_number = :n"), {"n": "640221198503150018"})
    finally:
        engine.dispose()
    assert "640221198503150018" not in str(raised.value)
