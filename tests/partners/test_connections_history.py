"""3rd Party Connections: live partnerships first, ended ones in a history, a status
filter, and empty states that say what to do next; Unapprove asks everywhere."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import OrganizationFactory, PartnershipFactory

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def section(text, start, end):
    return text[text.index(start) : text.index(end, text.index(start))]


@pytest.fixture
def luxco(world):
    vendor = OrganizationFactory(name="Luxco-St Louis", is_retailer=False, is_vendor=True)
    for status in ("cancelled", "declined", "unapproved"):
        PartnershipFactory(
            organization=world["retailer"], partner=vendor, scope="vendor", status=status
        )
    live = PartnershipFactory(
        organization=world["retailer"], partner=world["partner"], status="active"
    )
    return vendor, live


def test_ended_requests_fold_into_the_history(world, luxco):
    page = logged_in(world["requester_admin"]).get(reverse("partners:connections")).text
    live = section(page, "<tbody>", "</tbody>")
    assert "FieldForce" in live and "Luxco-St Louis" not in live
    history = section(page, '<details class="history">', "</details>")
    assert "History: 3 ended requests" in history
    assert history.count("Luxco-St Louis</a>") == 3
    assert "<button" not in history  # nothing to press on an ended request


@pytest.mark.parametrize(
    "status, shown, hidden",
    [
        ("active", ["FieldForce"], ["Luxco-St Louis"]),
        ("ended", ["Luxco-St Louis"], ["FieldForce"]),
        ("declined", ["Luxco-St Louis"], ["FieldForce"]),
        ("all", ["Luxco-St Louis", "FieldForce"], []),
        ("nonsense", ["FieldForce"], []),  # an unknown value is the default: live
    ],
)
def test_the_status_filter(world, luxco, status, shown, hidden):
    page = logged_in(world["requester_admin"]).get(
        reverse("partners:connections"), {"status": status}
    )
    table = section(page.text, "<tbody>", "</tbody>")
    for name in shown:
        assert name in table
    for name in hidden:
        assert name not in table
    if status == "declined":
        assert table.count("Luxco-St Louis</a>") == 1


def test_empty_states_say_what_to_do_next(world):
    admin = logged_in(world["requester_admin"])
    nothing = admin.get(reverse("partners:connections")).text
    assert "No partners yet" in nothing and reverse("partners:new_request") in nothing
    assert reverse("partners:permissions") in nothing
    PartnershipFactory(organization=world["retailer"], partner=world["partner"], status="declined")
    only_ended = admin.get(reverse("partners:connections")).text
    assert "No live partnerships" in only_ended and "New Partner Request" in only_ended
    filtered = admin.get(reverse("partners:connections"), {"status": "active"}).text
    assert "No partnership is active" in filtered and "Clear the filter" in filtered
    member = logged_in(world["requester_member"]).get(reverse("partners:connections")).text
    assert "Ask an owner or admin" in member
    partner = logged_in(world["partner_admin"]).get(reverse("partners:connections")).text
    assert "When a retailer asks FieldForce to partner" in partner


def test_permissions_empty_state_says_where_vendors_come_from(world):
    page = logged_in(world["requester_admin"]).get(reverse("partners:permissions"), {"clear": 1})
    assert "No vendors yet" in page.text
    assert reverse("accounts:import_upload", args=["products"]) in page.text


def test_unapprove_asks_for_confirmation_everywhere(world):
    vendor = OrganizationFactory(name="Member Vendor", is_retailer=False, is_vendor=True,
                                 network="member")  # fmt: skip
    share = PartnershipFactory(
        organization=world["retailer"], partner=vendor, scope="vendor", status="active"
    )
    merchandising = PartnershipFactory(
        organization=world["retailer"], partner=world["partner"], status="active"
    )
    admin = logged_in(world["requester_admin"])
    pages = {
        "Partner Permissions": admin.get(reverse("partners:permissions")).text,
        "3rd Party Connections": admin.get(reverse("partners:connections")).text,
        "the vendor share": admin.get(share.get_absolute_url()).text,
        "the merchandising partnership": admin.get(merchandising.get_absolute_url()).text,
    }
    for name, text in pages.items():
        buttons = text.split("<button")[1:]
        unapprove = [b for b in buttons if "Unapprove" in b.split("</button>")[0]]
        assert unapprove, name
        for button in unapprove:
            assert 'data-confirm="Stop sharing with' in button, name
