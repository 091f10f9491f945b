from accounts.models import Membership


def organization(request):
    """The left menu's organization select list, and the current organization."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_organization": request.organization,
        "current_membership": request.membership,
        "my_memberships": Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name"),
    }
