import datetime
import io
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from factory.django import DjangoModelFactory
from PIL import Image

from accounts.api_tokens import token_create
from accounts.models import (
    ApiToken,
    Invitation,
    Membership,
    Organization,
    Region,
    Store,
    User,
)
from aggregation.models import (
    Connection,
    ExchangeRate,
    LoadRun,
    MasterAccount,
    MatchDecision,
    ReplenishmentRule,
)
from core.models import ImportBatch
from inventory.models import Adjustment, Product, SalesLine, Stock
from partners.models import Partnership
from tasks.models import Campaign, Task, TaskPhoto, TaskUpdate, Visit

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


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    organization = factory.SubFactory(OrganizationFactory)
    sku = factory.Sequence(lambda n: f"SKU{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    unit_cost = Decimal("4.00")
    retail_price = Decimal("6.00")


class StockFactory(DjangoModelFactory):
    class Meta:
        model = Stock

    organization = factory.SubFactory(OrganizationFactory)
    store = factory.LazyAttribute(lambda o: StoreFactory(organization=o.organization))
    product = factory.LazyAttribute(lambda o: ProductFactory(organization=o.organization))
    on_hand = 10


class SalesLineFactory(DjangoModelFactory):
    class Meta:
        model = SalesLine

    organization = factory.SubFactory(OrganizationFactory)
    date = factory.LazyFunction(lambda: datetime.date(2026, 11, 1))
    store = factory.LazyAttribute(lambda o: StoreFactory(organization=o.organization))
    product = factory.LazyAttribute(lambda o: ProductFactory(organization=o.organization))
    quantity = Decimal("2")
    retail_amount = Decimal("12.00")
    cost_amount = Decimal("8.00")
    source_ref = factory.Sequence(lambda n: f"line-{n}")


def _adjustment(org):
    stock = StockFactory(organization=org)
    return Adjustment.objects.create(
        organization=org, store=stock.store, product=stock.product, kind="count",
        on_hand_before=10, on_hand_after=9,
    )  # fmt: skip


def _task(org):
    return Task.objects.create(
        organization=org, store=StoreFactory(organization=org), title="Face the shelf"
    )


def _campaign(org):
    campaign = Campaign.objects.create(organization=org, title="Holiday endcaps")
    for _ in range(2):
        task = _task(org)
        task.campaign = campaign
        task.save()
    return campaign


def _task_photo(org):
    task = _task(org)
    update = TaskUpdate.objects.create(
        task=task, organization=org, percent_before=0, percent_after=10, status_before="open",
        status_after="in_progress",
    )  # fmt: skip
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG")
    photo = TaskPhoto(
        update=update, content_type="image/png", width=8, height=8, size=len(buffer.getvalue())
    )
    photo.file.save("proof.png", ContentFile(buffer.getvalue()), save=True)
    return photo


def _visit(org):
    store = StoreFactory(organization=org)
    return Visit.objects.create(
        store=store, owner=org, organization=org, user=MembershipFactory(organization=org).user
    )


def _connection(org):
    """`org` becomes a master account (if it is not one) with a new child."""
    master, _ = MasterAccount.objects.get_or_create(organization=org)
    return Connection.objects.create(
        master=master, child=OrganizationFactory(), kind=Connection.Kind.ACCOUNT
    )


def api_token(org, **fields):
    """A live token of `org`, made as the page makes one (its key is not kept here)."""
    fields = {"name": "Nightly stock sync", "scope": ApiToken.Scope.READ} | fields
    return token_create(organization=org, actor=None, **fields)[0]


def _exchange_rate(org):
    """`org` becomes a master account with a GBP rate into its reporting currency (USD)."""
    return ExchangeRate.objects.create(
        master=_connection(org).master, currency="GBP", valid_from=datetime.date(2026, 1, 1),
        rate=Decimal("1.27"),
    )  # fmt: skip


# For every tenant-owned model, how to make one that belongs to a given
# organization. The URL walk uses it to find object ids; a new tenant model
# must be added here or the walk fails and says so.
TENANT_FACTORIES = {
    Membership: lambda org: MembershipFactory(organization=org),
    Invitation: lambda org: InvitationFactory(organization=org),
    Store: lambda org: StoreFactory(organization=org),
    Region: lambda org: RegionFactory(organization=org),
    ApiToken: api_token,
    ImportBatch: lambda org: ImportBatchFactory(organization=org),
    Partnership: lambda org: PartnershipFactory(organization=org),
    Organization: lambda org: org,  # an owner's inventory, addressed by its organization id
    Product: lambda org: ProductFactory(organization=org),
    Stock: lambda org: StockFactory(organization=org),
    SalesLine: lambda org: SalesLineFactory(organization=org),
    Adjustment: _adjustment,
    Task: _task,
    Campaign: _campaign,
    TaskPhoto: _task_photo,
    Visit: _visit,
    Connection: _connection,
    LoadRun: lambda org: LoadRun.objects.create(master=_connection(org).master, total=1),
    ExchangeRate: _exchange_rate,
    ReplenishmentRule: lambda org: ReplenishmentRule.objects.create(
        master=_connection(org).master, vendor_name="Luxco-St Louis", lead_time_days=14
    ),
    MatchDecision: lambda org: MatchDecision.objects.create(
        master=_connection(org).master, kind="same_sku", key="22156", action="apart"
    ),
}
