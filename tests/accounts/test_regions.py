import pytest
from django.urls import reverse

from accounts.models import Region
from tests.factories import RegionFactory, StoreFactory
from tests.store_list_uploads import upload_store_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores(org):
    return {
        n: StoreFactory(organization=org, number=n, state=state, banner=banner, postal_code=postal)
        for n, state, banner, postal in [
            ("1", "AR", "Supercenter", "72756"),
            ("2", "AR", "Discount", "72601"),
            ("3", "TX", "Supercenter", "75001"),
            ("4", "MO", "Supercenter", "64801"),
        ]
    }


def numbers(queryset):
    return sorted(queryset.values_list("number", flat=True))


def test_create_a_region_with_a_rule(owner_client, org, stores):
    response = owner_client.post(
        reverse("accounts:region_create"),
        {"name": "Arkansas", "description": "", "rule_states_text": "ar"},
        follow=True,
    )
    assert "Region Arkansas was created" in response.text
    region = Region.objects.get(organization=org)
    assert region.rule_states == ["AR"]
    assert numbers(region.effective_stores()) == ["1", "2"]
    assert "2 stores" in response.text


def test_rules_combine_state_banner_and_postal_prefix(org, stores):
    region = RegionFactory(organization=org, rule_banners=["Supercenter"], rule_states=["AR", "TX"])
    assert numbers(region.effective_stores()) == ["1", "3"]
    region.rule_postal_prefixes = ["727"]
    assert numbers(region.effective_stores()) == ["1"]


def test_region_names_are_unique_per_organization_ignoring_case(owner_client, org, other_org):
    RegionFactory(organization=org, name="South")
    RegionFactory(organization=other_org, name="North")
    response = owner_client.post(reverse("accounts:region_create"), {"name": "SOUTH"})
    assert "A region named SOUTH already exists" in response.text
    owner_client.post(reverse("accounts:region_create"), {"name": "north"})
    assert Region.objects.filter(organization=org, name="north").exists()


def test_add_all_stores_matching_a_filter(owner_client, org, stores):
    region = RegionFactory(organization=org)
    page = owner_client.get(reverse("accounts:region_detail", args=[region.pk]), {"state": "AR"})
    assert "Add all 2 matching stores" in page.text
    response = owner_client.post(
        reverse("accounts:region_add_matching", args=[region.pk]), {"state": "AR"}, follow=True
    )
    assert "2 stores were added" in response.text
    assert numbers(region.effective_stores()) == ["1", "2"]


def test_upload_a_csv_store_list_lists_numbers_that_match_nothing(
    owner_client, org, stores, other_org
):
    StoreFactory(organization=other_org, number="99")  # another organization's store
    region = RegionFactory(organization=org)
    data = b"Store #,Note\n1,yes\n3,yes\n99,theirs\n12345,typo\n1,again\n"
    page, batch = upload_store_list(
        owner_client, reverse("accounts:region_upload", args=[region.pk]), data, confirm=False
    )
    # The preview: two stores to add, the two strangers listed by line, the repeat counted.
    assert (batch.kind, batch.to_create, batch.error_count, batch.details["repeats"]) == (
        "region_stores", 2, 2, 1,
    )  # fmt: skip
    assert "99 is not one of your stores" in page.text
    assert "12345 is not one of your stores" in page.text
    assert not region.stores.exists()  # nothing until confirmed
    owner_client.post(reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "valid_only"})
    assert numbers(region.effective_stores()) == ["1", "3"]


def test_a_bare_column_of_numbers_is_a_store_list(owner_client, org, stores):
    region = RegionFactory(organization=org)
    upload_store_list(owner_client, reverse("accounts:region_upload", args=[region.pk]), b"2\n4\n")
    assert numbers(region.effective_stores()) == ["2", "4"]


def test_a_store_list_without_a_number_column_asks_for_it(owner_client, org, stores):
    region = RegionFactory(organization=org)
    page, batch = upload_store_list(
        owner_client, reverse("accounts:region_upload", args=[region.pk]), b"Name,City\nA,B\n"
    )
    assert batch.status == "needs_mapping"
    assert "We could not tell which column holds the store number" in page.text
    assert "Cancel import" in page.text
    assert not region.stores.exists()


