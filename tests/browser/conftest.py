"""A real gateway (`gateway serve`, seeded through the CLI) and Debian's Chromium driven by Playwright.

These tests fail, never skip, when Chromium is missing: `.ci/ensure-system-deps` installs it.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, Person, onboard, sign_in
from tests.support.processes import gateway_env, start_server


# Module scope: a running sync Playwright keeps an asyncio loop marked as running in this thread,
# which would break later tests that call asyncio.run (pyHanko) or start Playwright themselves.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/ensure-system-deps does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def gateway_url(tmp_path_factory, pki) -> Iterator[str]:
    """One gateway for all browser tests; each test works on its own applications."""
    folder = tmp_path_factory.mktemp("web")
    env = gateway_env(folder / "var", pki, GATEWAY_INSTITUTION_KEYS_DIR=str(folder / "custody"),
                      GATEWAY_STAFF_TOKEN_SECRETS='["browser-test-secret"]')
    onboard(env, pki, folder)
    server, base_url = start_server(env, folder)
    yield base_url
    server.stop()


@pytest.fixture
def people(browser, gateway_url):
    """Signs staff in, each in a browser context of their own; closes them after the test."""
    signed_in: list[Person] = []

    def sign(username: str) -> Person:
        person = sign_in(browser, gateway_url, username)
        signed_in.append(person)
        return person

    yield sign
    for person in signed_in:
        person.context.close()
