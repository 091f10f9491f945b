import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organization
from partners.models import Partnership
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    PartnershipFactory,
    RegionFactory,
)
from tests.store_list_uploads import upload_store_list

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_live_search_finds_partners_by_partial_name_ignoring_case(world):
    client = logged_in(world["requester_admin"])
    fragment = client.get(reverse("partners:partner_search"), {"q": "fieldf"}, headers=HX)
    assert "FieldForce" in fragment.text and "<html" not in fragment.text
    assert (
        "Heartland Mart" not in client.get(reverse("partners:partner_search"), {"q": "heart"}).text
    )
    none = client.get(reverse("partners:partner_search"), {"q": "zzz"})
    assert "No organization on Shelfshare matches" in none.text
    # Without JavaScript the same search is a plain GET of the page.
    page = client.get(reverse("partners:new_request"), {"q": "FIELD"})
    assert "FieldForce" in page.text


def test_new_partner_request_then_choose_the_geography(world):
    client = logged_in(world["requester_admin"])
    page = client.get(
        reverse("partners:new_request"), {"q": "field", "partner": world["partner"].pk}
    )
    assert "What may FieldForce do?" in page.text
    response = client.post(
        reverse("partners:new_request"),
        {"partner": world["partner"].pk, "scope": "merchandising"},
        follow=True,
    )
    partnership = Partnership.objects.get()
    assert (partnership.organization, partnership.partner, partnership.status) == (
        world["retailer"], world["partner"], "pending",
    )  # fmt: skip
    assert "Request sent to FieldForce. Nothing is shared yet" in response.text
    assert response.redirect_chain[-1][0] == reverse("partners:geography", args=[partnership.pk])
    # Rule 5: one pending or active request per partner and scope...
    again = client.post(
        reverse("partners:new_request"),
        {"partner": world["partner"].pk, "scope": "merchandising"},
        follow=True,
    )
    assert (
        "There is already a pending or active merchandising partner request with FieldForce"
        in again.text
    )
    # ...but another scope is another partnership, and after a cancel a new request is fine.
    client.post(
        reverse("partners:new_request"), {"partner": world["partner"].pk, "scope": "vendor"}
    )
    client.post(reverse("partners:transition", args=[partnership.pk, "cancel"]))
    client.post(
        reverse("partners:new_request"), {"partner": world["partner"].pk, "scope": "merchandising"}
    )
    assert Partnership.objects.filter(status="pending").count() == 2


def test_a_partner_cannot_solicit_access_to_someone_elses_data(world):
    client = logged_in(world["partner_admin"])  # FieldForce is a merchandiser, not a data owner
    page = client.get(reverse("partners:connections"))
    assert "New Partner Request" not in page.text
    assert "You cannot ask for someone else's data" in page.text
    response = client.post(
        reverse("partners:new_request"),
        {"partner": world["retailer"].pk, "scope": "merchandising"},
    )
    # The same rule that keeps the button off the page refuses the request.
    assert response.status_code == 403
    assert "A partner cannot ask for access to someone else" in response.text
    assert not Partnership.objects.exists()


def test_the_connections_table(world):
    outgoing = PartnershipFactory(
        organization=world["retailer"], partner=world["partner"], status="active"
    )
    outgoing.stores.add(*world["stores"][:3])
    page = logged_in(world["requester_admin"]).get(reverse("partners:connections"))
    assert "FieldForce" in page.text and "Outgoing" in page.text
    assert f'href="{reverse("partners:geography", args=[outgoing.pk])}">3 stores</a>' in page.text
    button = reverse("partners:transition", args=[outgoing.pk, "unapprove"])
    assert button in page.text
    incoming = logged_in(world["partner_admin"]).get(reverse("partners:connections"))
    assert "Heartland Mart" in incoming.text and "Incoming" in incoming.text
    assert button not in incoming.text
    member_view = logged_in(world["requester_member"]).get(reverse("partners:connections"))
    assert button not in member_view.text  # members see, managers act
    assert (
        "FieldForce" not in logged_in(world["outsider"]).get(reverse("partners:connections")).text
    )


def test_request_someone_not_on_the_platform(world):
    client = logged_in(world["requester_admin"])
    response = client.post(
        reverse("partners:invite_request"),
        {
            "invite-company_name": "Brand New Co",
            "invite-email": "Hi@BrandNew.example",
            "invite-scope": "vendor",
        },
        follow=True,
    )
    partnership = Partnership.objects.get()
    assert (partnership.partner, partnership.invited_email) == (None, "hi@brandnew.example")
    assert "Request sent to Brand New Co (invited)" in response.text
    taken = client.post(
        reverse("partners:invite_request"),
        {
            "invite-company_name": "fieldforce",
            "invite-email": "x@y.example",
            "invite-scope": "vendor",
        },
    )
    assert "FieldForce is already on Shelfshare" in taken.text


