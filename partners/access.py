"""The access policy: the one place that decides what organization V may see and do
with the data of owner O. Views, exports and jobs ask it; none re-derive it.

    access = access_for(viewer=V, owner=O)
    access.stores            the owner's stores V may see (a queryset, current)
    access.rows_q()          a Q on store-and-product rows (stock, sales): per store,
                             every product (merchandising) or only V's own (vendor)
    access.vendor_share_rows_q()  the rows of the vendor share alone: V's own products in
                             the stores shared with V as a vendor (vendor analytics)
    access.product_q         a Q on products: all of them, or those whose vendor is V
    access.hidden_fields     fields hidden from V everywhere (decides the columns)
    access.redact(row, store_id)  drops what V must not see at that store
    access.may_adjust_stock  count corrections and markdowns
    access.may_update_tasks  task progress
    access.sees_anything     False: answer 404, as for any other tenant's object

Master accounts (V is the master of O) join this table with the aggregation issue.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Q, QuerySet
from django.http import Http404

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
    """Evaluated once per request: the store ids of each live scope are read when first
    asked for, so the rules hold for the whole response and cost one query."""

    owner: Organization
    viewer: Organization
    is_owner: bool = False
    store_q_by_scope: dict = field(default_factory=dict)

    @cached_property
    def store_ids_by_scope(self) -> dict[str, frozenset]:
        """The owner's store ids per scope; a scope whose geography is empty is not live."""
        ids = {}
        for scope, q in self.store_q_by_scope.items():
            found = frozenset(
                Store.objects.filter(q, organization=self.owner).values_list("pk", flat=True)
            )
            if found:
                ids[scope] = found
        return ids

    @property
    def scopes(self) -> frozenset:
        return frozenset(self.store_ids_by_scope)

    @cached_property
    def store_ids(self) -> frozenset:
        return frozenset().union(*self.store_ids_by_scope.values())

    @property
    def stores(self) -> QuerySet:
        if self.is_owner:
            return Store.objects.for_org(self.owner)
        return Store.objects.filter(pk__in=sorted(self.store_ids)).by_number()

    @property
    def sees_anything(self) -> bool:
        return self.is_owner or bool(self.store_ids)

    @property
    def product_q(self) -> Q:
        """Which of the owner's products V sees somewhere. A merchandising partner sees
        all of them (in its stores); a vendor share alone sees only its own."""
        if self.is_owner or Scope.MERCHANDISING in self.scopes:
            return Q()
        if Scope.VENDOR in self.scopes:
            return Q(**{VENDOR_FIELD: self.viewer})
        return Q(pk__in=[])

    def rows_q(self, store="store", product="product", only_store=None, after_store=None) -> Q:
        """A Q on rows that name a store and a product (stock, sales, adjustments): in
        merchandising stores every product; in stores shared only as a vendor, V's own.
        `only_store` / `after_store` narrow it to one store id or the ids after one (keyset
        pages), so the store condition stays a single index range."""
        if self.is_owner:
            if only_store is not None:
                return Q(**{f"{store}_id": only_store})
            if after_store is not None:
                return Q(**{f"{store}_id__gt": after_store})
            return Q()

        def narrowed(ids):
            if only_store is not None:
                return ids & {only_store}
            if after_store is not None:
                return frozenset(i for i in ids if i > after_store)
            return ids

        q = Q(pk__in=[])
        merchandising = self.store_ids_by_scope.get(Scope.MERCHANDISING, frozenset())
        vendor_only = narrowed(
            self.store_ids_by_scope.get(Scope.VENDOR, frozenset()) - merchandising
        )
        merchandising = narrowed(merchandising)
        if merchandising:
            q |= Q(**{f"{store}_id__in": sorted(merchandising)})
        if vendor_only:
            q |= Q(
                **{
                    f"{store}_id__in": sorted(vendor_only),
                    f"{product}__{VENDOR_FIELD}": self.viewer,
                }
            )
        return q

    def vendor_share_rows_q(self, store="store", product="product") -> Q:
        """Rows of V's own products in the stores shared with V as a vendor, and no others
        (vendor analytics: even where V also merchandises, only the vendor share counts).
        The stores as a subquery, not a list: a retailer may share thousands, and the
        database hashes a subquery's ids once where it compares a list with every row."""
        if self.is_owner or Scope.VENDOR not in self.scopes:
            return Q(pk__in=[])
        stores = Store.objects.filter(
            self.store_q_by_scope[Scope.VENDOR], organization=self.owner
        ).values("pk")
        return Q(**{f"{store}__in": stores, f"{product}__{VENDOR_FIELD}": self.viewer})

    @cached_property
    def hidden_fields(self) -> frozenset:
        """Fields hidden at every store V sees: a column shows if some live scope shows it."""
        if self.is_owner:
            return frozenset()
        if not self.scopes:
            return HIDDEN_FOR[Scope.VENDOR] | HIDDEN_FOR[Scope.MERCHANDISING]
        return frozenset.intersection(*(HIDDEN_FOR[s] for s in self.scopes))

    def hidden_at(self, store_id) -> frozenset:
        """Fields hidden for rows of one store: the store's own scope decides."""
        if self.is_owner:
            return frozenset()
        if store_id in self.store_ids_by_scope.get(Scope.MERCHANDISING, ()):
            return HIDDEN_FOR[Scope.MERCHANDISING]
        return HIDDEN_FOR[Scope.VENDOR] | HIDDEN_FOR[Scope.MERCHANDISING]

    @property
    def may_adjust_stock(self) -> bool:
        return self.is_owner or Scope.MERCHANDISING in self.scopes

    @property
    def may_update_tasks(self) -> bool:
        return self.may_adjust_stock

    def may_adjust_at(self, store_id) -> bool:
        return self.is_owner or store_id in self.store_ids_by_scope.get(Scope.MERCHANDISING, ())

    def task_store_ids(self):
        """The stores whose tasks V sees and works: merchandising geography only (a vendor
        share sees no tasks). None for the owner: every store."""
        if self.is_owner:
            return None
        return self.store_ids_by_scope.get(Scope.MERCHANDISING, frozenset())

    may_work_tasks_at = may_adjust_at

    def can_see_field(self, name: str) -> bool:
        return name not in self.hidden_fields

    def redact(self, row: dict, store_id=None) -> dict:
        """A copy of `row` without the fields V must not see: at `store_id` when the row
        belongs to one store, else the fields hidden everywhere."""
        hidden = self.hidden_fields if store_id is None else self.hidden_at(store_id)
        return {k: v for k, v in row.items() if k not in hidden}


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
    return Access(owner=owner, viewer=viewer, store_q_by_scope=by_scope)


