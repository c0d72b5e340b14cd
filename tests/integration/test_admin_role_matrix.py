"""Who may use the admin routes: every route under ``/v1/admin`` and ``/admin``, for every role.

The routes are read from the application itself, so an admin route added later is covered
without touching this test: nobody signed out gets in (401 on the API, the sign-in page on the
web), no reviewer, supervisor or clerk gets in (403), and an administrator is never refused for
who they are (whatever else the dummy ids make the route answer).
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
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, staff_headers
from tests.support import factories

CLERK_PASSWORD = "clerk-password-1"
PASSWORDS = {"reviewer": REVIEWER_PASSWORD, "supervisor": ADMIN_PASSWORD, "clerk": CLERK_PASSWORD,
             "admin": ADMIN_PASSWORD}
NOT_ADMINS = ("reviewer", "supervisor", "clerk")
PARAMETER = re.compile(r"{([^}:]+)(?::[^}]+)?}")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def _admin_api_routes(app) -> list[tuple[str, str]]:
    """Every admin operation the API describes (its OpenAPI description is complete: test_docs)."""
    return [(method.upper(), _filled(path)) for path, operations in app.openapi()["paths"].items()
            if path.startswith("/v1/admin/") for method in operations]


def _admin_web_routes() -> list[tuple[str, str]]:
    """Every admin page and form of the staff web (its routes are kept out of the API description)."""
    import gateway.web

    found = set()
    for module_info in pkgutil.iter_modules(gateway.web.__path__):
        router = getattr(importlib.import_module(f"gateway.web.{module_info.name}"), "router", None)
        for route in getattr(router, "routes", []):
            if isinstance(route, APIRoute) and route.path.startswith("/admin"):
                found.update((method, _filled(route.path)) for method in route.methods - {"HEAD", "OPTIONS"})
    return sorted(found)


def _filled(path: str) -> str:
    return PARAMETER.sub(lambda match: _dummy(match.group(1)), path)


def _dummy(name: str) -> str:
    """A well-formed value for a path parameter, naming nothing that exists."""
    if name.endswith("id"):
        return "987654"
    if name == "fingerprint":
        return "0" * 64
    return "NOSUCHTHING"


@pytest.fixture
def app(runtime):
    with transaction(runtime.sessions) as session:
        add_user(session, username="clerk", role="clerk", password=CLERK_PASSWORD, institution_code=factories.BANK_CODE)
    return create_app(runtime)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://gateway.test", follow_redirects=False) as test_client:
        yield test_client


def test_the_admin_api_is_for_administrators_only(app, client):
    routes = _admin_api_routes(app)
    assert len(routes) >= 15, routes  # institutions, certificates, trust anchors, staff, deliveries, evidence
    headers = {role: staff_headers(client, role, PASSWORDS[role]) for role in PASSWORDS}
    for method, path in routes:
        anonymous = client.request(method, path, json={})
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        for role in NOT_ADMINS:
            refused = client.request(method, path, json={}, headers=headers[role])
            assert refused.status_code == 403, (role, method, path, refused.text)
            assert refused.json()["code"] == "auth.forbidden"
        allowed = client.request(method, path, json={}, headers=headers["admin"])
        assert allowed.status_code not in (401, 403), (method, path, allowed.text)


def _web_sign_in(app, username: str, password: str) -> tuple[TestClient, str]:
    browser = TestClient(app, base_url="http://gateway.test", follow_redirects=False)
    form = browser.get("/login")
    token = CSRF_FIELD.search(form.text).group(1)
    signed_in = browser.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert signed_in.status_code == 303, signed_in.text
    page = browser.get(signed_in.headers["location"], follow_redirects=True)
    return browser, CSRF_FIELD.search(page.text).group(1)


def test_the_admin_pages_are_for_administrators_only(app):
    routes = _admin_web_routes()
    assert len([method for method, _ in routes if method == "GET"]) >= 6, routes
    assert len([method for method, _ in routes if method == "POST"]) >= 4, routes

    anonymous = TestClient(app, base_url="http://gateway.test", follow_redirects=False)
    for method, path in routes:
        answer = anonymous.request(method, path)
        if method == "GET":
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), (path, answer.status_code)
        else:  # no session, no CSRF token: refused before anything else
            assert answer.status_code in (401, 403), (method, path, answer.status_code)

    people = {role: _web_sign_in(app, role, PASSWORDS[role]) for role in PASSWORDS}
    for method, path in routes:
        for role in NOT_ADMINS:
            browser, csrf = people[role]
            refused = browser.request(method, path, headers={"X-CSRF-Token": csrf})
            assert refused.status_code == 403, (role, method, path, refused.status_code)
            assert "无权访问" in refused.text
        browser, csrf = people["admin"]
        allowed = browser.request(method, path, headers={"X-CSRF-Token": csrf})
        assert allowed.status_code not in (401, 403), (method, path, allowed.status_code, allowed.text[:300])
