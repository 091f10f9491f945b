"""Partner Permissions lists every vendor of the retailer's catalogue, on Shelfshare or
not, and invites a rep of one that is not; approval makes its products the vendor's."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from inventory.models import Product
from partners import services
from partners.catalogue import catalogue_vendors, vendor_key
from partners.models import Partnership
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def products(organization, vendor_name, count=1, vendor_organization=None):
    return [
        ProductFactory(
            organization=organization,
            vendor_name=vendor_name,
            vendor_organization=vendor_organization,
        )
        for _ in range(count)
    ]


def snapshot():
    return (
        list(Partnership.objects.values_list("pk", "status", "partner_id", "invited_email")),
        list(Product.objects.values_list("pk", "vendor_organization_id")),
        len(mail.outbox),
    )


@pytest.mark.parametrize(
    "a, b",
    [
        ("E AND J GALLO WINERY", "E & J Gallo Winery"),
        ("Cedar Ridge Vineyards,LLC", "cedar ridge vineyards"),
        ("Sazerac Co., Inc.", "SAZERAC"),
        ("Luxco-St Louis", "Luxco St. Louis"),
        ("REMY COINTREAU USA .", "Remy Cointreau USA"),
        ("The Wine Group", "Wine Group"),
        ("  Proximo\u00a0 ", "PROXIMO"),
    ],
)
def test_spellings_of_one_vendor_share_a_key(a, b):
    assert vendor_key(a) == vendor_key(b)


@pytest.mark.parametrize(
    "a, b",
    [("Luxco-St Louis", "Luxco-Cleveland"), ("Sazerac Co., Inc.", "Sazerac North America")],
)
def test_different_vendors_keep_apart(a, b):
    assert vendor_key(a) != vendor_key(b)


def test_a_name_made_only_of_legal_words_keeps_them():
    assert vendor_key("Company") == "company"


def test_messy_catalogue_names_are_grouped_once_with_their_product_count(world):
    retailer = world["retailer"]
    products(retailer, "E AND J GALLO WINERY", 3)
    products(retailer, "E & J Gallo Winery", 1)
    products(retailer, "Cedar Ridge Vineyards,LLC", 2)
    products(retailer, "", 4)  # no vendor: not a vendor
    diageo = OrganizationFactory(name="Diageo Americas", is_retailer=False, is_vendor=True)
    products(retailer, "Diageo Americas", 5, vendor_organization=diageo)
    products(retailer, "DIAGEO AMERICAS, INC.", 2)  # a loose spelling of a vendor on Shelfshare
    linked, loose = catalogue_vendors(retailer)
    assert linked == {diageo.pk: 7}
    gallo = loose[vendor_key("E & J Gallo Winery")]
    assert (gallo.name, gallo.products) == ("E AND J GALLO WINERY", 4)
    assert set(gallo.spellings) == {"E AND J GALLO WINERY", "E & J Gallo Winery"}
    assert len(loose) == 2

    page = logged_in(world["requester_admin"]).get(reverse("partners:permissions"), {"clear": 1})
    assert page.text.count("<strong>E AND J GALLO WINERY</strong>") == 1
    assert "Also written: E &amp; J Gallo Winery" in page.text
    assert "Not on Shelfshare" in page.text and "On Shelfshare" in page.text


def test_vendors_not_on_shelfshare_follow_the_network_filter(world):
    products(world["retailer"], "Proximo", 2)
    OrganizationFactory(name="Member Vendor", is_retailer=False, is_vendor=True, network="member")
    client = logged_in(world["requester_admin"])
    default = client.get(reverse("partners:permissions"))
    assert "Member Vendor" in default.text and "Proximo" not in default.text
    assert "Clear</a> the filter to see every vendor of your catalogue" in default.text
    cleared = client.get(reverse("partners:permissions"), {"clear": "1"})
    assert "Proximo" in cleared.text and "Member Vendor" in cleared.text
    not_in_network = client.get(
        reverse("partners:permissions"), {"filtered": "1", "network": "none"}
    )
    assert "Proximo" in not_in_network.text and "Member Vendor" not in not_in_network.text
    searched = client.get(reverse("partners:permissions"), {"clear": "1", "q": "prox"})
    assert "Proximo" in searched.text and "Member Vendor" not in searched.text


def test_a_hundred_and_twenty_vendors_come_a_page_at_a_time(world, django_assert_max_num_queries):
    for n in range(120):
        products(world["retailer"], f"Vendor {n:03d} Inc.")
    client = logged_in(world["requester_admin"])
    # A fixed number of queries, whatever the number of vendors (13 today).
    with django_assert_max_num_queries(15):
        first = client.get(reverse("partners:permissions"), {"clear": "1"})
    assert "120 vendors, 1\u201350 shown" in first.text
    assert "Vendor 000 Inc." in first.text and "Vendor 050 Inc." not in first.text
    third = client.get(reverse("partners:permissions"), {"clear": "1", "page": "3"})
    assert "Vendor 119 Inc." in third.text and "Page 3 of 3" in third.text


def request_invite(client, name, email, htmx=True):
    return client.post(
        reverse("partners:permissions_request"),
        {"catalogue": name, "email": email},
        headers=HX if htmx else {},
    )


def test_request_asks_for_a_reps_email_and_invites_them(world, django_capture_on_commit_callbacks):
    products(world["retailer"], "Proximo", 3)
    client = logged_in(world["requester_admin"])
    asks = client.get(reverse("partners:permissions_confirm"), {"catalogue": "Proximo"}, headers=HX)
    assert "Invite a rep to join and approve" in asks.text and 'name="email"' in asks.text
    assert not Partnership.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        sent = request_invite(client, "proximo", "Rep@Proximo.example")
    assert "Cancel Request" in sent.text and "invited rep@proximo.example" in sent.text
    share = Partnership.objects.get()
    assert (share.partner, share.invited_email, share.invited_company_name) == (
        None, "rep@proximo.example", "Proximo",
    )  # fmt: skip
    assert (share.scope, share.all_stores, share.vendor_key) == ("vendor", True, "proximo")
    invite = next(m for m in mail.outbox if m.to == ["rep@proximo.example"])
    assert "/partners/join/" in invite.body


def test_without_javascript_the_invitation_has_its_own_page(world):
    products(world["retailer"], "Proximo")
    client = logged_in(world["requester_admin"])
    page = client.get(reverse("partners:permissions_confirm"), {"catalogue": "Proximo"})
    assert "<h1>Share your data with Proximo?</h1>" in page.text and "Rep&#x27;s email" in page.text
    done = client.post(
        reverse("partners:permissions_request"),
        {"catalogue": "Proximo", "email": "rep@proximo.example"},
        follow=True,
    )
    assert "rep@proximo.example is invited to join Shelfshare for Proximo" in done.text


@pytest.mark.parametrize("email", ["", "not-an-email", "rep@", "a" * 250 + "@x.example"])
def test_a_bad_email_is_refused_and_writes_nothing(world, email):
    products(world["retailer"], "Proximo")
    client = logged_in(world["requester_admin"])
    before = snapshot()
    response = request_invite(client, "Proximo", email)
    assert response.status_code == 200 and 'role="alert"' in response.text
    assert "email" in response.text.lower()
    page = request_invite(client, "Proximo", email, htmx=False)
    assert page.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("name", ["Nobody Spirits", "x" * 5000, "Diageo Americas"])
def test_a_vendor_name_not_in_the_catalogue_is_refused_and_writes_nothing(world, name):
    products(world["retailer"], "Proximo")
    diageo = OrganizationFactory(name="Diageo Americas", is_retailer=False, is_vendor=True)
    products(world["retailer"], "Diageo Americas", vendor_organization=diageo)  # on Shelfshare
    client = logged_in(world["requester_admin"])
    before = snapshot()
    response = request_invite(client, name, "rep@x.example", htmx=False)
    assert response.status_code == 302
    followed = client.get(response["Location"])
    assert "is not a vendor of your catalogue that is not on Shelfshare" in followed.text
    htmx = request_invite(client, name, "rep@x.example")
    assert htmx["HX-Redirect"] == reverse("partners:permissions")
    assert snapshot() == before


def test_another_retailers_catalogue_vendor_is_not_yours(world):
    products(world["outsider_org"], "Secret Supplier")
    client = logged_in(world["requester_admin"])
    page = client.get(reverse("partners:permissions"), {"clear": "1"})
    assert "Secret Supplier" not in page.text
    before = snapshot()
    request_invite(client, "Secret Supplier", "rep@secret.example")
    assert snapshot() == before


def test_another_organizations_ids_are_a_404_and_write_nothing(world):
    products(world["retailer"], "Proximo")
    outsiders_share = services.partnership_request(
        requester=world["outsider_org"], actor=world["outsider"], company_name="Proximo",
        email="rep@proximo.example", scope="vendor", vendor_key="proximo",
    )  # fmt: skip
    client = logged_in(world["requester_admin"])
    before = snapshot()
    for action in ("cancel", "unapprove", "approve"):
        response = client.post(
            reverse("partners:transition", args=[outsiders_share.pk, action]),
            {"row": "vendor", "catalogue": "Proximo"},
            headers=HX,
        )
        assert response.status_code == 404
    not_a_vendor = client.post(
        reverse("partners:permissions_request"), {"vendor": world["outsider_org"].pk}
    )
    assert not_a_vendor.status_code == 404
    assert snapshot() == before
    # The outsider's invitation does not show in this retailer's list.
    page = client.get(reverse("partners:permissions"), {"clear": "1"})
    assert "rep@proximo.example" not in page.text


def test_a_member_cannot_request(world):
    products(world["retailer"], "Proximo")
    before = snapshot()
    response = logged_in(world["requester_member"]).post(
        reverse("partners:permissions_request"), {"catalogue": "Proximo", "email": "r@p.example"}
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_the_same_email_twice_makes_one_pending_invitation(world):
    products(world["retailer"], "Proximo")
    products(world["retailer"], "Sazerac Co., Inc.")
    client = logged_in(world["requester_admin"])
    request_invite(client, "Proximo", "rep@spirits.example")
    again = request_invite(client, "Proximo", "REP@spirits.example")
    assert "already" in again.text
    other_vendor = request_invite(client, "Sazerac Co., Inc.", "rep@spirits.example")
    assert "rep@spirits.example already has a pending invitation from you (Proximo" in (
        other_vendor.text
    )
    other_rep = request_invite(client, "PROXIMO", "boss@proximo.example")
    assert "already a pending or active vendor data share request with Proximo" in other_rep.text
    assert Partnership.objects.filter(status="pending").count() == 1


def join_link(email):
    invite = next(m for m in reversed(mail.outbox) if m.to == [email])
    return re.search(r"http://testserver(/partners/join/\S+/)", invite.body).group(1)


def test_the_rep_joins_approves_and_the_catalogue_vendors_products_become_theirs(
    world, django_capture_on_commit_callbacks
):
    retailer = world["retailer"]
    mine = products(retailer, "Sazerac Co., Inc.", 2) + products(retailer, "SAZERAC", 1)
    other = products(retailer, "Sazerac North America", 1)
    theirs = OrganizationFactory(name="Someone Else", is_retailer=False, is_vendor=True)
    taken = products(retailer, "Sazerac Imports", 1, vendor_organization=theirs)
    elsewhere = products(world["outsider_org"], "Sazerac Co., Inc.", 1)
    client = logged_in(world["requester_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        request_invite(client, "Sazerac Co., Inc.", "rep@sazerac.example")
    rep = Client()
    link = join_link("rep@sazerac.example")
    form = rep.get(link)
    assert 'value="Sazerac Co., Inc."' in form.text
    joined = rep.post(
        link,
        {"full_name": "Sam Sazerac", "password1": "vendor-passphrase-1",
         "password2": "vendor-passphrase-1", "organization_name": "Sazerac Company",
         "kinds": ["vendor"]},
        follow=True,
    )  # fmt: skip
    share = Partnership.objects.get()
    assert share.status == "pending" and share.partner.name == "Sazerac Company"
    assert "Sazerac Company has joined" in joined.text
    # Nothing is linked before the rep approves.
    assert not Product.objects.filter(vendor_organization=share.partner).exists()
    row = client.get(reverse("partners:permissions"), {"clear": "1"})
    assert "joined as Sazerac Company" in row.text

    with django_capture_on_commit_callbacks(execute=True):
        rep.post(reverse("partners:transition", args=[share.pk, "approve"]))
    share.refresh_from_db()
    assert share.status == "active"
    linked = set(
        Product.objects.filter(vendor_organization=share.partner).values_list("pk", flat=True)
    )
    assert linked == {p.pk for p in mine}
    # Another vendor's, another spelling's and another retailer's products stay as they were.
    assert Product.objects.get(pk=other[0].pk).vendor_organization is None
    assert Product.objects.get(pk=taken[0].pk).vendor_organization == theirs
    assert Product.objects.get(pk=elsewhere[0].pk).vendor_organization is None
    # The vendor's row is now the organization's, with its products.
    page = client.get(reverse("partners:permissions"), {"clear": "1"})
    assert f'id="vendor-{share.partner.pk}"' in page.text


def test_a_declined_invitation_links_nothing(world, django_capture_on_commit_callbacks):
    mine = products(world["retailer"], "Proximo", 2)
    client = logged_in(world["requester_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        request_invite(client, "Proximo", "rep@proximo.example")
    rep = Client()
    rep.post(
        join_link("rep@proximo.example"),
        {"full_name": "Rep", "password1": "vendor-passphrase-1", "password2": "vendor-passphrase-1",
         "organization_name": "Proximo Spirits", "kinds": ["vendor"]},
    )  # fmt: skip
    share = Partnership.objects.get()
    rep.post(reverse("partners:transition", args=[share.pk, "decline"]))
    assert Partnership.objects.get().status == "declined"
    assert not Product.objects.filter(
        pk__in=[p.pk for p in mine], vendor_organization__isnull=False
    )


def test_a_rep_with_an_account_takes_it_up_for_an_organization_they_manage(
    world, django_capture_on_commit_callbacks
):
    products(world["retailer"], "Proximo", 2)
    existing = OrganizationFactory(name="Proximo Spirits", is_retailer=False, is_vendor=True)
    rep_user = MembershipFactory(
        organization=existing, role="owner", user__email="rep@proximo.example"
    ).user
    client = logged_in(world["requester_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        request_invite(client, "Proximo", "rep@proximo.example")
    link = join_link("rep@proximo.example")
    assert "You already have a Shelfshare account" in Client().get(link).text
    someone_else = logged_in(UserFactory())
    assert someone_else.get(link).status_code == 403
    rep = logged_in(rep_user)
    assert "Take up the request for" in rep.get(link).text
    rep.post(link, {"organization": str(existing.pk)})
    share = Partnership.objects.get()
    assert (share.partner, share.status) == (existing, "pending")
    rep.post(reverse("partners:transition", args=[share.pk, "approve"]))
    assert Product.objects.filter(vendor_organization=existing).count() == 2


def test_a_reimport_keeps_the_products_linked(world, django_capture_on_commit_callbacks, tmp_path):
    from core.imports.registry import importer_for
    from core.imports.service import import_file

    retailer = world["retailer"]
    products(retailer, "Cedar Ridge Vineyards,LLC", 1)
    vendor = OrganizationFactory(name="Cedar Ridge", is_retailer=False, is_vendor=True)
    share = services.partnership_request(
        requester=retailer, actor=world["requester_admin"], company_name="Cedar Ridge Vineyards,LLC",
        email="rep@cedar.example", scope="vendor", vendor_key=vendor_key("Cedar Ridge Vineyards,LLC"),
    )  # fmt: skip
    MembershipFactory(organization=vendor, role="owner", user__email="rep@cedar.example")
    owner = vendor.memberships.get().user
    services.partner_joins(partnership=share, organization=vendor, actor=owner)
    services.partnership_transition(
        partnership=share, action="approve", actor=owner, organization=vendor
    )
    product = Product.objects.get(organization=retailer)
    assert product.vendor_organization == vendor
    path = tmp_path / "products.csv"
    path.write_text(f'SKU,Name,Vendor\n{product.sku},{product.name},"Cedar Ridge Vineyards,LLC"\n')
    import_file(
        organization=retailer, user=world["requester_admin"], importer=importer_for("products"),
        path=path,
    )  # fmt: skip
    product.refresh_from_db()
    assert product.vendor_organization == vendor


def test_the_vendor_list_sorts_by_product_count_as_numbers_across_pages(db):
    """Every vendor row is in memory, so the sort is over all of them, before the pages."""
    from accounts.models import Membership
    from tests.conftest import client_for
    from tests.factories import MembershipFactory, OrganizationFactory, ProductFactory

    retailer = OrganizationFactory(name="Counting Mart")
    owner = MembershipFactory(organization=retailer, role=Membership.Role.OWNER).user
    counts = {"Alpha Spirits": 2, "Bravo Wines": 13, "Charlie Beer": 100, "Delta Cider": 7}
    for name, count in counts.items():
        for i in range(count):
            ProductFactory(organization=retailer, sku=f"{name[:3]}-{i}", vendor_name=name)
    client = client_for(owner)
    page = client.get(reverse("partners:permissions"), {"clear": 1, "sort": "-products"}).text
    shown = [name for name in re.findall(r"<strong>([^<]+)</strong>", page) if name in counts]
    assert shown == sorted(counts, key=counts.get, reverse=True)
    page = client.get(reverse("partners:permissions"), {"clear": 1, "sort": "products"}).text
    shown = [name for name in re.findall(r"<strong>([^<]+)</strong>", page) if name in counts]
    assert shown == sorted(counts, key=counts.get)
