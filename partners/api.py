"""Which organizations a token reaches, and their stores: through the access policy
(partners/access.py), exactly as the pages. Another organization's id, or one that
shares nothing with the token's, is a 404."""

from django.db.models import Q
from django.http import Http404
from ninja import Query, Router, Schema

from core.api import ApiError, Paging, decode_cursor, encode_cursor, page
from partners.access import accesses_for, owner_access_or_404

router = Router(tags=["Organizations"])


def access_or_404(request, organization_id, *, allowed=None):
    """The token's organization's access to `organization_id` (its own, or an owner's
    that shares with it), or a 404 the same for "missing" and "not yours"."""
    try:
        return owner_access_or_404(request.auth.organization, organization_id, allowed=allowed)
    except Http404:
        raise ApiError(404, "not_found", "No such organization.") from None


def refuse_filter_errors(filterset):
    """A filter value the page would refuse is a 400 naming the parameter."""
    if filterset.is_bound and not filterset.is_valid():
        raise ApiError(
            400, "bad_filter", "A filter has a value this list cannot use.",
            errors=[
                {"field": name, "message": " ".join(messages)}
                for name, messages in filterset.errors.items()
            ],
        )  # fmt: skip


class SharedOrganizationOut(Schema):
    id: int
    name: str
    relation: str  # "own" or "shares with you"
    scopes: list[str]
    hidden_fields: list[str]


class OrganizationPage(Schema):
    items: list[SharedOrganizationOut]
    next_cursor: str | None


@router.get(
    "/organizations",
    response=OrganizationPage,
    summary="Your organization and those that share data with it",
)
def organizations(request, paging: Query[Paging]):
    """Your own first, then the owners by name; the cursor is a position in that order
    (a handful of organizations: the list is read whole, then cut)."""
    after = decode_cursor(paging.cursor, int)
    own = request.auth.organization
    found = [{"id": own.pk, "name": own.name, "relation": "own", "scopes": [], "hidden_fields": []}]
    for access in accesses_for(own):
        found.append(
            {
                "id": access.owner.pk,
                "name": access.owner.name,
                "relation": "shares with you",
                "scopes": sorted(access.scopes),
                "hidden_fields": sorted(access.hidden_fields),
            }
        )
    start = after[0] if after else 0
    end = start + paging.limit
    return {
        "items": found[start:end],
        "next_cursor": encode_cursor(end) if len(found) > end else None,
    }


class StoreOut(Schema):
    id: int
    number: str
    name: str
    banner: str
    address: str
    city: str
    state: str
    postal_code: str
    country: str
    latitude: float | None
    longitude: float | None
    is_open: bool


class StoreFilters(Paging):
    q: str | None = None
    state: str | None = None


class StorePage(Schema):
    items: list[StoreOut]
    next_cursor: str | None


STORE_FIELDS = [f for f in StoreOut.model_fields if f not in ("id", "latitude", "longitude")]


@router.get(
    "/organizations/{int:organization_id}/stores",
    response=StorePage,
    summary="Stores: your own, or those an owner shares with you",
)
def stores(request, organization_id: int, filters: Query[StoreFilters]):
    access = access_or_404(request, organization_id)
    limit = filters.limit
    after = decode_cursor(filters.cursor, int)
    found = access.stores
    if filters.q:
        q = filters.q.strip()
        found = found.filter(Q(number__iexact=q) | Q(name__icontains=q) | Q(city__icontains=q))
    if filters.state:
        found = found.filter(state__iexact=filters.state.strip())
    if after:
        found = found.filter(pk__gt=after[0])
    rows = list(
        found.order_by("pk").values("id", *STORE_FIELDS, "latitude", "longitude")[: limit + 1]
    )
    for row in rows:
        for name in ("latitude", "longitude"):
            row[name] = float(row[name]) if row[name] is not None else None
    return page(rows, limit, lambda row: encode_cursor(row["id"]))
