"""Pick a country on the store list: the State list follows at once with JavaScript (htmx),
and after pressing Filter without it."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import snap
from tests.browser.test_journey_stores_and_regions import log_in
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world_stores(org):
    for number, country, state in [
        ("101", "US", "AR"),
        ("201", "CN", "11"),
        ("202", "CN", "31"),
        ("301", "KR", "11"),
        ("302", "KR", "26"),
    ]:
        StoreFactory(organization=org, number=number, country=country, state=state)


def state_options(page):
    return page.get_by_label("State / region").locator("option").all_inner_texts()


def test_the_state_list_follows_the_country(live_server, new_page, owner, password, world_stores):
    page = new_page()
    log_in(page, live_server.url, owner.email, password)
    page.goto(f"{live_server.url}/account/stores/")
    assert "11 · South Korea" in state_options(page)
    stores_url = page.url

    with page.expect_response(lambda response: "/stores/filter/states/" in response.url):
        page.get_by_label("Country").select_option(label="China")
    expect(page.get_by_label("State / region").locator("option")).to_have_text(
        ["All states", "11", "31"]
    )
    assert page.url == stores_url  # the page stayed; only the State list changed
    page.get_by_label("State / region").select_option(label="11")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("1 of 5 stores")).to_be_visible()
    expect(page.get_by_role("link", name="201", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="301", exact=True)).to_have_count(0)
    snap(page, "stores-country-china-11")


def test_without_javascript_filter_brings_the_countrys_states(
    live_server, browser, owner, password, world_stores
):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, live_server.url, owner.email, password)
        page.goto(f"{live_server.url}/account/stores/")
        page.get_by_label("Country").select_option(label="South Korea")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_text("2 of 5 stores")).to_be_visible()
        assert state_options(page) == ["All states", "11", "26"]
    finally:
        context.close()
