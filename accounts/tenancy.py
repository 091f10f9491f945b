"""Tenancy in one place.

The current organization is resolved once per request from the session and
validated against the user's memberships. Tenant-owned querysets offer
``for_org(org)``; views fetch objects through ``get_for_org_or_404`` so another
organization's id is a 404, the same answer as an id that does not exist.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject

SESSION_KEY = "organization_id"


class OrgQuerySet(models.QuerySet):
    def for_org(self, organization):
        return self.filter(organization=organization)


def get_for_org_or_404(queryset, organization, **lookups):
    """The one way a view fetches a tenant-owned object by id."""
    if isinstance(queryset, type) and issubclass(queryset, models.Model):
        queryset = queryset._default_manager.all()
    try:
        return queryset.filter(organization=organization).get(**lookups)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404("No such object.") from None


def _current_membership(request):
    from accounts.models import Membership

    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=user).select_related("organization")
    chosen = request.session.get(SESSION_KEY)
    if chosen is not None:
        membership = memberships.filter(organization_id=chosen).first()
        if membership is not None:
            return membership
    # No valid choice (first visit, or the membership was removed): the oldest one.
    membership = memberships.order_by("created_at", "pk").first()
    if membership is not None:
        request.session[SESSION_KEY] = membership.organization_id
    return membership


def switch_organization(request, organization):
    request.session[SESSION_KEY] = organization.pk


class CurrentOrganizationMiddleware:
    """Sets ``request.membership`` and ``request.organization`` (lazily, once per request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cache = {}

        def membership():
            if "m" not in cache:
                cache["m"] = _current_membership(request)
            return cache["m"]

        request.membership = SimpleLazyObject(membership)
        request.organization = SimpleLazyObject(
            lambda: membership().organization if membership() else None
        )
        return self.get_response(request)


def organization_required(*roles):
    """View decorator: the user must have a current organization, and one of ``roles`` if given.

    A user with no organization at all is sent to create one.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.membership:
                return redirect("accounts:organization_create")
            if roles and request.membership.role not in roles:
                raise PermissionDenied("Your role in this organization does not allow this.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
