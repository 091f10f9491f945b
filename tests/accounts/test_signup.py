import pytest
from django.urls import reverse

from accounts.models import Membership, Organization, User
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def signup_data(**overrides):
    data = {
        "full_name": "Sam Seller",
        "email": "Sam@Shop.Example",
        "password1": "a-long-unusual-passphrase",
        "password2": "a-long-unusual-passphrase",
        "organization_name": "Sam's Shop",
        "kinds": ["retailer", "vendor"],
    }
    return data | overrides


def test_signup_creates_the_user_and_an_organization_they_own(client):
    response = client.post(reverse("accounts:signup"), signup_data())
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "sam@shop.example"  # stored lower-case: it is the login
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.OWNER
    org = membership.organization
    assert (org.name, org.is_retailer, org.is_vendor, org.is_merchandiser) == (
        "Sam's Shop",
        True,
        True,
        False,
    )
    assert org.slug == "sams-shop"
    page = client.get(reverse("home"))
    assert "Sam&#x27;s Shop" in page.text


def test_organization_names_are_unique_ignoring_case(client):
    OrganizationFactory(name="Sam's Shop")
    response = client.post(reverse("accounts:signup"), signup_data(organization_name="SAM'S SHOP"))
    assert response.status_code == 200
    assert "already on Shelfshare" in response.text
    assert not User.objects.exists()


def test_an_email_can_sign_up_once_whatever_its_case(client):
    UserFactory(email="sam@shop.example")
    response = client.post(reverse("accounts:signup"), signup_data(email="SAM@shop.example"))
    assert "already exists" in response.text
    assert Organization.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password2": "something-else-entirely"}, "The two passwords differ."),
        ({"password1": "123", "password2": "123"}, "too short"),
        ({"kinds": []}, "This field is required."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
    ],
)
def test_bad_signups_say_why_and_create_nothing(client, overrides, message):
    response = client.post(reverse("accounts:signup"), signup_data(**overrides))
    assert response.status_code == 200
    assert message in response.text
    assert not User.objects.exists() and not Organization.objects.exists()


def test_a_user_without_an_organization_is_asked_to_create_one(client):
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:organization_create")
    response = client.post(
        reverse("accounts:organization_create"),
        {"organization_name": "Fresh Co", "kinds": ["merchandiser"]},
        follow=True,
    )
    assert "Fresh Co is ready" in response.text
    assert Membership.objects.get(user=user).role == Membership.Role.OWNER
