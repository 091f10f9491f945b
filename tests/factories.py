import factory
from django.core.files.base import ContentFile
from factory.django import DjangoModelFactory

from accounts.models import ImportBatch, Invitation, Membership, Organization, Region, Store, User
from partners.models import Partnership

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


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Region {n}")


class ImportBatchFactory(DjangoModelFactory):
    class Meta:
        model = ImportBatch

    organization = factory.SubFactory(OrganizationFactory)
    kind = "stores"
    file_name = "stores.csv"
    file = factory.LazyFunction(
        lambda: ContentFile(b"Store Number,Name\n1,One\n", name="stores.csv")
    )
    header = ["Store Number", "Name"]
    mapping = {"number": 0, "name": 1}
    total_rows = 1
    to_create = 1


class PartnershipFactory(DjangoModelFactory):
    class Meta:
        model = Partnership

    organization = factory.SubFactory(OrganizationFactory)
    partner = factory.SubFactory(OrganizationFactory, is_retailer=False, is_merchandiser=True)
    scope = Partnership.Scope.MERCHANDISING
    status = Partnership.Status.PENDING


# For every tenant-owned model, how to make one that belongs to a given
# organization. The URL walk uses it to find object ids; a new tenant model
# must be added here or the walk fails and says so.
TENANT_FACTORIES = {
    Membership: lambda org: MembershipFactory(organization=org),
    Invitation: lambda org: InvitationFactory(organization=org),
    Store: lambda org: StoreFactory(organization=org),
    Region: lambda org: RegionFactory(organization=org),
    ImportBatch: lambda org: ImportBatchFactory(organization=org),
    Partnership: lambda org: PartnershipFactory(organization=org),
}
