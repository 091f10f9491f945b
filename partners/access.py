"""The access policy: the one place that decides what organization V may see and do
with the data of owner O. Views, exports and jobs ask it; none re-derive it.

    access = access_for(viewer=V, owner=O)
    access.stores            the owner's stores V may see (a queryset, current)
    access.product_q         a Q on products: all of them, or those whose vendor is V
    access.hidden_fields     fields that must never leave the server for V
    access.may_adjust_stock  count corrections and markdowns
    access.may_update_tasks  task progress
    access.sees_anything     False: answer 404, as for any other tenant's object

Master accounts (V is the master of O) join this table with the aggregation issue.
"""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from accounts.models import Organization, Store
from partners.models import Partnership

Scope = Partnership.Scope

# Money and people the partner must not see, per scope (PRODUCT.md, "Who sees what").
HIDDEN_FOR = {
    Scope.MERCHANDISING: frozenset({"gross_profit"}),
    Scope.VENDOR: frozenset(
        {"retail_price", "markdown_price", "current_price", "retail_amount", "gross_profit",
         "customer_reference"}
    ),
}  # fmt: skip
VENDOR_FIELD = "vendor_organization"  # the product field naming the vendor organization


@dataclass(frozen=True)
class Access:
    owner: Organization
    viewer: Organization
    is_owner: bool = False
    scopes: frozenset = frozenset()
    merchandising_stores: QuerySet | None = None
    vendor_stores: QuerySet | None = None
    hidden_fields: frozenset = field(default_factory=frozenset)

    @property
    def stores(self) -> QuerySet:
        if self.is_owner:
            return Store.objects.for_org(self.owner)
        q = Q(pk__in=[])
        for stores in (self.merchandising_stores, self.vendor_stores):
            if stores is not None:
                q |= Q(pk__in=stores.values("pk"))
        return Store.objects.filter(q).by_number()

    @property
    def sees_anything(self) -> bool:
        return self.is_owner or self.stores.exists()

    @property
    def product_q(self) -> Q:
        """Which of the owner's products V sees. A merchandising partner sees all of
        them; a vendor share alone sees only its own."""
        if self.is_owner or Scope.MERCHANDISING in self.scopes:
            return Q()
        if Scope.VENDOR in self.scopes:
            return Q(**{VENDOR_FIELD: self.viewer})
        return Q(pk__in=[])

    @property
    def may_adjust_stock(self) -> bool:
        return self.is_owner or self._merchandising_live()

    @property
    def may_update_tasks(self) -> bool:
        return self.is_owner or self._merchandising_live()

    @property
    def may_see_tasks(self) -> bool:
        return self.may_update_tasks

    def _merchandising_live(self):
        return self.merchandising_stores is not None and self.merchandising_stores.exists()

    def stores_for(self, purpose: str) -> QuerySet:
        """Stores for one purpose: "inventory" (either scope), "adjust" or "tasks"
        (merchandising only)."""
        if self.is_owner:
            return self.stores
        if purpose == "inventory":
            return self.stores
        if purpose in ("adjust", "tasks"):
            if self.merchandising_stores is None:
                return Store.objects.none()
            return self.merchandising_stores
        raise ValueError(f"unknown purpose {purpose!r}")

    def can_see_field(self, name: str) -> bool:
        return name not in self.hidden_fields

    def redact(self, row: dict) -> dict:
        """A copy of `row` without the fields V must not see."""
        return {k: v for k, v in row.items() if k not in self.hidden_fields}


def active_partnerships(*, viewer, owner=None):
    qs = Partnership.objects.filter(partner=viewer, status=Partnership.Status.ACTIVE)
    if owner is not None:
        qs = qs.filter(organization=owner)
    return qs.prefetch_related("regions")


def access_for(*, viewer: Organization, owner: Organization) -> Access:
    if viewer is None or owner is None:
        raise ValueError("access_for needs both organizations")
    if viewer.pk == owner.pk:
        return Access(owner=owner, viewer=viewer, is_owner=True)
    by_scope: dict[str, Q] = {}
    for partnership in active_partnerships(viewer=viewer, owner=owner):
        by_scope[partnership.scope] = (
            by_scope.get(partnership.scope, Q(pk__in=[])) | partnership.store_q()
        )
    stores = {scope: Store.objects.filter(q).distinct() for scope, q in by_scope.items()}
    scopes = frozenset(by_scope)
    hidden = frozenset()
    if scopes:
        # A field is hidden unless some active scope shows it.
        hidden = frozenset.intersection(*(HIDDEN_FOR[s] for s in scopes))
    else:
        hidden = HIDDEN_FOR[Scope.VENDOR] | HIDDEN_FOR[Scope.MERCHANDISING]
    return Access(
        owner=owner,
        viewer=viewer,
        scopes=scopes,
        merchandising_stores=stores.get(Scope.MERCHANDISING),
        vendor_stores=stores.get(Scope.VENDOR),
        hidden_fields=hidden,
    )


def owners_sharing_with(viewer: Organization):
    """Organizations with at least one active partnership with V whose geography has a store."""
    owners = Organization.objects.filter(
        partnerships_requested__partner=viewer,
        partnerships_requested__status=Partnership.Status.ACTIVE,
    ).distinct()
    return [o for o in owners if access_for(viewer=viewer, owner=o).sees_anything]
