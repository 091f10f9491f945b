import re

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Length, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.currencies import DEFAULT_CURRENCY, CurrencyField
from accounts.names import normalize_organization_name, organization_name_key
from core.models import EditedRecord
from core.tenancy import OrgQuerySet


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        # Email is the login and is stored lower-case; match it ignoring case.
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Platform staff: may use Django admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Organization(models.Model):
    class Network(models.TextChoices):
        MEMBER = "member", "Network member"
        SALES_REP_DIRECT = "sales_rep_direct", "Sales Rep Direct"
        NONE = "none", "Not in network"

    name = models.CharField(max_length=200)
    # Empty only in a row written by older code (an older migration state): save() sets it.
    name_key = models.CharField(  # noqa: DJ001 (NULL, not "", so many legacy rows fit unique)
        max_length=600, unique=True, null=True, editable=False,
        help_text="The name's normal form, case-folded (accounts/names.py): look-alike names "
        "are one name.",
    )  # fmt: skip
    slug = models.SlugField(max_length=220, unique=True)
    is_retailer = models.BooleanField("retailer / brand", default=False)
    is_merchandiser = models.BooleanField("merchandiser", default=False)
    is_vendor = models.BooleanField("vendor", default=False)
    network = models.CharField(max_length=20, choices=Network, default=Network.NONE)
    currency = CurrencyField(
        db_default="USD",
        default=DEFAULT_CURRENCY,
        help_text="The ISO 4217 code of the currency its prices and sales are in.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="organization_name_unique_ci",
                violation_error_message="An organization with this name already exists.",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Every way in (forms, admin, the demo seed, imports of accounts) stores the
        # normal form, and the key the database keeps unique.
        self.name = normalize_organization_name(self.name)
        self.name_key = organization_name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        if not self.slug:
            self.slug = self._unique_slug()
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        self.name = normalize_organization_name(self.name)
        clash = Organization.objects.filter(name_key=organization_name_key(self.name))
        if self.name and clash.exclude(pk=self.pk).exists():
            raise ValidationError({"name": NAME_TAKEN})

    def _unique_slug(self):
        base = slugify(self.name)[:200] or "organization"
        slug, n = base, 2
        while Organization.objects.filter(slug=slug).exclude(pk=self.pk).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug

    @property
    def kinds(self):
        return [
            label
            for flag, label in (
                (self.is_retailer, "Retailer"),
                (self.is_merchandiser, "Merchandiser"),
                (self.is_vendor, "Vendor"),
            )
            if flag
        ]


NAME_TAKEN = "An organization with this name is already on Shelfshare."


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    # Roles that manage the organization: members, invitations, settings.
    MANAGERS = (Role.OWNER, Role.ADMIN)

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique"),
        ]

    def __str__(self):
        return f"{self.user} in {self.organization} ({self.get_role_display()})"

    @property
    def is_manager(self):
        return self.role in self.MANAGERS


class Invitation(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role, default=Membership.Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation of {self.email} to {self.organization}"

    @property
    def is_open(self):
        return self.accepted_at is None and self.revoked_at is None

    @property
    def expires_at(self):
        return self.created_at + settings.INVITATION_MAX_AGE


class StoreQuerySet(OrgQuerySet):
    def by_number(self):
        """Store numbers are text; digits sort as numbers ("9" before "10")."""
        return self.order_by(Length("number"), "number")


class Store(EditedRecord):
    """A physical location of the organization (the data owner). Edited on its page and by
    store imports, each change counted in `version` (core/models.py)."""

    # The unique (organization, number) constraint serves lookups by organization: an index
    # of its own would only be another write per store imported.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="stores", db_index=False
    )
    number = models.CharField("store number", max_length=50)
    name = models.CharField(max_length=200, blank=True)
    banner = models.CharField("banner / chain", max_length=100, blank=True)
    address = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_open = models.BooleanField("open", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StoreQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "number"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="store_number_unique"),
        ]
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="store_lat_lon_idx"),
        ]

    def __str__(self):
        return f"#{self.number} {self.name}".strip()

    def get_absolute_url(self):
        return reverse("accounts:stores")


class Region(EditedRecord):
    """A custom region: a named, reusable set of an organization's stores.

    Its stores are the ones picked by hand plus, when a rule is set, every store
    matching the rule *now*: users of a region always see its current stores. Every change
    (its name, rule or picked stores) counts in `version` (core/models.py).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="regions")
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=255, blank=True)
    stores = models.ManyToManyField(Store, blank=True, related_name="regions")
    rule_states = models.JSONField(
        "states in the rule", default=list, blank=True, help_text="Every store in these states."
    )
    rule_banners = models.JSONField(
        "banners in the rule", default=list, blank=True, help_text="Every store of these banners."
    )
    rule_postal_prefixes = models.JSONField(
        "postal-code prefixes in the rule",
        default=list,
        blank=True,
        help_text="Every store whose postal code starts with one of these.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("name"),
                name="region_name_unique_ci",
                violation_error_message="A region with this name already exists.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:region_detail", args=[self.pk])

    @property
    def has_rule(self):
        return bool(self.rule_states or self.rule_banners or self.rule_postal_prefixes)

    def rule_q(self):
        """The rule as a Q on Store, or None when the region has no rule."""
        if not self.has_rule:
            return None
        q = models.Q()
        if self.rule_states:
            q &= models.Q(state__in=self.rule_states)
        if self.rule_banners:
            q &= models.Q(banner__in=self.rule_banners)
        if self.rule_postal_prefixes:
            # One condition however many prefixes: an OR per prefix nests the query one
            # level deeper each, and SQLite refuses an expression past 1,000 levels (a
            # partnership sharing several regions adds theirs up).
            alternatives = "|".join(re.escape(prefix) for prefix in self.rule_postal_prefixes)
            q &= models.Q(postal_code__regex=f"^({alternatives})")
        return q

    def store_q(self):
        """A Q on Store selecting this region's stores (same organization)."""
        q = models.Q(regions=self)
        rule = self.rule_q()
        if rule is not None:
            q |= rule
        return models.Q(organization_id=self.organization_id) & q

    def effective_stores(self):
        return Store.objects.filter(self.store_q()).distinct().by_number()

    def describe_rule(self):
        parts = []
        if self.rule_states:
            parts.append("state " + ", ".join(self.rule_states))
        if self.rule_banners:
            parts.append("banner " + ", ".join(self.rule_banners))
        if self.rule_postal_prefixes:
            parts.append("postal code starting " + ", ".join(self.rule_postal_prefixes))
        return " and ".join(parts)


class ApiToken(models.Model):
    """A key a program uses to read (and with the write scope, change) one organization's
    data through the API. Only a digest is kept: the key is shown once, when created."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80, help_text="What uses it: “Nightly stock sync”.")
    scope = models.CharField(max_length=10, choices=Scope, default=Scope.READ)
    # The key's first characters, shown to tell keys apart; the rest is only in the digest.
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…, {self.organization})"

    def get_absolute_url(self):
        return reverse("accounts:api_token", args=[self.pk])

    @property
    def may_write(self):
        return self.scope == self.Scope.WRITE

    def is_live(self, now=None):
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def status(self, now=None):
        """What the API tokens page says of it: live, revoked or expired. A revoked token
        stays "revoked" after the date it would have expired."""
        if self.revoked_at is not None:
            return "revoked"
        return "live" if self.is_live(now) else "expired"

    @property
    def key_start(self):
        """The key's first characters, as the pages show them: "ss_ab12cd34"."""
        from accounts.api_tokens import KEY_START

        return f"{KEY_START}{self.prefix}"
