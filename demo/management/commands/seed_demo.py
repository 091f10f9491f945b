"""Demo data: safe to run again; it updates what is there rather than duplicating it."""

import csv
import datetime
import random
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import override_settings

from accounts.models import Membership, Organization, Region, Store, User
from core.imports.registry import importer_for
from core.imports.service import import_file
from core.models import ImportBatch

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
        "Diageo Americas",
        {"is_vendor": True},
        Network.MEMBER,
        [("rep@diageo.example", "Pat Diageo", Role.OWNER)],
    ),
    (
        "Jim Beam Brands",
        {"is_vendor": True},
        Network.SALES_REP_DIRECT,
        [("rep@jimbeam.example", "Cory Beam", Role.OWNER)],
    ),
    (
        "Luxco-St Louis",
        {"is_vendor": True},
        Network.NONE,
        [("sales@luxco.example", "Lee Luxco", Role.OWNER)],
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


class counts:
    """What the demo holds after each step, counted from the database: a rerun that skips
    a step says the same as the run that did it."""

    @staticmethod
    def _retailer():
        return Organization.objects.get(name="Heartland Mart")

    @staticmethod
    def people():
        names = [name for name, _, _, _ in ORGANIZATIONS]
        organizations = Organization.objects.filter(name__in=names)
        logins = User.objects.filter(memberships__organization__in=organizations).distinct()
        return f"{organizations.count()} organizations, {logins.count()} logins"

    @classmethod
    def stores(cls):
        return f"{Store.objects.for_org(cls._retailer()).count()} stores"

    @classmethod
    def regions(cls):
        names = Region.objects.for_org(cls._retailer()).values_list("name", flat=True)
        return f"{len(names)}: {', '.join(names)}"

    @staticmethod
    def staff():
        return ", ".join(User.objects.filter(is_staff=True).values_list("email", flat=True))

    @classmethod
    def partnerships(cls):
        from partners.models import Partnership

        shares = Partnership.objects.filter(organization=cls._retailer()).select_related("partner")
        said = ", ".join(f"{p.partner_name} ({p.get_status_display().lower()})" for p in shares)
        return f"{len(shares)}: {said}"

    @classmethod
    def inventory(cls):
        from inventory.models import Product, SalesLine, Stock

        retailer = cls._retailer()
        return (
            f"{Product.objects.for_org(retailer).count()} products, "
            f"{Stock.objects.filter(organization=retailer).count()} stock rows, "
            f"{SalesLine.objects.filter(organization=retailer).count()} sales lines"
        )

    @classmethod
    def tasks(cls):
        from tasks.models import Campaign, Task, TaskPhoto, Visit

        retailer = cls._retailer()
        return (
            f"{Campaign.objects.for_org(retailer).count()} campaign, "
            f"{Task.objects.for_org(retailer).count()} tasks, "
            f"{TaskPhoto.objects.filter(update__task__organization=retailer).count()} photos, "
            f"{Visit.objects.count()} visits"
        )

    @classmethod
    def master(cls):
        from aggregation.models import MasterAccount, PlanRow

        master = MasterAccount.objects.select_related("organization").get(
            connections__child=cls._retailer()
        )
        children = sorted(master.connections.values_list("child__name", flat=True))
        owners = master.organization.memberships.filter(role=Role.OWNER)
        return (
            f"{master.organization.name}, owned by "
            f"{', '.join(owners.values_list('user__email', flat=True))}, over "
            f"{', '.join(children)}; {PlanRow.objects.filter(master=master).count()} plan rows"
        )

    @classmethod
    def currencies(cls):
        from aggregation.models import ExchangeRate

        rates = ExchangeRate.objects.filter(master__connections__child=cls._retailer())
        return ", ".join(
            f"1 {r.currency} = {r.rate.normalize()} from {r.valid_from}" for r in rates
        )


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
        path = settings.DEMO_DATA_DIR / "walmart_store_openings_1962_2006.csv"
        if not path.exists():
            raise CommandError(
                f"{path} is missing. seed_demo reads the public retail files kept in demo/data; "
                "set DEMO_DATA_DIR to their folder."
            )
        # The demo's history is made through the real services; their emails to made-up
        # addresses (sent when the transaction commits) would only flood the console.
        quiet = override_settings(
            MAILERS={"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
        )
        started = time.monotonic()
        self.stdout.write("Loading the demo data (a step already done is skipped):")
        with quiet, transaction.atomic():
            organizations = self._step("Organizations and logins", self._people, counts.people)
            retailer = organizations["Heartland Mart"]
            merchandiser = organizations["FieldForce Merchandising"]
            owner = User.objects.get(email="owner@heartland.example")
            steps = [
                (f"Stores of {retailer.name} from {path.name}",
                 lambda: self._stores(retailer, owner, path), counts.stores),
                ("Custom regions", lambda: self._regions(retailer), counts.regions),
                ("Platform staff", self._staff, counts.staff),
                ("Partnerships", lambda: self._partnerships(organizations), counts.partnerships),
                (f"Products, stock and 90 days of sales of {retailer.name}",
                 lambda: self._inventory(retailer, owner), counts.inventory),
                ("Merchandising tasks and store visits",
                 lambda: self._tasks(retailer, owner, merchandiser), counts.tasks),
                ("Master account Heartland Group, its online shops and order plan",
                 lambda: self._master(retailer, owner), counts.master),
                ("Currencies and exchange rates",
                 lambda: self._currencies(retailer, owner), counts.currencies),
            ]  # fmt: skip
            for title, work, said in steps:
                self._step(title, work, said)
            # Jobs queued by the steps (rollup refreshes, plan rebuilds) go once this commits.
            self.stdout.write("  Saving; the jobs the steps queued run now...")
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.0f} s.")
        )
        self._logins()

    def _step(self, title, work, counts):
        """Say what is being done before doing it (a step can take a minute), then what the
        demo holds now and how long it took."""
        self.stdout.write(f"  {title}...")
        self.stdout.flush()
        started = time.monotonic()
        result = work()
        self.stdout.write(f"    {counts()} ({time.monotonic() - started:.1f} s)")
        return result

    def _people(self):
        organizations = {}
        for name, kinds, network, people in ORGANIZATIONS:
            organization = self._organization(name, kinds, network)
            organizations[name] = organization
            for email, full_name, role in people:
                self._member(organization, email, full_name, role)
        return organizations

    def _logins(self):
        """Every demo login with the organizations it may switch between, as the database
        has them now: the master account (made by the Heartland Mart owner) included."""
        from aggregation.models import MasterAccount

        masters = set(MasterAccount.objects.values_list("organization_id", flat=True))
        emails = [email for _, _, _, people in ORGANIZATIONS for email, _, _ in people]
        users = {u.email: u for u in User.objects.filter(email__in=emails)}
        self.stdout.write(f"\nEvery demo login uses the password: {PASSWORD}\n")
        width = max(len(email) for email in [*emails, "admin@shelfshare.example"])
        for email in emails:
            memberships = (
                Membership.objects.filter(user=users[email])
                .select_related("organization")
                .order_by("organization__name")
            )
            where = "; ".join(
                f"{m.get_role_display().lower()} of {m.organization.name}"
                + (" (master account)" if m.organization_id in masters else "")
                for m in memberships
            )
            self.stdout.write(f"  {email.ljust(width)}  {users[email].full_name}: {where}")
        self.stdout.write(
            f"  {'admin@shelfshare.example'.ljust(width)}  Platform Admin: staff, Django admin "
            "at /admin/\n"
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

        vendor_share = request("Diageo Americas", Scope.VENDOR, all_stores=True)
        decide(vendor_share, "approve", "Diageo Americas")

        request("Jim Beam Brands", Scope.VENDOR, all_stores=True)  # pending

        ended = request("Luxco-St Louis", Scope.VENDOR, all_stores=True)
        decide(ended, "approve", "Luxco-St Louis")
        decide(ended, "unapprove")

    def _tasks(self, retailer, owner, merchandiser):
        """A campaign over the pilot region with tasks in several states, updates with
        photos (drawn here), a cannot-complete, visits; through the services, once."""
        import datetime
        import io

        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.utils import timezone
        from PIL import Image, ImageDraw

        from tasks import photos, services
        from tasks.models import Task, Visit

        if Task.objects.filter(organization=retailer).exists():
            return
        rep = User.objects.get(email="rep@fieldforce.example")
        today = timezone.localdate()
        pilot = Region.objects.get(organization=retailer, name="Northwest Arkansas pilot")
        _, tasks = services.create_tasks(
            owner=retailer, actor=owner, stores=pilot.effective_stores(), region=pilot,
            fields=services.TaskFields(
                title="Holiday endcap: bourbon gift packs",
                instructions="Build the endcap by the front doors with the gift packs at eye level. "
                "Take a photo of the finished endcap.",
                due_date=today + datetime.timedelta(days=5), priority="high",
            ),
        )  # fmt: skip
        services.create_tasks(
            owner=retailer, actor=owner, stores=pilot.effective_stores()[:1],
            fields=services.TaskFields(title="Count the vodka aisle after the reset",
                                       due_date=today - datetime.timedelta(days=2)),
        )  # fmt: skip

        def photo(label, color):
            image = Image.new("RGB", (640, 480), color)
            draw = ImageDraw.Draw(image)
            draw.rectangle((40, 260, 600, 440), fill=(120, 72, 30))
            for x in range(60, 580, 70):
                draw.rectangle((x, 190, x + 50, 260), fill=(200, 160, 60))
            draw.text((48, 40), label, fill=(255, 255, 255))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG")
            return photos.clean_photo(SimpleUploadedFile(f"{label}.jpg", buffer.getvalue()))

        stories = [
            ("done", 100, "Endcap built, gift packs at eye level.", "finished endcap"),
            ("in_progress", 60, "Half the packs are out; the rest arrive Thursday.", "half built"),
            ("cannot_complete", 0, "", None),
            ("in_progress", 20, "Fixture assembled.", None),
        ]
        for task, (status, percent, note, label) in zip(tasks, stories, strict=False):
            visit = services.check_in(viewer=merchandiser, user=rep, store_id=task.store_id)
            services.post_update(
                task_id=task.pk, viewer=merchandiser, actor=rep, status=status, percent=percent, note=note,
                reason="The store has no endcap by the doors: the space is a seasonal pallet." if not note else "",
                photos=[photo(label, (40, 110, 80))] if label else [], visit=visit,
            )  # fmt: skip
            Visit.objects.filter(pk=visit.pk).update(
                checked_out_at=visit.checked_in_at + datetime.timedelta(minutes=25)
            )

    def _master(self, retailer, owner):
        """Heartland Group: a master over Heartland Mart (Iowa liquor) and two online shops
        built from the two UCI online-retail days, whose stock codes overlap. Each shop's
        day of invoice lines is replayed over 90 recent days; its files are the connection's
        source, loaded through the connector like any other."""
        from django.core.files import File

        from aggregation import connectors, plans, rollups, services
        from aggregation.models import MasterAccount

        if MasterAccount.objects.filter(connections__child=retailer).exists():
            return
        rng = random.Random(11)
        end = datetime.date(2026, 11, 21)
        master = None
        for name, source in (
            ("Heartland Online", "online_retail_2010-12-01.csv"),
            ("Heartland Online Outlet", "online_retail_2011-12-05.csv"),
        ):
            path = settings.DEMO_DATA_DIR / source
            with open(path, newline="", encoding="utf-8") as handle:
                lines = [r for r in csv.DictReader(handle) if r["StockCode"] and r["Quantity"]]
            with tempfile.TemporaryDirectory() as folder:
                folder = Path(folder)
                (folder / "stores.csv").write_text(
                    "Store number,Name,City,Country\n1,Online shop,Nottingham,GB\n"
                )
                with open(folder / "sales.csv", "w", newline="") as out:
                    writer = csv.writer(out)
                    writer.writerow(["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
                                     "CustomerID", "Store"])  # fmt: skip
                    for day in range(90):
                        date = end - datetime.timedelta(days=day)
                        for r in rng.sample(lines, 250):
                            writer.writerow([f"{r['InvoiceNo']}-{day}", r["StockCode"], r["Description"],
                                             r["Quantity"], f"{date.isoformat()} 10:00:00", r["UnitPrice"],
                                             r["CustomerID"], "1"])  # fmt: skip
                with open(folder / "stock.csv", "w", newline="") as out:
                    writer = csv.writer(out)
                    writer.writerow(["store", "sku", "on_hand", "on_order"])
                    for code in sorted({r["StockCode"].strip() for r in lines}):
                        writer.writerow(
                            ["1", code, rng.randrange(0, 80), rng.choice([0, 0, 0, 24])]
                        )
                handles = {
                    "stores": open(folder / "stores.csv", "rb"),  # noqa: SIM115 (closed below)
                    "products": open(path, "rb"),  # noqa: SIM115
                    "stock": open(folder / "stock.csv", "rb"),  # noqa: SIM115
                    "sales": open(folder / "sales.csv", "rb"),  # noqa: SIM115
                }
                try:
                    master, connection = services.add_csv_connection(
                        organization=master.organization if master else retailer, user=owner, child_name=name,
                        master_name="Heartland Group", currency="GBP",
                        files={kind: File(h, name=Path(h.name).name) for kind, h in handles.items()},
                    )  # fmt: skip
                finally:
                    for h in handles.values():
                        h.close()
            connectors.load(connection, owner)
        master = MasterAccount.objects.get(pk=master.pk)
        rollups.refresh(master)
        plans.rebuild(master)

    def _currencies(self, retailer, owner):
        """Heartland Mart sells in dollars and the two online shops (UK files) in pounds;
        Heartland Group reports in dollars, with one dated pound rate. Set on every run, so
        a demo made before currencies existed gets them too."""
        from aggregation.models import ExchangeRate, MasterAccount

        master = MasterAccount.objects.get(connections__child=retailer)
        Organization.objects.filter(pk__in=[retailer.pk, master.organization_id]).update(
            currency="USD"
        )
        Organization.objects.filter(
            connection__master=master, name__in=["Heartland Online", "Heartland Online Outlet"]
        ).update(currency="GBP")
        MasterAccount.objects.filter(pk=master.pk).update(reporting_currency="USD")
        ExchangeRate.objects.get_or_create(
            master=master, currency="GBP", valid_from=datetime.date(2026, 1, 1),
            defaults={"rate": Decimal("1.27"), "created_by": owner},
        )  # fmt: skip

    def _inventory(self, retailer, owner):
        """The catalogue, stock and 90 days of sales, from the Iowa liquor sales file, through
        the import machinery. The file is one day in 224 Iowa stores; its lines are replayed
        over 90 days in a sample of the retailer's stores with a seeded random variation."""
        from inventory.models import Product

        if Product.objects.for_org(retailer).exists():
            return
        iowa = settings.DEMO_DATA_DIR / "iowa_liquor_sales_2012-01-31.csv"
        self._import(retailer, owner, "products", iowa)  # with each item's case pack
        Product.objects.for_org(retailer).update(unit="bottle")  # the file counts bottles
        stores = list(
            Store.objects.for_org(retailer).by_number().values_list("number", flat=True)[:120]
        )
        with open(iowa, newline="", encoding="utf-8") as handle:
            lines = list(csv.DictReader(handle))
        store_of = {
            n: stores[i % len(stores)]
            for i, n in enumerate(sorted({r["store_number"] for r in lines}))
        }
        rng = random.Random(2026)
        end = datetime.date(2026, 11, 21)
        with tempfile.TemporaryDirectory() as folder:
            sales = Path(folder) / "heartland-sales-90-days.csv"
            stock = Path(folder) / "heartland-stock.csv"
            pairs = set()
            with open(sales, "w", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(["date", "store_number", "item_number", "bottles_sold", "sale_dollars",
                                 "state_bottle_cost", "invoice"])  # fmt: skip
                for day in range(90):
                    date = end - datetime.timedelta(days=day)
                    weekend = 1.4 if date.weekday() >= 4 else 1.0
                    for i, r in enumerate(rng.sample(lines, 600)):
                        if not r["sale_dollars"] or not r["bottles_sold"]:
                            continue
                        qty = max(
                            1, round(int(r["bottles_sold"]) * weekend * rng.uniform(0.3, 1.2))
                        )
                        price = Decimal(r["sale_dollars"]) / max(1, int(r["bottles_sold"]))
                        store = store_of[r["store_number"]]
                        pairs.add((store, r["item_number"]))
                        writer.writerow([date.isoformat(), store, r["item_number"], qty,
                                         f"{price * qty:.2f}", r["state_bottle_cost"], f"D{day}-{i}"])  # fmt: skip
            # When each row's stock last arrived, for inventory aging: most within the
            # sales window, some long before it, one in ten with no receipt on file. Its own
            # generator, so the stock and sales figures stay as they were.
            receipts = random.Random(2027)
            with open(stock, "w", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(["store", "sku", "on_hand", "on_order", "last_received"])
                for store, sku in sorted(pairs):
                    days_before = receipts.choice([7, 20, 45, 75, 120, 240]) + receipts.randrange(
                        10
                    )
                    received = end - datetime.timedelta(days=days_before)
                    writer.writerow([store, sku, rng.randrange(0, 60), rng.choice([0, 0, 12, 24]),
                                     "" if receipts.random() < 0.1 else received.isoformat()])  # fmt: skip
            self._import(retailer, owner, "stock", stock)
            self._import(retailer, owner, "sales", sales)

    def _import(self, organization, user, kind, path):
        batch = import_file(
            organization=organization,
            user=user,
            importer=importer_for(kind),
            path=path,
            valid_only=True,
        )
        if batch.status != ImportBatch.Status.APPLIED:
            raise CommandError(f"Importing {path.name} failed: {batch.message or batch.errors[:3]}")
        return batch

    def _staff(self):
        if not User.objects.filter(email="admin@shelfshare.example").exists():
            User.objects.create_superuser(
                email="admin@shelfshare.example", password=PASSWORD, full_name="Platform Admin"
            )
