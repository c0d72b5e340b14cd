"""Every route of the gateway, for every kind of caller, answers as the permission table says.

The routes are read from the application itself (the OpenAPI description, the staff web's routers,
and whatever else is mounted), so a route added later is walked without touching this test; one
that does not name its action in the table (gateway/permissions.py) fails it. Each route is
called by nobody, by bank A and bank B (HTTP- or XML-signed), by a department (the tax bureau, with its
registered key), by a clerk of bank A and one of bank B, and by a reviewer, a supervisor and an
administrator, on an application of bank A. Where the table
says no, the answer must not be a success; where it says yes, it must not be a refusal for who the
caller is (401, 403, the sign-in page) — whatever else the dummy input makes the route answer.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from lxml import etree

from bank_adapters.canonical import Mortgagee

from gateway import permissions
from gateway.api.app import create_app
from gateway.permissions import Actor, Grant
from gateway.institutions.administration import create_institution
from gateway.persistence.db import transaction
from gateway.staff.service import add_user
from signing.httpsig import HttpSignatureAuth
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, make_settings, seed, start_runtime
from tests.support import factories
from tests.support import scenarios as s
from tests.support.register import add_mortgage

DOCS = Path(__file__).resolve().parents[2] / "docs"
CLERK_PASSWORD = "clerk-password-1"
PARAMETER = re.compile(r"{([^}:]+)(?::[^}]+)?}")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
BANK_A, BANK_B = factories.BANK_CODE, factories.OTHER_BANK_CODE
# Department actions are granted to institutions too (a housing-fund centre may be a department); the endpoint
# then refuses one without the right department role with a code of its own, which is not the table's answer.
ROLE_REFUSALS = frozenset({"department.not_a_department", "subscription.not_department", "record.role_not_allowed"})
# What the staff web answers a refusal for who the caller is with (gateway/web/auth.py, routing.py).
WEB_REFUSALS = ("请先登录", "无权访问", "请先完成账号安全设置", "请求已被拒绝")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as declared, with {parameters}
    action: str
    actors: frozenset[Actor]  # whom the route's credentials can stand for at all
    web: bool


@dataclass
class Caller:
    name: str
    actor: Actor
    institution: str | None = None  # the institution a bank or clerk acts for
    username: str | None = None
    password: str | None = None
    auth: HttpSignatureAuth | None = None  # an institution's HTTP signature
    identity: object = None  # an institution's key pair, for XML it signs
    headers: dict[str, str] = field(default_factory=dict)  # a staff bearer token
    browser: TestClient | None = None
    csrf: str = ""


# --- the routes -------------------------------------------------------------------------------

def _declared(dependant) -> Iterator[tuple[str, frozenset[Actor]]]:
    for dependency in dependant.dependencies:
        action = getattr(dependency.call, "permission_action", None)
        if action is not None:
            yield action, dependency.call.permission_actors
        yield from _declared(dependency)


def all_routes(app) -> tuple[list[Route], list[str]]:
    """Every route the app serves, each with the action it declares; and the routes that declare none
    or several."""
    routes, undeclared = [], []
    for context in iter_route_contexts(app.routes):
        methods = sorted((context.methods or set()) - {"HEAD", "OPTIONS"})
        if not isinstance(context.original_route, APIRoute):
            action = permissions.FRAMEWORK_ROUTES.get(context.path)
            if action is None:
                undeclared.extend(f"{method} {context.path}" for method in methods)
            routes.extend(Route(method, context.path, action, frozenset(Actor), False) for method in methods if action)
            continue
        declared = set(_declared(context.dependant))
        if len(declared) != 1:
            names = sorted(action for action, _ in declared)
            undeclared.extend(f"{method} {context.path} declares {names}" for method in methods)
            continue
        (action, actors), = declared
        web = context.original_route.endpoint.__module__.startswith("gateway.web.")
        routes.extend(Route(method, context.path, action, actors, web) for method in methods)
    return routes, undeclared


def web_module_routes() -> set[tuple[str, str]]:
    """The staff web's routes as its modules declare them (they are kept out of the API description)."""
    import gateway.web

    found = set()
    for module_info in pkgutil.iter_modules(gateway.web.__path__):
        router = getattr(importlib.import_module(f"gateway.web.{module_info.name}"), "router", None)
        for route in getattr(router, "routes", []):
            if isinstance(route, APIRoute):
                found.update((method, route.path) for method in route.methods - {"HEAD", "OPTIONS"})
    return found


# --- the world: one runtime, one application of bank A, signed-in callers ----------------------

@dataclass
class World:
    app: object
    client: TestClient
    callers: list[Caller]
    application_no: str  # bank A's first mortgage
    transfer_no: str  # bank A's transfer of a mortgage to bank B (bank B is its transferee)


