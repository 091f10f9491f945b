from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from accounts.models import Organization, Region, Store
from core.models import EditedRecord


class PartnershipQuerySet(models.QuerySet):
    def for_org(self, organization):
        """Partnerships the organization takes part in, on either side."""
        return self.filter(Q(organization=organization) | Q(partner=organization))

    def requested_by(self, organization):
        return self.filter(organization=organization)

    def open(self):
        return self.filter(status__in=Partnership.OPEN)


class Partnership(EditedRecord):
    """A grant from the requester (the data owner, `organization`) to the partner.

    Sharing happens only while ACTIVE and while the geography holds a store. Its `version`
    counts the changes of its geography (core/models.py); the status has its own
    conditional updates.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"
        DECLINED = "declined", "Declined"
        UNAPPROVED = "unapproved", "Unapproved"

    class Scope(models.TextChoices):
        MERCHANDISING = "merchandising", "Merchandising partner"
        VENDOR = "vendor", "Vendor data share"

    class Side(models.TextChoices):
        REQUESTER = "requester", "requester"
        PARTNER = "partner", "partner"

    OPEN = (Status.PENDING, Status.ACTIVE)
    # action: (from status, to status, the side that may do it)
    TRANSITIONS = {
        "approve": (Status.PENDING, Status.ACTIVE, Side.PARTNER),
        "decline": (Status.PENDING, Status.DECLINED, Side.PARTNER),
        "cancel": (Status.PENDING, Status.CANCELLED, Side.REQUESTER),
        "unapprove": (Status.ACTIVE, Status.UNAPPROVED, Side.REQUESTER),
    }
    SCOPE_DESCRIPTIONS = {
        Scope.MERCHANDISING: [
            "See the inventory of every product in the shared stores, with prices (never gross profit).",
            "Adjust stock: count corrections, markdowns, damage and transfers, with a reason.",
            "See and update merchandising tasks in the shared stores.",
        ],
        Scope.VENDOR: [
            "See sales and inventory of the products whose vendor is the partner, in the shared stores.",
            "At cost only: never retail prices, markdown prices, gross profit or customer data.",
            "Read-only: the partner changes nothing.",
        ],
    }

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="partnerships_requested",
        verbose_name="requester",
    )
    partner = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="partnerships_received",
        null=True,
        blank=True,
        help_text="Empty while the partner, invited by email, has not joined yet.",
    )
    invited_company_name = models.CharField(max_length=200, blank=True)
    invited_email = models.EmailField(blank=True)
    vendor_key = models.CharField(
        max_length=200,
        blank=True,
        help_text="For a vendor data share asked from Partner Permissions: the catalogue "
        "vendor (its key, partners/catalogue.py) whose products become the partner's on "
        "approval.",
    )
    scope = models.CharField(max_length=20, choices=Scope)
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    all_stores = models.BooleanField(
        "every store",
        default=False,
        help_text="Share every store of the requester, new ones included.",
    )
    stores = models.ManyToManyField(Store, blank=True, related_name="partnerships")
    regions = models.ManyToManyField(Region, blank=True, related_name="partnerships")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartnershipQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # Rule 5: at most one PENDING or ACTIVE partnership per (requester, partner, scope).
            models.UniqueConstraint(
                fields=["organization", "partner", "scope"],
                condition=Q(status__in=["pending", "active"]),
                name="partnership_one_open_per_scope",
                violation_error_message="There is already a pending or active request for this partner.",
            ),
            models.UniqueConstraint(
                "organization",
                Lower("invited_email"),
                "scope",
                condition=Q(status__in=["pending", "active"], partner__isnull=True),
                name="partnership_one_open_invitation",
            ),
            # One open request per catalogue vendor, whichever rep's email it went to.
            models.UniqueConstraint(
                fields=["organization", "vendor_key", "scope"],
                condition=Q(status__in=["pending", "active"]) & ~Q(vendor_key=""),
                name="partnership_one_open_per_catalogue_vendor",
            ),
            models.CheckConstraint(
                condition=~Q(organization=models.F("partner")),
                name="partnership_not_with_itself",
            ),
            models.CheckConstraint(
                condition=Q(partner__isnull=False) | ~Q(invited_email=""),
                name="partnership_has_a_partner",
            ),
        ]

    def __str__(self):
        return f"{self.organization} → {self.partner_name} ({self.get_scope_display()}, {self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("partners:detail", args=[self.pk])

    @property
    def partner_name(self):
        return self.partner.name if self.partner_id else f"{self.invited_company_name} (invited)"

    @property
    def is_sharing(self):
        return self.status == self.Status.ACTIVE and self.effective_stores().exists()

    def side_of(self, organization):
        if organization is None:
            return None
        if organization.pk == self.organization_id:
            return self.Side.REQUESTER
        if organization.pk == self.partner_id:
            return self.Side.PARTNER
        return None

    def shows_geography_to(self, organization):
        """The requester always sees its own geography; the partner only while the request is
        pending or the partnership active: once it has ended, the store list is none of its
        business any more."""
        side = self.side_of(organization)
        return side == self.Side.REQUESTER or (
            side == self.Side.PARTNER and self.status in self.OPEN
        )

    def other_side(self, organization):
        return self.partner if organization.pk == self.organization_id else self.organization

    def store_q(self):
        """A Q on Store for the effective geography, as it is now."""
        q = Q(organization_id=self.organization_id)
        if self.all_stores:
            return q
        picked = Q(partnerships=self)
        for region in self.regions.all():
            picked |= region.store_q()
        return q & picked

    def effective_stores(self):
        return Store.objects.filter(self.store_q()).distinct().by_number()

    def scope_description(self):
        return self.SCOPE_DESCRIPTIONS[self.scope]


class PartnershipEvent(models.Model):
    """The history of a partnership: one row per transition, never changed."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="events")
    organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The organization the actor acted for; empty for platform staff.",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    by_staff = models.BooleanField(default=False)
    from_status = models.CharField(max_length=20, choices=Partnership.Status, blank=True)
    to_status = models.CharField(max_length=20, choices=Partnership.Status)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.partnership_id}: {self.from_status or 'new'} → {self.to_status}"

    @property
    def action_label(self):
        if not self.from_status:
            return "Requested"
        return {
            "active": "Approved",
            "declined": "Declined",
            "cancelled": "Cancelled",
            "unapproved": "Unapproved",
        }[self.to_status]
