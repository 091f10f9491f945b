"""Account Settings → API tokens: owners and admins create a token for a program, see its key
once, and revoke it; members are refused, and another organization's token is a 404."""

import datetime
import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.api_tokens import LAST_USED_EVERY, token_for_key, token_revoke
from accounts.models import ApiToken, Membership
from aggregation.models import MasterAccount
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory, api_token

pytestmark = pytest.mark.django_db

TOKENS = reverse("accounts:api_tokens")
CREATE = reverse("accounts:api_token_create")


def create(client, **data):
    """Post the form as a person fills it in; the response is the key page."""
    data = {"name": "Nightly stock sync", "scope": "read", "expires": "never"} | data
    return client.post(CREATE, data, follow=True)


def key_on(page):
    found = re.search(r'<code id="api-key" class="api-key">(ss_[^<]+)</code>', page.text)
    return found.group(1) if found else None


def field_error(page, field):
    found = re.search(rf'id="id_{field}_error">([^<]+)<', page.text)
    return found.group(1) if found else None


# -- Creating, and the key shown once ---------------------------------------------------


def test_an_owner_creates_a_token_whose_key_works(owner_client, org, owner):
    page = create(owner_client, name="Store system", scope="write")
    key = key_on(page)
    assert key and key.startswith("ss_")
    assert "This is the only time the key is shown." in page.text
    token = token_for_key(key)
    assert (token.organization, token.name, token.scope) == (org, "Store system", "write")
    assert token.created_by == owner and token.may_write and token.expires_at is None


def test_the_key_is_kept_only_as_a_digest_and_never_shown_again(owner_client, org):
    page = create(owner_client)
    key = key_on(page)
    token = ApiToken.objects.get(organization=org)
    assert token.digest != key and key not in token.digest
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(token.key_start)

    again = owner_client.get(page.redirect_chain[-1][0])  # a reload of the key page
    assert again.status_code == 200
    assert "is no longer shown" in again.text
    for url in (again.request["PATH_INFO"], TOKENS, token.get_absolute_url()):
        shown = owner_client.get(url).text
        assert key not in shown and key[len(token.key_start) :] not in shown
        assert f"{token.key_start}…" in shown  # the prefix tells the keys apart


def test_the_key_page_is_never_cached(owner_client):
    page = create(owner_client)
    assert "no-store" in page["Cache-Control"]


def test_an_admin_manages_tokens_too(admin_user, org):
    client = client_for(admin_user)
    assert key_on(create(client, name="Warehouse feed"))
    token = ApiToken.objects.get(organization=org)
    client.post(reverse("accounts:api_token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_by == admin_user


def test_a_master_account_has_tokens_too(owner):
    group = OrganizationFactory(name="Heartland Group", is_retailer=False)
    MembershipFactory(organization=group, user=owner, role=Membership.Role.OWNER)
    MasterAccount.objects.create(organization=group)
    client = client_for(owner)
    client.post(reverse("accounts:organization_switch"), {"organization": group.pk})
    assert 'href="/account/api-tokens/"' in client.get(reverse("home")).text
    assert token_for_key(key_on(create(client, name="Planning export"))).organization == group


@pytest.mark.parametrize(
    ("expires", "days"), [("never", None), ("30", 30), ("90", 90), ("365", 365)]
)
def test_expiry_in_days(owner_client, org, expires, days):
    create(owner_client, expires=expires)
    expires_at = ApiToken.objects.get(organization=org).expires_at
    if days is None:
        assert expires_at is None
    else:
        assert abs(expires_at - timezone.now() - datetime.timedelta(days=days)).total_seconds() < 60


def test_a_token_with_an_expiry_date_works_to_the_end_of_that_day(owner_client, org):
    day = timezone.localdate() + datetime.timedelta(days=10)
    create(owner_client, expires="date", expires_on=day.isoformat())
    expires_at = timezone.localtime(ApiToken.objects.get(organization=org).expires_at)
    assert expires_at.date() == day and (expires_at.hour, expires_at.minute) == (23, 59)


# -- The form names what is wrong ----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"name": "  "}, "name", "Name the token after the program that will use it."),
        ({"name": "x" * 81}, "name", "Keep the name to 80 characters (it has 81)."),
        ({"name": "Sync\u200b"}, "name", "Use letters, digits and punctuation only."),
        ({"scope": "admin"}, "scope", "Select a valid choice."),
        ({"expires": "date"}, "expires_on", "Pick the day it stops working"),
        ({"expires": "date", "expires_on": "2020-01-01"}, "expires_on", "Pick a day after today."),
        ({"expires": "date", "expires_on": "3026-01-01"}, "expires_on", "Pick a day by"),
        ({"expires": "date", "expires_on": "next week"}, "expires_on", "Give the date as"),
        ({"expires": "never", "expires_on": "2099-01-01"}, "expires_on", "Choose “On a date”"),
    ],
)
def test_a_bad_form_creates_nothing_and_names_the_field(owner_client, org, data, field, error):
    page = create(owner_client, **data)
    assert page.status_code == 200 and not page.redirect_chain
    assert field_error(page, field).startswith(error)
    assert "The token was not created" in page.text
    assert not ApiToken.objects.filter(organization=org).exists()


