"""Through a real Celery worker on Redis: a request made in the browser emails the
partner a working link; approving through it turns the requester's button into Unapprove."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from partners.models import Partnership
from tests.browser.conftest import snap
from tests.conftest import wait_for_email
from tests.factories import MembershipFactory, OrganizationFactory, StoreFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def log_in(page, email_address, password):
    page.get_by_label("Email").fill(email_address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def message_to(folder, address):
    message = wait_for_email(folder, address)
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return message, part.get_payload(decode=True).decode()
    raise AssertionError(f"the email to {address} has no text part")


def test_request_in_the_browser_approve_from_the_email(
    live_server, real_worker, new_page, password
):
    retailer = OrganizationFactory(name="Heartland Mart", is_retailer=True)
    requester = MembershipFactory(organization=retailer, role=Membership.Role.OWNER).user
    StoreFactory(organization=retailer, number="1")
    vendor = OrganizationFactory(
        name="Prairie Spirits", is_retailer=False, is_vendor=True, network="member"
    )
    vendor_admin = MembershipFactory(organization=vendor, role=Membership.Role.OWNER).user

    owner_page = new_page()
    owner_page.goto(f"{live_server.url}/partners/permissions/")
    log_in(owner_page, requester.email, password)
    row = owner_page.locator(f"#vendor-{vendor.pk}")
    row.get_by_role("button", name="Request").click()
    expect(row.get_by_text("Share your data with Prairie Spirits?")).to_be_visible()
    row.get_by_role("button", name="Yes").click()
    expect(row.get_by_role("button", name="Cancel Request")).to_be_visible()
    snap(owner_page, "partner-permissions-pending")

    # The worker sends two emails: the record to the requester, the approve link to the vendor.
    message, body = message_to(real_worker, vendor_admin.email)
    assert wait_for_email(real_worker, requester.email)["Subject"] == (
        "You asked Prairie Spirits to partner with Heartland Mart"
    )
    assert message["Subject"] == "Heartland Mart asks Prairie Spirits to partner on Shelfshare"
    path = re.search(r"https?://[^/\s]+(/partners/respond/\S+/)", body).group(1)

    vendor_page = new_page()
    vendor_page.goto(live_server.url + path)
    vendor_page.get_by_role("button", name="Log in").click()
    log_in(vendor_page, vendor_admin.email, password)
    expect(
        vendor_page.get_by_role("heading", name="Partner request from Heartland Mart")
    ).to_be_visible()
    snap(vendor_page, "partner-request-from-email")
    vendor_page.get_by_role("button", name="Approve").click()
    expect(
        vendor_page.get_by_text("Approved: Heartland Mart now shares its data with you")
    ).to_be_visible()
    assert Partnership.objects.get().status == "active"

    owner_page.reload()
    expect(
        owner_page.locator(f"#vendor-{vendor.pk}").get_by_role("button", name="Unapprove")
    ).to_be_visible()
    snap(owner_page, "partner-permissions-active")