def test_geography_by_region_store_list_and_removal(world, django_capture_on_commit_callbacks):
    partnership = PartnershipFactory(
        organization=world["retailer"], partner=world["partner"], status="active"
    )
    region = RegionFactory(organization=world["retailer"], name="Two stores")
    region.stores.add(*world["stores"][:2])
    client = logged_in(world["requester_admin"])
    geography = reverse("partners:geography", args=[partnership.pk])
    response = client.post(reverse("partners:geography_add_region", args=[partnership.pk]),
                           {"region": region.pk, "version": 0}, follow=True)  # fmt: skip
    assert "Region Two stores is now shared" in response.text
    page, batch = upload_store_list(
        client, reverse("partners:geography_upload", args=[partnership.pk]), b"Store #\n4\n5\n404\n",
        version=1,
    )  # fmt: skip
    assert "404 is not one of your stores" in page.text  # the preview lists it by line
    assert (batch.kind, batch.status, batch.created_count) == ("geography_stores", "applied", 2)
    assert partnership.effective_stores().count() == 4
    region.stores.add(world["stores"][2])  # the region grows: the partnership follows
    assert partnership.effective_stores().count() == 5
    # Removing every store stops sharing without ending the partnership.
    partnership.refresh_from_db()
    assert partnership.version == 2  # the region, then the list's stores
    client.post(
        reverse("partners:geography_remove", args=[partnership.pk]),
        {"kind": "everything", "version": partnership.version},
    )
    partnership.refresh_from_db()
    assert partnership.status == "active" and not partnership.effective_stores().exists()
    assert not partnership.is_sharing
    assert "No stores are shared" in client.get(geography).text


def test_only_the_requester_changes_the_geography(world):
    partnership = PartnershipFactory(
        organization=world["retailer"], partner=world["partner"], status="active"
    )
    region = RegionFactory(organization=world["retailer"])
    partner = logged_in(world["partner_admin"])
    page = partner.get(reverse("partners:geography", args=[partnership.pk]))
    assert page.status_code == 200 and "Add stores" not in page.text
    response = partner.post(reverse("partners:geography_add_region", args=[partnership.pk]),
                            {"region": region.pk, "version": 0}, follow=True)  # fmt: skip
    assert "Only Heartland Mart chooses the stores it shares" in response.text
    assert not partnership.regions.exists()
    member = logged_in(world["requester_member"])
    member.post(
        reverse("partners:geography_all", args=[partnership.pk]), {"all_stores": "on", "version": 0}
    )
    partnership.refresh_from_db()
    assert not partnership.all_stores
    outsider = logged_in(world["outsider"])
    assert outsider.get(reverse("partners:geography", args=[partnership.pk])).status_code == 404
    their_region = RegionFactory(organization=world["outsider_org"])
    response = logged_in(world["requester_admin"]).post(
        reverse("partners:geography_add_region", args=[partnership.pk]),
        {"region": their_region.pk, "version": 0},
        follow=True,
    )
    assert "Pick one of your custom regions" in response.text


@pytest.mark.parametrize("status", Partnership.Status.values)
def test_the_partner_sees_the_shared_stores_only_while_pending_or_active(world, status):
    partnership = PartnershipFactory(
        organization=world["retailer"], partner=world["partner"], status=status
    )
    partnership.stores.add(world["stores"][0])
    region = RegionFactory(organization=world["retailer"], name="Secret Region")
    region.stores.add(world["stores"][1])
    partnership.regions.add(region)
    url = reverse("partners:geography", args=[partnership.pk])
    store = world["stores"][0]

    partner_page = logged_in(world["partner_admin"]).get(url)
    assert partner_page.status_code == 200
    if status in Partnership.OPEN:
        assert f"<td>{store.name}</td>" in partner_page.text
        assert "Secret Region" in partner_page.text
    else:
        assert store.name not in partner_page.text and "Secret Region" not in partner_page.text
        assert "no longer shares any stores with FieldForce" in partner_page.text
    # The connections table and the partnership page say the same: no count of stores.
    partner = logged_in(world["partner_admin"])
    table = partner.get(reverse("partners:connections")).text
    detail = partner.get(reverse("partners:detail", args=[partnership.pk])).text
    if status in Partnership.OPEN:
        assert "2 stores</a>" in table and '<p class="figure">2</p>' in detail
    else:
        assert "2 stores" not in table and "not shared" in table
        assert '<p class="figure">' not in detail and "no longer shares any stores" in detail
    # The requester always sees its own geography.
    requester_page = logged_in(world["requester_admin"]).get(url)
    assert f"<td>{store.name}</td>" in requester_page.text
    assert "Secret Region" in requester_page.text