def accesses_for(viewer: Organization) -> list[Access]:
    """V's access to every owner that shares something with it now, one per owner: for
    pages that list or combine several owners (the chooser, tasks, store visits, the home).
    A fixed number of queries however many owners share: the partnerships with their
    regions, then the store ids of every owner at once, one query per scope."""
    by_owner: dict[int, dict[str, Q]] = {}
    owners: dict[int, Organization] = {}
    for partnership in active_partnerships(viewer=viewer).select_related("organization"):
        owners[partnership.organization_id] = partnership.organization
        scopes = by_owner.setdefault(partnership.organization_id, {})
        scopes[partnership.scope] = scopes.get(partnership.scope, Q(pk__in=[])) | (
            partnership.store_q()
        )
    found: dict[int, dict[str, set]] = {owner_id: {} for owner_id in by_owner}
    for scope in Scope.values:
        wanted = [scopes[scope] for scopes in by_owner.values() if scope in scopes]
        if not wanted:
            continue
        # Each store_q names its owner, so one OR over owners keeps every owner's stores apart.
        q = Q(pk__in=[])
        for one in wanted:
            q |= one
        for store_id, owner_id in Store.objects.filter(q).values_list("pk", "organization_id"):
            found[owner_id].setdefault(scope, set()).add(store_id)
    accesses = []
    for owner_id in sorted(owners, key=lambda pk: (owners[pk].name, pk)):
        access = Access(owner=owners[owner_id], viewer=viewer, store_q_by_scope=by_owner[owner_id])
        # What `Access.store_ids_by_scope` would read, read above for every owner at once.
        access.__dict__["store_ids_by_scope"] = {
            scope: frozenset(ids) for scope, ids in found[owner_id].items() if ids
        }
        if access.sees_anything:
            accesses.append(access)
    return accesses


def owners_sharing_with(viewer: Organization):
    """Organizations with at least one active partnership with V whose geography has a store."""
    return [access.owner for access in accesses_for(viewer)]


def owner_access_or_404(viewer: Organization, owner_id, *, allowed=None) -> Access:
    """The viewer's access to one owner's data, addressed by the owner's id, or a 404 when
    the owner does not exist or shares nothing that `allowed(access)` asks for (everything
    by default): the same answer for "missing" and "not yours"."""
    owner = Organization.objects.filter(pk=owner_id).first() if str(owner_id).isdigit() else None
    if owner is None:
        raise Http404("No such data.")
    access = access_for(viewer=viewer, owner=owner)
    if not (allowed(access) if allowed else access.sees_anything):
        raise Http404("No such data.")
    return access


def shared_object_or_404(queryset, viewer: Organization, *, allowed, **lookups):
    """One tenant-owned row by id, with the viewer's access to its owner, or a 404 when the
    row does not exist or `allowed(access, row)` says the viewer may not see it."""
    try:
        row = queryset.filter(**lookups).first()
    except (ValueError, TypeError):
        row = None
    if row is None:
        raise Http404("No such object.")
    access = access_for(viewer=viewer, owner=row.organization)
    if not allowed(access, row):
        raise Http404("No such object.")
    return row, access
