"""Every page each demo user can reach fits the window at 1280 px and at 390 px, and axe-core
finds no serious or critical accessibility violation on it.

The pages are found by crawling: from the home page of each of the user's organizations,
every link on a page of this site is followed (GET only; nothing is posted), one page per
URL shape (`/inventory/o/12/products/34/` and `/inventory/o/12/products/56/` are one shape),
so a page added tomorrow is checked tomorrow without anyone listing it here."""

import importlib.resources
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command

from demo.management.commands.seed_demo import PASSWORD
from tests.browser.conftest import snap

pytestmark = pytest.mark.django_db(transaction=True)

# Every login of the demo but the staff one (Django admin is not ours to lay out): the
# retailer's owner (who also runs the master account), admin and member; the merchandiser's
# owner and rep; the three vendors.
USERS = [
    "owner@heartland.example",
    "buyer@heartland.example",
    "clerk@heartland.example",
    "lead@fieldforce.example",
    "rep@fieldforce.example",
    "rep@diageo.example",
    "rep@jimbeam.example",
    "sales@luxco.example",
]
WIDTHS = (1280, 390)
PAGES_PER_ORGANIZATION = 60  # shapes; the demo has fewer, so a runaway crawl is caught
# /api/: the API answers programs. Its docs page, linked from the API tokens page, is
# Swagger UI, not one of our templates; tests/browser/test_api_docs.py checks it.
NOT_PAGES = re.compile(
    r"^/(admin|static|media|api)/|/logout/|\.csv$|/export|/healthz|/readyz|/download"
)
AXE = (importlib.resources.files("axe_playwright_python") / "axe.min.js").read_text()


def shape(path):
    """`/inventory/o/12/products/34/` → `/inventory/o/N/products/N/`."""
    return re.sub(r"/\d+(?=/|$)", "/N", path)


def links(page, base):
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    for href in hrefs:
        parts = urlsplit(urljoin(page.url, href))
        if f"{parts.scheme}://{parts.netloc}" != base or NOT_PAGES.search(parts.path):
            continue
        yield parts.path + (f"?{parts.query}" if parts.query else "")


def problems_of(page, where):
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 860})
        scroll, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll > window:
            wide = page.evaluate(
                """(w) => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > w + 1)
                    .slice(-3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                        + (e.className && typeof e.className === 'string'
                           ? '.' + e.className.trim().split(/\\s+/).join('.') : ''))""",
                window,
            )
            found.append(f"{where} at {width} px: {scroll} px wide ({', '.join(wide)})")
            snap(page, f"too-wide-{width}-{where.replace('/', '_')[:80]}")
        if width == WIDTHS[0]:
            page.evaluate(AXE)  # run through the DevTools protocol: the page's CSP allows it
            violations = page.evaluate(
                """() => axe.run(document, {resultTypes: ['violations']}).then(r =>
                    r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 2)
                        .map(n => n.target.join(' ')).join('; ')))"""
            )
            found += [f"{where}: {violation}" for violation in violations]
    return found


def organizations(page):
    select = page.locator("#org-select")
    if not select.count():
        return [None]
    return select.locator("option").evaluate_all("options => options.map(o => o.value)")


def crawl(page, base, user):
    problems, seen_pages = [], 0
    for organization in organizations(page):
        if organization is not None:
            page.goto(f"{base}/")
            with page.expect_navigation():  # the menu is folded away at 390 px: no clicks
                page.locator("form.org-switch").evaluate(
                    "(form, id) => { form.organization.value = id; form.submit(); }", organization
                )
        shapes, queue = set(), deque(["/"])
        while queue and len(shapes) < PAGES_PER_ORGANIZATION:
            path = queue.popleft()
            if shape(path.split("?")[0]) in shapes:
                continue
            shapes.add(shape(path.split("?")[0]))
            answer = page.goto(base + path)
            where = f"{user} [{organization}] {path}"
            if answer.status != 200:
                problems.append(f"{where}: HTTP {answer.status}")
                continue
            seen_pages += 1
            problems += problems_of(page, where)
            queue.extend(links(page, base))
    return problems, seen_pages


def test_every_page_fits_the_window_and_passes_axe_for_every_demo_user(live_server, new_page):
    call_command("seed_demo", allow_production=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    problems, counted = [], {}
    for user in USERS:
        page = new_page()
        page.goto(f"{live_server.url}/account/login/")
        page.get_by_label("Email").fill(user)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        found, counted[user] = crawl(page, live_server.url, user)
        problems += found
        page.context.close()
    assert all(count >= 5 for count in counted.values()), counted  # the crawl found pages
    assert not problems, "\n".join(problems)
