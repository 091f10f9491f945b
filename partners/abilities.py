"""Who may ask partners to work with the organization's data (PRODUCT.md, rule 1: only the
data owner requests). The views of New Partner Request and Partner Permissions ask these,
and so do the menu and the buttons that lead there."""

from accounts.abilities import register_ability

NOT_DATA_OWNER = (
    "Only a retailer or brand shares its data with partners. "
    "A partner cannot ask for access to someone else's data: the data owner requests."
)


def may_request_partners(membership) -> bool:
    """An owner or admin of a retailer or brand: the same checks `services.partnership_request`
    makes before it writes anything."""
    return membership.is_manager and membership.organization.is_retailer


def may_share_with_vendors(membership) -> bool:
    """Partner Permissions lists vendors a retailer may share its data with: a retailer's
    page (members read it; owners and admins request)."""
    return membership.organization.is_retailer


def why_not_request(membership) -> str:
    if not membership.organization.is_retailer:
        return NOT_DATA_OWNER
    return f"Only owners and admins of {membership.organization.name} can do this."


def why_not_share(membership) -> str:
    return (
        f"Partner Permissions is where a retailer shares its data with vendors; "
        f"{membership.organization.name} is not a retailer."
    )


def register() -> None:
    register_ability("request_partners", may_request_partners, why_not_request)
    register_ability("share_with_vendors", may_share_with_vendors, why_not_share)
