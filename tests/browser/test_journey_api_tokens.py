"""An owner creates an API token for a program, copies its key with the Copy button, finds it
gone on reload, and revokes the token; on a phone too, without sideways scrolling."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.api_tokens import token_for_key
from tests.browser.conftest import snap

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, base, user, password):
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def fits(page):
    scroll, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= window, f"{page.url} is {scroll} px wide in a {window} px window"


@pytest.mark.parametrize("width", [1280, 390])
def test_create_copy_once_and_revoke(live_server, new_page, owner, password, width):
    base = live_server.url
    page = new_page(viewport={"width": width, "height": 860})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    log_in(page, base, owner, password)

    page.goto(f"{base}/account/api-tokens/")
    expect(page.get_by_role("heading", name="No API tokens yet")).to_be_visible()
    fits(page)
    page.get_by_role("button", name="Create a token").click()

    page.get_by_label("Name").fill("Nightly stock sync")
    page.get_by_label("Read and write").check()
    day = timezone.localdate() + datetime.timedelta(days=60)
    page.get_by_label("Expiry date").fill(day.isoformat())
    expect(page.get_by_label("On a date")).to_be_checked()  # typing a date picks it
    fits(page)
    page.get_by_role("button", name="Create token").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Copy the key of “Nightly stock sync” now"
    )
    key = page.locator("#api-key").inner_text().strip()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == key
    token = token_for_key(key)
    assert token.may_write and timezone.localtime(token.expires_at).date() == day
    fits(page)
    snap(page, f"api-token-key-{width}")

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("is no longer shown")
    assert key not in page.content()

    page.goto(f"{base}/account/api-tokens/")
    expect(page.get_by_text("Live", exact=True)).to_be_visible()
    fits(page)
    page.get_by_role("link", name="Revoke… Nightly stock sync").click()
    expect(page.get_by_role("heading", name="Revoke “Nightly stock sync”?")).to_be_visible()
    fits(page)
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_text("“Nightly stock sync” is revoked.")).to_be_visible()
    expect(page.get_by_text("Revoked", exact=True)).to_be_visible()
    assert token_for_key(key) is None
