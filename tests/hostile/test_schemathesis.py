"""Every operation of the OpenAPI fed generated input by schemathesis: no answer may be a 5xx.

The gateway runs in process (embedded mode, seeded like the ``runtime`` fixture, plus one
submitted application). Each generated request gets the credentials its route needs, so the
generated values reach the route's own checks instead of stopping at authentication: institution
routes are HTTP-signed (RFC 9421) with the test bank's key, ``/v1/admin`` carries an admin's
bearer token, review routes a reviewer's, supervision routes a supervisor's. Half of the
generated application numbers are replaced by the real one, so claims, decisions, supplements
and certificate requests meet a real application. Both valid and invalid input is generated
(schemathesis's positive and negative modes); answers must be documented where the OpenAPI
describes them. Bounded: a few examples per operation, no deadline.
"""
from __future__ import annotations

import httpx
import hypothesis.strategies as st
import pytest
import requests
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from gateway.api.app import create_app
from signing.httpsig import sign_prepared_request
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, staff_headers
from tests.hostile.conftest import BASE_URL
from tests.integration.helpers import submit_new

EXAMPLES_PER_OPERATION = 20
STAFF_ROUTES = (("/v1/admin/", "admin"), ("/v1/review/", "reviewer"), ("/v1/supervision/", "supervisor"))
SIGNED_ROUTES = ("/v1/applications", "/v1/materials/", "/v1/quality/", "/v1/watch/", "/v1/batches", "/v1/inbox")
REAL_APPLICATION = "REAL-APPLICATION"  # stands for the submitted application's number until sent

# Certificates, CRLs, PDFs and batch bundles are opaque bytes to the generator, as application/octet-stream is.
schemathesis.serializer.alias(["application/pdf", "application/pkix-crl", "application/x-pem-file", "application/zip"],
                              "application/octet-stream")

# The OpenAPI does not depend on the runtime: an app without one describes the same operations.
schema = schemathesis.openapi.from_dict(create_app().openapi())


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if "application_no" not in (path_parameters or {}):
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, {**path_parameters, "application_no": REAL_APPLICATION}])


class Gateway:
    """The app under test, its client and the credentials each kind of route needs."""

    def __init__(self, client: TestClient, pki, staff: dict[str, dict[str, str]], application_no: str) -> None:
        self.client = client
        self.pki = pki
        self.staff = staff
        self.application_no = application_no

    def send(self, case) -> httpx.Response:
        """Serialise the case as ``requests`` would, add its route's credentials, send it in process."""
        if (case.path_parameters or {}).get("application_no") == REAL_APPLICATION:
            case.path_parameters["application_no"] = self.application_no
        prepared = requests.Request(**case.as_transport_kwargs(base_url=BASE_URL)).prepare()
        path = case.operation.path
        for prefix, role in STAFF_ROUTES:
            if path.startswith(prefix):
                prepared.headers.update(self.staff[role])
        if path.startswith(SIGNED_ROUTES):
            sign_prepared_request(prepared, key_id=self.pki.bank.fingerprint, private_key=self.pki.bank.key)
        body = prepared.body.encode("latin-1") if isinstance(prepared.body, str) else prepared.body
        return self.client.request(prepared.method, prepared.url, content=body, headers=dict(prepared.headers))


@pytest.fixture(scope="module")
def gateway(embedded, pki) -> Gateway:
    client = embedded.client
    staff = {
        "admin": staff_headers(client, "admin", ADMIN_PASSWORD),
        "reviewer": staff_headers(client, "reviewer", REVIEWER_PASSWORD),
        "supervisor": staff_headers(client, "supervisor", ADMIN_PASSWORD),
    }
    return Gateway(client, pki, staff, submit_new(client, pki, embedded.bank_auth))


def test_the_credentials_added_to_generated_requests_are_accepted(gateway):
    """Otherwise every generated request would stop at 401 and the run below would prove nothing."""
    institution_view = schema["/v1/applications/{application_no}"]["GET"].Case(
        path_parameters={"application_no": REAL_APPLICATION})
    review_view = schema["/v1/review/applications/{application_no}"]["GET"].Case(
        path_parameters={"application_no": REAL_APPLICATION})
    admin_list = schema["/v1/admin/institutions"]["GET"].Case()
    supervision = schema["/v1/supervision/deadlines"]["GET"].Case()

    statuses = [gateway.send(case).status_code for case in (institution_view, review_view, admin_list, supervision)]

    assert statuses == [200, 200, 200, 200]


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(case, gateway):
    response = gateway.send(case)

    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


def test_a_json_body_that_is_not_utf8_is_an_invalid_request(gateway):
    """Found by the run above: FastAPI answered a bare 400 without a code."""
    response = gateway.client.post("/v1/admin/staff", content=b".\x99\r\xc5",
                                   headers={**gateway.staff["admin"], "Content-Type": "application/json"})

    assert (response.status_code, response.json()["code"]) == (422, "request.invalid")
    assert response.json()["violations"] == [{"path": "body", "reason": "is not valid UTF-8 JSON"}]


def test_an_unknown_route_is_still_answered_404(gateway):
    assert gateway.client.get("/v1/no-such-route").status_code == 404
