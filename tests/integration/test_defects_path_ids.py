"""Ids in paths beyond what the database can hold are answered 404 or 422, never 500.

Acceptance testing found ``POST /v1/admin/deliveries/99999999999999999999/redrive`` answered 500
(SQLite cannot bind an integer over 64 bits). The routes are read from the application itself —
the API from its OpenAPI description, the staff web from its routers — so a route added later with
an integer in its path is covered without touching this test; on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.persistence.db import transaction
from gateway.staff.service import add_user
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, make_settings, seed, staff_headers, start_runtime
from tests.integration.helpers import submit_new
from tests.support import factories

CLERK_PASSWORD = "clerk-password-1"
PASSWORDS = {"reviewer": REVIEWER_PASSWORD, "supervisor": ADMIN_PASSWORD, "admin": ADMIN_PASSWORD,
             "clerk": CLERK_PASSWORD}
PARAMETER = re.compile(r"{([^}:]+)(?::[^}]+)?}")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
TOO_BIG = [2**63, 2**64 + 1, 2**70, 10**20]  # beyond a 64-bit integer; 10**20 as acceptance testing sent it
REFUSED = {404, 422}


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request, tmp_path, pki):
    overrides = {} if request.param == "sqlite" else {"database_url": request.getfixturevalue("postgres_url")}
    runtime = start_runtime(make_settings(tmp_path / "var", pki, **overrides))
    seed(runtime, pki)
    with transaction(runtime.sessions) as session:
        add_user(session, username="clerk", role="clerk", password=CLERK_PASSWORD, institution_code=factories.BANK_CODE)
    yield runtime
    runtime.close()


@pytest.fixture
def app(runtime):
    return create_app(runtime)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://gateway.test", raise_server_exceptions=False) as test_client:
        yield test_client


def integer_api_routes(app) -> list[tuple[str, str, list[str]]]:
    """(method, path, names of its integer path parameters) for every API operation that has one."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            names = [p["name"] for p in operation.get("parameters", [])
                     if p["in"] == "path" and p.get("schema", {}).get("type") == "integer"]
            if names:
                found.append((method.upper(), path, names))
    return found


def integer_web_routes() -> list[tuple[str, str, list[str]]]:
    """The same for the staff web, whose routes are kept out of the API description."""
    import gateway.web

    found = set()
    for module_info in pkgutil.iter_modules(gateway.web.__path__):
        router = getattr(importlib.import_module(f"gateway.web.{module_info.name}"), "router", None)
        for route in getattr(router, "routes", []):
            if not isinstance(route, APIRoute):
                continue
            names = tuple(p.name for p in route.dependant.path_params if p.field_info.annotation is int)
            if names:
                found.update((method, route.path, names) for method in route.methods - {"HEAD", "OPTIONS"})
    return sorted((method, path, list(names)) for method, path, names in found)


def filled(path: str, integers: list[str], value: int, application_no: str) -> str:
    def one(match: re.Match) -> str:
        name = match.group(1)
        if name in integers:
            return str(value)
        return application_no if name == "application_no" else "NOSUCHTHING"
    return PARAMETER.sub(one, path)


def web_sign_in(app, username: str) -> tuple[TestClient, str]:
    browser = TestClient(app, base_url="http://gateway.test", follow_redirects=False, raise_server_exceptions=False)
    token = CSRF_FIELD.search(browser.get("/login").text).group(1)
    signed_in = browser.post("/login", data={"username": username, "password": PASSWORDS[username], "csrf_token": token})
    assert signed_in.status_code == 303, signed_in.text
    page = browser.get(signed_in.headers["location"], follow_redirects=True)
    return browser, CSRF_FIELD.search(page.text).group(1)


def test_integer_ids_beyond_the_databases_range_in_api_paths_are_404_or_422(client, pki, bank_auth):
    number = submit_new(client, pki, bank_auth)
    routes = integer_api_routes(client.app)
    assert len(routes) >= 3, routes  # delivery redrive, postal requests, review materials (and what is added)
    headers = {role: staff_headers(client, role, PASSWORDS[role]) for role in ("reviewer", "supervisor", "admin")}
    for method, path, integers in routes:
        for value in TOO_BIG:
            url = filled(path, integers, value, number)
            answers = {role: client.request(method, url, json={}, headers=h).status_code for role, h in headers.items()}
            # Institution routes answer 401 to staff: a bank signs its own (a fresh signature per call).
            answers["bank"] = client.request(method, url, json={}, auth=bank_auth).status_code
            assert max(answers.values()) < 500, (method, url, answers)
            assert REFUSED & set(answers.values()), (method, url, answers)


def test_integer_ids_beyond_the_databases_range_in_web_paths_are_404_or_422(app, client, pki, bank_auth):
    number = submit_new(client, pki, bank_auth)
    routes = integer_web_routes()
    assert routes, "the reviewers' material viewer has an integer in its path"
    people = {role: web_sign_in(app, role) for role in PASSWORDS}
    for method, path, integers in routes:
        for value in TOO_BIG:
            url = filled(path, integers, value, number)
            answers = {role: browser.request(method, url, headers={"X-CSRF-Token": csrf}).status_code
                       for role, (browser, csrf) in people.items()}
            assert max(answers.values()) < 500, (method, url, answers)
            assert REFUSED & set(answers.values()), (method, url, answers)


def test_an_id_within_range_that_names_nothing_is_a_404(client, admin):
    answer = client.post(f"/v1/admin/postal-requests/{2**62}", json={"status": "PRINTED"}, headers=admin)

    assert answer.status_code == 404, answer.text


def test_an_id_beyond_range_is_refused_as_an_invalid_request(client, admin):
    answer = client.post("/v1/admin/postal-requests/99999999999999999999", json={"status": "PRINTED"}, headers=admin)

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "request.invalid"


def test_a_queue_filter_naming_an_institution_beyond_range_shows_nothing(app, client):
    browser, _ = web_sign_in(app, "reviewer")

    answer = browser.get(f"/review/queue?institution={2**70}")

    assert answer.status_code == 200, answer.text[:300]


def test_a_clerks_list_paged_beyond_range_is_not_an_error(app, client):
    browser, _ = web_sign_in(app, "clerk")

    answer = browser.get(f"/clerk/applications?before={2**70}")

    assert answer.status_code in (200, 422), answer.text[:300]
