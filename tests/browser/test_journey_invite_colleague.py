"""Sign up, invite a colleague, the colleague joins through the emailed link and switches."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.conftest import snap

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "journey-passphrase-2026"


def sign_up(page, base, name, email, company, kind):
    page.goto(f"{base}/account/signup/")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("Company name").fill(company)
    page.get_by_label(kind).check()
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(company)


def test_sign_up_invite_join_and_switch(live_server, new_page):
    base = live_server.url

    # Bea already works for her own merchandising company.
    bea = new_page()
    sign_up(bea, base, "Bea Colleague", "bea@beta.example", "Beta Merchandising", "Merchandiser")
    bea.get_by_role("button", name="Log out").click()

    # Alice signs up her retail company and invites Bea.
    alice = new_page()
    sign_up(alice, base, "Alice Owner", "alice@acme.example", "Acme Retail", "Retailer")
    snap(alice, "journey-1-home")
    alice.get_by_role("link", name="Members").click()
    alice.get_by_label("Colleague's email").fill("bea@beta.example")
    alice.get_by_role("button", name="Send invitation").click()
    expect(alice.get_by_text("Invitation sent to bea@beta.example")).to_be_visible()
    expect(alice.get_by_role("cell", name="bea@beta.example", exact=True)).to_be_visible()
    snap(alice, "journey-2-members")

    # The email carries the link.
    assert len(mail.outbox) == 1
    link = re.search(r"(/account/invitations/accept/\S+/)", mail.outbox[0].body).group(1)

    # Bea opens it, logs in, and comes back to the same page to join.
    bea.goto(base + link)
    expect(bea.get_by_text("already has a Shelfshare account")).to_be_visible()
    bea.get_by_role("button", name="Log in to accept").click()
    bea.get_by_label("Email").fill("bea@beta.example")
    bea.get_by_label("Password").fill(PASSWORD)
    bea.get_by_role("button", name="Log in").click()
    expect(bea.get_by_role("heading", name="Join Acme Retail")).to_be_visible()
    snap(bea, "journey-3-accept")
    bea.get_by_role("button", name="Join Acme Retail").click()
    expect(bea.get_by_text("You have joined Acme Retail.")).to_be_visible()
    expect(bea.get_by_role("heading", level=1)).to_have_text("Acme Retail")

    # She switches back to her own company with the Account list in the menu.
    bea.get_by_label("Account").select_option(label="Beta Merchandising")
    bea.get_by_role("button", name="Switch").click()
    expect(bea.get_by_role("heading", level=1)).to_have_text("Beta Merchandising")
    expect(bea.get_by_text("You are now working in Beta Merchandising.")).to_be_visible()
    snap(bea, "journey-4-switched")

    # The link is dead now, in the browser too.
    bea.goto(base + link)
    expect(bea.get_by_role("heading", name="Invitation already used")).to_be_visible()

    # Alice sees Bea among her members.
    alice.reload()
    expect(alice.get_by_role("cell", name="bea@beta.example", exact=True)).to_be_visible()


def test_the_menu_works_on_a_phone(live_server, new_page, owner, password):
    page = new_page(viewport={"width": 390, "height": 800})
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(menu).to_be_visible()
    expect(page.get_by_label("Account")).to_be_focused()  # focus moves into the menu
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(page.get_by_role("button", name="Menu")).to_be_focused()
    page.get_by_role("button", name="Menu").click()
    snap(page, "phone-menu")
    menu.get_by_role("link", name="Members").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Members of"))
