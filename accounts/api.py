"""The API's door: a token per organization (accounts/api_tokens.py), counted per token,
and the organization's own regions."""

from django.conf import settings
from ninja import Query, Router, Schema
from ninja.security import HttpBearer

from accounts.api_tokens import token_for_key
from accounts.models import Region
from core import throttle
from core.api import (
    ApiError,
    Paging,
    decode_cursor,
    encode_cursor,
    not_found,
    page,
)

router = Router(tags=["Account"])


class TokenAuth(HttpBearer):
    """`Authorization: Bearer ss_…`. An unknown, revoked or expired key is a 401; a token
    past its rate is a 429 with Retry-After."""

    openapi_description = "An API token from Account Settings → API tokens."

    def authenticate(self, request, token):
        found = token_for_key(token)
        if found is None:
            return None
        limit, window = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW
        if not throttle.allow("api", str(found.pk), limit=limit, window=window):
            raise ApiError(
                429, "rate_limited",
                f"This token sent more than {limit} requests in {window} seconds. Wait, then "
                "send again; spread large reads over time or ask for bigger pages (limit).",
                headers={"Retry-After": str(window)},
            )  # fmt: skip
        request.api_token = found
        return found


def token_of(request):
    return request.auth


def require_write(request):
    """A read-only token changes nothing: 403, after the 404 for what it cannot see."""
    if not request.auth.may_write:
        raise ApiError(
            403, "read_only_token",
            "This token may only read. An owner or admin can create a read-and-write token "
            "under Account Settings → API tokens.",
        )  # fmt: skip


class OrganizationOut(Schema):
    id: int
    name: str


class TokenOut(Schema):
    name: str
    scope: str
    prefix: str
    expires_at: str | None


class MeOut(Schema):
    organization: OrganizationOut
    token: TokenOut


@router.get("/me", response=MeOut, summary="The token and its organization")
def me(request):
    token = request.auth
    return {
        "organization": {"id": token.organization_id, "name": token.organization.name},
        "token": {
            "name": token.name,
            "scope": token.scope,
            "prefix": token.prefix,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
    }


class RegionOut(Schema):
    id: int
    name: str
    store_numbers: list[str]


class RegionPage(Schema):
    items: list[RegionOut]
    next_cursor: str | None


@router.get(
    "/organizations/{int:organization_id}/regions",
    response=RegionPage,
    summary="The organization's custom regions",
)
def regions(request, organization_id: int, paging: Query[Paging]):
    """An organization's regions are its own business: a partner's token gets a 404."""
    if organization_id != request.auth.organization_id:
        raise not_found("organization")
    after = decode_cursor(paging.cursor, int)
    found = Region.objects.for_org(request.auth.organization).order_by("pk")
    if after:
        found = found.filter(pk__gt=after[0])
    rows = [
        {
            "id": region.pk,
            "name": region.name,
            "store_numbers": list(region.effective_stores().values_list("number", flat=True)),
        }
        for region in found[: paging.limit + 1]
    ]
    return page(rows, paging.limit, lambda row: encode_cursor(row["id"]))