def test_two_live_tokens_may_not_share_a_name_but_a_revoked_ones_name_is_free(owner_client, org):
    old = api_token(org, name="Nightly stock sync")
    page = create(owner_client, name="nightly STOCK sync")
    assert field_error(page, "name").startswith("A live token is already called")
    token_revoke(token=old, actor=None)
    assert key_on(create(owner_client, name="Nightly stock sync"))


def test_an_organization_holds_at_most_so_many_live_tokens(owner_client, org, settings):
    settings.API_TOKENS_PER_ORGANIZATION = 3
    tokens = [api_token(org, name=f"Program {n}") for n in range(3)]
    page = create(owner_client, name="One too many")
    assert page.status_code == 200 and key_on(page) is None
    assert (
        f"{org.name} has 3 live tokens, the most an organization may have. Revoke one that is "
        "no longer used" in page.text
    )
    assert not ApiToken.objects.filter(name="One too many").exists()
    # A revoked or an expired token is no longer one of them.
    token_revoke(token=tokens[0], actor=None)
    assert key_on(create(owner_client, name="One too many"))
    ApiToken.objects.filter(pk=tokens[1].pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert key_on(create(owner_client, name="Another one"))
    assert ApiToken.objects.for_org(org).filter(revoked_at=None).count() == 4


def test_the_name_is_tidied(owner_client, org):
    create(owner_client, name="  Nightly\tstock \n sync ")
    assert ApiToken.objects.get(organization=org).name == "Nightly stock sync"


# -- The list -------------------------------------------------------------------------------


def test_the_empty_list_says_what_to_do_next(owner_client):
    page = owner_client.get(TOKENS)
    assert "No API tokens yet" in page.text
    assert f'href="{CREATE}"' in page.text
    assert "Authorization: Bearer ss_…" in page.text and 'href="/api/v1/docs"' in page.text


def test_the_list_shows_each_tokens_use_and_state(owner_client, org, other_org, owner):
    now = timezone.now()
    live = api_token(org, name="Store system", scope="write")
    ApiToken.objects.filter(pk=live.pk).update(created_by=owner, last_used_at=now)
    api_token(org, name="Old feed", expires_at=now - datetime.timedelta(days=1))
    token_revoke(token=api_token(org, name="Laptop script"), actor=owner)
    api_token(other_org, name="Somebody else's")

    page = owner_client.get(TOKENS).text
    rows = {
        re.search(r'<a href="[^"]+">([^<]+)</a>', row).group(1): row
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)[1:]
    }
    assert set(rows) == {"Store system", "Old feed", "Laptop script"}
    assert "Read and write" in rows["Store system"] and owner.full_name in rows["Store system"]
    assert f"{live.key_start}…" in rows["Store system"]
    assert ">Live<" in rows["Store system"] and "Revoke…" in rows["Store system"]
    assert ">Expired<" in rows["Old feed"] and "Revoke…" not in rows["Old feed"]
    assert ">Revoked<" in rows["Laptop script"] and "Revoke…" not in rows["Laptop script"]
    assert "Never" in rows["Laptop script"]  # never used, never expires


# -- Revoking ---------------------------------------------------------------------------------


def test_revoking_asks_first_and_takes_a_post(owner_client, org, owner):
    token = api_token(org)
    confirm = owner_client.get(token.get_absolute_url())
    assert "Revoke “Nightly stock sync”?" in confirm.text
    url = reverse("accounts:api_token_revoke", args=[token.pk])
    assert f'action="{url}"' in confirm.text
    assert owner_client.get(url).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None

    page = owner_client.post(url, follow=True)
    assert "“Nightly stock sync” is revoked." in page.text
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == owner
    assert "This token was revoked" in owner_client.get(token.get_absolute_url()).text