def test_a_regions_later_store_changes_flow_to_everything_that_uses_it(owner_client, org, stores):
    """The store list filter and the export follow the region."""
    region = RegionFactory(organization=org, rule_states=["AR"])
    picked = RegionFactory(organization=org)
    picked.stores.add(stores["4"])

    def listed():
        page = owner_client.get(reverse("accounts:stores"), {"region": region.pk})
        return sorted(n for n in stores if f">{n}</a>" in page.text) + sorted(
            n for n in ("5", "6") if f">{n}</a>" in page.text
        )

    assert listed() == ["1", "2"]

    # A new store in Arkansas joins the region without anyone touching it.
    StoreFactory(organization=org, number="5", state="AR")
    # A store moves out of Arkansas and leaves it.
    stores["2"].state = "OK"
    stores["2"].save()
    # A store is picked into the hand-made region.
    picked.stores.add(stores["3"])

    assert numbers(picked.effective_stores()) == ["3", "4"]
    assert listed() == ["1", "5"]
    export = b"".join(
        owner_client.get(reverse("accounts:regions_export")).streaming_content
    ).decode()
    assert f"{region.name},5," in export and f"{region.name},2," not in export


def test_another_organizations_store_can_never_be_put_into_a_region(
    owner_client, org, other_org, stores
):
    region = RegionFactory(organization=org)
    theirs = StoreFactory(organization=other_org, number="1")  # same number, other tenant
    their_region = RegionFactory(organization=other_org)

    # Through the page: removing or adding their objects by id is a 404.
    url = reverse("accounts:region_remove_store", args=[region.pk, theirs.pk])
    assert owner_client.post(url).status_code == 404
    assert (
        owner_client.post(
            reverse("accounts:region_add_matching", args=[their_region.pk])
        ).status_code
        == 404
    )
    # Through a store list: their store numbers resolve to our stores only.
    upload_store_list(
        owner_client, reverse("accounts:region_upload", args=[region.pk]), b"number\n1\n"
    )
    assert list(region.stores.all()) == [stores["1"]]
    assert not their_region.stores.exists()


def test_removing_a_picked_store_that_still_matches_the_rule_says_so(owner_client, org, stores):
    region = RegionFactory(organization=org, rule_states=["AR"])
    region.stores.add(stores["1"])
    response = owner_client.post(
        reverse("accounts:region_remove_store", args=[region.pk, stores["1"].pk]), follow=True
    )
    assert "It still matches the region" in response.text


def test_deleting_a_region_asks_first_and_keeps_the_stores(owner_client, org, stores):
    region = RegionFactory(organization=org, name="Temporary")
    region.stores.add(stores["1"])
    page = owner_client.get(reverse("accounts:region_delete", args=[region.pk]))
    assert "Delete the region Temporary?" in page.text
    owner_client.post(reverse("accounts:region_delete", args=[region.pk]))
    assert not Region.objects.filter(pk=region.pk).exists()
    assert stores["1"].__class__.objects.filter(pk=stores["1"].pk).exists()


def test_members_see_regions_but_cannot_change_them(member_client, org, stores):
    region = RegionFactory(organization=org, name="Visible")
    assert "Visible" in member_client.get(reverse("accounts:regions")).text
    assert member_client.post(reverse("accounts:region_create"), {"name": "X"}).status_code == 403
    assert (
        member_client.post(
            reverse("accounts:region_add_matching", args=[region.pk]), {}
        ).status_code
        == 403
    )


def test_postal_code_prefixes_match_from_the_start_and_literally(org, stores):
    StoreFactory(organization=org, number="5", postal_code="1-727")
    StoreFactory(organization=org, number="6", postal_code="727.1")
    region = RegionFactory(organization=org, rule_postal_prefixes=["727", "1-7", "727."])
    assert numbers(region.effective_stores()) == ["1", "5", "6"]


def test_a_partnership_sharing_many_rule_regions_still_lists_its_stores(owner_client, org, stores):
    """Each prefix used to be one more OR: twelve regions of 100 prefixes nested the query
    past SQLite's 1,000 levels and the geography page answered 500."""
    from tests.factories import PartnershipFactory

    partnership = PartnershipFactory(organization=org, status="active")
    for n in range(12):
        prefixes = [f"9{n:02d}{i:02d}" for i in range(99)] + ["727"]
        partnership.regions.add(
            RegionFactory(organization=org, name=f"Rule {n}", rule_postal_prefixes=prefixes)
        )
    assert numbers(partnership.effective_stores()) == ["1"]
    page = owner_client.get(reverse("partners:geography", args=[partnership.pk]))
    assert page.status_code == 200
