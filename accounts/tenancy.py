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
        membership = memberships.filter(organization_id=chosen).first() or inherited_membership(
            user, chosen
        )
        if membership is not None:
            return membership
    # No valid choice (first visit, or the membership was removed): the oldest one.
    membership = memberships.order_by("created_at", "pk").first()
    if membership is not None:
        request.session[SESSION_KEY] = membership.organization_id
    return membership


def inherited_membership(user, organization_id):
    """Users of a master account enter each of its child accounts with the role they hold
    in the master: an unsaved Membership, marked `via_master`."""
    from accounts.models import Membership
    from aggregation.models import Connection  # accounts loads first; aggregation is optional here

    connection = (
        Connection.objects.filter(
            child_id=organization_id, master__organization__memberships__user=user
        )
        .select_related("child", "master__organization")
        .first()
    )
    if connection is None:
        return None
    master = connection.master.organization
    role = (
        Membership.objects.filter(user=user, organization=master)
        .values_list("role", flat=True)
        .first()
    )
    membership = Membership(user=user, organization=connection.child, role=role)
    membership.via_master = master
    return membership


def accounts_of(user):
    """What the left menu's select list offers: the user's memberships, each master followed
    by its child accounts."""
    from accounts.models import Membership
    from aggregation.models import Connection

    listed = []
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )
    children = {}
    for connection in Connection.objects.filter(
        master__organization__memberships__user=user
    ).select_related("child", "master"):
        children.setdefault(connection.master.organization_id, []).append(connection.child)
    own = {m.organization_id for m in memberships}
    for membership in memberships:
        membership.label = membership.organization.name
        listed.append(membership)
        for child in sorted(children.get(membership.organization_id, []), key=lambda o: o.name):
            if child.pk in own:
                continue
            entry = Membership(user=user, organization=child, role=membership.role)
            entry.label = f"↳ {child.name}"
            listed.append(entry)
    return listed


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
