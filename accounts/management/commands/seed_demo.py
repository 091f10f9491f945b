"""Demo data: safe to run again; it updates what is there rather than duplicating it."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import override_settings

from accounts.imports.registry import importer_for
from accounts.imports.service import import_file
from accounts.models import ImportBatch, Membership, Organization, Region, Store, User

PASSWORD = "shelfshare-demo"  # noqa: S105 - printed for the demo logins

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


REGIONS = [
    # name, description, rule, picked store numbers
    ("Arkansas", "Every store in Arkansas", {"rule_states": ["AR"]}, []),
    (
        "Texas Supercenters",
        "Supercenters in Texas",
        {"rule_states": ["TX"], "rule_banners": ["Supercenter"]},
        [],
    ),
    (
        "Northwest Arkansas pilot",
        "Hand-picked stores for the pilot",
        {},
        ["1", "2", "3", "5", "8", "13"],
    ),
]


class Command(BaseCommand):
    help = "Load demo organizations, users and stores (idempotent). Logins are printed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off. The demo logins, staff included, share a published "
            "password: never on a site people use.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "seed_demo creates logins with a published password, a staff login included. "
                "It runs only with DEBUG on (or --allow-production on a throwaway site)."
            )
        path = settings.SHARED_DATA_DIR / "walmart_store_openings_1962_2006.csv"
        if not path.exists():
            raise CommandError(
                f"{path} is missing. seed_demo reads the public retail files in ../shared/data; "
                "set SHARED_DATA_DIR to their folder."
            )
        # The demo's history is made through the real services; their emails to made-up
        # addresses (sent when the transaction commits) would only flood the console.
        quiet = override_settings(
            MAILERS={"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
        )
        with quiet, transaction.atomic():
            organizations = {}
            logins = []
            for name, kinds, network, people in ORGANIZATIONS:
                organization = self._organization(name, kinds, network)
                organizations[name] = organization
                for email, full_name, role in people:
                    self._member(organization, email, full_name, role)
                    logins.append((organization.name, email, role.label))
            retailer = organizations["Heartland Mart"]
            owner = User.objects.get(email="owner@heartland.example")
            created = self._stores(retailer, owner, path)
            self._regions(retailer)
            self._staff()
            self._partnerships(organizations)

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

    def _stores(self, organization, user, path):
        """Through the import machinery, once per file: a rerun changes nothing."""
        done = ImportBatch.objects.for_org(organization).filter(
            kind="stores", file_name=path.name, status=ImportBatch.Status.APPLIED
        )
        if done.exists():
            return 0
        batch = import_file(
            organization=organization, user=user, importer=importer_for("stores"), path=path
        )
        if batch.status != ImportBatch.Status.APPLIED:
            raise CommandError(f"Importing {path.name} failed: {batch.message or batch.errors[:3]}")
        return batch.created_count

    def _regions(self, organization):
        for name, description, rule, numbers in REGIONS:
            region, _ = Region.objects.update_or_create(
                organization=organization, name=name, defaults={"description": description, **rule}
            )
            region.stores.set(Store.objects.for_org(organization).filter(number__in=numbers))

    def _partnerships(self, organizations):
        """One active merchandising partnership with a region, one active vendor share,
        one pending request, one unapproved; each with its history. Made through the
        services, so history and notifications are real; made once."""
        from partners import services
        from partners.models import Partnership

        retailer = organizations["Heartland Mart"]
        if Partnership.objects.filter(organization=retailer).exists():
            return
        owner = User.objects.get(email="owner@heartland.example")
        people = {
            name: User.objects.filter(
                memberships__organization=org, memberships__role="owner"
            ).first()
            for name, org in organizations.items()
        }
        Scope = Partnership.Scope

        def request(partner_name, scope, **kwargs):
            return services.partnership_request(
                requester=retailer,
                actor=owner,
                partner=organizations[partner_name],
                scope=scope,
                **kwargs,
            )

        def decide(partnership, action, partner_name=None):
            organization = organizations[partner_name] if partner_name else retailer
            actor = people[partner_name] if partner_name else owner
            services.partnership_transition(
                partnership=partnership, action=action, actor=actor, organization=organization
            )

        merchandising = request("FieldForce Merchandising", Scope.MERCHANDISING)
        merchandising.regions.add(
            Region.objects.get(organization=retailer, name="Northwest Arkansas pilot")
        )
        merchandising.regions.add(Region.objects.get(organization=retailer, name="Arkansas"))
        decide(merchandising, "approve", "FieldForce Merchandising")

        vendor_share = request("Prairie Spirits Co.", Scope.VENDOR, all_stores=True)
        decide(vendor_share, "approve", "Prairie Spirits Co.")

        request("Cornbelt Beverages", Scope.VENDOR, all_stores=True)  # pending

        ended = request("Lakeside Goods", Scope.VENDOR, all_stores=True)
        decide(ended, "approve", "Lakeside Goods")
        decide(ended, "unapprove")

    def _staff(self):
        if not User.objects.filter(email="admin@shelfshare.example").exists():
            User.objects.create_superuser(
                email="admin@shelfshare.example", password=PASSWORD, full_name="Platform Admin"
            )
