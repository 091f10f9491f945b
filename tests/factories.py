import factory
from factory.django import DjangoModelFactory

from accounts.models import Invitation, Membership, Organization, Store, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    is_retailer = True


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.MEMBER


class InvitationFactory(DjangoModelFactory):
    class Meta:
        model = Invitation

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Membership.Role.MEMBER


class StoreFactory(DjangoModelFactory):
    class Meta:
        model = Store

    organization = factory.SubFactory(OrganizationFactory)
    number = factory.Sequence(lambda n: str(1000 + n))
    name = factory.Sequence(lambda n: f"Store {n}")
    city = "Rogers"
    state = "AR"


# For every tenant-owned model, how to make one that belongs to a given
# organization. The URL walk uses it to find object ids; a new tenant model
# must be added here or the walk fails and says so.
TENANT_FACTORIES = {
    Membership: lambda org: MembershipFactory(organization=org),
    Invitation: lambda org: InvitationFactory(organization=org),
    Store: lambda org: StoreFactory(organization=org),
}