def test_partner_permissions_filter_defaults_to_the_network(world):
    OrganizationFactory(name="Member Vendor", is_retailer=False, is_vendor=True, network="member")
    OrganizationFactory(
        name="Direct Vendor", is_retailer=False, is_vendor=True, network="sales_rep_direct"
    )
    OrganizationFactory(name="Outside Vendor", is_retailer=False, is_vendor=True, network="none")
    client = logged_in(world["requester_admin"])
    page = client.get(reverse("partners:permissions"))
    assert "Member Vendor" in page.text and "Direct Vendor" in page.text
    assert "Outside Vendor" not in page.text
    cleared = client.get(reverse("partners:permissions"), {"clear": "1"})
    assert "Outside Vendor" in cleared.text
    only_none = client.get(reverse("partners:permissions"), {"filtered": "1", "network": "none"})
    assert "Outside Vendor" in only_none.text and "Member Vendor" not in only_none.text


def test_the_partner_permissions_button_swaps_in_place(world):
    vendor = OrganizationFactory(
        name="Member Vendor", is_retailer=False, is_vendor=True, network="member"
    )
    vendor_admin = MembershipFactory(organization=vendor, role="owner").user
    client = logged_in(world["requester_admin"])
    row = f'id="vendor-{vendor.pk}"'

    asks = client.get(reverse("partners:permissions_confirm"), {"vendor": vendor.pk}, headers=HX)
    assert row in asks.text and "Share your data with Member Vendor?" in asks.text
    assert ">Yes</button>" in asks.text and ">No</a>" in asks.text
    assert not Partnership.objects.exists()  # asking changes nothing
    no = client.get(reverse("partners:permissions_row"), {"vendor": vendor.pk}, headers=HX)
    assert ">Request</a>" in no.text

    pending = client.post(
        reverse("partners:permissions_request"), {"vendor": vendor.pk}, headers=HX
    )
    assert "<html" not in pending.text and "Cancel Request" in pending.text
    share = Partnership.objects.get()
    assert (share.scope, share.all_stores, share.status) == ("vendor", True, "pending")

    cancelled = client.post(
        reverse("partners:transition", args=[share.pk, "cancel"]), {"row": "vendor"}, headers=HX
    )
    assert ">Request</a>" in cancelled.text

    client.post(reverse("partners:permissions_request"), {"vendor": vendor.pk}, headers=HX)
    share = Partnership.objects.get(status="pending")
    logged_in(vendor_admin).post(reverse("partners:transition", args=[share.pk, "approve"]))
    active_row = client.get(reverse("partners:permissions_row"), {"vendor": vendor.pk}, headers=HX)
    assert "Unapprove" in active_row.text
    again = client.post(
        reverse("partners:transition", args=[share.pk, "unapprove"]), {"row": "vendor"}, headers=HX
    )
    assert ">Request</a>" in again.text
    assert Partnership.objects.get(pk=share.pk).status == "unapproved"


def test_without_javascript_request_asks_on_its_own_page(world):
    vendor = OrganizationFactory(
        name="Member Vendor", is_retailer=False, is_vendor=True, network="member"
    )
    client = logged_in(world["requester_admin"])
    page = client.get(reverse("partners:permissions_confirm"), {"vendor": vendor.pk})
    assert "<h1>Share your data with Member Vendor?</h1>" in page.text
    response = client.post(
        reverse("partners:permissions_request"), {"vendor": vendor.pk}, follow=True
    )
    assert "Request sent. Member Vendor is notified" in response.text
    assert "Cancel Request" in response.text


@pytest.mark.parametrize(
    "action, method",
    [("permissions_confirm", "get"), ("permissions_row", "get"), ("permissions_request", "post")],
)
def test_every_permissions_action_without_a_vendor_says_to_pick_one(world, action, method):
    client = logged_in(world["requester_admin"])
    response = getattr(client, method)(reverse(f"partners:{action}"), {"vendor": ""}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("partners:permissions")
    assert "Pick a vendor from the list." in response.text
    assert not Partnership.objects.filter(organization=world["retailer"]).exists()


def test_partner_permissions_refuses_non_vendors(world):
    client = logged_in(world["requester_admin"])
    assert (
        client.post(
            reverse("partners:permissions_request"), {"vendor": world["partner"].pk}
        ).status_code
        == 404
    )
    assert Organization.objects.filter(is_vendor=True).count() == 0


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "https://evil.example",
        "https://evil.example/partners/",
        "javascript:alert(1)",
        "///evil.example",
    ],
)
def test_a_decision_never_redirects_to_another_site(world, next_url):
    partnership = PartnershipFactory(organization=world["retailer"], partner=world["partner"])
    response = logged_in(world["requester_admin"]).post(
        reverse("partners:transition", args=[partnership.pk, "cancel"]), {"next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == partnership.get_absolute_url()


def test_a_decision_returns_to_the_page_it_was_made_on(world):
    partnership = PartnershipFactory(organization=world["retailer"], partner=world["partner"])
    back = reverse("partners:connections") + "?tab=outgoing"
    response = logged_in(world["requester_admin"]).post(
        reverse("partners:transition", args=[partnership.pk, "cancel"]), {"next": back}
    )
    assert response["Location"] == back
