import pytest
from django.urls import reverse

from accounts.models import Membership
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def membership_of(user, org):
    return Membership.objects.get(user=user, organization=org)


def test_the_members_page_lists_the_organization_only(owner_client, member, outsider):
    page = owner_client.get(reverse("accounts:members"))
    assert member.email in page.text
    assert outsider.email not in page.text


def test_an_owner_changes_a_role(owner_client, org, member):
    m = membership_of(member, org)
    response = owner_client.post(
        reverse("accounts:member_role", args=[m.pk]), {"role": "admin"}, follow=True
    )
    assert f"{member.email} is now admin" in response.text
    m.refresh_from_db()
    assert m.role == "admin"


def test_the_last_owner_can_be_neither_demoted_nor_removed(owner_client, owner, org):
    m = membership_of(owner, org)
    response = owner_client.post(
        reverse("accounts:member_role", args=[m.pk]), {"role": "member"}, follow=True
    )
    assert "always keeps at least one owner" in response.text
    response = owner_client.post(reverse("accounts:member_remove", args=[m.pk]), follow=True)
    assert "The last owner cannot be removed" in response.text
    m.refresh_from_db()
    assert m.role == "owner"


def test_with_two_owners_one_may_step_down(owner_client, owner, org):
    MembershipFactory(organization=org, role="owner")
    m = membership_of(owner, org)
    owner_client.post(reverse("accounts:member_role", args=[m.pk]), {"role": "admin"})
    m.refresh_from_db()
    assert m.role == "admin"


def test_removing_asks_for_confirmation_first(owner_client, org, member):
    m = membership_of(member, org)
    page = owner_client.get(reverse("accounts:member_remove", args=[m.pk]))
    assert page.status_code == 200
    assert f"Remove {member.full_name}?" in page.text
    assert Membership.objects.filter(pk=m.pk).exists()
    response = owner_client.post(reverse("accounts:member_remove", args=[m.pk]), follow=True)
    assert "was removed" in response.text
    assert not Membership.objects.filter(pk=m.pk).exists()


def test_an_admin_cannot_touch_an_owner(client, admin_user, owner, org):
    client.force_login(admin_user)
    m = membership_of(owner, org)
    response = client.post(
        reverse("accounts:member_role", args=[m.pk]), {"role": "member"}, follow=True
    )
    assert "Only an owner can change or remove another owner" in response.text
    client.post(reverse("accounts:member_remove", args=[m.pk]))
    m.refresh_from_db()
    assert m.role == "owner"


def test_a_member_cannot_manage_members(member_client, org, owner):
    m = membership_of(owner, org)
    assert (
        member_client.post(
            reverse("accounts:member_role", args=[m.pk]), {"role": "member"}
        ).status_code
        == 403
    )
    assert member_client.post(reverse("accounts:member_remove", args=[m.pk])).status_code == 403
    page = member_client.get(reverse("accounts:members"))
    assert "Invite a colleague" not in page.text


def test_an_unknown_role_is_refused(owner_client, org, member):
    m = membership_of(member, org)
    response = owner_client.post(
        reverse("accounts:member_role", args=[m.pk]), {"role": "emperor"}, follow=True
    )
    assert "Pick one of the listed roles" in response.text
    m.refresh_from_db()
    assert m.role == "member"


def test_another_organizations_member_is_404(owner_client, outsider, other_org):
    m = membership_of(outsider, other_org)
    assert (
        owner_client.post(
            reverse("accounts:member_role", args=[m.pk]), {"role": "member"}
        ).status_code
        == 404
    )
    page = owner_client.get(reverse("accounts:member_remove", args=[m.pk]))
    assert page.status_code == 404
    assert "belongs to an organization you are not working in" in page.text
    assert owner_client.post(reverse("accounts:member_remove", args=[m.pk])).status_code == 404
    m.refresh_from_db()
    assert m.role == "owner"