def test_revoking_twice_is_harmless(owner_client, org):
    token = api_token(org)
    url = reverse("accounts:api_token_revoke", args=[token.pk])
    owner_client.post(url)
    token.refresh_from_db()
    first = token.revoked_at
    page = owner_client.post(url, follow=True)
    assert "“Nightly stock sync” was already revoked." in page.text
    token.refresh_from_db()
    assert token.revoked_at == first


# -- Who may --------------------------------------------------------------------------------


def test_a_member_is_refused_every_page_and_is_not_offered_the_menu(member_client, org):
    token = api_token(org)
    for url in (
        TOKENS,
        CREATE,
        token.get_absolute_url(),
        reverse("accounts:api_token_key", args=[token.pk]),
    ):
        page = member_client.get(url)
        assert page.status_code == 403, url
        assert "Only owners and admins see and manage API tokens" in page.text
    assert member_client.post(CREATE, {"name": "Mine", "scope": "write"}).status_code == 403
    assert (
        member_client.post(reverse("accounts:api_token_revoke", args=[token.pk])).status_code == 403
    )
    token.refresh_from_db()
    assert token.revoked_at is None and ApiToken.objects.count() == 1
    assert TOKENS not in member_client.get(reverse("home")).text


def test_another_organizations_token_is_a_404(outsider_client, org):
    token = api_token(org)
    for url in (token.get_absolute_url(), reverse("accounts:api_token_key", args=[token.pk])):
        assert outsider_client.get(url).status_code == 404
    revoke = reverse("accounts:api_token_revoke", args=[token.pk])
    assert outsider_client.post(revoke).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "Nightly stock sync" not in outsider_client.get(TOKENS).text


def test_a_new_key_is_shown_only_in_the_session_that_made_it(owner_client, admin_user, org):
    page = create(owner_client)
    token = ApiToken.objects.get(organization=org)
    other = client_for(admin_user).get(reverse("accounts:api_token_key", args=[token.pk]))
    assert key_on(page) and key_on(other) is None and "is no longer shown" in other.text


# -- The key itself -----------------------------------------------------------------------------


def test_the_how_to_example_answers_with_the_new_key(owner_client, org):
    page = create(owner_client)
    example = re.search(r'curl -H "Authorization: Bearer ss_…" (\S+)</code>', page.text)
    assert example, "the page shows an example request"
    path = example.group(1).removeprefix("http://testserver")
    assert path == f"/api/v1/organizations/{org.pk}/stores"
    answer = Client().get(path, headers={"Authorization": f"Bearer {key_on(page)}"})
    assert answer.status_code == 200 and "items" in answer.json()


def test_revoked_and_expired_keys_are_refused(owner_client, org):
    key = key_on(create(owner_client, name="Revoked"))
    token_revoke(token=token_for_key(key), actor=None)
    assert token_for_key(key) is None

    key = key_on(create(owner_client, name="Expiring", expires="30"))
    ApiToken.objects.filter(name="Expiring").update(expires_at=timezone.now())
    assert token_for_key(key) is None
    assert token_for_key(key[:-1] + ("A" if key[-1] != "A" else "B")) is None  # a typo
    assert token_for_key("not-a-key") is None


def test_using_a_key_records_when_at_most_once_a_minute(owner_client, org):
    key = key_on(create(owner_client))
    token = ApiToken.objects.get(organization=org)
    assert token.last_used_at is None
    row = owner_client.get(TOKENS).text.split('data-label="Last used"', 1)[1].split("</td>")[0]
    assert row.endswith(">Never")

    first = token_for_key(key).last_used_at
    assert first is not None
    assert token_for_key(key).last_used_at == first  # within the minute: not written again
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - LAST_USED_EVERY * 2)
    assert token_for_key(key).last_used_at > first - LAST_USED_EVERY
    token.refresh_from_db()
    assert token.last_used_at > first - LAST_USED_EVERY
    used = timezone.localtime(token.last_used_at)
    row = owner_client.get(TOKENS).text.split('data-label="Last used"', 1)[1].split("</td>")[0]
    assert used.strftime("%b %-d, %Y") in row and used.strftime("%H:%M") in row
