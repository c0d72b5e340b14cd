"""The client address used for sign-in lockout: forwarded headers count only from trusted proxies."""
from __future__ import annotations

import pytest
from starlette.requests import Request

from gateway.api.client_address import client_address
from gateway.settings import Settings


def request_from(peer: str, headers: dict[str, str] | list[tuple[str, str]] = ()) -> Request:
    items = headers.items() if isinstance(headers, dict) else headers
    return Request({"type": "http", "method": "POST", "path": "/login", "client": (peer, 40000),
                    "headers": [(name.lower().encode(), value.encode()) for name, value in items]})


def settings(*proxies: str) -> Settings:
    return Settings(trusted_proxies=list(proxies))


def test_without_trusted_proxies_the_peer_is_the_client_whatever_it_forwards():
    request = request_from("203.0.113.7", {"X-Forwarded-For": "198.51.100.1", "Forwarded": "for=198.51.100.2"})
    assert client_address(request, settings()) == "203.0.113.7"


def test_a_peer_that_is_not_a_trusted_proxy_cannot_name_another_client():
    request = request_from("203.0.113.7", {"X-Forwarded-For": "198.51.100.1"})
    assert client_address(request, settings("10.0.0.0/8")) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client():
    request = request_from("10.0.0.5", {"X-Forwarded-For": "198.51.100.1"})
    assert client_address(request, settings("10.0.0.0/8")) == "198.51.100.1"


def test_addresses_a_client_wrote_left_of_the_proxy_s_entry_are_ignored():
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the address it saw.
    request = request_from("10.0.0.5", {"X-Forwarded-For": "1.2.3.4, 198.51.100.1"})
    assert client_address(request, settings("10.0.0.0/8")) == "198.51.100.1"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right():
    request = request_from("10.0.0.5", {"X-Forwarded-For": "1.2.3.4, 198.51.100.1, 10.0.0.9"})
    assert client_address(request, settings("10.0.0.0/8")) == "198.51.100.1"


def test_several_x_forwarded_for_headers_are_read_as_one_list():
    request = request_from("10.0.0.5", [("X-Forwarded-For", "1.2.3.4"), ("X-Forwarded-For", "198.51.100.1")])
    assert client_address(request, settings("10.0.0.5")) == "198.51.100.1"


@pytest.mark.parametrize("header, expected", [
    ("for=198.51.100.1;proto=https", "198.51.100.1"),
    ('for="[2001:db8:cafe::17]:4711"', "2001:db8:cafe::17"),
    ("for=1.2.3.4, for=198.51.100.1:8443;by=10.0.0.5", "198.51.100.1"),
    ("For=unknown", "unknown"),
])
def test_the_forwarded_header_is_read_by_rfc_7239(header, expected):
    assert client_address(request_from("10.0.0.5", {"Forwarded": header}), settings("10.0.0.0/8")) == expected


def test_forwarded_is_preferred_to_x_forwarded_for():
    request = request_from("10.0.0.5", {"Forwarded": "for=198.51.100.1", "X-Forwarded-For": "198.51.100.2"})
    assert client_address(request, settings("10.0.0.0/8")) == "198.51.100.1"


def test_a_trusted_proxy_that_forwards_nothing_is_itself_the_client():
    assert client_address(request_from("10.0.0.5"), settings("10.0.0.0/8")) == "10.0.0.5"


def test_trusted_proxies_must_be_addresses_or_networks():
    with pytest.raises(ValueError, match="not-a-network"):
        Settings(trusted_proxies=["not-a-network"])


def test_trusted_proxies_and_required_roles_may_be_given_comma_separated(monkeypatch):
    monkeypatch.setenv("GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    monkeypatch.setenv("GATEWAY_REQUIRE_TOTP", '["admin", "reviewer"]')
    loaded = Settings()
    assert loaded.trusted_proxies == ["10.0.0.0/8", "192.0.2.1"]
    assert loaded.require_totp == ["admin", "reviewer"]


def test_an_unknown_role_cannot_be_required_to_use_totp():
    with pytest.raises(ValueError, match="boss"):
        Settings(require_totp=["boss"])