@pytest.fixture(scope="module")
def world(tmp_path_factory, pki) -> Iterator[World]:
    runtime = start_runtime(make_settings(tmp_path_factory.mktemp("permissions") / "var", pki))
    seed(runtime, pki)
    with transaction(runtime.sessions) as session:
        add_user(session, username="clerk-a", role="clerk", password=CLERK_PASSWORD, institution_code=BANK_A)
        add_user(session, username="clerk-b", role="clerk", password=CLERK_PASSWORD, institution_code=BANK_B)
        add_mortgage(session, certificate_no=s.EXISTING_NO)
        create_institution(session, actor="test", request_id=None, code=factories.TAX_BUREAU_CODE, name="税务局",
                           kind="department", cert_pem=pki.tax_bureau.cert_pem, trust=runtime.trust,
                           department_role="tax_bureau")
    app = create_app(runtime)
    with TestClient(app, base_url="http://gateway.test", follow_redirects=False) as client:
        bank_a, bank_b = s.main_bank(pki), s.other_bank(pki)
        application_no = s.submit_ok(client, s.first(), bank_a)
        transfer_no = s.submit_ok(client, s.transfer(s.EXISTING_NO), bank_a)
        callers = [
            Caller("anonymous", Actor.ANONYMOUS),
            Caller("bank A", Actor.INSTITUTION, BANK_A, auth=bank_a.auth, identity=pki.bank),
            Caller("bank B", Actor.INSTITUTION, BANK_B, auth=bank_b.auth, identity=pki.other_bank),
            Caller("tax bureau", Actor.DEPARTMENT, factories.TAX_BUREAU_CODE, identity=pki.tax_bureau,
                   auth=HttpSignatureAuth(key_id=pki.tax_bureau.fingerprint, private_key=pki.tax_bureau.key)),
            Caller("clerk of bank A", Actor.CLERK, BANK_A, "clerk-a", CLERK_PASSWORD),
            Caller("clerk of bank B", Actor.CLERK, BANK_B, "clerk-b", CLERK_PASSWORD),
            Caller("reviewer", Actor.REVIEWER, None, "reviewer", REVIEWER_PASSWORD),
            Caller("supervisor", Actor.SUPERVISOR, None, "supervisor", ADMIN_PASSWORD),
            Caller("admin", Actor.ADMIN, None, "admin", ADMIN_PASSWORD),
        ]
        for caller in callers:
            _sign_in(app, client, caller)
        yield World(app, client, callers, application_no, transfer_no)
        for caller in callers:
            caller.browser.close()
    runtime.close()


def _sign_in(app, client: TestClient, caller: Caller) -> None:
    """A bearer token for the API and a browser session for the web (staff); a bare browser otherwise."""
    caller.browser = TestClient(app, base_url="http://gateway.test", follow_redirects=False)
    if caller.username is None:
        return
    token = client.post("/v1/staff/sessions", json={"username": caller.username, "password": caller.password})
    assert token.status_code == 200, token.text
    caller.headers = {"Authorization": f"Bearer {token.json()['token']}"}
    caller.csrf = _browser_sign_in(caller)


def _browser_sign_in(caller: Caller) -> str:
    browser = caller.browser
    form = browser.get("/login")
    token = CSRF_FIELD.search(form.text).group(1)
    signed_in = browser.post("/login", data={"username": caller.username, "password": caller.password,
                                             "csrf_token": token})
    assert signed_in.status_code == 303, signed_in.text
    page = browser.get("/account/security")
    return CSRF_FIELD.search(page.text).group(1)


# --- what the table expects -------------------------------------------------------------------

def application_of(route: Route, world: World) -> str:
    # The transferee's confirmation needs a transfer; every other route gets bank A's first mortgage.
    return world.transfer_no if route.action == "application.confirm_transfer" else world.application_no


def expected(route: Route, caller: Caller) -> bool:
    """Whether the table lets ``caller`` through ``route``: the route's credentials must be able to
    stand for the caller, the table must grant the action, and an ownership grant must reach the
    application in the path (bank A applied for both; bank B is the transferee of the transfer)."""
    if caller.actor not in route.actors:
        return False
    extent = permissions.grant(caller.actor, route.action)
    if extent is None:
        return False
    if extent is Grant.ALL or "{application_no}" not in route.path:
        return True
    transferee = BANK_B if route.action == "application.confirm_transfer" else None
    return {Grant.OWN: caller.institution == BANK_A,
            Grant.TRANSFEREE: caller.institution == transferee,
            Grant.PARTY: caller.institution in (BANK_A, transferee)}[extent]


# --- calling a route --------------------------------------------------------------------------

def filled(route: Route, world: World) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        return {"application_no": application_of(route, world), "kind": "receipt", "fmt": "pdf", "position": "0",
                "sha256": "0" * 64, "fingerprint": "0" * 64, "name": "web.css"}.get(
            name, "987654" if name.endswith("id") else "NOSUCHTHING")
    return PARAMETER.sub(value, route.path)


def xml_body(caller: Caller) -> bytes:
    """An application signed by the calling institution in its own name; unsigned from anyone else."""
    if caller.identity is None:
        return etree.tostring(factories.unsigned_xml(factories.application()))
    mortgagee = {BANK_A: s.BANK, BANK_B: s.OTHER_BANK}.get(caller.institution)
    if mortgagee is None:  # a department signing in its own name
        mortgagee = Mortgagee(caller.institution, "税务局")
    return factories.signed_request(factories.application(mortgagee=mortgagee), caller.identity)


