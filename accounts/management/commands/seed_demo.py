"""Demo data: safe to run again; it updates what is there rather than duplicating it."""

import csv
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Membership, Organization, Store, User

PASSWORD = "shelfshare-demo"  # noqa: S105 - printed for the demo logins
RETAILER_STORE_COUNT = 150

Network = Organization.Network
Role = Membership.Role

ORGANIZATIONS = [
    # name, kinds, network, [(email, full name, role)]
    (
        "Heartland Mart",
        {"is_retailer": True},
        Network.MEMBER,
        [
            ("owner@heartland.example", "Hannah Hart", Role.OWNER),
            ("buyer@heartland.example", "Ben Buyer", Role.ADMIN),
            ("clerk@heartland.example", "Cleo Clerk", Role.MEMBER),
        ],
    ),
    (
        "FieldForce Merchandising",
        {"is_merchandiser": True},
        Network.MEMBER,
        [
            ("lead@fieldforce.example", "Fran Field", Role.OWNER),
            ("rep@fieldforce.example", "Ray Rep", Role.MEMBER),
        ],
    ),
    (
        "Prairie Spirits Co.",
        {"is_vendor": True},
        Network.MEMBER,
        [("rep@prairiespirits.example", "Pat Prairie", Role.OWNER)],
    ),
    (
        "Cornbelt Beverages",
        {"is_vendor": True},
        Network.SALES_REP_DIRECT,
        [("rep@cornbelt.example", "Cory Cornbelt", Role.OWNER)],
    ),
    (
        "Lakeside Goods",
        {"is_vendor": True},
        Network.NONE,
        [("sales@lakeside.example", "Lee Lakeside", Role.OWNER)],
    ),
]


def _decimal(value):
    try:
        return Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return None


def walmart_stores(path, limit):
    """The first `limit` stores of the Walmart openings file (it has no store names)."""
    with open(path, newline="", encoding="utf-8") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            if i >= limit:
                break
            city = row["STRCITY"].strip().title()
            yield {
                "number": row["storenum"].strip(),
                "name": f"{city} {row['type_store'].strip()}",
                "banner": "Walmart " + row["type_store"].strip(),
                "address": row["STREETADDR"].strip().title(),
                "city": city,
                "state": row["STRSTATE"].strip().upper(),
                "postal_code": row["ZIPCODE"].strip().zfill(5),
                "country": "US",
                "latitude": _decimal(row["LAT"]),
                "longitude": _decimal(row["LON"]),
            }


class Command(BaseCommand):
    help = "Load demo organizations, users and stores (idempotent). Logins are printed."

    def handle(self, *args, **options):
        path = settings.SHARED_DATA_DIR / "walmart_store_openings_1962_2006.csv"
        if not path.exists():
            raise CommandError(
                f"{path} is missing. seed_demo reads the public retail files in ../shared/data; "
                "set SHARED_DATA_DIR to their folder."
            )
        with transaction.atomic():
            organizations = {}
            logins = []
            for name, kinds, network, people in ORGANIZATIONS:
                organization = self._organization(name, kinds, network)
                organizations[name] = organization
                for email, full_name, role in people:
                    self._member(organization, email, full_name, role)
                    logins.append((organization.name, email, role.label))
            created = self._stores(
                organizations["Heartland Mart"], walmart_stores(path, RETAILER_STORE_COUNT)
            )
            self._staff()

        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new stores)."))
        self.stdout.write(f"\nEvery demo login uses the password: {PASSWORD}\n")
        width = max(len(email) for _, email, _ in logins)
        for org_name, email, role in logins:
            self.stdout.write(f"  {email.ljust(width)}  {role.ljust(6)}  {org_name}")
        self.stdout.write(
            f"  {'admin@shelfshare.example'.ljust(width)}  staff   Django admin at /admin/\n"
        )

    def _organization(self, name, kinds, network):
        organization = Organization.objects.filter(name__iexact=name).first() or Organization(
            name=name
        )
        for field in ("is_retailer", "is_merchandiser", "is_vendor"):
            setattr(organization, field, kinds.get(field, False))
        organization.network = network
        organization.save()
        return organization

    def _member(self, organization, email, full_name, role):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=PASSWORD, full_name=full_name)
        Membership.objects.update_or_create(
            user=user, organization=organization, defaults={"role": role}
        )

    def _stores(self, organization, rows):
        existing = set(Store.objects.for_org(organization).values_list("number", flat=True))
        new = [
            Store(organization=organization, **row) for row in rows if row["number"] not in existing
        ]
        Store.objects.bulk_create(new)
        return len(new)

    def _staff(self):
        if not User.objects.filter(email="admin@shelfshare.example").exists():
            User.objects.create_superuser(
                email="admin@shelfshare.example", password=PASSWORD, full_name="Platform Admin"
            )
