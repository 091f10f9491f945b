"""Load Data in the menu and its pages: a master account's pages, and who adds accounts."""

from accounts.abilities import may, register_ability
from aggregation.models import MasterAccount


def master_of(organization):
    """The organization's MasterAccount, or None: what `views.master_required` asks."""
    return MasterAccount.objects.filter(organization=organization).first()


def is_master(membership) -> bool:
    return master_of(membership.organization) is not None


def may_add_account(membership) -> bool:
    """Owners and admins add connections (from a child account the page says to switch to
    the master first)."""
    return may(membership, "manage")


def register() -> None:
    register_ability("master", is_master)
    register_ability("add_account", may_add_account)
