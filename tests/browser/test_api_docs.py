"""A retailer's developer opens the API docs, authorizes with a token and tries an
endpoint from the page: Swagger UI runs from our static files under our
Content-Security-Policy (a blocked script or style would be a console error)."""

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from tests.api.conftest import make_token
from tests.browser.conftest import snap
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_docs_page_tries_an_endpoint_with_a_token(live_server, new_page):
    retailer = OrganizationFactory(name="Heartland Mart", is_retailer=True)
    owner = MembershipFactory(organization=retailer, role=Membership.Role.OWNER).user
    key = make_token(retailer, owner)
    page = new_page()
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.get_by_role("heading", name="Shelfshare API")).to_be_visible()
    page.get_by_role("button", name="Authorize").first.click()
    page.locator(".auth-container input").fill(key)
    page.locator(".modal-ux button.authorize").click()
    page.locator(".modal-ux button.btn-done").click()
    operation = page.locator(".opblock").filter(has_text="/api/v1/me").first
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    response = operation.locator(".responses-wrapper .live-responses-table")
    expect(response).to_contain_text("200")
    expect(response).to_contain_text("Heartland Mart")
    snap(page, "api-docs-try-me")
