"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

Playwright's own browser download cannot work on these machines, so we launch
/usr/bin/chromium. Without it, `make test` skips these tests and says why;
.ci/run installs Chromium and sets SHELFSHARE_FAIL_ON_SKIP=1.
"""

import os
from pathlib import Path

import pytest

from tests.conftest import chromium_path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser(django_db_setup):
    executable = chromium_path()
    if executable is None:
        why = "Chromium not found at /usr/bin/chromium: run `apt-get install -y chromium`"
        if os.environ.get("SHELFSHARE_REQUIRE_BROWSER") == "1":
            pytest.fail(why)
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls our
    # tests make around it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def new_page(browser, request):
    """Open a page in a fresh browser context (its own cookies). Screenshot on failure."""
    contexts = []

    def make(viewport=None):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 860})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        # A Content-Security-Policy violation or a script error shows up here.
        page.on("console", lambda message: keep_console_error(message, console_errors))
        page.on("pageerror", lambda error: console_errors.append(str(error)))
        return page

    console_errors = []
    yield make
    failed = getattr(request.node, "rep_call", None) and request.node.rep_call.failed
    for i, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for j, page in enumerate(context.pages):
                page.screenshot(
                    path=ARTIFACTS / f"FAILED-{request.node.name}-{i}-{j}.png", full_page=True
                )
        context.close()
    assert console_errors == [], f"the browser console reported errors: {console_errors}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def keep_console_error(message, errors):
    # Pages that answer 4xx on purpose (a used invitation is 410) are not errors.
    if message.type == "error" and "server responded with a status of 4" not in message.text:
        errors.append(message.text)


def snap(page, name):
    """Keep a screenshot of a step, so a person can look at what the test saw."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