def call_api(route: Route, caller: Caller, world: World):
    path, client = filled(route, world), world.client
    if route.action == "account.sign_in":  # signing in is for anyone who holds credentials
        username, password = caller.username or "reviewer2", caller.password or REVIEWER_PASSWORD
        return client.post(path, json={"username": username, "password": password})
    if route.action == "application.submit":
        return client.request(route.method, path, content=xml_body(caller), headers={"Content-Type": "application/xml"})
    return client.request(route.method, path, json={}, headers=caller.headers, auth=caller.auth)


def call_web(route: Route, caller: Caller, world: World):
    path, browser = filled(route, world), caller.browser
    if route.method == "GET":
        return browser.get(path, auth=caller.auth)
    if route.path == "/login":  # a session of its own: signing in again must not end the caller's
        throwaway = TestClient(world.app, base_url="http://gateway.test", follow_redirects=False)
        token = CSRF_FIELD.search(throwaway.get("/login").text).group(1)
        username, password = caller.username or "reviewer2", caller.password or REVIEWER_PASSWORD
        try:
            return throwaway.post("/login", data={"username": username, "password": password, "csrf_token": token})
        finally:
            throwaway.close()
    if caller.username is None:  # the sign-in form's token (double submit), which the web's public forms need
        caller.csrf = CSRF_FIELD.search(browser.get("/login").text).group(1)
    return browser.request(route.method, path, data={"csrf_token": caller.csrf}, auth=caller.auth)


def is_success(route: Route, response) -> bool:
    if 200 <= response.status_code < 300:
        return True
    return 300 <= response.status_code < 400 and not _to_sign_in(route, response)


def is_refusal(route: Route, response) -> bool:
    """Refused for who the caller is: 401/403 from the API; the sign-in redirect or a refusal page on the web."""
    if not route.web:
        return response.status_code in (401, 403) and not _role_refusal(route, response)
    if _to_sign_in(route, response):
        return True
    return response.status_code in (401, 403) and any(title in response.text for title in WEB_REFUSALS)


def _role_refusal(route: Route, response) -> bool:
    if not route.action.startswith("department.") or response.status_code != 403:
        return False
    try:
        return response.json().get("code") in ROLE_REFUSALS
    except ValueError:
        return False


def _to_sign_in(route: Route, response) -> bool:
    return route.web and response.headers.get("location", "").startswith("/login?next=")


def _gist(response) -> str:
    title = re.search(r"<title>([^<]*)</title>", response.text)
    return title.group(1) if title else response.text[:160]


def order(route: Route) -> tuple:
    # Signing out ends the caller's web session: it is walked last.
    return (route.path == "/logout", route.web, route.path, route.method)


def walk(world: World, routes: list[Route]) -> tuple[list[str], int]:
    wrong, calls = [], 0
    for caller in world.callers:
        for route in sorted(routes, key=order):
            response = (call_web if route.web else call_api)(route, caller, world)
            calls += 1
            allowed = expected(route, caller)
            if allowed and is_refusal(route, response):
                wrong.append(f"{caller.name} refused {route.method} {route.path} ({route.action}): "
                             f"{response.status_code} {_gist(response)}")
            elif not allowed and is_success(route, response):
                wrong.append(f"{caller.name} let through {route.method} {route.path} ({route.action}): "
                             f"{response.status_code}")
            elif (allowed and not route.web and response.status_code == 404 and "{application_no}" in route.path
                  and "no such application" in response.text):
                wrong.append(f"{caller.name} denied its own application by {route.method} {route.path}")
    return wrong, calls


# --- the tests --------------------------------------------------------------------------------

def test_every_route_names_one_action_of_the_permission_table(world):
    routes, undeclared = all_routes(world.app)
    assert undeclared == [], "routes without exactly one action of gateway/permissions.py:\n" + "\n".join(undeclared)
    served = {(route.method, route.path) for route in routes}
    described = {(method.upper(), path) for path, operations in world.app.openapi()["paths"].items()
                 for method in operations}
    assert described <= served and web_module_routes() <= served
    assert {route.action for route in routes} == set(permissions.PERMISSIONS), "every action of the table is used"


def test_every_api_route_answers_every_caller_as_the_table_says(world):
    routes = [route for route in all_routes(world.app)[0] if not route.web]
    assert len(routes) >= 60, routes
    wrong, calls = walk(world, routes)
    print(f"{calls} API calls: {len(routes)} routes × {len(world.callers)} callers")
    assert wrong == [], "\n".join(wrong)


def test_every_web_route_answers_every_caller_as_the_table_says(world):
    routes = [route for route in all_routes(world.app)[0] if route.web]
    assert len(routes) >= 40, routes
    wrong, calls = walk(world, routes)
    print(f"{calls} web calls: {len(routes)} routes × {len(world.callers)} callers")
    assert wrong == [], "\n".join(wrong)


def test_the_matrix_in_security_md_is_the_table_in_the_code():
    text = (DOCS / "security.md").read_text(encoding="utf-8")
    published = text.split("<!-- permissions:start -->\n")[1].split("<!-- permissions:end -->")[0]
    assert published == permissions.matrix_markdown()
