"""Which organization a request acts for.

The current organization is resolved once per request from the session and
validated against the user's memberships. Querysets scoped to it and the
fetch-by-id-or-404 helper are in core/tenancy.py.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject

from accounts.abilities import may, refusal
from core.logs import set_organization

SESSION_KEY = "organization_id"


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


class AccountTree:
    """How a user reaches accounts other than the ones they are a member of. Here: not at
    all. The aggregation app registers master accounts (`register_account_tree`), whose
    users enter each child account; accounts never imports it."""

    def children_by_master(self, user) -> dict:
        """{master organization id: [child organizations]} over the user's masters."""
        return {}

    def master_of(self, user, organization_id):
        """(child, master) when the user reaches `organization_id` through a master they are
        a member of, else None."""
        return None


_account_tree = AccountTree()


def register_account_tree(tree: AccountTree) -> None:
    global _account_tree
    _account_tree = tree


def inherited_membership(user, organization_id):
    """Users of a master account enter each of its child accounts with the role they hold
    in the master: an unsaved Membership, marked `via_master`."""
    from accounts.models import Membership

    found = _account_tree.master_of(user, organization_id)
    if found is None:
        return None
    child, master = found
    role = (
        Membership.objects.filter(user=user, organization=master)
        .values_list("role", flat=True)
        .first()
    )
    membership = Membership(user=user, organization=child, role=role)
    membership.via_master = master
    return membership


def accounts_of(user):
    """What the left menu's select list offers: the user's memberships, each master followed
    by its child accounts."""
    from accounts.models import Membership

    listed = []
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )
    children = _account_tree.children_by_master(user)
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
                # Log lines from here on say which organization the request acts for.
                set_organization(cache["m"].organization_id if cache["m"] else None)
            return cache["m"]

        request.membership = SimpleLazyObject(membership)
        request.organization = SimpleLazyObject(
            lambda: membership().organization if membership() else None
        )
        return self.get_response(request)


def organization_required(*roles, ability=None):
    """View decorator: the user must have a current organization, and one of ``roles`` if given,
    and the named ``ability`` (accounts/abilities.py) if given: the rule the menu and the
    buttons ask too.

    A user with no organization at all is sent to create one.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.membership:
                return redirect("accounts:organization_create")
            if roles and request.membership.role not in roles:
                raise PermissionDenied("Your role in this organization does not allow this.")
            if ability and not may(request.membership, ability):
                raise PermissionDenied(refusal(request.membership, ability))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
