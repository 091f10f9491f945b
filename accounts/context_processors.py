from django.utils.functional import SimpleLazyObject

from accounts.tenancy import accounts_of


def organization(request):
    """The left menu's organization select list, and the current organization."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_organization": request.organization,
        "current_membership": request.membership,
        "my_memberships": SimpleLazyObject(lambda: accounts_of(user)),
    }
