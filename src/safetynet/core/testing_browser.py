"""Playwright fixtures for browser tests: Debian's Chromium, never a downloaded browser.

Registered for the whole suite by the root ``conftest.py`` (``pytest_plugins``); mark the tests ``@pytest.mark.browser``; they need ``live_server`` (a transactional db).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it (factories, assertions) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser) -> Iterator[Callable]:
    """``new_page(width=360, height=800, locale="zh-CN")`` → a page in a fresh context (own cookies)."""
    contexts = []

    def make(*, width: int = 1280, height: int = 800, locale: str = "zh-CN"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        context.set_default_timeout(10_000)
        # The first page a live server renders loads the rules and the engine: on a busy shared
        # machine that alone can pass ten seconds.
        context.set_default_navigation_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def browser_login(live_server) -> Callable:
    """``browser_login(page, username, password)``: sign in through the real login form."""

    def login(page, username: str, password: str) -> None:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()

    return login
