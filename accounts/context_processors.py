from django.utils.functional import SimpleLazyObject

from accounts.abilities import Abilities
from accounts.tenancy import accounts_of


def organization(request):
    """The left menu's organization select list, the current organization, and what the
    member may do there (`may.manage`, `may.master`: accounts/abilities.py)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_organization": request.organization,
        "current_membership": request.membership,
        "my_memberships": SimpleLazyObject(lambda: accounts_of(user)),
        "may": Abilities(request.membership),
    }
